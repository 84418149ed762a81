"""Sweeps over real HTTP against the emulator, for the cases only a sweep can rescue: the
time-based organization export stuck on a bulk-imported second still yields every organization."""

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from zendesk_assets.batches import Checkpoint
from zendesk_assets.collections import SWEEPS, SYSTEM_TICKET_FIELD_TYPES
from zendesk_assets.config import AccountConfig
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer
from zendesk_assets.emulator.generate import AI_AGENT_CHANNEL
from zendesk_assets.sweeps import SweepRequest, fetch_field_defs, open_stream
from zendesk_assets.windows import Window
from zendesk_assets.zendesk.client import ZendeskClient
from zendesk_assets.zendesk.errors import ZendeskExportStuckError
from zendesk_assets.zendesk.pagination import Read, time_export
from zendesk_assets.zendesk.resource import ZendeskResource
from zendesk_assets.zendesk.settings import OAuthToken

ORGANIZATIONS = Read("/incremental/organizations", "organizations", order_field="updated_at")


def _client(config: EmulatorConfig, tmp_path: Path) -> Iterator[ZendeskClient]:
    with EmulatorServer(config) as srv:
        resource = ZendeskResource(
            subdomain="demo", auth=OAuthToken(token=DEMO_OAUTH_TOKEN), base_url=srv.base_url, export_page_size=10,
            core_requests_per_minute=100_000, incremental_requests_per_minute=100_000,
            state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
        )  # fmt: skip
        client = resource.get_client()
        client.truth = srv.emulator.truth  # type: ignore[attr-defined]
        yield client
        client.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[ZendeskClient]:
    # The emulator bulk-imports its first organizations in one second; with pages of 10 that
    # second holds more records than a page: the export's documented trap.
    yield from _client(EmulatorConfig(seed=5, tickets=20, users=30, organizations=100, hold_back_seconds=0), tmp_path)


@pytest.fixture
def ai_client(tmp_path: Path) -> Iterator[ZendeskClient]:
    """An account where AI agents handle a quarter of the tickets alone."""
    config = EmulatorConfig(seed=6, tickets=80, users=30, organizations=5, hold_back_seconds=0, ai_agent_share=0.25)
    yield from _client(config, tmp_path)


def test_the_stuck_organization_export_is_the_trap_we_think(client: ZendeskClient) -> None:
    with pytest.raises(ZendeskExportStuckError, match="sharing one second") as err:
        list(time_export(client, replace(ORGANIZATIONS, start_time=0)))
    assert err.value.stuck_at is not None


def test_organizations_sweep_reads_past_a_bulk_imported_second(client: ZendeskClient) -> None:
    request = SweepRequest(SWEEPS["organizations"], ("organizations",), None, 0)
    stream = open_stream(client, request, [])
    ids = [r["id"] for batch in stream.batches for r in batch.rows["organizations"]]
    expected = {o["id"] for o in client.truth("organizations")}  # type: ignore[attr-defined]
    assert expected <= set(ids), f"{len(expected - set(ids))} organizations missing"


def test_a_rejected_stored_cursor_restarts_from_the_stored_position(client: ZendeskClient) -> None:
    """Zendesk may stop accepting an old export cursor; the sweep re-seeds from the stored position
    (a start_time) instead of failing, and still reads every ticket changed since then."""
    tickets = sorted(client.truth("tickets"), key=lambda t: t["generated_timestamp"])  # type: ignore[attr-defined]
    position = tickets[len(tickets) // 2]["generated_timestamp"]
    stored = Checkpoint("tickets[tickets]", 0, None, position, "bm90LWEtcmVhbC1jdXJzb3I=")
    request = SweepRequest(SWEEPS["tickets"], ("tickets",), Window(0, None), 0)
    stream = open_stream(client, request, [stored])
    ids = {r["id"] for batch in stream.batches for r in batch.rows["tickets"]}
    assert {t["id"] for t in tickets if t["generated_timestamp"] >= position} <= ids


def test_system_ticket_fields_are_never_pivoted(client: ZendeskClient) -> None:
    """A real /ticket_fields page lists the built-in fields first and marks Type and Priority
    removable: the field's type, not that flag, keeps them out of the custom-field columns."""
    listed = client.truth("ticket_fields")  # type: ignore[attr-defined]
    removable_system = {f["type"] for f in listed if f["removable"] and f["type"] in SYSTEM_TICKET_FIELD_TYPES}
    assert removable_system == {"tickettype", "priority"}, "the page should be the realistic one"
    defs = fetch_field_defs(client, ["tickets"])["tickets"]
    assert {d.id for d in defs} == {f["id"] for f in listed if f["type"] not in SYSTEM_TICKET_FIELD_TYPES}
    assert not {d.type for d in defs} & SYSTEM_TICKET_FIELD_TYPES


@pytest.mark.parametrize("sweep", ["tickets", "ticket_events"])
def test_ai_agent_tickets_land_with_the_default_scope(ai_client: ZendeskClient, sweep: str) -> None:
    """Zendesk's exports leave out tickets an AI agent handled alone unless support_type_scope says
    otherwise; the account's default (all) brings every ticket, `agent` only the human-handled ones."""
    truth = ai_client.truth  # type: ignore[attr-defined]
    ai = {t["id"] for t in truth("tickets") if t["via"]["channel"] == AI_AGENT_CHANNEL}
    assert ai, "the account should have AI-agent tickets"
    default = AccountConfig(name="zendesk", subdomain="demo")
    ticket_ids = {"tickets": "id", "ticket_events": "ticket_id"}[sweep]

    def tickets_read(account: AccountConfig) -> set[int]:
        s = SWEEPS[sweep]
        request = SweepRequest(
            s, (sweep,), Window(0, None), 0, params=account.sweep_params(s), narrowed=account.narrowed(s)
        )
        stream = open_stream(ai_client, request, [])
        return {r[ticket_ids] for batch in stream.batches for r in batch.rows[sweep]}

    everything = tickets_read(default)
    assert ai <= everything
    assert everything == {r[ticket_ids] for r in truth(sweep)}
    human = tickets_read(default.model_copy(update={"support_type_scope": "agent"}))
    assert human == everything - ai
