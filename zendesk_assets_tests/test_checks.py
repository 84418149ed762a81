"""Asset checks: every table checks its own output on every run, and a broken warehouse is caught.

Contract: ``zendesk-assets sync`` against the emulator (real HTTP) runs every check of every
synced table, on DuckDB and on PostgreSQL, and all pass on a faithful sync; the schedule's run
requests carry the checks of the assets they select; after corrupting a copy of the warehouse
(a duplicate id, an orphan row, a coverage gap, a stale sweep, extra rows) exactly the matching
checks fail, with the offending ids, spans or counts in their metadata, and all others still pass.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from zendesk_assets import cli
from zendesk_assets.batches import Checkpoint
from zendesk_assets.checks import account_checks, check_key, count_tolerance, covered, table_checks
from zendesk_assets.collections import COLLECTIONS, OPT_IN
from zendesk_assets.config import AccountConfig, load_accounts
from zendesk_assets.definitions import build_definitions
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN, EmulatorConfig, EmulatorServer
from zendesk_assets.partitions import monthly_partitions
from zendesk_assets.schedules import job_name, run_requests
from zendesk_assets.windows import Window, subtract
from zendesk_assets.zendesk.settings import OAuthToken

SMALL = dict(
    seed=5,
    tickets=120,
    users=40,
    organizations=12,
    groups=4,
    ticket_forms=3,
    activities=20,
    ticket_skips=15,
    audit_logs=30,
    history_days=150,
    csat="new",  # survey responses beside the legacy ratings: every opt-in has rows to check
)
# Before the emulator's first ticket (150 days back), so the stored windows hold the whole history
# and count parity is really compared for tickets too.
START = date.today() - timedelta(days=200)


def _scratch() -> tempfile.TemporaryDirectory[str]:
    """A directory on tmpfs when there is one: Dagster's SQLite event log commits a few times per
    check event, ~5 ms each on disk here, which made the instance the slowest part of a sync."""
    shm = "/dev/shm"
    return tempfile.TemporaryDirectory(dir=shm if os.access(shm, os.W_OK) else None, prefix="checks_")


@dataclass
class Synced:
    home: Path
    warehouse_url: str
    account: AccountConfig
    results: Mapping[dg.AssetCheckKey, tuple[AssetCheckExecutionRecordStatus, bool | None, dict[str, Any]]]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**SMALL)) as server:  # type: ignore[arg-type]
        yield server


def _env(server: EmulatorServer, warehouse_url: str, schema: str, home: Path) -> dict[str, str]:
    return {
        "ZENDESK_SUBDOMAIN": DEMO_SUBDOMAIN,
        "ZENDESK_BASE_URL": server.base_url,
        "ZENDESK_OAUTH_TOKEN": DEMO_OAUTH_TOKEN,
        "ZENDESK_SCHEMA": schema,
        "ZENDESK_START_DATE": START.isoformat(),
        "ZENDESK_OPT_IN": ",".join(sorted(OPT_IN)),  # every check of every table runs
        "ZENDESK_CORE_RPM": "20000",
        "ZENDESK_INCREMENTAL_RPM": "20000",
        "WAREHOUSE_URL": warehouse_url,
        "DAGSTER_HOME": str(home),
    }


def _unset() -> tuple[str, ...]:
    return (
        "ZENDESK_ACCOUNTS_FILE",
        "ZENDESK_CLIENT_ID",
        "ZENDESK_CLIENT_SECRET",
        "ZENDESK_EMAIL",
        "ZENDESK_API_TOKEN",
        "ZENDESK_STATE_URL",
        "ZENDESK_HISTORY_MONTHS",
    )


def _meta(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


def _sync(mp: pytest.MonkeyPatch, env: Mapping[str, str]) -> Synced:
    """Run ``zendesk-assets sync`` as a user would, then read every check's latest result."""
    for name in _unset():
        mp.delenv(name, raising=False)
    for name, value in env.items():
        mp.setenv(name, value)
    assert cli.sync(["sync", "--quiet"]) == 0
    (account,) = load_accounts()
    keys = [check_key(account, c) for t in COLLECTIONS for c in table_checks(t)]
    with dg.DagsterInstance.get() as instance:
        records = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    results = {}
    for key, record in records.items():
        evaluation = record.event.asset_check_evaluation if record.event else None
        results[key] = (
            record.status,
            evaluation.passed if evaluation else None,
            _meta(evaluation.metadata) if evaluation else {},
        )
    return Synced(Path(env["DAGSTER_HOME"]), env["WAREHOUSE_URL"], account, results)


