"""The adapter seam between the warehouse and a database: everything that differs between engines.

Names (quoting, the schema's namespace), type names, introspection, DDL, connections and their
locking, and the bulk merge. DuckDB (the embedded default) and PostgreSQL are first-class and
tested. Any other SQLAlchemy dialect (Snowflake, BigQuery, Redshift, ...) goes through
``GenericDialect``: quoting and types as SQLAlchemy's dialect compiles them and a portable merge
(look up stored versions, INSERT new keys, UPDATE newer ones) with executemany. A fast path for one
is a subclass registered in ``DIALECTS`` (see ``README.md`` in this package); the bookkeeping tables
are SQLAlchemy Core and need nothing per engine.

Every ``merge`` obeys one contract: rows are already deduplicated by primary key; a row replaces
the stored one only if its ``_version`` is >= the stored ``_version`` (or either is NULL); the
result counts inserted, updated and skipped-as-older rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from zendesk_assets.collections import SqlType
from zendesk_assets.private import owner_only
from zendesk_assets.warehouse.coerce import json_text, nul_safe
from zendesk_assets.warehouse.naming import mask_url, quote
from zendesk_assets.warehouse.tables import INFORMATION_COLUMNS, INFORMATION_TABLES, TableColumn

logger = logging.getLogger(__name__)

Row = tuple[Any, ...]


@dataclass
class MergeCounts:
    inserted: int = 0
    updated: int = 0
    skipped_older: int = 0


def _version_guard(target: str, incoming: str) -> str:
    """SQL for the monotonic rule: replace only when the incoming version is not older."""
    return (
        f"({target}._version IS NULL OR {incoming}._version IS NULL "
        f"OR {incoming}._version >= {target}._version)"
    )


# Type names most engines share; a dialect adds or overrides the rest.
STANDARD_TYPES: dict[SqlType, str] = {
    SqlType.BIGINT: "BIGINT",
    SqlType.INTEGER: "INTEGER",
    SqlType.BOOLEAN: "BOOLEAN",
    SqlType.DATE: "DATE",
}


_ENGINES: dict[tuple[str, str], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def shared_engine(url: str, options: dict[str, Any]) -> Engine:
    """One engine per URL (and options) in a process. Each step of a run builds its own
    ``Warehouse``; with an engine each, every step paid SQLAlchemy's first-connect setup again and
    compiled every statement again (the compiled cache lives on the engine). ``NullPool``: the
    engine holds no connection between transactions, so sharing it shares nothing else."""
    key = (url, json.dumps(options, sort_keys=True, default=str))
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = sa.create_engine(url, poolclass=NullPool, **options)
        return engine


class Dialect:
    """Base adapter; subclasses fill in what differs."""

    name = "generic"
    kind = ""  # the engine as a Dagster kind (asset tag); the URL's backend name when empty
    types: dict[SqlType, str] = {}
    retry_seconds = 600.0  # give up waiting for a busy database after this long
    unnest_arrays = False  # INSERT ... SELECT unnest(:array) exists, so keys go in one statement

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = shared_engine(url, self.engine_options())

    def engine_options(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({mask_url(self.url)})"

    def type_name(self, sql_type: SqlType) -> str:
        return self.types[sql_type]

    # ----------------------------------------------------------------- names

    def quote(self, name: str) -> str:
        """An identifier quoted as this engine quotes (always, whatever its case or spelling)."""
        return self.engine.dialect.identifier_preparer.quote_identifier(name)

    def sa_schema(self, schema: str) -> str:
        """The schema as SQLAlchemy Core tables name it (``Table(schema=...)``)."""
        return schema

    def namespace(self, schema: str) -> str:
        """The schema, quoted, as it qualifies a table in SQL text."""
        return self.quote(schema)

    # ----------------------------------------------------------------- introspection and DDL
    # information_schema, not SQLAlchemy reflection: duckdb-engine's reflection fails on REGCLASS.

    def table_names(self, conn: Connection, schema: str) -> set[str]:
        t = INFORMATION_TABLES
        return set(conn.execute(sa.select(t.c.table_name).where(t.c.table_schema == schema)).scalars())

    def column_names(self, conn: Connection, schema: str, table: str) -> set[str]:
        c = INFORMATION_COLUMNS
        query = sa.select(c.c.column_name).where(c.c.table_schema == schema, c.c.table_name == table)
        return set(conn.execute(query).scalars())

    def create_table(
        self, conn: Connection, table: str, columns: Sequence[TableColumn], key: Sequence[str]
    ) -> None:
        """``table`` (qualified, as ``Warehouse.sql_name`` gives it) with ``key`` as primary key."""
        body = ", ".join(f"{self.quote(c.name)} {self.type_name(c.sql_type)}" for c in columns)
        pk = f", PRIMARY KEY ({', '.join(self.quote(k) for k in key)})" if key else ""
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {table} ({body}{pk})")

    def add_column(self, conn: Connection, table: str, column: str, sql_type: SqlType) -> None:
        conn.exec_driver_sql(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {self.quote(column)} {self.type_name(sql_type)}"
        )

    def insert_ids(self, conn: Connection, table: sa.Table, label: str, ids: Sequence[int]) -> None:
        """Append ``(label, id)`` rows to a two-column bookkeeping table (``_snapshot_seen``)."""
        if not ids:
            return
        if self.unnest_arrays:
            many = sa.func.unnest(sa.bindparam("ids", type_=ARRAY(sa.BigInteger())))
            conn.execute(sa.insert(table).from_select(["table_name", "id"], sa.select(sa.literal(label), many)),
                         {"ids": list(ids)})  # fmt: skip
        else:
            conn.execute(sa.insert(table), [{"table_name": label, "id": i} for i in ids])

    def is_retryable(self, exc: BaseException) -> bool:
        """Transient errors after which the whole transaction is simply run again."""
        return False

    def is_disconnect(self, exc: BaseException) -> bool:
        """The connection was lost (failover, a killed backend, an idle timeout): the transaction
        is run again on a new connection. SQLAlchemy says so for statements it ran itself."""
        return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)

    def is_exhausted(self, exc: BaseException) -> bool:
        """The engine ran out of the memory it may use: the transaction is run again once on a
        fresh connection, which starts with that memory free."""
        return False

    def exhausted_advice(self) -> str:
        """The one line a user gets when a fresh connection ran out of memory too."""
        return "the warehouse ran out of memory twice on one page"

    def missing(self) -> str | None:
        """Why there is nothing to read yet, when connecting would create the database (a file)."""
        return None

    # How long one stream may keep its connection between pages; None: as long as it likes.
    lease_seconds: float | None = None
    # Inside ``kept_connections()``: how long an idle connection waits for this process's next
    # transaction before it is closed.
    keep_idle_seconds = 30.0

    def open(self) -> Connection:
        return self.engine.connect()

    def checkout(self) -> tuple[Connection, float]:
        """A connection and when it was opened: a kept one (``kept_connections``), else a new one."""
        kept = _KEEPER.take(self) if _KEEPER is not None else None
        return kept or (self.open(), time.monotonic())

    def checkin(self, conn: Connection, opened: float) -> None:
        """Done with ``conn`` for now: kept for the next transaction (``kept_connections``), else closed."""
        if _KEEPER is None or not _KEEPER.park(self, conn, opened):
            _close(conn)

    def private_files(self) -> contextlib.AbstractContextManager[None]:
        """Around every transaction: files the engine creates meanwhile (a database file, its
        write-ahead log) are owner-only. A server database creates none."""
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.private_files():
            conn, opened = self.checkout()
            try:
                with conn.begin():
                    self.on_begin(conn)
                    yield conn
            except BaseException:
                _close(conn)  # a failed connection is never reused
                raise
            self.checkin(conn, opened)

    def session(self) -> Session:
        return Session(self)

    def on_begin(self, conn: Connection) -> None:
        """Per-transaction session settings (e.g. UTC)."""

    def after_stream(self, conn: Connection) -> None:
        """A stream's last page is committed and its connection may be kept for the next one."""

    def json_param(self, value: Any) -> Any:
        return None if value is None else json_text(value)

    def merge(
        self, conn: Connection, table: str, columns: Sequence[TableColumn], pk: str, rows: Sequence[Row]
    ) -> MergeCounts:
        """Portable merge: SELECT stored versions, INSERT new keys, UPDATE not-older ones."""
        names = [c.name for c in columns]
        pk_i, ver_i = names.index(pk), names.index("_version")
        json_cols = [i for i, c in enumerate(columns) if c.sql_type is SqlType.JSON]
        keys = [r[pk_i] for r in rows]
        stored: dict[Any, Any] = {}
        for chunk in range(0, len(keys), 500):
            part = keys[chunk : chunk + 500]
            stmt = sa.text(f"SELECT {self.quote(pk)}, _version FROM {table} WHERE {self.quote(pk)} IN :keys").bindparams(
                sa.bindparam("keys", expanding=True)
            )
            stored.update(dict(conn.execute(stmt, {"keys": part}).all()))  # type: ignore[arg-type]
        counts = MergeCounts()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        params = [f"p{i}" for i in range(len(names))]
        for row in rows:
            values = list(row)
            for i in json_cols:
                values[i] = self.json_param(values[i])
            bound = dict(zip(params, values, strict=True))
            key, version = row[pk_i], row[ver_i]
            if key not in stored:
                inserts.append(bound)
            elif stored[key] is None or version is None or version >= stored[key]:
                updates.append(bound)
            else:
                counts.skipped_older += 1
        if inserts:
            cols = ", ".join(self.quote(n) for n in names)
            conn.execute(
                sa.text(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(':' + p for p in params)})"), inserts
            )
        if updates:
            sets = ", ".join(f"{self.quote(n)} = :{p}" for n, p in zip(names, params, strict=True) if n != pk)
            incoming = f"CAST(:{params[ver_i]} AS {self.type_name(SqlType.BIGINT)})"
            guard = f"(_version IS NULL OR {incoming} IS NULL OR {incoming} >= _version)"
            conn.execute(
                sa.text(f"UPDATE {table} SET {sets} WHERE {self.quote(pk)} = :{params[pk_i]} AND {guard}"), updates
            )
        counts.inserted, counts.updated = len(inserts), len(updates)
        return counts


