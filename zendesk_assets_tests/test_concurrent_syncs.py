"""Two syncs of one account at once (the schedule beside a backfill, or two machines) converge.

Contract: two `zendesk-assets sync` processes, each with its own Dagster instance, start together
against one PostgreSQL warehouse and one PostgreSQL state store (the shared rate budget and OAuth
tokens); one syncs the default year, the other widens the history with `--since`. Both exit 0, and
every table equals the emulator's truth: no row lost, doubled or left at an older version.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from zendesk_assets.emulator import EmulatorConfig, EmulatorServer
from zendesk_assets.warehouse import Warehouse
from zendesk_assets_tests.conftest import PgUrl
from zendesk_assets_tests.test_end_to_end import ZENDESK_ASSETS, _assert_equal_to_truth, _env


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    # /skips as observed (a deleted ticket's skips leave the list), as the registry models it
    config = EmulatorConfig(seed=23, tickets=200, users=40, organizations=8, history_days=500, hold_back_seconds=0,
                            nul_every=25, skips_hide_archived_and_deleted=True)
    with EmulatorServer(config) as srv:
        yield srv


def test_two_syncs_at_once_converge(pg_url: PgUrl, server: EmulatorServer, tmp_path: Path) -> None:
    since = date(2025, 1, 1)
    procs = []
    for n, extra in enumerate(([], ["--since", since.isoformat()])):
        home = tmp_path / f"home{n}"
        env = {**_env(server, pg_url.base, pg_url.schema, home), "ZENDESK_STATE_URL": str(pg_url)}
        procs.append(subprocess.Popen([ZENDESK_ASSETS, "sync", "--quiet", *extra], env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, f"{out[-2000:]}\n{err[-4000:]}"
    start = int(datetime(since.year, since.month, 1, tzinfo=UTC).timestamp())
    _assert_equal_to_truth(server, Warehouse(pg_url.base, pg_url.schema), start)
