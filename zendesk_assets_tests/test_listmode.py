"""A second path for tickets, users, organizations and ticket events: the lists, when the exports are not to be used.

Contract (real HTTP to the emulator, real DuckDB): with ``export_mode="list"`` the tickets sweep reads
``/tickets`` (keyset by updated_at, metric sets side-loaded), the search export once for archived
tickets and ``/deleted_tickets``; the users sweep ``/users`` and ``/deleted_users``; organizations
``/organizations`` whole; the ticket_events sweep the ticket audits, newest first down to where the last
run began; the rows equal the truth (what the lists can show: no deleted ticket a list never named, no
metric set or event of an archived ticket, no deleted organization). When Zendesk shuts the exports down between two syncs, the next sync switches by itself (logged)
for those, losing and doubling nothing, with the changes made meanwhile; the sweeps that have no list
path fail with the refusal, naming it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from zendesk_assets.audits import audit_as_event
from zendesk_assets.batches import Batch
from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.emulator import EmulatorConfig, EmulatorServer
from zendesk_assets.sweeps import SweepRequest, fetch_field_defs, open_stream
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.windows import Window
from zendesk_assets.zendesk.errors import ZendeskExportRefusedError
from zendesk_assets_tests.syncing import scratch, sync_all, sync_sweep
from zendesk_assets_tests.test_end_to_end import (
    _assert_cells_match,
    _expected,
    _stored,
    _truth,
    _window_start,
)

ACCOUNT = dict(seed=31, tickets=300, users=90, organizations=16, activities=30, ticket_skips=40, audit_logs=30,
               history_days=400, hold_back_seconds=0)
LISTED = ("tickets", "ticket_metrics", "users", "organizations")
WITH_LISTS = ("tickets", "users", "organizations")
EVENTS = ("ticket_events", "ticket_comments", "attachments", "ticket_field_history")


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**ACCOUNT)) as srv:  # type: ignore[arg-type]
        yield srv


def _assert_listed_tables_equal_truth(srv: EmulatorServer, wh: Warehouse, since: int, *, deleted_seen: set[int]) -> None:
    """tickets, ticket_metrics and users equal the truth, but for what no list can show: deleted tickets
    never stored before (only ids in ``deleted_seen`` were), metric sets of archived tickets."""
    em = srv.emulator
    tickets = {t["id"]: t for t in em.truth("tickets")}
    archived = {t for t in tickets if em.archived(t - em.gen.ticket_id(0))}
    deleted = {t for t, rec in tickets.items() if rec["status"] == "deleted"}
    for table in LISTED:
        expected, stored = _expected(srv, table, 0), _stored(wh, table)
        if table == "tickets":
            expected = {k: v for k, v in expected.items() if k not in deleted - deleted_seen}
        if table == "organizations":  # a deleted organization leaves /organizations
            gone = {o["id"] for o in em.truth("organizations") if o["deleted_at"]}
            expected = {k: v for k, v in expected.items() if k not in gone}
            stored = {k: v for k, v in stored.items() if k not in gone}
        if table == "ticket_metrics":
            ticket_of = {m["id"]: m["ticket_id"] for m in em.truth("ticket_metrics")}
            expected = {k: v for k, v in expected.items() if ticket_of[k] not in archived}
            stored = {k: v for k, v in stored.items() if k in ticket_of and ticket_of[k] not in archived}
        missing, extra = expected.keys() - stored.keys(), stored.keys() - expected.keys()
        assert not missing and not extra, f"{table}: {len(missing)} missing {sorted(missing)[:5]}, {len(extra)} extra"
        live = [k for k in expected if k not in deleted]
        stale = [k for k in live if stored[k] != expected[k]]
        assert not stale, f"{table}: {len(stale)} rows not at their latest version, e.g. {stale[:5]}"
        if table not in ("tickets", "organizations"):
            _assert_cells_match(srv, wh, table, since)
    statuses = dict(wh.fetch(f"SELECT id, status FROM {wh.sql_name('tickets')}"))
    assert all(statuses[t] == "deleted" for t in deleted & deleted_seen), "a deleted ticket is marked deleted"
    assert all(statuses[t] == tickets[t]["status"] for t in statuses if t not in deleted)


def _assert_events_equal_truth(srv: EmulatorServer, wh: Warehouse, since: int) -> dict[str, set[Any]]:
    """The ticket_events sweep's tables equal the truth for the tickets the audits list (not archived,
    not deleted: rows of those stay as stored, and are left out on both sides), cell for cell. Returns the
    stored keys per table."""
    em = srv.emulator
    hidden = {t["id"] for t in em.truth("tickets")
              if t["status"] == "deleted" or em.archived(t["id"] - em.gen.ticket_id(0))}  # fmt: skip
    keys: dict[str, set[Any]] = {}
    for table in EVENTS:
        ticket_of = dict(wh.fetch(f"SELECT id, ticket_id FROM {wh.sql_name(table)} WHERE _removed_at IS NULL"))
        truth = _truth(srv, table, since)
        expected = {k: v for k, v in _expected(srv, table, since).items() if truth[k]["ticket_id"] not in hidden}
        stored = {k: v for k, v in _stored(wh, table).items() if ticket_of[k] not in hidden}
        assert expected, f"{table}: the account should have rows"
        missing, extra = expected.keys() - stored.keys(), stored.keys() - expected.keys()
        assert not missing and not extra, f"{table}: {len(missing)} missing {sorted(missing)[:5]}, {len(extra)} extra"
        stale = [k for k in expected if stored[k] != expected[k]]
        assert not stale, f"{table}: {len(stale)} rows not at their version, e.g. {stale[:5]}"
        _assert_cells_match(srv, wh, table, since)
        keys[table] = set(_stored(wh, table))
    return keys


def test_list_mode_syncs_tickets_users_and_organizations_from_the_lists(server: EmulatorServer, tmp_path: Path) -> None:
    em = server.emulator
    wh, zendesk = scratch(server, tmp_path)
    for name in WITH_LISTS:
        sync_sweep(zendesk, wh, SWEEPS[name], 0, export_mode="list")
    _assert_listed_tables_equal_truth(server, wh, 0, deleted_seen=set())
    sync_sweep(zendesk, wh, SWEEPS["ticket_events"], 0, export_mode="list")
    first = _assert_events_equal_truth(server, wh, 0)
    routes = {route for (_m, route, _s) in em.stats()["requests"]}
    assert not any("incremental" in r for r in routes), routes  # no export was asked

    changed = em.advance(updates=6, creations=4, deletes=3)
    time.sleep(1.1)
    em.reset_stats()
    for name in WITH_LISTS:
        sync_sweep(zendesk, wh, SWEEPS[name], 0, export_mode="list")
    _assert_listed_tables_equal_truth(server, wh, 0, deleted_seen=set(changed["tickets"]["deleted"]))
    requests = sum(em.stats()["requests"].values())
    assert requests <= 9, em.stats()["requests"]  # resumed from the stored cursors: a page or two each
    em.reset_stats()
    sync_sweep(zendesk, wh, SWEEPS["ticket_events"], 0, export_mode="list")
    audits = sum(n for (_m, route, _s), n in em.stats()["requests"].items() if route.endswith("/ticket_audits"))
    assert audits == 1, em.stats()["requests"]  # the newest page reaches back past the last run's start
    again = _assert_events_equal_truth(server, wh, 0)
    assert all(first[t] <= again[t] for t in EVENTS), "rows of tickets deleted meanwhile stay"
    assert all(again[t] > first[t] for t in ("ticket_events", "ticket_field_history")), "the changes arrived"

    # A system update moves generated_timestamp, not updated_at: no resumed list shows it, the daily
    # whole pass does, due by Zendesk's clock alone.
    touched = em.advance(system_updates=4)["tickets"]["system_updated"]
    time.sleep(1.1)
    em.set_clock_offset(25 * 3600)
    for name in WITH_LISTS:
        sync_sweep(zendesk, wh, SWEEPS[name], 0, export_mode="list")
    versions = _stored(wh, "tickets")
    truth = {t["id"]: t["generated_timestamp"] for t in em.truth("tickets")}
    assert all(versions[t] == truth[t] for t in touched), "system updates reach list mode with the daily pass"


def test_an_export_shutdown_mid_history_switches_to_the_lists(
    server: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    em = server.emulator
    wh, zendesk = scratch(server, tmp_path)
    since = _window_start(datetime.now(UTC))
    sync_all(zendesk, wh, 0)  # everything from the exports
    exported = {t: set(_stored(wh, t)) for t in EVENTS}
    changed = em.advance(updates=6, creations=4, deletes=3)
    time.sleep(1.1)
    em.shutdown_exports(at=em.now(), status=410)
    with caplog.at_level(logging.WARNING):
        for sweep in SWEEPS.values():
            if sweep.export and sweep.list_read is None:
                with pytest.raises(ZendeskExportRefusedError, match="can only be read from that export"):
                    sync_sweep(zendesk, wh, sweep, 0)
            else:
                sync_sweep(zendesk, wh, sweep, 0)
    switched = sum(1 for s in SWEEPS.values() if s.export and s.list_read is not None)
    assert sum("switching to the lists" in r.getMessage() for r in caplog.records) == switched == 4
    _assert_listed_tables_equal_truth(server, wh, since, deleted_seen={t["id"] for t in em.truth("tickets")
                                                                       if t["status"] == "deleted"})
    # Nothing lost: the archived tickets and metric sets the exports stored are all still there.
    assert _stored(wh, "ticket_metrics").keys() >= _expected(server, "ticket_metrics", 0).keys()
    assert set(changed["tickets"]["updated"]) <= _stored(wh, "tickets").keys()
    events = _assert_events_equal_truth(server, wh, 0)
    assert all(exported[t] <= events[t] for t in EVENTS), "rows the exports stored stay"


def _cut(batches: Iterator[Batch], pages: int) -> Iterator[Batch]:
    """The batches up to the ``pages``-th checkpoint: a run that stopped there (its commits stay)."""
    for batch in batches:
        yield batch
        pages -= batch.checkpoint is not None
        if not pages:
            return


def test_an_audit_pass_cut_short_resumes_from_its_cursor(
    server: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    em = server.emulator
    wh, zendesk = scratch(server, tmp_path)
    sweep = SWEEPS["ticket_events"]
    client = zendesk.get_client()
    try:
        request = SweepRequest(sweep, sweep.tables, Window(0, None), 0, export_mode="list")
        stream = open_stream(client, request, [], fetch_field_defs(client, sweep.tables))
        wh.write_stream(replace(stream, batches=_cut(stream.batches, 2)))
    finally:
        client.close()
    em.advance(updates=6, creations=4)  # updates above the pass that was cut short
    time.sleep(1.1)
    em.reset_stats()
    with caplog.at_level(logging.INFO):
        sync_sweep(zendesk, wh, sweep, 0, export_mode="list")
    assert any("resuming the /ticket_audits pass" in r.getMessage() for r in caplog.records)
    _assert_events_equal_truth(server, wh, 0)
    hidden = {t["id"] for t in em.truth("tickets")
              if t["status"] == "deleted" or em.archived(t["id"] - em.gen.ticket_id(0))}  # fmt: skip
    listed = {e["id"] for e in em.truth("ticket_events") if e["ticket_id"] not in hidden}  # audits, as exported
    audits = sum(n for (_m, route, _s), n in em.stats()["requests"].items() if route.endswith("/ticket_audits"))
    # Resumed after the two stored pages (plus one page of what is new), not read again from the top.
    assert audits <= -(-len(listed) // 100) - 1, (audits, len(listed))


def test_an_audit_backfill_of_older_months_reads_down_to_them(server: EmulatorServer, tmp_path: Path) -> None:
    em = server.emulator
    wh, zendesk = scratch(server, tmp_path)
    sweep = SWEEPS["ticket_events"]
    recent = em.now() - 60 * 86400
    sync_sweep(zendesk, wh, sweep, recent, export_mode="list")  # the schedule's months first
    _assert_events_equal_truth(server, wh, recent)
    sync_sweep(zendesk, wh, sweep, 0, export_mode="list")  # then a backfill of everything older
    _assert_events_equal_truth(server, wh, 0)


def test_an_audit_becomes_the_export_record_of_the_same_update() -> None:
    """What the emulator never sends: a channel without a known via name keeps its own, a custom field
    change goes under custom_ticket_fields, a comment without a via of its own takes the audit's."""
    audit = {"id": 7, "ticket_id": 3, "created_at": "2026-01-02T03:04:05Z", "author_id": 11,
             "via": {"channel": "carrier_pigeon", "source": {}}, "metadata": {"system": {"client": "x"}},
             "events": [{"id": 8, "type": "Change", "field_name": "360001", "value": "b", "previous_value": "a"},
                        {"id": 9, "type": "Comment", "body": "hi", "public": False, "attachments": []},
                        {"id": 10, "type": "Change", "field_name": "status", "value": "open",
                         "previous_value": "new", "via": {"channel": "rule", "source": {"rel": "trigger"}}}]}  # fmt: skip
    event = audit_as_event(audit)
    assert (event["via"], event["timestamp"], event["updater_id"], event["system"]) == (
        "carrier_pigeon", 1767323045, 11, {"client": "x"})  # fmt: skip
    custom, comment, rule = event["child_events"]
    assert custom["custom_ticket_fields"] == {"360001": "b"} and custom["previous_value"] == "a"
    assert comment["via"] == audit["via"] and comment["created_at"] == audit["created_at"]
    assert comment["metadata"] == audit["metadata"] and comment["comment_public"] is False
    assert rule["via"] == "Rule" and rule["status"] == "open"
    history = list(COLLECTIONS["ticket_field_history"].rows([event], {}))
    assert [(h["field_name"], h["ticket_field_id"]) for h in history] == [("360001", "360001"), ("status", None)]