class GenericDialect(Dialect):
    """Any SQLAlchemy dialect: types as the dialect compiles them; JSON falls back to text."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.kind = self.engine.url.get_backend_name()

    _sa_types: dict[SqlType, sa.types.TypeEngine[Any]] = {
        SqlType.BIGINT: sa.BigInteger(),
        SqlType.INTEGER: sa.Integer(),
        SqlType.DOUBLE: sa.Float(53),
        SqlType.BOOLEAN: sa.Boolean(),
        SqlType.TEXT: sa.Text(),
        SqlType.TIMESTAMP: sa.DateTime(),
        SqlType.DATE: sa.Date(),
        SqlType.JSON: sa.JSON(),
    }

    def type_name(self, sql_type: SqlType) -> str:
        try:
            return str(self._sa_types[sql_type].compile(dialect=self.engine.dialect))
        except Exception:
            return str(sa.Text().compile(dialect=self.engine.dialect))


class PostgresDialect(Dialect):
    """PostgreSQL via psycopg 3: COPY into a temporary table, then one merge statement per table."""

    name = "postgresql"
    kind = "postgres"
    types = STANDARD_TYPES | {
        SqlType.DOUBLE: "DOUBLE PRECISION",
        SqlType.TEXT: "TEXT",
        SqlType.TIMESTAMP: "TIMESTAMPTZ",  # handed over as naive UTC (see on_begin)
        SqlType.JSON: "JSONB",
    }
    unnest_arrays = True

    def is_retryable(self, exc: BaseException) -> bool:
        # Two partitions of one sweep adding the same new custom field, or a deadlock between
        # concurrent merges: the loser re-runs its whole page transaction.
        import psycopg.errors as pge

        orig = getattr(exc, "orig", exc)
        return isinstance(
            orig, pge.SerializationFailure | pge.DeadlockDetected | pge.UniqueViolation | pge.DuplicateColumn
        )

    # Lost connections (SQLSTATE class 08, or none when the client noticed it), and the server
    # shutting down or starting up; not a cancelled statement (57014).
    DISCONNECT_STATES = frozenset({"57P01", "57P02", "57P03"})
    APPLICATION_NAME = "zendesk_assets"

    def engine_options(self) -> dict[str, Any]:
        # pg_stat_activity names our sessions (a URL's own ?application_name= wins)
        if "application_name" in sa.engine.make_url(self.url).query:
            return {}
        return {"connect_args": {"application_name": self.APPLICATION_NAME}}

    def is_disconnect(self, exc: BaseException) -> bool:
        import psycopg

        if super().is_disconnect(exc):
            return True
        orig = getattr(exc, "orig", exc)  # COPY runs on the driver's cursor: its errors arrive unwrapped
        if not isinstance(orig, psycopg.OperationalError):
            return False
        state = orig.sqlstate
        return state is None or state.startswith("08") or state in self.DISCONNECT_STATES

    def on_begin(self, conn: Connection) -> None:
        # Timestamps are handed over as naive UTC.
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")

    def merge(
        self, conn: Connection, table: str, columns: Sequence[TableColumn], pk: str, rows: Sequence[Row]
    ) -> MergeCounts:
        names = [c.name for c in columns]
        cols = ", ".join(quote(n) for n in names)
        stage = quote("_stage_" + table.rsplit(".", 1)[-1].strip('"'))
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        json_cols = [i for i, c in enumerate(columns) if c.sql_type is SqlType.JSON]
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                if json_cols:
                    values = list(row)
                    for i in json_cols:
                        if values[i] is not None:
                            values[i] = json_text(values[i])
                    copy.write_row(values)
                else:
                    copy.write_row(row)
        sets = ", ".join(f"{quote(n)} = EXCLUDED.{quote(n)}" for n in names if n != pk)
        result = conn.exec_driver_sql(
            # Rows go in key order so concurrent merges (two partitions of one sweep) lock rows in
            # the same order and rarely deadlock; a deadlock re-runs the page (is_retryable).
            f"WITH m AS (INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage} ORDER BY {quote(pk)} "
            f"ON CONFLICT ({quote(pk)}) DO UPDATE SET {sets} WHERE {_version_guard('t', 'EXCLUDED')} "
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM m"
        ).one()
        conn.exec_driver_sql(f"DROP TABLE {stage}")
        inserted, updated = int(result[0]), int(result[1])
        return MergeCounts(inserted, updated, len(rows) - inserted - updated)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError


class DuckDBDialect(Dialect):
    """Embedded DuckDB file: rows staged as newline-delimited JSON, read in bulk, then merged.

    Only one process may open the file for writing, and Dagster runs each step in its own
    process, so a connection lives for one transaction only (NullPool), one step (a sweep's
    ``Warehouse.holding``, under its lease) or, inside ``kept_connections``, until it has been idle
    for ``keep_idle_seconds``; a busy file is waited for with bounded back-off: steps and asset
    checks take turns.

    DuckDB settings ride on the URL query (duckdb-engine passes them as config), e.g.
    ``duckdb:///zendesk.duckdb?memory_limit=1GB&threads=2``, over the defaults in ``ENGINE_CONFIG``.
    """

    name = "duckdb"
    kind = "duckdb"
    types = STANDARD_TYPES | {SqlType.DOUBLE: "DOUBLE", SqlType.TEXT: "VARCHAR", SqlType.TIMESTAMP: "TIMESTAMP", SqlType.JSON: "JSON"}
    unnest_arrays = True

    def _catalog(self) -> str:
        database = self.engine.url.database or ""
        return "memory" if database in ("", ":memory:") else Path(database).stem

    def missing(self) -> str | None:
        database = self.engine.url.database or ""
        if database in ("", ":memory:") or Path(database).exists():
            return None
        return "the DuckDB file does not exist"

    def sa_schema(self, schema: str) -> str:
        """``catalog.schema``: DuckDB names a file's catalog after the file, so ``zendesk.duckdb``
        with schema ``zendesk`` makes ``"zendesk"."t"`` ambiguous unless qualified."""
        return f"{self._catalog()}.{schema}"

    def namespace(self, schema: str) -> str:
        return f"{self.quote(self._catalog())}.{self.quote(schema)}"

    def is_retryable(self, exc: BaseException) -> bool:
        text = str(getattr(exc, "orig", exc))
        return "lock" in text.lower() or "Conflict" in text

    def is_exhausted(self, exc: BaseException) -> bool:
        # What fills memory_limit over a long stream is what was written since the last checkpoint
        # (rows, their key index) plus the key index pages loaded so far; closing the file
        # checkpoints and frees all of it, and a page then fits again (a page alone needs ~40MB).
        import duckdb

        return isinstance(getattr(exc, "orig", exc), duckdb.OutOfMemoryException)

    def exhausted_advice(self) -> str:
        limit = self.url_memory_limit(self.engine.url) or self.ENGINE_CONFIG["memory_limit"]
        return (
            f"DuckDB ran out of its memory_limit ({limit}) twice on one page, the second time on a freshly "
            "opened file; raise it on WAREHOUSE_URL, e.g. duckdb:///zendesk.duckdb?memory_limit=512MB"
        )

    # A fast stream keeps the file for up to this long, then lets waiting processes in.
    lease_seconds = 10.0
    # An idle file is let go as soon as a stream lets it go when its source is slow (Session).
    keep_idle_seconds = 2.0

    # Chosen, not DuckDB's defaults (which size themselves to the machine); the URL query overrides.
    # - checkpoint_threshold: every page commits a few MB of WAL; at DuckDB's default 16MB it would
    #   checkpoint (rewriting the primary-key index) every few pages. Closing the file at the end of
    #   a lease checkpoints anyway. Measured: ~1.5x faster loads.
    # - memory_limit: DuckDB's buffer pool may otherwise grow to 80% of RAM and the process's
    #   peak RSS with it (~800 MB at 20,000 tickets). What fills it is the rows committed since the
    #   last checkpoint, held in memory until the file is closed; past the limit DuckDB spills them
    #   to ``<file>.tmp`` (owner-only, like the file) and reads them back when it checkpoints.
    #   64MB is about the floor: read_json reserves 32MB per read, and at 40MB a page no longer
    #   fits. Measured (bench/sync.py) against 128MB: peak RSS 315 -> 279 MB at 3,000 tickets,
    #   381 -> 310 at 20,000 and ~390 -> 341 at 100,000, for the same CPU-seconds.
    # - threads: a page is a thousand rows; splitting its merge across threads costs more CPU in
    #   coordination than it saves, and the sync's own Python thread already uses a core.
    # - preserve_insertion_order: no statement here depends on it; without it DuckDB buffers less.
    ENGINE_CONFIG = {
        "checkpoint_threshold": "256MB",
        "memory_limit": "64MB",
        "threads": "1",
        "preserve_insertion_order": "false",
    }

    def engine_options(self) -> dict[str, Any]:
        return {"connect_args": {"config": dict(self.ENGINE_CONFIG)}}

    @staticmethod
    def url_memory_limit(url: sa.engine.URL) -> str | None:
        """The ``memory_limit`` a URL sets (the last one, if repeated), else None."""
        value = url.query.get("memory_limit")
        return value if isinstance(value, str) or value is None else value[-1]

    @classmethod
    def memory_limit_problem(cls, value: str) -> str | None:
        """Why a ``memory_limit`` given on the URL cannot carry a sync, or None when it can. The
        default is the floor (see ENGINE_CONFIG): below it every sweep fails, page after page, with
        the same out-of-memory line. DuckDB reads the size itself (it takes MB, MiB, GB, percentages)."""
        import duckdb

        floor = cls.ENGINE_CONFIG["memory_limit"]
        try:
            wanted, needed = _memory_bytes(value), _memory_bytes(floor)
        except (duckdb.Error, ValueError, KeyError):
            return "is not a size DuckDB understands; write it like memory_limit=512MB"
        if wanted < needed:
            return (
                f"is below the {floor} a sync needs (DuckDB's JSON reader takes 32MB for every page it stages); "
                f"raise it or leave it out ({floor} by default)"
            )
        return None

    def private_files(self) -> contextlib.AbstractContextManager[None]:
        # the file and its .wal hold customer data (emails, comment bodies): 0600 whatever the umask
        return owner_only()

    def after_stream(self, conn: Connection) -> None:
        # What a stream wrote since the last checkpoint (rows and their key index) stays in DuckDB's
        # memory until a checkpoint; a connection kept for the next step would carry it over and a
        # few sweeps in a row fill memory_limit. One checkpoint per stream, as closing the file did.
        with owner_only():
            conn.exec_driver_sql("CHECKPOINT")

    def open(self) -> Connection:
        """Open the file, waiting (bounded, logged) while another process holds its lock."""
        started = last_log = time.monotonic()
        delay = 0.02
        while True:
            try:
                with owner_only():
                    return self.engine.connect()
            except sa.exc.DBAPIError as exc:
                if not self.is_retryable(exc):
                    raise
                waited = time.monotonic() - started
                if waited > self.retry_seconds:
                    raise RuntimeError(
                        f"DuckDB file {self.engine.url.database!r} stayed locked by another process for "
                        f"{waited:.0f}s; stop the other writer (another Dagster run or a DuckDB shell) "
                        "or point WAREHOUSE_URL at PostgreSQL for concurrent runs."
                    ) from None
                if time.monotonic() - last_log > 10:
                    logger.info("waiting for the DuckDB file lock (%.0fs so far)", waited)
                    last_log = time.monotonic()
                time.sleep(delay)
                delay = min(delay * 2, 0.25)  # poll often: holders release between leases

    def merge(
        self, conn: Connection, table: str, columns: Sequence[TableColumn], pk: str, rows: Sequence[Row]
    ) -> MergeCounts:
        names = [c.name for c in columns]
        raw: Any = conn.connection.driver_connection
        fd, path = tempfile.mkstemp(prefix="zendesk_stage_", suffix=".ndjson")
        stage = quote("_stage_" + table.rsplit(".", 1)[-1].strip('"'))
        try:
            longest = 0
            with os.fdopen(fd, "wb") as fh:
                for row in rows:
                    line = self._line(names, row)
                    longest = max(longest, len(line))
                    fh.write(line)
            # DuckDB allocates twice maximum_object_size per read: size it to this page's longest
            # record (16 MB floor, DuckDB's default) rather than a worst case.
            max_object = max(16 * 2**20, 1 << longest.bit_length())
            spec = ", ".join(
                "'{}': '{}'".format(n.replace("'", "''"), self.types[c.sql_type])
                for n, c in zip(names, columns, strict=True)
            )
            with self._memory_for(raw, 4 * max_object):
                raw.execute(f"DROP TABLE IF EXISTS {stage}")
                raw.execute(
                    f"CREATE TEMPORARY TABLE {stage} AS SELECT * FROM read_json(?, "
                    f"format='newline_delimited', columns={{{spec}}}, maximum_object_size={max_object})",
                    [path],
                )
                os.unlink(path)
                path = ""
                counted = raw.execute(
                    f"SELECT count(*) FILTER (WHERE t.{quote(pk)} IS NULL), "
                    f"count(*) FILTER (WHERE t.{quote(pk)} IS NOT NULL AND {_version_guard('t', 's')}) "
                    f"FROM {stage} s LEFT JOIN {table} t ON t.{quote(pk)} = s.{quote(pk)}"
                ).fetchone()
                cols = ", ".join(quote(n) for n in names)
                sets = ", ".join(f"{quote(n)} = EXCLUDED.{quote(n)}" for n in names if n != pk)
                raw.execute(
                    f"INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage} "
                    f"ON CONFLICT ({quote(pk)}) DO UPDATE SET {sets} WHERE {_version_guard('t', 'EXCLUDED')}"
                )
                raw.execute(f"DROP TABLE {stage}")
        finally:
            if path:
                os.unlink(path)
        inserted, updated = int(counted[0]), int(counted[1])
        return MergeCounts(inserted, updated, len(rows) - inserted - updated)

    @staticmethod
    @contextlib.contextmanager
    def _memory_for(raw: Any, needed: int) -> Iterator[None]:
        """Raise DuckDB's memory limit for one statement that needs more than the default read
        buffers (a page holding a record of tens of MB), then put it back."""
        if needed <= 4 * 16 * 2**20:
            yield
            return
        (limit,) = raw.execute("SELECT current_setting('memory_limit')").fetchone()
        raw.execute(f"SET memory_limit = '{needed + 128 * 2**20}B'")
        try:
            yield
        finally:
            # After a failed statement the transaction is aborted and refuses this; the connection
            # is then closed (never reused), which drops the raised limit with it.
            with contextlib.suppress(Exception):
                raw.execute(f"SET memory_limit = '{limit}'")

    @staticmethod
    def _line(names: Sequence[str], row: Row) -> bytes:
        record = dict(zip(names, row, strict=True))
        line = _ndjson(record)
        if b"\\u0000" in line:  # text columns hold none (coerce): a JSON value does, see nul_safe
            line = _ndjson({name: nul_safe(value) for name, value in record.items()})
        return line + b"\n"


def _ndjson(record: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(record)
    except TypeError:  # an integer beyond 64 bits somewhere in _raw
        return json.dumps(record, default=_json_default, ensure_ascii=False).encode()


def normalise_url(url: str | None) -> str:
    """Fill in defaults: no URL -> ./zendesk.duckdb; PostgreSQL always through psycopg 3."""
    if not url:
        return "duckdb:///" + os.path.abspath("zendesk.duckdb")
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# The adapters with a fast path, by SQLAlchemy backend name; any other backend is GenericDialect.
DIALECTS: dict[str, type[Dialect]] = {"duckdb": DuckDBDialect, "postgresql": PostgresDialect}


def _backend(url: str) -> str:
    try:
        return sa.engine.make_url(url).get_backend_name()
    except Exception:
        # SQLAlchemy's own message repeats the whole string, password included.
        raise ValueError(
            "WAREHOUSE_URL is not a valid SQLAlchemy URL (expected e.g. postgresql://user:pass@host:5432/db "
            "or duckdb:///path/to/file.duckdb); fix the URL in the environment or accounts file."
        ) from None


def dialect_for(url: str | None) -> Dialect:
    """The adapter for a warehouse URL (already normalised or not)."""
    full = normalise_url(url)
    return DIALECTS.get(_backend(full), GenericDialect)(full)


def warehouse_kind(url: str | None) -> str:
    """The engine a warehouse URL names, as a Dagster kind; decided without connecting. A URL that
    does not parse is reported when a run opens the warehouse, not while definitions load."""
    try:
        backend = _backend(normalise_url(url))
    except ValueError:
        return "sql"
    return DIALECTS[backend].kind if backend in DIALECTS else backend


_MEMORY_UNITS = {"bytes": 1, "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def _memory_bytes(value: str) -> float:
    """A DuckDB memory size in bytes, as DuckDB itself reads it (in a throwaway in-memory database)."""
    import duckdb

    with contextlib.closing(duckdb.connect(":memory:", config={"memory_limit": value, "threads": "1"})) as conn:
        row = conn.execute("SELECT current_setting('memory_limit')").fetchone()
    number, unit = str(row[0] if row else "").split()
    return float(number) * _MEMORY_UNITS[unit]


class Session:
    """One stream's connection, reused across its pages (one transaction per page).

    Opening a DuckDB file costs tens of milliseconds and a PostgreSQL connection a few, which
    dominates a page of 1,000 rows. But DuckDB allows one writing process per file and Dagster runs
    steps in separate processes, so on DuckDB the connection is released whenever the source is
    slow (an API page takes longer than ``SLOW_SOURCE`` seconds: other steps and checks get the file
    while we wait for Zendesk) and after ``lease_seconds`` of continuous holding.
    """

    # A wait this long is a rate-limit pause or a retry, not an ordinary page (a few hundred ms
    # to a second or so): release then. Releasing on every page made each page reopen the file and
    # checkpoint it on close, which cost more CPU than the page's merge.
    SLOW_SOURCE = 2.0
    HANDOVER = 0.3  # pause after a lease so processes polling for the lock get their turn

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.conn: Connection | None = None
        self.opened = 0.0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        if self.conn is None:
            self.conn, self.opened = self.dialect.checkout()
        try:
            with self.dialect.private_files(), self.conn.begin():
                self.dialect.on_begin(self.conn)
                yield self.conn
        except BaseException:
            self.close()  # a failed connection is never reused
            raise

    def in_transaction(self) -> bool:
        return self.conn is not None and self.conn.in_transaction()

    def before_source(self, last_source_seconds: float) -> None:
        """Called before waiting for the next page; releases the connection when it should."""
        lease = self.dialect.lease_seconds
        if self.conn is None or lease is None:
            return
        if last_source_seconds > self.SLOW_SOURCE:
            self.close()
        elif time.monotonic() - self.opened > lease:
            self.close()
            time.sleep(self.HANDOVER)

    def close(self) -> None:
        """Close the connection (other processes get a DuckDB file now)."""
        if self.conn is not None:
            conn, self.conn = self.conn, None
            _close(conn)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:  # done: kept for this process's next transaction, or closed
            conn, self.conn = self.conn, None
            try:
                self.dialect.after_stream(conn)
            except Exception:
                _close(conn)  # closing checkpoints too; a connection that failed is not kept
                return
            self.dialect.checkin(conn, self.opened)


def _close(conn: Connection) -> None:
    # closing a DuckDB file checkpoints it, which writes the file and may spill to a temporary one
    with owner_only(), contextlib.suppress(Exception):
        conn.close()


class Keeper:
    """Idle connections kept between transactions, at most one per engine (``kept_connections``).

    A kept connection is closed once it has been idle for its dialect's ``keep_idle_seconds`` (a
    timer thread) and is not kept past the dialect's lease. Only a healthy connection outside any
    transaction is kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parked: dict[Engine, tuple[Connection, float, threading.Timer]] = {}
        self._closed = False
        self.ready: dict[tuple[str, str], set[str]] = {}  # see ready_tables

    def take(self, dialect: Dialect) -> tuple[Connection, float] | None:
        with self._lock:
            entry = self._parked.pop(dialect.engine, None)
        if entry is None:
            return None
        conn, opened, timer = entry
        timer.cancel()
        return conn, opened

    def park(self, dialect: Dialect, conn: Connection, opened: float) -> bool:
        lease = dialect.lease_seconds
        if lease is not None and time.monotonic() - opened > lease:
            return False  # held long enough: other processes get their turn
        if conn.closed or conn.invalidated or conn.in_transaction():
            return False
        with self._lock:
            if self._closed or dialect.engine in self._parked:
                return False
            timer = threading.Timer(dialect.keep_idle_seconds, self._expire, (dialect.engine, conn))
            timer.daemon = True
            self._parked[dialect.engine] = (conn, opened, timer)
            timer.start()
        return True

    def _expire(self, engine: Engine, conn: Connection) -> None:
        with self._lock:
            entry = self._parked.get(engine)
            if entry is None or entry[0] is not conn:
                return  # taken meanwhile
            del self._parked[engine]
        _close(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            parked, self._parked = list(self._parked.values()), {}
        for conn, _, timer in parked:
            timer.cancel()
            _close(conn)


_KEEPER: Keeper | None = None


@contextlib.contextmanager
def kept_connections() -> Iterator[None]:
    """Within the block, a warehouse connection outlives its transaction for the process's next
    one (the next step of an in-process run), idle for a few seconds at most on DuckDB (whose file
    other processes wait for meanwhile) and never past its lease. ``zendesk-assets sync`` runs its
    steps one after the other in one process: without this, each step opened the DuckDB file again
    (~30 ms of CPU a time, more than a no-change step's own work)."""
    global _KEEPER
    if _KEEPER is not None:
        yield
        return
    keeper = _KEEPER = Keeper()
    try:
        yield
    finally:
        _KEEPER = None
        keeper.close()


def ready_tables(dialect: Dialect, schema: str) -> set[str]:
    """Where a ``Warehouse`` records the tables it knows exist with their registry columns: within
    ``kept_connections()`` one set per schema, shared by the command's steps (each builds its own
    ``Warehouse``, and each looked the tables up in ``information_schema`` again), else its own."""
    if _KEEPER is None:
        return set()
    return _KEEPER.ready.setdefault((dialect.url, schema), set())
