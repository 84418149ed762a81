"""The registry is the single description of the 16 collections: it must be complete and coherent."""

from zendesk_assets.collections import COLLECTIONS, OPT_IN, SWEEPS, SYSTEM_COLUMNS, SweepKind

SPEC_COLLECTIONS = {
    "users", "groups", "tickets", "ticket_fields", "activities", "attachments", "organizations",
    "ticket_events", "ticket_metrics", "satisfaction_ratings", "ticket_comments", "ticket_forms",
    "ticket_skips", "organization_memberships", "group_memberships", "audit_logs",
}  # fmt: skip


def test_every_spec_collection_has_exactly_one_entry() -> None:
    assert set(COLLECTIONS) == SPEC_COLLECTIONS


def test_opt_in_collections_are_the_specs() -> None:
    assert {"ticket_comments", "audit_logs"} == OPT_IN


def test_every_collection_is_fed_by_a_sweep_that_lists_it() -> None:
    for c in COLLECTIONS.values():
        assert c.name in SWEEPS[c.sweep].tables


def test_one_sweep_feeds_several_tables_where_the_design_says() -> None:
    assert set(SWEEPS["tickets"].tables) == {"tickets", "ticket_metrics"}
    assert set(SWEEPS["ticket_events"].tables) == {"ticket_events", "ticket_comments", "attachments"}


def test_only_tickets_and_ticket_events_sweeps_are_partitioned() -> None:
    partitioned = {s.name for s in SWEEPS.values() if s.kind is SweepKind.PARTITIONED}
    assert partitioned == {"tickets", "ticket_events"}


def test_references_point_at_existing_columns() -> None:
    for c in COLLECTIONS.values():
        for ref in c.references:
            assert ref.target in COLLECTIONS[ref.table].column_names


def test_system_columns_never_collide_with_zendesk_properties() -> None:
    system = {s.name for s in SYSTEM_COLUMNS}
    for c in COLLECTIONS.values():
        assert not system & set(c.column_names), c.name


def test_readme_collections_table_is_generated_from_the_registry() -> None:
    from pathlib import Path

    from zendesk_assets.docs import collections_table

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert collections_table() in readme, "README is stale: run `python -m zendesk_assets.docs` and paste its output"
