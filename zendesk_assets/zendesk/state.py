"""The small shared store behind the rate limiters and the OAuth token cache.

Dagster runs every step in its own process, and a backfill may run beside the schedule, so the Zendesk
budget and the rotating OAuth refresh token belong to the account, not to a process. Both live in two
tiny tables in a SQLAlchemy database that every process of the deployment can reach: a SQLite file by
default (writes serialised with `BEGIN IMMEDIATE`), or PostgreSQL (rows locked with `SELECT ... FOR UPDATE`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from zendesk_assets.private import private_dir, private_file

metadata = sa.MetaData()


def _keyed(name: str, key_length: int, *columns: sa.Column[Any]) -> sa.Table:
    """A state table keyed by one string (account, budget or client, see each table)."""
    return sa.Table(name, metadata, sa.Column("key", sa.String(key_length), primary_key=True), *columns)


# Key "{subdomain}:{budget}"; the whole GCRA state is one timestamp (theoretical arrival time).
limiter_table = _keyed("zendesk_rate_limiter", 200, sa.Column("tat", sa.Float, nullable=False))

# Key "{subdomain}:{client_id}". A lease instead of a lock held across an HTTP call: the process
# that refreshes claims it for a few seconds; the others wait, re-read, and use the pair it stored.
token_table = _keyed(
    "zendesk_oauth_token",
    300,
    sa.Column("access_token", sa.Text, nullable=True),
    sa.Column("refresh_token", sa.Text, nullable=True),
    sa.Column("expires_at", sa.Float, nullable=True),
    sa.Column("lease_until", sa.Float, nullable=False, default=0.0),
    sa.Column("version", sa.Integer, nullable=False, default=0),
)

# Key "{kind}:{subdomain}[:{identity}]": short-lived facts about an account that every process may
# reuse (the preflight's verdict, a failure streak). Never a secret.
flag_table = _keyed(
    "zendesk_account_flag",
    300,
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)


def default_state_url() -> str:
    """`$DAGSTER_HOME/zendesk_state.sqlite`, or `./.zendesk_state/` when DAGSTER_HOME is unset."""
    home = os.environ.get("DAGSTER_HOME")
    directory = Path(home) if home else Path.cwd() / ".zendesk_state"
    return f"sqlite:///{directory / 'zendesk_state.sqlite'}"


# keyed by (pid, url): a forked child must not reuse its parent's pooled connections
_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()


def _make_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # plain postgresql:// means psycopg2 to SQLAlchemy; this project ships psycopg 3
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        # the file holds OAuth tokens: readable by the owner only (SQLite gives its -wal and -shm
        # files the database file's permissions)
        private_file(private_dir(path.parent) / path.name)
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    # SQLAlchemy's documented recipe: let pysqlite stop managing transactions, then open every
    # transaction with BEGIN IMMEDIATE so the read-modify-write of a limiter row is serialised
    # across processes (a plain BEGIN would let two processes read the same timestamp).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")  # limiter state need not survive a power cut
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class StateStore:
    """Row-locked read-modify-write on the limiter and token tables."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_state_url()
        with _engines_lock:
            cache_key = (os.getpid(), self.url)
            engine = _engines.get(cache_key)
            if engine is None:
                engine = _make_engine(self.url)
                # processes starting together must not race to create the tables: on SQLite the
                # transaction is BEGIN IMMEDIATE; on PostgreSQL an advisory lock serialises DDL
                with engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(735190211)"))
                    metadata.create_all(conn)
                _engines[cache_key] = engine
        self.engine = engine

    def __repr__(self) -> str:
        # the URL may carry a database password
        return f"StateStore({sa.engine.make_url(self.url).render_as_string(hide_password=True)!r})"

    def _insert_ignore(self, conn: Connection, table: sa.Table, values: dict[str, Any]) -> None:
        dialect = conn.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            conn.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())
        else:  # pragma: no cover - other dialects: best effort
            exists = conn.execute(sa.select(table.c.key).where(table.c.key == values["key"])).first()
            if exists is None:
                conn.execute(table.insert().values(**values))

    @contextmanager
    def locked_row(self, table: sa.Table, key: str, defaults: dict[str, Any]) -> Iterator[tuple[Connection, Any]]:
        """Yield (connection, row) with the row locked until the block ends; the block may UPDATE it."""
        with self.engine.begin() as conn:
            self._insert_ignore(conn, table, {"key": key, **defaults})
            row = conn.execute(sa.select(table).where(table.c.key == key).with_for_update()).one()
            yield conn, row

    def read_row(self, table: sa.Table, key: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(table).where(table.c.key == key)).first()

    def get_flag(self, key: str) -> str | None:
        """A flag's value, or None when it is missing or expired."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(flag_table).where(flag_table.c.key == key)).first()
        return str(row.value) if row is not None and row.expires_at > time.time() else None

    def put_flag(self, key: str, value: str, ttl_seconds: float) -> None:
        with self.locked_row(flag_table, key, {"value": value, "expires_at": 0.0}) as (conn, _row):
            conn.execute(
                sa.update(flag_table)
                .where(flag_table.c.key == key)
                .values(value=value, expires_at=time.time() + ttl_seconds)
            )

    def drop_flag(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(flag_table).where(flag_table.c.key == key))
