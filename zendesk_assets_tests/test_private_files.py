"""Files we create are owner-only whatever the umask: the DuckDB warehouse, its write-ahead log and spill files,
the state store (SQLite and its -wal/-shm), the Dagster instance directory and the crash log.

Contract: with the most permissive umask (000), every file these create is 0600 and every directory
0700; the process umask is restored afterwards.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from zendesk_assets.cli import run
from zendesk_assets.cli.common import ensure_instance_home
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.zendesk.state import StateStore
from zendesk_assets_tests.test_warehouse import stream, ticket


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def modes(directory: Path) -> dict[str, str]:
    return {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in sorted(directory.iterdir())}


def test_duckdb_warehouse_and_its_wal_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    directory = tmp_path / "wh"
    directory.mkdir()
    wh = Warehouse(f"duckdb:///{directory / 'zendesk.duckdb'}", "zendesk")
    wh.write_stream(stream("tickets", [{"tickets": [ticket(1, 100, "hello")]}]))
    with wh.dialect.session() as session:  # a committed write leaves its log beside the file until it closes
        with session.transaction() as conn:
            conn.exec_driver_sql(f"UPDATE {wh.sql_name('tickets')} SET subject = 'x'")
        during = modes(directory)
    assert during == {"zendesk.duckdb": "0o600", "zendesk.duckdb.wal": "0o600"}
    assert modes(directory) == {"zendesk.duckdb": "0o600"}
    assert os.umask(0) == 0  # restored



def test_what_duckdb_spills_is_owner_only(tmp_path: Path, open_umask: None) -> None:
    """Past its memory limit (64 MB by default) DuckDB spills to ``<file>.tmp/``: customer data too."""
    directory = tmp_path / "wh"
    directory.mkdir()
    wh = Warehouse(f"duckdb:///{directory / 'zendesk.duckdb'}", "zendesk")
    with wh.dialect.session() as session, session.transaction() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE big AS SELECT range AS i, repeat('x', 1000) AS t FROM range(150000)")
        spilled = {str(p.relative_to(directory)): oct(stat.S_IMODE(p.stat().st_mode)) for p in directory.rglob("*")}
    assert spilled.pop("zendesk.duckdb.tmp") == "0o700"
    assert len(spilled) > 1 and set(spilled.values()) == {"0o600"}, spilled
    assert modes(directory) == {"zendesk.duckdb": "0o600"}

def test_state_store_sqlite_files_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    url = f"sqlite:///{tmp_path / 'state' / 'zendesk_state.sqlite'}"
    store = StateStore(url)
    store.put_flag("probe:acme", "1", 60)
    with store.engine.connect() as conn:  # WAL mode: -wal and -shm exist while a connection is open
        conn.execute(sa.text("SELECT 1"))
        assert set(modes(tmp_path / "state").values()) == {"0o600"}
        assert {"zendesk_state.sqlite", "zendesk_state.sqlite-wal"} <= set(modes(tmp_path / "state"))
    assert modes(tmp_path) == {"state": "0o700"}


def test_instance_directory_and_crash_log_are_owner_only(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    ensure_instance_home()
    assert modes(tmp_path) == {"home": "0o700"}
    monkeypatch.setattr("zendesk_assets.cli.sync_command.run", lambda args: 1 / 0)
    monkeypatch.setattr("sys.argv", ["zendesk-assets", "sync"])
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
    assert run(["sync"]) == 1  # an unexpected error: one line, the traceback saved
    assert modes(home)["zendesk_assets_crash.log"] == "0o600"
