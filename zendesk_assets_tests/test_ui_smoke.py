"""`dagster dev -w workspace.yaml` serves the code location: every asset, check and schedule loads.

Contract: with a fresh DAGSTER_HOME (the repository's dagster.yaml) and the configuration pointing
at the emulator, `dagster dev` answers over HTTP, its GraphQL endpoint lists the code location as
loaded with an asset per registry collection, every generated asset check and the three-hour schedule, and stopping
it (SIGTERM to its process group) leaves no process behind.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from zendesk_assets.checks import table_checks
from zendesk_assets.collections import COLLECTIONS
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN, EmulatorConfig, EmulatorServer
from zendesk_assets_tests.processes import free_port, stop

REPO = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 75

QUERY = """
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
                assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
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
    with EmulatorServer(EmulatorConfig(seed=2, tickets=50, users=20, organizations=5)) as server:
        yield server


def _query(url: str) -> dict[str, Any]:
    resp = httpx.post(url, json={"query": QUERY}, timeout=30)
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    assert "errors" not in body, body.get("errors")
    return body["data"]["workspaceOrError"]


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


def test_dagster_dev_loads_every_asset_check_and_schedule(emulator: EmulatorServer, scratch: Path) -> None:
    tmp_path = scratch
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home),
        ZENDESK_SUBDOMAIN=DEMO_SUBDOMAIN,
        ZENDESK_BASE_URL=emulator.base_url,
        ZENDESK_OAUTH_TOKEN=DEMO_OAUTH_TOKEN,
        ZENDESK_START_DATE="2024-01-01",
        WAREHOUSE_URL=f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
    )
    port = free_port()
    log = tmp_path / "dagster_dev.log"
    dagster = Path(sys.executable).parent / "dagster"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it reaches every child
        )
    try:
        workspace = _wait_until_loaded(proc, f"http://127.0.0.1:{port}/graphql", log)
    finally:
        left = stop(proc)
    assert not left, f"processes left behind after stopping dagster dev: {sorted(left)}"

    (entry,) = workspace["locationEntries"]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    (repo,) = location["repositories"]
    assets = {tuple(node["assetKey"]["path"]) for node in repo["assetNodes"]}
    assert assets == {("zendesk", table) for table in COLLECTIONS}
    checks = {
        (tuple(node["assetKey"]["path"]), check["name"])
        for node in repo["assetNodes"]
        for check in node["assetChecksOrError"].get("checks", [])
    }
    assert checks == {(("zendesk", table), c.name) for table in COLLECTIONS for c in table_checks(table)}
    assert {(s["name"], s["cronSchedule"]) for s in repo["schedules"]} == {("zendesk_every_3_hours", "0 */3 * * *")}