@pytest.fixture(scope="module")
def synced_duckdb(emulator: EmulatorServer) -> Iterator[Synced]:
    with _scratch() as scratch, pytest.MonkeyPatch.context() as mp:
        root = Path(scratch)
        yield _sync(mp, _env(emulator, f"duckdb:///{root / 'warehouse.duckdb'}", "zendesk", root / "dagster_home"))


def _assert_all_ran_and_passed(synced: Synced) -> None:
    expected = {check_key(synced.account, c) for t in COLLECTIONS for c in table_checks(t)}
    assert set(synced.results) == expected, "a check of a synced table did not run"
    failed = {
        k.to_user_string(): meta for k, (status, passed, meta) in synced.results.items() if passed is not True
    }
    assert not failed, failed
    statuses = {status for status, _, _ in synced.results.values()}
    assert statuses == {AssetCheckExecutionRecordStatus.SUCCEEDED}
    # Parity was really compared (the windows hold the whole history), not skipped.
    for table in ("tickets", "users", "organizations"):
        meta = synced.results[dg.AssetCheckKey(dg.AssetKey([synced.account.name, table]), "count_parity")][2]
        assert "skipped" not in meta and meta["zendesk_count"] > 0, meta


def test_sync_runs_every_check_and_all_pass_on_duckdb(synced_duckdb: Synced) -> None:
    _assert_all_ran_and_passed(synced_duckdb)
    meta = synced_duckdb.results[dg.AssetCheckKey(dg.AssetKey(["zendesk", "tickets"]), "partition_coverage")][2]
    partitions = monthly_partitions(synced_duckdb.account).get_partition_keys()
    assert meta["materialized_partitions"] == len(partitions) and meta["uncovered_partitions"] == []


