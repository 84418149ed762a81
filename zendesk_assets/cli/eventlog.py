"""Dagster's SQLite storages, with one engine per database file for as long as a command runs.

Dagster's default instance stores each run's events in a SQLite file of their own, mirrors asset
and check events into an index file, and keeps runs in a third. For every event it writes and every
record it reads, it builds a new SQLAlchemy engine (``NullPool``) and disposes of it afterwards:
the file is reopened and every statement compiled again, since SQLAlchemy caches compiled
statements per engine. A run records a few events per asset, check and step, so a no-change
``zendesk-assets sync`` spent about half its CPU there. While ``reused_engines`` is active the
instance keeps one engine per file instead; its transactions stay as short as Dagster's own, so the
webserver and the daemon read and write the same files meanwhile as before.

Only the exact SQLite storage classes of Dagster's pinned version are adapted (the connection
methods replaced are private ones); any other storage is left as it is.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection, Engine


class _Engines:
    """The engines of one instance's SQLite files, made on first use, closed together."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def get(self, url: str, **connect_args: Any) -> Engine:
        with self._lock:
            engine = self._engines.get(url)
            if engine is None:
                # Dagster serialises its use of each file with a lock, but calls come from several
                # threads (a sweep's writer logs from its own): a pooled connection may change thread.
                args = {"check_same_thread": False, **connect_args}
                engine = self._engines[url] = sa.create_engine(url, connect_args=args)
            return engine

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def _event_log_methods(storage: SqliteEventLogStorage, engines: _Engines) -> dict[str, Callable[..., Any]]:
    """``SqliteEventLogStorage._connect`` on kept engines (one per run's file, one for the index),
    and its schema look-ups remembered once they succeed: a table, a column or a completed data
    migration, once found, stays (they come and go only by ``dagster instance migrate``)."""
    found: set[str] = set()

    def engine(shard: str) -> Engine:
        return engines.get(storage.conn_string_for_shard(shard), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)

    @contextlib.contextmanager
    def _connect(shard: str) -> Iterator[Connection]:
        with storage._db_lock:
            if shard not in storage._initialized_dbs:
                storage._initdb(engine(shard))
                storage._initialized_dbs.add(shard)
            with engine(shard).connect() as conn, conn.begin():
                yield conn

    def has_table(table_name: str) -> bool:
        if table_name not in found:
            index = engine(INDEX_SHARD_NAME)
            with index.connect() as conn:
                if index.dialect.has_table(conn, table_name):
                    found.add(table_name)
        return table_name in found

    # Asked for every asset event (a reflection of the asset_keys table) and every run (a query).
    columns: set[str] = set()
    indexes: set[str] = set()
    has_column = storage._has_asset_key_col_on_connection
    has_index = storage.has_secondary_index

    def _has_asset_key_col_on_connection(conn: Connection, column_name: str) -> bool:
        if column_name not in columns and has_column(conn, column_name):
            columns.add(column_name)
        return column_name in columns

    def has_secondary_index(name: str) -> bool:
        if name not in indexes and has_index(name):
            indexes.add(name)  # a completed data migration stays completed
        return name in indexes

    return {
        "_connect": _connect,
        "has_table": has_table,
        "_has_asset_key_col_on_connection": _has_asset_key_col_on_connection,
        "has_secondary_index": has_secondary_index,
    }


def _run_storage_methods(storage: SqliteRunStorage, engines: _Engines) -> dict[str, Callable[..., Any]]:
    """``SqliteRunStorage.connect`` on a kept engine for the runs file."""

    @contextlib.contextmanager
    def connect() -> Iterator[Connection]:
        with engines.get(storage._conn_string).connect() as conn, conn.begin():
            yield conn

    return {"connect": connect}


@contextlib.contextmanager
def reused_engines(instance: dg.DagsterInstance) -> Iterator[None]:
    """Within the block, ``instance`` keeps one engine per SQLite file; they are closed at its end."""
    engines = _Engines()
    adapted: list[tuple[object, dict[str, Callable[..., Any]]]] = []
    events, runs = instance.event_log_storage, instance.run_storage
    if type(events) is SqliteEventLogStorage:
        adapted.append((events, _event_log_methods(events, engines)))
    if type(runs) is SqliteRunStorage:
        adapted.append((runs, _run_storage_methods(runs, engines)))
    for storage, methods in adapted:
        for name, method in methods.items():
            setattr(storage, name, method)  # shadows the class's method on this object only
    try:
        yield
    finally:
        for storage, methods in adapted:
            for name in methods:
                with contextlib.suppress(AttributeError):
                    delattr(storage, name)  # the class's own method again
        engines.dispose()
