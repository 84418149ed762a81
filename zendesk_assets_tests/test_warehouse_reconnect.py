"""A lost PostgreSQL connection (failover, ``pg_terminate_backend``, an idle timeout) costs a retry, not a run.

Contract: the page's transaction runs again on a new connection (bounded, logged as a warning), which
is safe because the page's checkpoint commits with its rows; whether the connection dies between
pages or in the middle of a page's COPY, every row and the last checkpoint land exactly once. Not
retried: errors that are not a lost connection. End to end: a sync through the console script whose
warehouse connection is terminated three times finishes, and every table equals the emulator's truth.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

import psycopg
import pytest

from zendesk_assets.batches import Batch, Checkpoint, SweepStream
from zendesk_assets.emulator import EmulatorConfig, EmulatorServer
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.warehouse import warehouse as warehouse_module
from zendesk_assets.warehouse.dialects import PostgresDialect
from zendesk_assets_tests.conftest import POSTGRES_URL, PgUrl
from zendesk_assets_tests.test_end_to_end import _assert_equal_to_truth, _env, _sync, _window_start
from zendesk_assets_tests.test_warehouse import rows, ticket


def _named(pg_url: PgUrl) -> tuple[str, str]:
    """The test schema's URL with an application_name of its own, and that name."""
    name = f"zd_reconnect_{uuid.uuid4().hex[:10]}"
    return f"{pg_url}&application_name={urlquote(name)}", name


def _terminate(name: str, *, older_than: float = 0.0, writer_only: bool = False) -> list[int]:
    """pg_terminate_backend on our sessions (by application_name); the pids it ended. ``writer_only``:
    the stream's connection between pages or in a write, not a reader's (a check's, a metadata read's)."""
    # The stream's session between pages (idle after its last write) or inside one: its last statement was a
    # page's write. Readers (checks, metadata, the preflight's probe) run other statements and are left alone.
    writer = "AND query ~* '^\\s*(COPY|INSERT|WITH m AS|SET LOCAL)'" if writer_only else ""
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        found = admin.execute(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
            f"AND backend_start < now() - make_interval(secs => %s) {writer}",
            [name, older_than],
        ).fetchall()
    return [pid for pid, ended in found if ended]


def test_default_application_name_names_our_sessions(pg_url: PgUrl) -> None:
    assert PostgresDialect(str(pg_url)).engine_options() == {"connect_args": {"application_name": "zendesk_assets"}}
    url, name = _named(pg_url)
    assert PostgresDialect(url).engine_options() == {}  # the URL's own name wins
    wh = Warehouse(url, pg_url.schema)
    assert wh.fetch("SELECT current_setting('application_name')") == [(name,)]


def test_connection_lost_between_pages_and_inside_copy_reruns_the_page(
    pg_url: PgUrl, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, name = _named(pg_url)
    wh = Warehouse(url, pg_url.schema)
    killed: list[int] = []

    def pages() -> Iterator[Batch]:
        for n in range(1, 9):
            if n in (3, 6):  # between pages: the stream's connection is idle
                killed.extend(_terminate(name))
            yield Batch({"tickets": [ticket(n * 10 + k, n) for k in range(5)]},
                        Checkpoint("tickets", 0, None, n, f"cursor-{n}", done=n == 8))

    merge = PostgresDialect.merge
    copies = {"n": 0}

    def dying_merge(self: PostgresDialect, conn: Any, *args: Any, **kwargs: Any) -> Any:
        copies["n"] += 1
        if copies["n"] == 5:  # page 5's first try: the backend dies before its COPY
            pid = conn.connection.driver_connection.info.backend_pid
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return merge(self, conn, *args, **kwargs)

    monkeypatch.setattr(PostgresDialect, "merge", dying_merge)
    # Pages made in the writer's own thread, so "between pages" is between two of its transactions
    # (the read-ahead has its own tests in test_prefetch.py).
    monkeypatch.setattr(warehouse_module, "ahead", lambda pages: (page for page in pages))
    with caplog.at_level(logging.WARNING, logger="zendesk_assets"):
        stats = wh.write_stream(SweepStream("tickets", ("tickets",), pages()))
    assert len(killed) == 3, killed
    lost = [r.getMessage() for r in caplog.records if "warehouse connection lost" in r.getMessage()]
    assert len(lost) == 3, lost
    assert all("running the page's transaction again on a new connection" in m for m in lost)
    assert rows(wh, "tickets", "id, _version") == [(n * 10 + k, n) for n in range(1, 9) for k in range(5)]
    assert stats["tickets"].rows == 40 and stats["tickets"].inserted == 40
    assert wh.checkpoints("tickets") == [Checkpoint("tickets", 0, None, 8, "cursor-8", True)]


def test_other_errors_are_not_retried(pg_url: PgUrl, caplog: pytest.LogCaptureFixture) -> None:
    wh = Warehouse(str(pg_url), pg_url.schema)
    calls = {"n": 0}

    def bad(conn: Any) -> None:
        calls["n"] += 1
        conn.exec_driver_sql("SELECT 1/0")

    with pytest.raises(Exception, match="division by zero"):
        wh._run(bad)
    assert calls["n"] == 1
    assert not [r for r in caplog.records if "connection lost" in r.getMessage()]


@pytest.fixture
def small_server() -> Iterator[EmulatorServer]:
    # latency keeps each sweep's connection open a while, as Zendesk's round trips do
    config = EmulatorConfig(seed=21, tickets=150, users=40, organizations=8, history_days=200, hold_back_seconds=0,
                            latency_ms=150, nul_every=30)
    with EmulatorServer(config) as srv:
        yield srv


def test_sync_survives_three_terminated_connections(pg_url: PgUrl, small_server: EmulatorServer,
                                                    tmp_path: Path) -> None:
    url, name = _named(pg_url)
    env = _env(small_server, url, pg_url.schema, tmp_path)
    killed: list[int] = []
    done = threading.Event()

    def killer() -> None:
        while len(killed) < 3 and not done.is_set():
            ended = _terminate(name, writer_only=True)[:1]  # connections live for a sweep or less: any age
            killed.extend(ended)
            if ended:  # let the sync reconnect and write before the next one
                done.wait(0.2)
            else:
                done.wait(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        _sync(env)
    finally:
        done.set()
        thread.join(10)
    assert len(killed) == 3, f"only {len(killed)} connections were terminated during the sync"
    _assert_equal_to_truth(small_server, Warehouse(url, pg_url.schema), _window_start(datetime.now(UTC)))
