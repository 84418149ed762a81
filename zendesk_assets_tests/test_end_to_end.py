"""End to end over real HTTP: emulator -> `zendesk-assets sync` (the console script, recording its runs
in a real Dagster instance) -> PostgreSQL and DuckDB.

Contract: after a sync every table of the registry equals the emulator's truth row for row (partitioned tables:
within the synced window); after the emulator's clock moves (updates, deletes, creations,
system-only updates) a second sync makes them equal again while reading from the exports only what
changed; and an older partition range backfilled later lands once, for about one sweep's requests.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from zendesk_assets.collections import COLLECTIONS, OPT_IN, SWEEPS, TICKET_FIELDS, SqlType, SweepKind
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN, EmulatorConfig, EmulatorServer
from zendesk_assets.emulator.generate import AI_AGENT_CHANNEL
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.warehouse.coerce import has_nul, raw_record
from zendesk_assets.warehouse.naming import quote
from zendesk_assets.zendesk.pagination import epoch

HOLD_BACK = 2
# The emulator's name for a table's truth, where it differs; tables whose rows derive from API records.
EMULATOR_TRUTH = {"csat_survey_responses": "survey_responses"}
ROWS_FROM_RECORDS = {"ticket_events", "csat_survey_responses"}
COMPARED_TYPES = {
    SqlType.BIGINT,
    SqlType.INTEGER,
    SqlType.TEXT,
    SqlType.BOOLEAN,
    SqlType.DOUBLE,
    SqlType.TIMESTAMP,
    SqlType.JSON,
}
ZENDESK_ASSETS = str(Path(sys.executable).parent / "zendesk-assets")


@pytest.fixture
def home() -> Iterator[Path]:
    """DAGSTER_HOME (and the DuckDB file) on tmpfs when there is one: Dagster's SQLite event log
    commits every event with fsync, which on this disk costs ~80 ms each and dominates a sync."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="zendesk_e2e_", dir=base) as path:
        yield Path(path)


# What the account does that the truth comparison relies on (shared with test_topology.py).
ACCOUNT_BEHAVIOUR = dict(
    hold_back_seconds=HOLD_BACK, nul_every=40, ai_agent_share=0.05, csat="new",
    skips_hide_archived_and_deleted=True,  # as observed on Zendesk: a deleted ticket's skips go with it
)


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    # A few tickets handled by an AI agent alone: Zendesk's exports leave them out unless asked.
    config = EmulatorConfig(
        seed=11, tickets=600, users=200, organizations=40, history_days=800, **ACCOUNT_BEHAVIOUR  # type: ignore[arg-type]
    )
    with EmulatorServer(config) as srv:
        yield srv


