"""The asset graph as a user sees it in `dagster dev -w workspace.yaml`, over GraphQL, in one start.

Contract: after a sync and a two-month partition backfill into a fresh DAGSTER_HOME (the repository's
dagster.yaml) against the emulator, `dagster dev` answers over HTTP and its GraphQL endpoint shows
the code location loaded with an asset per registry collection, every generated asset check and the three-hour
schedule; every table hangs below the external asset of the Zendesk endpoint it is read from, with
its freshness policy and registry code reference, and each reference check names its parent table;
the schedule's tick preview shows its two requests apart (current and history);
each partition's materialization reports that month's rows as the warehouse holds them
(``dagster/partition_row_count``, empty months 0) and what the run wrote to it, next to the
table-wide ``dagster/row_count``, with our own keys in one ``zendesk/`` namespace. Stopping it
(SIGTERM to its process group) leaves no process behind. One webserver start, several assertions:
the start costs more than every query together.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import httpx
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from zendesk_assets.checks import table_checks
from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN, EmulatorConfig, EmulatorServer
from zendesk_assets_tests.processes import default_signals, free_port, stop

REPO = Path(__file__).resolve().parents[1]
PARTITIONED = [c.name for c in COLLECTIONS.values() if SWEEPS[c.sweep].partitioned]
STARTUP_SECONDS = 75

WORKSPACE = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation {
            repositories {
              name
              schedules { name cronSchedule }
              assetNodes {
                assetKey { path }
                isMaterializable
                kinds
                description
                dependencyKeys { path }
                metadataEntries { label }
                internalFreshnessPolicy { ... on TimeWindowFreshnessPolicy { failWindowSeconds warnWindowSeconds } }
                assetChecksOrError {
                  __typename
                  ... on AssetChecks { checks { name description } }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(seed=2, tickets=80, users=20, organizations=5, history_days=730, hold_back_seconds=1)
    with EmulatorServer(config) as server:
        yield server


MATERIALIZATIONS = """
query ($key: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $key) {
    __typename
    ... on Asset {
      assetMaterializations(partitions: $partitions) {
        partition
        timestamp
        metadataEntries {
          label
          ... on IntMetadataEntry { intRepr }
        }
      }
    }
  }
}
"""


DRY_RUN = """
mutation ($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult { skipReason error { message } runRequests { runKey tags { key value } } }
    }
    ... on PythonError { message }
  }
}
"""


def _graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    resp = httpx.post(url, json={"query": query, "variables": variables}, timeout=30)
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    assert "errors" not in body, body.get("errors")
    data: dict[str, Any] = body["data"]
    return data


def _query(url: str) -> dict[str, Any]:
    workspace: dict[str, Any] = _graphql(url, WORKSPACE)["workspaceOrError"]
    return workspace


def _wait_until_loaded(proc: subprocess.Popen[bytes], url: str, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster dev exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            workspace = _query(url)
        except httpx.HTTPError:
            time.sleep(0.5)
            continue
        entries = workspace.get("locationEntries") or []
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            return workspace
        time.sleep(0.5)
    pytest.fail(f"dagster dev did not load the code location within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """On tmpfs when there is one: the instance's SQLite storage commits on every event."""
    shm = "/dev/shm"
    if not os.access(shm, os.W_OK):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="ui_smoke_") as path:
        yield Path(path)


# Rows of one month per partitioned table, written here in plain SQL, apart from the product's reader.
MONTH_SQL = {
    "tickets": "SELECT count(*) FROM zendesk.tickets WHERE generated_timestamp >= $s AND generated_timestamp < $e",
    "ticket_metrics": "SELECT count(*) FROM zendesk.ticket_metrics m JOIN zendesk.tickets t ON t.id = m.ticket_id "
    "WHERE t.generated_timestamp >= $s AND t.generated_timestamp < $e",
    "ticket_events": "SELECT count(*) FROM zendesk.ticket_events WHERE timestamp >= to_timestamp($s)::TIMESTAMP "
    "AND timestamp < to_timestamp($e)::TIMESTAMP",
    "ticket_comments": "SELECT count(*) FROM zendesk.ticket_comments c JOIN zendesk.ticket_events e ON e.id = c.id "
    "WHERE e.timestamp >= to_timestamp($s)::TIMESTAMP AND e.timestamp < to_timestamp($e)::TIMESTAMP",
    "attachments": "SELECT count(*) FROM zendesk.attachments a JOIN zendesk.ticket_events e ON e.id = a.comment_id "
    "WHERE e.timestamp >= to_timestamp($s)::TIMESTAMP AND e.timestamp < to_timestamp($e)::TIMESTAMP",
    "ticket_field_history": "SELECT count(*) FROM zendesk.ticket_field_history WHERE updated >= to_timestamp($s)::TIMESTAMP "
    "AND updated < to_timestamp($e)::TIMESTAMP",
}