def test_sync_runs_every_check_and_all_pass_on_postgres(
    emulator: EmulatorServer, pg_url: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _scratch() as scratch:
        _assert_all_ran_and_passed(_sync(monkeypatch, _env(emulator, pg_url, pg_url.schema, Path(scratch) / "home")))


def test_scheduled_run_requests_execute_the_checks_of_their_assets() -> None:
    """The daemon subsets the job by a RunRequest's asset_selection and asset_check_keys (None):
    the subset must hold exactly the checks of the selected assets."""
    account = AccountConfig(
        name="acme", subdomain="acme", schema_name="acme", start_date=date(2024, 1, 1),
        auth=OAuthToken(token="not-used"),
    )
    job = build_definitions([account]).resolve_job_def(job_name(account))
    requests = run_requests(account, datetime(2026, 11, 27, 15, tzinfo=UTC))
    assert len(requests) == 2
    for request in requests:
        assert request.asset_selection and request.asset_check_keys is None
        subset = job.get_subset(asset_selection=set(request.asset_selection), asset_check_selection=None)
        got = set(subset.asset_layer.asset_graph.asset_check_keys)
        want = {check_key(account, c) for t in COLLECTIONS for c in table_checks(t)}
        want = {k for k in want if k.asset_key in set(request.asset_selection)}
        assert got == want and got


def _corrupt(path: Path, schema: str) -> dict[str, Any]:
    """Break a copy of the warehouse in five ways; return what each broken check should name."""
    con = duckdb.connect(str(path))
    try:
        q = f'"{schema}"'
        dup = con.execute(f"SELECT min(id) FROM {q}.users").fetchone()[0]  # type: ignore[index]
        # Warehouses such as Snowflake or BigQuery do not enforce primary keys: rebuild the table
        # without one, as it would be there, then write one user twice.
        con.execute(f"CREATE TABLE {q}.users_copy AS SELECT * FROM {q}.users")
        con.execute(f"DROP TABLE {q}.users")
        con.execute(f"ALTER TABLE {q}.users_copy RENAME TO users")
        con.execute(f"INSERT INTO {q}.users SELECT * FROM {q}.users WHERE id = {dup}")
        orphan = 990_000_000_002
        con.execute(f"INSERT INTO {q}.ticket_metrics (id, ticket_id, _version) VALUES (990000000001, {orphan}, 0)")
        # A gap: the tickets sweep's window no longer reaches back to the first partition.
        con.execute(
            f"UPDATE {q}._sync_state SET window_start = window_start + 20 * 86400 "
            "WHERE sweep = 'tickets' AND window_end IS NULL"
        )
        con.execute(f"UPDATE {q}._sync_state SET updated_at = updated_at - INTERVAL 5 HOUR WHERE sweep = 'groups'")
        con.execute(
            f"INSERT INTO {q}.organizations (id, name, created_at, _version) "
            "SELECT 990000000100 + i, 'not in zendesk', TIMESTAMP '2001-01-01', 0 FROM range(25) t(i)"
        )
        windows = con.execute(f"SELECT count(*) FROM {q}._sync_state WHERE sweep = 'tickets'").fetchone()
        assert windows == (1,)
    finally:
        con.close()
    return {"duplicate_id": dup, "orphan": orphan}


def test_corrupted_warehouse_fails_exactly_the_matching_checks(synced_duckdb: Synced) -> None:
    source = Path(synced_duckdb.warehouse_url.removeprefix("duckdb:///"))
    broken = source.with_name("broken.duckdb")
    shutil.copy(source, broken)
    expected = _corrupt(broken, synced_duckdb.account.schema_name)

    account = synced_duckdb.account.model_copy(update={"warehouse_url": f"duckdb:///{broken}"})
    defs = build_definitions([account])
    job = defs.resolve_job_def(job_name(account))
    keys = {k for c in account_checks(account) for k in c.check_keys}
    with dg.DagsterInstance.from_config(str(synced_duckdb.home)) as instance:
        result = job.get_subset(asset_check_selection=keys).execute_in_process(
            instance=instance, raise_on_error=False
        )
    # ERROR checks are blocking: their failure fails the run (so `dagster asset materialize` exits
    # non-zero in CI); WARN failures alone never do.
    assert not result.success
    blocked = [
        e.step_failure_data.error
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_FAILURE and e.step_failure_data is not None
    ]
    messages = sorted(err.message for err in blocked if err is not None)
    assert all("blocking asset check" in m and "ERROR severity" in m for m in messages), messages
    assert any(f"{account.name}/users: primary_key" in m for m in messages), messages
    assert any(f"{account.name}/tickets: partition_coverage" in m for m in messages), messages
    assert not any("fk_ticket_id" in m or "freshness" in m or "count_parity" in m for m in messages)
    evaluations = {e.asset_check_key: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == keys

    def key(table: str, name: str) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey([account.name, table]), name)

    failed = {k for k, e in evaluations.items() if not e.passed}
    assert failed == {
        key("users", "primary_key"),
        key("ticket_metrics", "fk_ticket_id"),
        key("tickets", "partition_coverage"),
        key("ticket_metrics", "partition_coverage"),
        key("groups", "freshness"),
        key("organizations", "count_parity"),
    }
    meta = {k: _meta(e.metadata) for k, e in evaluations.items()}

    pk = meta[key("users", "primary_key")]
    assert pk["duplicate_rows"] == 1 and pk["sample_duplicate_ids"] == [expected["duplicate_id"]]
    assert evaluations[key("users", "primary_key")].severity is dg.AssetCheckSeverity.ERROR

    fk = meta[key("ticket_metrics", "fk_ticket_id")]
    assert fk["orphan_rows"] == 1 and fk["sample_orphan_ticket_ids"] == [expected["orphan"]]

    first = monthly_partitions(account).get_partition_keys()[0]
    coverage = meta[key("tickets", "partition_coverage")]
    assert coverage["uncovered_partitions"] == [first]
    gap_end = date.fromisoformat(first) + timedelta(days=20)
    assert coverage["uncovered_spans"] == [f"{first} 00:00:00 -> {gap_end.isoformat()} 00:00:00"]
    assert evaluations[key("tickets", "partition_coverage")].severity is dg.AssetCheckSeverity.ERROR

    fresh = meta[key("groups", "freshness")]
    assert fresh["age_minutes"] > 4 * 60

    parity = meta[key("organizations", "count_parity")]
    assert parity["difference"] == 25 and parity["tolerance"] < 25

    # With the windows no longer covering the whole history, ticket parity says why it is skipped.
    assert "skipped" in meta[key("tickets", "count_parity")]


@pytest.mark.parametrize("excludes_archived", [False, True], ids=["count_with_archived", "count_without_archived"])
def test_ticket_count_parity_compares_like_with_like(
    synced_duckdb: Synced, emulator: EmulatorServer, excludes_archived: bool
) -> None:
    """Some accounts' /tickets/count leaves archived tickets (closed for 120 days) out, others keep
    them in: the same stored tickets pass count_parity against either count, and say which it was."""
    config = EmulatorConfig(**SMALL, anchor=emulator.emulator.config.anchor,  # type: ignore[arg-type]
                            tickets_count_excludes_archived=excludes_archived)
    with EmulatorServer(config) as other:
        assert other.emulator.archived_count() > 0
        account = synced_duckdb.account.model_copy(update={"base_url": other.base_url})
        job = build_definitions([account]).resolve_job_def(job_name(account))
        parity = dg.AssetCheckKey(dg.AssetKey([account.name, "tickets"]), "count_parity")
        with dg.DagsterInstance.from_config(str(synced_duckdb.home)) as instance:
            result = job.get_subset(asset_check_selection={parity}).execute_in_process(instance=instance)
    (evaluation,) = result.get_asset_check_evaluations()
    meta = _meta(evaluation.metadata)
    assert evaluation.passed, meta
    assert ("without archived" in str(meta.get("compared"))) == excludes_archived, meta
    if excludes_archived:
        assert meta["archived_stored"] > 0 and abs(meta["difference"]) <= meta["tolerance"]


def test_stored_windows_cover_only_what_was_committed() -> None:
    """A closed window counts up to its position until done; the live window reaches the live edge."""
    windows = [Checkpoint("s", 0, 100, 100, None, True), Checkpoint("s", 100, 200, 140, "c"),
               Checkpoint("s", 250, None, 300, "c")]  # fmt: skip
    assert covered(windows) == [Window(0, 140), Window(250, None)]
    assert subtract([Window(50, 260)], covered(windows)) == [Window(140, 250)]
    assert subtract([Window(0, 100), Window(300, 400)], covered(windows)) == []
    assert covered([Checkpoint("s", 0, 100, None, None)]) == []  # started, nothing committed yet


def test_count_tolerance_grows_where_zendesk_caches_counts() -> None:
    assert count_tolerance(40) == 10
    assert count_tolerance(50_000) == 50
    assert count_tolerance(200_000) == 4_000


def test_audit_logs_on_a_plan_without_them_pass_with_a_reason() -> None:
    """A Team account answers 403 for audit logs: the sweep stores nothing, on purpose, and its
    checks must say so instead of raising a stale-sync warning on every run."""
    with (
        EmulatorServer(EmulatorConfig(**{**SMALL, "plan": "team"})) as server,  # type: ignore[arg-type]
        _scratch() as scratch,
    ):
        account = AccountConfig(
            name="team",
            subdomain=DEMO_SUBDOMAIN,
            schema_name="team",
            auth=OAuthToken(token=DEMO_OAUTH_TOKEN),
            base_url=server.base_url,
            start_date=START,
            opt_in=frozenset({"audit_logs"}),
            core_requests_per_minute=20000,
            incremental_requests_per_minute=20000,
            warehouse_url=f"duckdb:///{scratch}/warehouse.duckdb",
            state_url=f"sqlite:///{scratch}/state.sqlite",
        )
        job = build_definitions([account]).resolve_job_def(job_name(account))
        target = dg.AssetKey(["team", "audit_logs"])
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.get_subset(asset_selection={target}).execute_in_process(instance=instance)
    evaluations = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {"primary_key", "freshness"}
    assert all(e.passed for e in evaluations.values())
    assert "not available" in _meta(evaluations["freshness"].metadata)["skipped"]


def test_count_parity_asks_zendesk_again_only_after_the_table_changed(
    synced_duckdb: Synced, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A passing comparison stands while the table holds the same live rows (Zendesk's count moves
    only with creations and deletions, which the sync brings in): the next check reuses it without a
    request; one row fewer in the warehouse and Zendesk is asked again."""
    monkeypatch.setenv("DAGSTER_HOME", str(synced_duckdb.home))  # the state store the sync used
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(synced_duckdb.warehouse_url.removeprefix("duckdb:///"), copy)
    account = synced_duckdb.account.model_copy(update={"warehouse_url": f"duckdb:///{copy}"})
    job = build_definitions([account]).resolve_job_def(job_name(account))
    parity = dg.AssetCheckKey(dg.AssetKey([account.name, "users"]), "count_parity")

    def counted() -> tuple[dict[str, Any], int]:
        def asked() -> int:
            return sum(n for (_m, route, _s), n in emulator.emulator.stats()["requests"].items()
                       if route == "/api/v2/users/count")
        before = asked()
        with dg.DagsterInstance.from_config(str(synced_duckdb.home)) as instance:
            result = job.get_subset(asset_check_selection={parity}).execute_in_process(instance=instance)
        (evaluation,) = result.get_asset_check_evaluations()
        assert evaluation.passed, evaluation.metadata
        return _meta(evaluation.metadata), asked() - before

    counted()  # compared now, unless the sync's comparison of these very rows still stands
    meta, asked = counted()
    assert asked == 0 and "no row was added or removed since" in meta["reused"], meta
    assert meta["zendesk_count"] == meta["stored_count"] > 0
    with duckdb.connect(str(copy)) as conn:
        conn.execute("DELETE FROM zendesk.users WHERE id = (SELECT max(id) FROM zendesk.users)")
    meta, asked = counted()
    assert asked == 1 and "reused" not in meta and meta["difference"] == -1, meta
    meta, asked = counted()
    assert asked == 0 and "reused" in meta, meta
