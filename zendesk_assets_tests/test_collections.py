"""The registry is the single description of the collections (the spec's 16 and the tables we add
beyond it): it must be complete and coherent."""

from dataclasses import replace
from typing import Any

import pytest

from zendesk_assets.collections import (
    BIGINT,
    COLLECTIONS,
    OPT_IN,
    SWEEPS,
    TEXT,
    Archive,
    C,
    R,
    SweepKind,
    Tombstone,
    validate,
)

SPEC_COLLECTIONS = {
    "users", "groups", "tickets", "ticket_fields", "activities", "attachments", "organizations",
    "ticket_events", "ticket_metrics", "satisfaction_ratings", "ticket_comments", "ticket_forms",
    "ticket_skips", "organization_memberships", "group_memberships", "audit_logs",
}  # fmt: skip
BEYOND_THE_SPEC = {"ticket_field_history", "csat_survey_responses"}


def test_every_spec_collection_has_exactly_one_entry() -> None:
    assert set(COLLECTIONS) == SPEC_COLLECTIONS | BEYOND_THE_SPEC


def test_opt_in_collections_are_the_specs() -> None:
    assert {"ticket_comments", "audit_logs", "csat_survey_responses"} == OPT_IN


def test_one_sweep_feeds_several_tables_where_the_design_says() -> None:
    assert set(SWEEPS["tickets"].tables) == {"tickets", "ticket_metrics"}
    assert set(SWEEPS["ticket_events"].tables) == {
        "ticket_events", "ticket_comments", "attachments", "ticket_field_history"
    }  # fmt: skip


def test_only_tickets_and_ticket_events_sweeps_are_partitioned() -> None:
    partitioned = {s.name for s in SWEEPS.values() if s.kind is SweepKind.PARTITIONED}
    assert partitioned == {"tickets", "ticket_events"}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"references": (R("ticket_id", "no_such_table"),)}, "no_such_table"),
        ({"references": (R("ticket_id", "tickets", "no_such_column"),)}, "no_such_column"),
        ({"columns": (C("id", BIGINT, "x"), C("_raw", TEXT, "x"))}, "system column"),
        ({"deleted": Tombstone("gone")}, "names no column"),
        ({"removed_with_parent": R("ticket_id", "groups")}, "Tombstone"),
        ({"archive": Archive("status", "closed", "no_such_column", 1)}, "Archive"),
    ],
)
def test_validation_refuses_an_inconsistent_entry(change: dict[str, Any], complaint: str) -> None:
    """The registry checks itself at import: each broken entry is refused, naming what is wrong."""
    entries = [replace(c, **change) if c.name == "ticket_metrics" else c for c in COLLECTIONS.values()]
    with pytest.raises(AssertionError, match=complaint):
        validate(tuple(SWEEPS.values()), entries)


def test_validation_refuses_a_list_sweep_without_time_filter() -> None:
    sweeps = [replace(s, time_filter=None) if s.name == "activities" else s for s in SWEEPS.values()]
    with pytest.raises(AssertionError, match="time_filter"):
        validate(sweeps, tuple(COLLECTIONS.values()))


def test_readme_collections_table_is_generated_from_the_registry() -> None:
    from pathlib import Path

    from zendesk_assets.docs import collections_table

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert collections_table() in readme, "README is stale: run `python -m zendesk_assets.docs` and paste its output"