def _month(ts: int, shift: int = 0) -> date:
    day = datetime.fromtimestamp(ts, UTC).date()
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _sync_and_backfill(env: dict[str, str], months: list[str]) -> None:
    """What a user does first: `zendesk-assets sync` (the schedule's runs), then a backfill of two
    older months as the partition dialog launches it (one run over a partition range)."""
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "zendesk-assets"), "sync", "--quiet"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"sync failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))]:
            mp.delenv(name)
        for name, value in env.items():
            mp.setenv(name, value)
        from zendesk_assets.config import load_accounts
        from zendesk_assets.definitions import build_definitions

        (account,) = load_accounts()
        defs = build_definitions([account])
        job = defs.resolve_job_def(f"{account.name}_sync")
        history = [dg.AssetKey([account.name, t]) for t in PARTITIONED]
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            result = job.execute_in_process(
                instance=instance,
                asset_selection=history,
                tags={ASSET_PARTITION_RANGE_START_TAG: months[0], ASSET_PARTITION_RANGE_END_TAG: months[-1]},
            )
    assert result.success


def _latest_per_partition(url: str, table: str, partitions: list[str]) -> dict[str, dict[str, int]]:
    found = _graphql(url, MATERIALIZATIONS, key={"path": ["zendesk", table]}, partitions=partitions)["assetOrError"]
    assert found["__typename"] == "Asset", found
    latest: dict[str, dict[str, Any]] = {}
    for event in sorted(found["assetMaterializations"], key=lambda e: float(e["timestamp"])):
        labels = [m["label"] for m in event["metadataEntries"]]
        assert len(labels) == len(set(labels)), labels
        assert all(label.startswith(("dagster/", "zendesk/")) for label in labels), labels
        latest[event["partition"]] = {m["label"]: int(m["intRepr"]) for m in event["metadataEntries"] if "intRepr" in m}
    return latest