def _env(srv: EmulatorServer, warehouse_url: str, schema: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
    env.update(
        ZENDESK_SUBDOMAIN=DEMO_SUBDOMAIN,
        ZENDESK_OAUTH_TOKEN=DEMO_OAUTH_TOKEN,
        ZENDESK_BASE_URL=srv.base_url,
        ZENDESK_SCHEMA=schema,
        ZENDESK_START_DATE="2023-01-01",
        ZENDESK_OPT_IN=",".join(sorted(OPT_IN)),
        ZENDESK_CORE_RPM="100000",
        ZENDESK_INCREMENTAL_RPM="100000",
        ZENDESK_STATE_URL=f"sqlite:///{home / 'state.sqlite'}",
        WAREHOUSE_URL=warehouse_url,
        DAGSTER_HOME=str(home),
    )
    return env


def _sync(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(
        [ZENDESK_ASSETS, "sync", "--quiet", *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"sync failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert "tickets" in proc.stdout  # the per-table summary


def _window_start(now: datetime, months: int = 12) -> int:
    index = now.year * 12 + now.month - 1 - months
    return int(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp())


def _truth(
    srv: EmulatorServer, table: str, since: int | None, wh: Warehouse | None = None
) -> dict[Any, Mapping[str, Any]]:
    """Primary key -> the record the table's row must reflect, from the emulator's ground truth.

    The truth names a custom field in the field history by its id; the warehouse by the column the
    field has in the tickets pivot (read from its ``_custom_fields`` dictionary when ``wh`` is given)."""
    partitioned = SWEEPS[COLLECTIONS[table].sweep].kind is SweepKind.PARTITIONED
    truth = srv.emulator.truth(EMULATOR_TRUTH.get(table, table), since=since if partitioned else None)
    records: list[Mapping[str, Any]] = list(truth)
    if table in ROWS_FROM_RECORDS:  # the truth holds the API's records; the table, rows derived from them
        records = list(COLLECTIONS[table].rows(records, {}))
    names = COLLECTIONS[table].field_names
    if names is not None and wh is not None:
        pivot = {c.field_id: c.column_name for c in wh.custom_fields(names.table)}
        records = [
            {**r, names.name_column: pivot[int(r[names.id_column])]} if r.get(names.id_column) else r for r in records
        ]
    return {r["id"]: r for r in records}


def _expected(srv: EmulatorServer, table: str, since: int | None) -> dict[Any, int | None]:
    """Primary key -> version of the rows the table must hold present: not those that vanish with a
    deleted parent (``removed_with_parent``: a deleted ticket's skips), which the sync marks removed."""
    coll = COLLECTIONS[table]
    truth = _truth(srv, table, since)
    rule = coll.removed_with_parent
    tombstone = COLLECTIONS[rule.table].deleted if rule else None
    if rule is not None and tombstone is not None:
        gone = {p.get(rule.target) for p in srv.emulator.truth(rule.table) if tombstone.marks(p)}
        truth = {k: r for k, r in truth.items() if r.get(rule.column) not in gone}
    return {k: (epoch(r.get(coll.version)) if coll.version else None) for k, r in truth.items()}


def _dig(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _in_text_column(value: Any) -> Any:
    """A text column cannot hold NUL (PostgreSQL): the sync writes U+FFFD in its place, on both engines."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _assert_cells_match(srv: EmulatorServer, wh: Warehouse, table: str, since: int) -> None:
    """Every column of every row holds the truth's value: scalars and timestamps as typed, JSON
    columns as the same JSON value (both drivers decode JSON), a non-text value in a text column
    as its JSON text."""
    truth = _truth(srv, table, since, wh)
    columns = [c for c in COLLECTIONS[table].columns if c.type in COMPARED_TYPES and c.name != "id"]
    names = ", ".join(quote(c.name) for c in columns)
    mismatches = []
    for row in wh.fetch(f"SELECT {quote('id')}, {names} FROM {wh.sql_name(table)}"):
        record = truth.get(row[0])
        if record is None:
            continue
        for column, got in zip(columns, row[1:], strict=True):
            if column.source[0] not in record:  # a column we derive (e.g. ticket_event_id), not Zendesk's
                continue
            want = _dig(record, column.source)
            if column.type is SqlType.TEXT:
                want = _in_text_column(want)
            elif has_nul(want):  # a JSON value with a NUL is stored as its JSON text (one string layer)
                got = raw_record(got)
            if isinstance(want, dict | list) and column.type not in (SqlType.JSON, SqlType.TEXT):
                continue
            if column.type is SqlType.TIMESTAMP:
                want = epoch(want)
                got = None if got is None else int(got.replace(tzinfo=got.tzinfo or UTC).timestamp())
            if column.type in (SqlType.BIGINT, SqlType.INTEGER) and isinstance(want, str) and want.isdigit():
                want = int(want)  # ids Zendesk sends as text (a survey's subjects) land as numbers
            if column.type is SqlType.TEXT and want is not None and not isinstance(want, str):
                want = json.dumps(want, separators=(",", ":"), ensure_ascii=False)
            if want != got:
                mismatches.append((row[0], column.name, want, got))
    assert not mismatches, f"{table}: {len(mismatches)} cells differ from the truth, e.g. {mismatches[:3]}"


def _assert_raw_exact_where_nul(srv: EmulatorServer, wh: Warehouse, since: int) -> None:
    """Records with NUL characters (``nul_every``): ``_raw`` parses back to exactly what Zendesk sent."""
    checked: dict[str, int] = {}
    for table in ("tickets", "ticket_comments", "ticket_events"):
        truth = {k: r for k, r in _truth(srv, table, since).items() if has_nul(r)}
        assert truth, f"{table}: the emulator should send NUL characters (nul_every)"
        stored = dict(wh.fetch(f"SELECT id, _raw FROM {wh.sql_name(table)}"))
        for key, record in truth.items():
            raw = raw_record(stored[key])
            if table != "tickets":  # a comment's or event's _raw is the export's child event: a few keys more
                raw = {k: raw.get(k) for k in record}
            assert raw == record, f"{table} {key}: _raw differs from what Zendesk sent"
        checked[table] = len(truth)
    assert checked["ticket_comments"] >= 3, checked


def _stored(wh: Warehouse, table: str) -> dict[Any, int | None]:
    """Present rows (not marked removed: vanished from a snapshot, or gone with their parent)."""
    rows = wh.fetch(f"SELECT id, _version FROM {wh.sql_name(table)} WHERE _removed_at IS NULL")
    assert len(rows) == len({r[0] for r in rows}), f"{table}: duplicate ids"
    return {r[0]: r[1] for r in rows}


def _assert_equal_to_truth(srv: EmulatorServer, wh: Warehouse, since: int) -> None:
    for table, collection in COLLECTIONS.items():
        expected = _expected(srv, table, since)
        if not expected and collection.opt_in:  # an opt-in the account has nothing for (new CSAT off)
            with wh.read() as reader:
                assert not (reader.exists(table) and reader.row_count(table)), f"{table}: rows Zendesk does not have"
            continue
        stored = _stored(wh, table)
        assert expected, f"{table}: the emulator's account should not be empty"
        missing, extra = expected.keys() - stored.keys(), stored.keys() - expected.keys()
        assert not missing and not extra, (
            f"{table}: {len(missing)} missing {sorted(missing)[:5]}, {len(extra)} extra {sorted(extra)[:5]}"
        )
        if collection.version:
            stale = [k for k, v in expected.items() if stored[k] != v]
            assert not stale, f"{table}: {len(stale)} rows not at their latest version, e.g. {stale[:5]}"
        _assert_cells_match(srv, wh, table, since)
    _assert_raw_exact_where_nul(srv, wh, since)
    statuses = dict(wh.fetch(f"SELECT id, status FROM {wh.sql_name('tickets')}"))
    assert all(statuses[t["id"]] == t["status"] for t in srv.emulator.truth("tickets", since=since))
    urls = wh.fetch(f"SELECT id, url FROM {wh.sql_name('users')}")
    assert all(str(i) == u for i, u in urls), "users.url holds the id, as the spec documents"
    # Only custom fields are pivoted: the built-in ones (Type and Priority listed removable) are not.
    custom = {f["id"] for f in srv.emulator.truth("ticket_fields") if not TICKET_FIELDS.is_system(f)}
    assert {c.field_id for c in wh.custom_fields("tickets")} == custom


def _readme_status_query() -> str:
    """The README's "Following a field over time" query, as a user would paste it."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("### Following a field over time") :]
    return section[section.index("```sql") + len("```sql") : section.index("```", section.index("```sql") + 6)]


def _assert_status_history_follows_tickets(srv: EmulatorServer, wh: Warehouse, since: int) -> None:
    """The README's status query, run as written, walks each ticket's statuses in order and ends
    at the ticket's current status."""
    query = _readme_status_query().replace("zendesk.ticket_field_history", wh.sql_name("ticket_field_history"))
    tickets = [t for t in srv.emulator.truth("tickets", since=since) if t["status"] != "deleted"]
    checked = 0
    for ticket in tickets[:: max(1, len(tickets) // 20)]:
        rows = wh.fetch(query.replace("ticket_id = 42", f"ticket_id = {int(ticket['id'])}"))
        if not rows:  # its last status change predates the synced window
            continue
        assert rows[-1][0] == ticket["status"], (ticket["id"], rows)
        assert all(a[2] == b[1] for a, b in itertools.pairwise(rows)), "each status holds until the next"
        checked += 1
    assert checked >= 5, "the demo account should have tickets whose status history is in the window"


def _assert_metrics_of_deleted_tickets_are_marked(wh: Warehouse, srv: EmulatorServer) -> None:
    """Zendesk drops a deleted ticket's metric set; its last stored row is kept but marked."""
    deleted = {t["id"] for t in srv.emulator.truth("tickets") if t["status"] == "deleted"}
    rows = wh.fetch(f"SELECT ticket_id, _removed_at IS NOT NULL FROM {wh.sql_name('ticket_metrics')}")
    assert all(marked == (ticket_id in deleted) for ticket_id, marked in rows)


def _export_requests(srv: EmulatorServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (_method, route, _status), n in srv.emulator.stats()["requests"].items():
        if "incremental" in route:
            counts[route] = counts.get(route, 0) + n
    return counts


def _last_metadata(home: Path, schema: str, table: str) -> dict[str, Any]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey([schema, table]))
    assert event is not None and event.asset_materialization is not None, (
        f"{table}: no materialization recorded"
    )
    return {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_sync_equals_truth_then_follows_changes(
    backend: str, server: EmulatorServer, home: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "postgres":
        pg = request.getfixturevalue("pg_url")
        url, schema = pg.base, pg.schema
    else:
        url, schema = f"duckdb:///{home / 'warehouse.duckdb'}", "zendesk"
    env = _env(server, url, schema, home)
    since = _window_start(datetime.now(UTC))
    wh = Warehouse(url, schema)

    _sync(env)
    _assert_equal_to_truth(server, wh, since)
    _assert_status_history_follows_tickets(server, wh, since)
    ai = [t["id"] for t in server.emulator.truth("tickets", since=since) if t["via"]["channel"] == AI_AGENT_CHANNEL]
    assert ai, "AI-agent tickets are in the account, so the equality above includes them"
    assert server.emulator.truth("survey_responses"), "the account is on the new CSAT, so its responses were compared"
    first = _export_requests(server)

    changed = server.emulator.advance(updates=15, deletes=4, creations=6, system_updates=5)
    assert changed, "the mutation clock should report what it touched"
    time.sleep(HOLD_BACK + 1.5)  # exports hide the last HOLD_BACK seconds, as Zendesk hides the last minute
    server.emulator.reset_stats()
    _sync(env)
    _assert_equal_to_truth(server, wh, since)
    _assert_metrics_of_deleted_tickets_are_marked(wh, server)

    # Proportional to the changes: the ticket export returns only changed tickets, in one page or two.
    tickets_read = _last_metadata(home, schema, "tickets")["zendesk/rows_received"]
    assert 0 < tickets_read <= 15 + 4 + 6 + 5 + 2, tickets_read
    second = _export_requests(server)
    assert sum(second.values()) <= 2 * 4 + 2, (first, second)  # about a page per export (4 exports)


def test_backfill_of_an_older_range_lands_once_in_about_one_sweep(server: EmulatorServer, home: Path) -> None:
    duckdb_url = f"duckdb:///{home / 'warehouse.duckdb'}"
    env = _env(server, duckdb_url, "zendesk", home)
    wh = Warehouse(duckdb_url, "zendesk")
    now = datetime.now(UTC)
    _sync(env)
    server.emulator.reset_stats()

    older = date(2023, 6, 1)
    since = int(datetime(older.year, older.month, 1, tzinfo=UTC).timestamp())
    _sync(env, "--since", older.isoformat())
    _assert_equal_to_truth(server, wh, since)

    # One sweep over the older range: about (records in the range / page size) requests per export.
    old_tickets = len(server.emulator.truth("tickets", since=since)) - len(
        server.emulator.truth("tickets", since=_window_start(now))
    )
    old_events = sum(1 for _ in server.emulator.truth("ticket_events", since=since))
    requests = _export_requests(server)
    ticket_requests = sum(n for route, n in requests.items() if "tickets" in route)
    event_requests = sum(n for route, n in requests.items() if "ticket_events" in route)
    assert ticket_requests <= math.ceil(old_tickets / 1000) + 2, requests
    assert event_requests <= math.ceil(old_events / 1000) + 3, requests

    with dg.DagsterInstance.from_config(str(home)) as instance:
        done = instance.get_materialized_partitions(dg.AssetKey(["zendesk", "tickets"]))
    assert "2023-06-01" in done and f"{now:%Y-%m}-01" in done


def test_an_opt_in_enabled_later_gets_its_history(server: EmulatorServer, home: Path) -> None:
    """Stored windows hold for the tables they were read for: enabling ticket_comments after
    ticket_events is synced re-reads the default year for it instead of resuming past it."""
    url = f"duckdb:///{home / 'warehouse.duckdb'}"
    env = _env(server, url, "zendesk", home)
    _sync({**env, "ZENDESK_OPT_IN": ""})
    _sync(env)
    since = _window_start(datetime.now(UTC))
    expected = _expected(server, "ticket_comments", since)
    assert len(expected) > 50
    assert _stored(Warehouse(url, "zendesk"), "ticket_comments").keys() == expected.keys()
