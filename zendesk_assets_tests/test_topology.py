"""The production topology, as processes on this machine: deploy/dagster.yaml (PostgreSQL run, event-log
and schedule storage in a database made for this test), the code location served by
``dagster code-server start`` (gRPC), ``dagster-daemon run`` and ``dagster-webserver``.

Contract: a schedule tick evaluated by the daemon queues its runs, the run queue launches them through
the code server, the runs sync the emulator's account into PostgreSQL (state store on PostgreSQL too,
ZENDESK_DISTRIBUTED_RUNS=1 so local stores would be refused), all 16 tables equal the emulator's truth,
the webserver reports the same runs from the shared storage, and every process is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import psycopg
import pytest
from dagster._core.scheduler.instigation import TickStatus

from zendesk_assets.emulator import EmulatorConfig, EmulatorServer
from zendesk_assets.warehouse import Warehouse
from zendesk_assets_tests.conftest import POSTGRES_URL
from zendesk_assets_tests.processes import (
    MINUTE_SCHEDULE,
    REPO,
    finished_ticks,
    free_port,
    load_workspace,
    started,
    stop_schedule,
    tick_now,
    wait_for,
)
from zendesk_assets_tests.test_end_to_end import (
    ACCOUNT_BEHAVIOUR,
    _assert_equal_to_truth,
    _env,
    _window_start,
)

SCRIPT = MINUTE_SCHEDULE
RUNS = "query { runsOrError { __typename ... on Runs { results { runId status tags { key value } } } } }"


@pytest.fixture
def instance_db() -> Iterator[str]:
    """A PostgreSQL database of its own for the Dagster instance, dropped afterwards."""
    name = f"zd_topo_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_code_server_daemon_and_webserver_on_postgres_sync_every_table(
    tmp_path: Path, instance_db: str, pg_url: Any
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    config = EmulatorConfig(seed=23, tickets=80, users=30, organizations=8, history_days=450, **ACCOUNT_BEHAVIOUR)  # type: ignore[arg-type]
    account = pg_url.schema
    with EmulatorServer(config) as srv:
        env = _env(srv, pg_url.base, account, home)
        env.update(DAGSTER_PG_URL=instance_db, ZENDESK_STATE_URL=instance_db, ZENDESK_DISTRIBUTED_RUNS="1")
        grpc_port, web_port = free_port(), free_port()
        workspace = home / "workspace.yaml"
        workspace.write_text(
            f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {grpc_port}\n"
            "      location_name: zendesk_assets\n"
        )
        logs = [tmp_path / "code_server.log", tmp_path / "daemon.log", tmp_path / "webserver.log"]
        code_server = [
            "dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(grpc_port),
            "-f", str(SCRIPT), "-d", str(REPO), "--location-name", "zendesk_assets",
        ]
        webserver = ["dagster-webserver", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(web_port)]
        saved_home = os.environ.get("DAGSTER_PG_URL")
        os.environ["DAGSTER_PG_URL"] = instance_db  # the test reads the same instance
        try:
            with (
                started(code_server, env, logs[0], cwd=REPO),
                dg.DagsterInstance.from_config(str(home)) as instance,
            ):
                context = wait_for(
                    "the code server", lambda: load_workspace(instance, workspace, "zendesk_assets"), 90, logs
                )
                with context:
                    location = context.create_request_context().get_code_location("zendesk_assets")
                    schedule = next(iter(location.get_repositories().values())).get_schedule(
                        f"{account}_every_3_hours"
                    )
                    tick_now(instance, schedule)
                    with (
                        started(["dagster-daemon", "run", "-w", str(workspace)], env, logs[1], cwd=home),
                        started(webserver, env, logs[2], cwd=home),
                    ):
                        tick = wait_for("the tick", lambda: finished_ticks(instance, schedule), 60, logs)[0]
                        stop_schedule(instance, schedule)
                        assert tick.status == TickStatus.SUCCESS and len(tick.run_ids) == 2, tick
                        wait_for(
                            "the runs to end",
                            lambda: all(_finished(instance, r) for r in tick.run_ids), 150, logs,
                        )
                        runs = wait_for("the webserver", lambda: _runs_from_webserver(web_port), 60, logs)
        finally:
            if saved_home is None:
                os.environ.pop("DAGSTER_PG_URL", None)
            else:
                os.environ["DAGSTER_PG_URL"] = saved_home

        assert {r["runId"]: r["status"] for r in runs} == dict.fromkeys(tick.run_ids, "SUCCESS")
        _assert_equal_to_truth(srv, Warehouse(pg_url.base, account), _window_start(datetime.now(UTC)))


def _finished(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and run.is_finished


def _runs_from_webserver(port: int) -> list[dict[str, Any]] | None:
    try:
        resp = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": RUNS}, timeout=10)
    except httpx.HTTPError:
        return None
    if resp.status_code != 200:
        return None
    results: list[dict[str, Any]] = resp.json()["data"]["runsOrError"]["results"]
    return results
