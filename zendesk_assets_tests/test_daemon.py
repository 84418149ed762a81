"""No stacked runs, with the real daemon ticking: a code server (gRPC), ``dagster-daemon run`` and
the repository's dagster.yaml (one slot per sweep pool) on a short-lived instance.

Contract: while the runs of one tick still sync, the next tick requests none of their sweeps and,
when every sweep is held, skips naming them; a backfill of a sweep launched meanwhile waits in the
queue and never syncs that sweep at the same time as the scheduled run (step and run windows from
the instance do not overlap). Every request to the emulator is held at a gate until the second
tick has been seen, so "still running" does not depend on timing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import TickStatus
from dagster_graphql.test.utils import execute_dagster_graphql

from zendesk_assets.collections import COLLECTIONS
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN, EmulatorConfig, EmulatorServer
from zendesk_assets_tests.processes import (
    MINUTE_SCHEDULE,
    REPO,
    finished_ticks,
    free_port,
    load_workspace,
    started,
    stop_schedule,
    tail,
    tick_now,
    wait_for,
)

SCRIPT = MINUTE_SCHEDULE

LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}
"""


class Gate:
    """Holds every emulator request while closed (the emulator's event loop waits in the fault hook)."""

    def __init__(self, server: EmulatorServer) -> None:
        self.opened = threading.Event()
        emulator = server.emulator
        original: Callable[..., Any] = emulator.next_fault

        def held(*args: Any, **kwargs: Any) -> Any:
            self.opened.wait(timeout=110)  # below the client's read timeout
            return original(*args, **kwargs)

        emulator.next_fault = held  # type: ignore[method-assign]


@pytest.fixture
def scratch() -> Iterator[Path]:
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="zendesk_daemon_", dir=base) as path:
        yield Path(path)


def _step_window(instance: dg.DagsterInstance, run_id: str, step: str) -> tuple[float, float]:
    events = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS})
    times = {e.dagster_event_type: e.timestamp for e in events if e.step_key == step}
    return times[dg.DagsterEventType.STEP_START], times[dg.DagsterEventType.STEP_SUCCESS]