def test_the_asset_graph_over_graphql(emulator: EmulatorServer, scratch: Path) -> None:
    tmp_path = scratch
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp_path / "warehouse.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        ZENDESK_SUBDOMAIN=DEMO_SUBDOMAIN,
        ZENDESK_BASE_URL=emulator.base_url,
        ZENDESK_OAUTH_TOKEN=DEMO_OAUTH_TOKEN,
        ZENDESK_START_DATE="2023-01-01",
        ZENDESK_OPT_IN="ticket_comments",
        ZENDESK_CORE_RPM="100000",
        ZENDESK_INCREMENTAL_RPM="100000",
        ZENDESK_STATE_URL=f"sqlite:///{tmp_path / 'state.sqlite'}",
        WAREHOUSE_URL=f"duckdb:///{warehouse}",
    )
    # The oldest month holding tickets, and the empty month before it: both older than the year the
    # schedule keeps, so only the backfill writes them.
    first = _month(min(int(t["generated_timestamp"]) for t in emulator.emulator.truth("tickets")))
    assert first < _month(int(time.time()), -12), f"the emulator's history should reach past a year: {first}"
    backfill = [_month(_epoch(first), -1).isoformat(), first.isoformat()]
    _sync_and_backfill(env, backfill)
    recent = [_month(int(time.time()), -n).isoformat() for n in (2, 1, 0)]
    expected: dict[str, dict[str, int]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as db:
        for table, sql in MONTH_SQL.items():
            for month in [*backfill, *recent]:
                start = date.fromisoformat(month)
                bounds = {"s": _epoch(start), "e": _epoch(_month(_epoch(start), 1))}
                expected.setdefault(table, {})[month] = db.execute(sql, bounds).fetchone()[0]  # type: ignore[index]
            expected[table]["*"] = db.execute(f"SELECT count(*) FROM zendesk.{table}").fetchone()[0]  # type: ignore[index]
    assert expected["tickets"][backfill[0]] == 0 < expected["tickets"][backfill[1]], expected["tickets"]

    port = free_port()
    log = tmp_path / "dagster_dev.log"
    dagster = Path(sys.executable).parent / "dagster"
    url = f"http://127.0.0.1:{port}/graphql"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it reaches every child
            preexec_fn=default_signals,
        )
    try:
        workspace = _wait_until_loaded(proc, url, log)
        partitions = {t: _latest_per_partition(url, t, [*backfill, *recent]) for t in PARTITIONED}
        location_entry = workspace["locationEntries"][0]
        selector = {
            "repositoryLocationName": location_entry["name"],
            "repositoryName": location_entry["locationOrLoadError"]["repositories"][0]["name"],
            "scheduleName": "zendesk_every_3_hours",
        }
        tick = _graphql(url, DRY_RUN, selector=selector, timestamp=time.time())["scheduleDryRun"]
    finally:
        left = stop(proc)
    assert not left, f"processes left behind after stopping dagster dev: {sorted(left)}"

    (entry,) = workspace["locationEntries"]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    (repo,) = location["repositories"]
    nodes = {tuple(node["assetKey"]["path"]): node for node in repo["assetNodes"]}
    tables = {key: node for key, node in nodes.items() if node["isMaterializable"]}
    assert set(tables) == {("zendesk", table) for table in COLLECTIONS}
    checks = {
        (key, check["name"]): check for key, node in tables.items() for check in node["assetChecksOrError"].get("checks", [])
    }
    assert set(checks) == {(("zendesk", table), c.name) for table in COLLECTIONS for c in table_checks(table)}
    # Lineage: every table hangs below the external asset of the Zendesk endpoint its sweep reads,
    # and a reference check names the parent table it looks rows up in.
    endpoints = {key: node for key, node in nodes.items() if not node["isMaterializable"]}
    assert set(endpoints) == {("zendesk", "zendesk_api", sweep) for sweep in SWEEPS}
    assert all(node["kinds"] == ["zendesk"] and node["description"] for node in endpoints.values())
    for (_, table), node in tables.items():
        upstream = [tuple(k["path"]) for k in node["dependencyKeys"]]
        assert upstream == [("zendesk", "zendesk_api", COLLECTIONS[table].sweep)], (table, upstream)
        assert "segment" not in (node["description"] or "").lower(), table
        # a freshness policy from the schedule, and a link to the registry entry
        assert node["internalFreshnessPolicy"] == {"failWindowSeconds": 7 * 3600, "warnWindowSeconds": 4 * 3600}, table
        assert "dagster/code_references" in {m["label"] for m in node["metadataEntries"]}, table
        for ref in COLLECTIONS[table].references:
            assert ref.table in checks[(("zendesk", table), f"fk_{ref.column}")]["description"], (table, ref)
    assert {(s["name"], s["cronSchedule"]) for s in repo["schedules"]} == {("zendesk_every_3_hours", "0 */3 * * *")}
    # The tick preview: the schedule's two requests read apart by run key and tag.
    assert tick["__typename"] == "DryRunInstigationTick", tick
    requests = tick["evaluationResult"]["runRequests"]
    assert requests, tick
    parts = [({t["key"]: t["value"] for t in r["tags"]}["zendesk/part"], r["runKey"]) for r in requests]
    assert [p for p, _ in parts] == ["current", "history"], parts
    assert parts[0][1].startswith("current tables of zendesk") and parts[1][1].startswith("history "), parts

    # Each partition tells its own month: the warehouse's rows of that month (0 when empty), and the
    # backfill inserted exactly those rows into months nothing had written before.
    for table in PARTITIONED:  # printed (pytest -s) so the figures can be quoted
        for month in [*backfill, *recent]:
            meta = partitions[table].get(month, {})
            print(f"{table:<22} {month}  partition_row_count={meta.get('dagster/partition_row_count')!s:>4}  "
                  f"sql={expected[table][month]:>4}  rows_inserted={meta.get('zendesk/rows_inserted')!s:>4}  "
                  f"row_count={meta.get('dagster/row_count')}")
    for table in PARTITIONED:
        got = partitions[table]
        assert set(got) == {*backfill, *recent}, (table, sorted(got))
        for month, meta in got.items():
            assert meta["dagster/partition_row_count"] == expected[table][month], (table, month, meta)
        for month in backfill:
            assert got[month]["zendesk/rows_inserted"] == expected[table][month], (table, month, got[month])
            assert got[month]["dagster/row_count"] == expected[table]["*"], (table, month, got[month])
        # the table-wide count as the sync left it, before the backfill added the old months
        before = expected[table]["*"] - sum(expected[table][m] for m in backfill)
        assert all(got[month]["dagster/row_count"] == before for month in recent), (table, got)
    assert all(partitions[t][backfill[0]]["dagster/partition_row_count"] == 0 for t in PARTITIONED)
