"""A whole-account sync in-process, without Dagster: every sweep of the registry read over real HTTP and
written to a real warehouse, exactly as each sweep's multi-asset does it (checkpoints, field
definitions, write_stream). For tests that need several syncs of an account and compare the tables
with the emulator's truth in between; the Dagster path itself is proven by test_end_to_end."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zendesk_assets.batches import TableStats
from zendesk_assets.collections import SWEEPS, Sweep
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorServer
from zendesk_assets.sweeps import SweepRequest, fetch_field_defs, open_stream
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.windows import Window
from zendesk_assets.zendesk.resource import ZendeskResource
from zendesk_assets.zendesk.settings import OAuthToken


def resource(srv: EmulatorServer, tmp_path: Path, **settings: Any) -> ZendeskResource:
    return ZendeskResource(
        subdomain="demo", auth=OAuthToken(token=DEMO_OAUTH_TOKEN), base_url=srv.base_url,
        core_requests_per_minute=100_000, incremental_requests_per_minute=100_000,
        state_url=f"sqlite:///{tmp_path / 'state.sqlite'}", **settings,
    )  # fmt: skip


def scratch(srv: EmulatorServer, tmp_path: Path) -> tuple[Warehouse, ZendeskResource]:
    """A fresh DuckDB warehouse and a client of the emulator, both under ``tmp_path``: where every
    several-syncs test starts."""
    return Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}", "zendesk"), resource(srv, tmp_path)


def sync_all(
    zendesk: ZendeskResource, wh: Warehouse, since: int, start_date: int = 0, **request: Any
) -> dict[str, Mapping[str, TableStats]]:
    """One run of every sweep (opt-ins included); partitioned sweeps from ``since`` to the live edge.
    ``request`` passes further SweepRequest fields. Returns each sweep's table stats."""
    return {s.name: sync_sweep(zendesk, wh, s, since, start_date, **request) for s in SWEEPS.values()}


def sync_sweep(
    zendesk: ZendeskResource, wh: Warehouse, sweep: Sweep, since: int, start_date: int = 0, **request: Any
) -> Mapping[str, TableStats]:
    """One run of one sweep, as its multi-asset does it."""
    client = zendesk.get_client()
    try:
        window = Window(since, None) if sweep.partitioned else None
        req = SweepRequest(sweep, sweep.tables, window, start_date, **request)
        stored = [cp for key in req.state_keys for cp in wh.checkpoints(key)]
        stream = open_stream(client, req, stored, fetch_field_defs(client, sweep.tables))
        return wh.write_stream(stream)
    finally:
        client.close()