def test_a_busy_sweep_is_skipped_by_the_next_tick_and_a_backfill_waits_for_it(
    scratch: Path, pg_url: Any
) -> None:
    home = scratch / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    config = EmulatorConfig(seed=5, tickets=60, users=20, organizations=5, history_days=200, hold_back_seconds=2)
    with EmulatorServer(config) as srv:
        gate = Gate(srv)
        account = pg_url.schema
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
        env.update(
            DAGSTER_HOME=str(home),
            ZENDESK_SUBDOMAIN=DEMO_SUBDOMAIN,
            ZENDESK_OAUTH_TOKEN=DEMO_OAUTH_TOKEN,
            ZENDESK_BASE_URL=srv.base_url,
            ZENDESK_SCHEMA=account,
            ZENDESK_START_DATE=f"{datetime.now(UTC).year - 1}-01-01",
            ZENDESK_CORE_RPM="100000",
            ZENDESK_INCREMENTAL_RPM="100000",
            ZENDESK_STATE_URL=f"sqlite:///{home / 'state.sqlite'}",
            WAREHOUSE_URL=pg_url.base,
        )
        port = free_port()
        workspace = home / "workspace.yaml"
        workspace.write_text(
            f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n"
            "      location_name: zendesk_assets\n"
        )
        server_log, daemon_log = scratch / "code_server.log", scratch / "daemon.log"
        logs = [server_log, daemon_log]
        code_server = [
            "dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(port),
            "-f", str(SCRIPT), "-d", str(REPO), "--location-name", "zendesk_assets",
        ]
        with (
            started(code_server, env, server_log, cwd=REPO),
            dg.DagsterInstance.from_config(str(home)) as instance,
        ):
            os.environ["DAGSTER_HOME"] = str(home)  # the in-test GraphQL context reads the same instance
            try:
                context = wait_for(
                    "the code server", lambda: load_workspace(instance, workspace, "zendesk_assets"), 90, logs
                )
                with context:
                    request_context = context.create_request_context()
                    repo = next(iter(request_context.get_code_location("zendesk_assets").get_repositories().values()))
                    schedule = repo.get_schedule(f"{account}_every_3_hours")
                    assert schedule.cron_schedule == "* * * * *"
                    tick_now(instance, schedule)

                    def ticks() -> list[Any]:
                        return finished_ticks(instance, schedule)

                    with started(["dagster-daemon", "run", "-w", str(workspace)], env, daemon_log, cwd=home):
                        first = wait_for("the first tick", ticks, 60, logs)[0]
                        assert first.status == TickStatus.SUCCESS, first.error
                        assert len(first.run_ids) == 2  # the current and the history run
                        history = _run_with_tag(instance, first.run_ids, "history")

                        # a backfill of the ticket_events sweep over the last months, as the UI launches it
                        keys = [[account, "ticket_events"], [account, "attachments"]]
                        months = _months(instance, history)
                        result = execute_dagster_graphql(
                            request_context, LAUNCH_BACKFILL,
                            {"params": {"assetSelection": [{"path": k} for k in keys], "partitionNames": months}},
                        )
                        launched = result.data["launchPartitionBackfill"]
                        assert launched["__typename"] == "LaunchBackfillSuccess", launched
                        backfill_id = launched["backfillId"]
                        backfill_run = wait_for(
                            "the backfill's run",
                            lambda: instance.get_run_ids(dg.RunsFilter(tags={"dagster/backfill": backfill_id})),
                            60, logs,
                        )[0]

                        second = wait_for("the second tick", lambda: ticks()[1:], 75, logs)[0]
                        stop_schedule(instance, schedule)
                        # every sweep is still held by the first tick's runs: the tick skips, naming them
                        assert second.status == TickStatus.SKIPPED and not second.run_ids, second
                        on_schedule = {c.sweep for c in COLLECTIONS.values() if not c.opt_in}  # no opt-ins here
                        assert all(s in (second.skip_reason or "") for s in on_schedule), second.skip_reason
                        waiting = instance.get_run_by_id(backfill_run).status  # type: ignore[union-attr]
                        assert waiting in (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED), waiting

                        gate.opened.set()
                        runs = [*first.run_ids, backfill_run]
                        wait_for("every run to end", lambda: all(_ended(instance, r) for r in runs), 120, logs)
            finally:
                gate.opened.set()
                os.environ.pop("DAGSTER_HOME", None)

            records = {r: instance.get_run_record_by_id(r) for r in runs}
            for run_id, record in records.items():
                assert record is not None and record.dagster_run.status == dg.DagsterRunStatus.SUCCESS, (
                    run_id, tail(daemon_log),
                )
            step = f"{account}__ticket_events"
            scheduled, backfilled = _step_window(instance, history, step), _step_window(instance, backfill_run, step)
            assert scheduled[1] <= backfilled[0], f"the sweep ran twice at once: {scheduled} and {backfilled}"
            backfill_record, history_record = records[backfill_run], records[history]
            assert backfill_record and history_record and backfill_record.start_time and history_record.end_time
            print(
                f"scheduled run {history_record.start_time:.1f}-{history_record.end_time:.1f}, "
                f"its sweep {scheduled[0]:.1f}-{scheduled[1]:.1f}; "
                f"backfill run {backfill_record.start_time:.1f}-{backfill_record.end_time}, "
                f"its sweep {backfilled[0]:.1f}-{backfilled[1]:.1f}"
            )
            # the backfill's run left the queue only once the scheduled sweep had given its slot back
            assert backfill_record.start_time >= scheduled[1] - 0.5


def _run_with_tag(instance: dg.DagsterInstance, run_ids: list[str], part: str) -> str:
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.tags.get("zendesk/part") == part:
            return run_id
    raise AssertionError(f"no {part} run among {run_ids}")


def _months(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    start = run.tags["dagster/asset_partition_range_start"]
    end = run.tags["dagster/asset_partition_range_end"]
    months, year, month = [], int(start[:4]), int(start[5:7])
    while f"{year:04d}-{month:02d}-01" <= end:
        months.append(f"{year:04d}-{month:02d}-01")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-3:]


def _ended(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and run.is_finished
