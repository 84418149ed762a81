"""The warehouse: typed tables from the registry, monotonic upserts, checkpoints in the same commit.

The product's promise is a warehouse that shows Zendesk's latest state exactly: nothing lost,
doubled or stale, whatever crashes. Three rules deliver it:

- one transaction per API page: the page's rows for every table, any new custom-field columns
  and the sweep's checkpoint commit together, so a process killed at any instant resumes from
  ``checkpoints()`` with nothing lost and nothing doubled;
- upsert by primary key, guarded by ``_version`` (the record's version field in epoch seconds):
  a replayed or out-of-order older version never overwrites a newer one;
- snapshot tables mark rows that vanished (``_removed_at``) only after a complete pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, Record, SweepStream, TableStats
from zendesk_assets.collections import COLLECTIONS, SqlType, collection
from zendesk_assets.warehouse.coerce import CONVERTERS, coerce, extract, version_of
from zendesk_assets.warehouse.dialects import Dialect, Session, dialect_for
from zendesk_assets.warehouse.naming import mask_url, quote, sanitize_identifier
from zendesk_assets.warehouse.tables import (
    CUSTOM_FIELDS_TABLE,
    SEEN_TABLE,
    STATE_TABLE,
    CustomFieldColumn,
    CustomFieldPlan,
    TableColumn,
    custom_values,
    table_columns,
)
from zendesk_assets.warehouse.tables import table_schema as _table_schema

if TYPE_CHECKING:
    import dagster as dg

logger = logging.getLogger(__name__)
T = TypeVar("T")

_STATE_COLUMNS: Mapping[str, Sequence[tuple[str, SqlType]]] = {
    STATE_TABLE: (
        ("sweep", SqlType.TEXT),
        ("window_start", SqlType.BIGINT),
        ("window_end", SqlType.BIGINT),
        ("position", SqlType.BIGINT),
        ("resume", SqlType.TEXT),
        ("done", SqlType.BOOLEAN),
        ("updated_at", SqlType.TIMESTAMP),
    ),
    CUSTOM_FIELDS_TABLE: (
        ("table_name", SqlType.TEXT),
        ("column_name", SqlType.TEXT),
        ("field_id", SqlType.BIGINT),
        ("field_key", SqlType.TEXT),
        ("title", SqlType.TEXT),
        ("field_type", SqlType.TEXT),
        ("sql_type", SqlType.TEXT),
        ("updated_at", SqlType.TIMESTAMP),
    ),
    SEEN_TABLE: (("table_name", SqlType.TEXT), ("id", SqlType.BIGINT)),
}
_STATE_KEYS = {STATE_TABLE: ("sweep", "window_start"), CUSTOM_FIELDS_TABLE: ("table_name", "column_name")}


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _namespace(dialect: Dialect, schema: str) -> str:
    """``schema``, or on DuckDB ``catalog.schema``: DuckDB names the file's catalog after the file, so
    ``zendesk.duckdb`` with schema ``zendesk`` makes ``"zendesk"."t"`` ambiguous unless qualified."""
    if dialect.name != "duckdb":
        return quote(schema)
    database = sa.engine.make_url(dialect.url).database or ""
    catalog = "memory" if database in ("", ":memory:") else Path(database).stem
    return f"{quote(catalog)}.{quote(schema)}"


class Warehouse:
    """One warehouse schema (one Zendesk account) behind any supported SQLAlchemy URL."""

    def __init__(self, url: str | None, schema: str = "zendesk") -> None:
        self.schema = sanitize_identifier(schema) or "zendesk"
        self.dialect: Dialect = dialect_for(url)
        self._namespace = _namespace(self.dialect, self.schema)
        self._ready: set[str] = set()  # tables known to exist with their registry columns

    def __repr__(self) -> str:
        return f"Warehouse({mask_url(self.dialect.url)}, schema={self.schema!r})"

    # ----------------------------------------------------------------- names and shapes

    def qualified_name(self, table: str) -> str:
        """``schema.table`` as shown in Dagster's ``dagster/table_name`` (never the URL).

        For display: in SQL use ``sql_name``, which is quoted and, on DuckDB, catalog-qualified.
        """
        return f"{self.schema}.{table}"

    def sql_name(self, table: str) -> str:
        """The table's quoted, fully qualified name for SQL."""
        return f"{self._namespace}.{quote(table)}"

    _q = sql_name

    def table_schema(self, table: str) -> dg.TableSchema:
        return _table_schema(table, self.custom_fields(table))

    def custom_fields(self, table: str) -> list[CustomFieldColumn]:
        """The ``_custom_fields`` dictionary rows of one table, in column order."""
        with self.dialect.transaction() as conn:
            if CUSTOM_FIELDS_TABLE not in self._tables_in(conn):
                return []
            return self._load_custom(conn, table)

    # ----------------------------------------------------------------- reading

    def checkpoints(self, sweep: str) -> list[Checkpoint]:
        """Stored checkpoints of a sweep, one per window, oldest window first."""
        with self.dialect.transaction() as conn:
            if STATE_TABLE not in self._tables_in(conn):
                return []
            rows = conn.execute(
                sa.text(
                    "SELECT sweep, window_start, window_end, position, resume, done "
                    f"FROM {self._q(STATE_TABLE)} WHERE sweep = :sweep ORDER BY window_start"
                ),
                {"sweep": sweep},
            ).all()
        return [Checkpoint(r[0], int(r[1]), r[2], r[3], r[4], bool(r[5])) for r in rows]

    def row_count(self, table: str) -> int:
        with self.dialect.transaction() as conn:
            if table not in self._tables_in(conn):
                return 0
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {self._q(table)}")).scalar_one())

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read query (``:name`` parameters) and return all rows; for asset checks."""
        with self.dialect.transaction() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), dict(params or {})).all()]

    def iter_rows(self, table: str, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Stream a table's rows as dicts without loading it whole.

        Holds one connection (on DuckDB: the file) until exhausted or closed; iterate promptly.
        """
        with self.dialect.transaction() as conn:
            result = conn.execution_options(yield_per=batch_size).execute(
                sa.text(f"SELECT * FROM {self._q(table)}")
            )
            for row in result.mappings():
                yield dict(row)

    def _tables_in(self, conn: Connection) -> set[str]:
        rows = conn.execute(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": self.schema},
        ).all()
        return {r[0] for r in rows}

    def _columns_in(self, conn: Connection, table: str) -> set[str]:
        # information_schema, not reflection: duckdb-engine 0.17's reflection fails on REGCLASS.
        rows = conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = :t"
            ),
            {"s": self.schema, "t": table},
        ).all()
        return {r[0] for r in rows}

    def _load_custom(self, conn: Connection, table: str) -> list[CustomFieldColumn]:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, column_name, field_id, field_key, title, field_type, sql_type "
                f"FROM {self._q(CUSTOM_FIELDS_TABLE)} WHERE table_name = :t ORDER BY updated_at, column_name"
            ),
            {"t": table},
        ).all()
        return [
            CustomFieldColumn(
                r[0], r[1], None if r[2] is None else int(r[2]), r[3], r[4], r[5], SqlType(r[6])
            )
            for r in rows
        ]

    # ----------------------------------------------------------------- DDL

    def ensure_tables(self, tables: Iterable[str]) -> None:
        """Create the schema, the state tables and the given tables (idempotent)."""
        self._run(lambda conn: self._ensure(conn, list(tables)))
        self._ready.update(tables)

    def _create(
        self, conn: Connection, table: str, columns: Sequence[tuple[str, SqlType]], key: Sequence[str]
    ) -> None:
        body = ", ".join(f"{quote(n)} {self.dialect.type_name(t)}" for n, t in columns)
        pk = f", PRIMARY KEY ({', '.join(quote(k) for k in key)})" if key else ""
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {self._q(table)} ({body}{pk})")

    def _ensure(self, conn: Connection, tables: Sequence[str]) -> None:
        todo = [t for t in tables if t not in self._ready]
        if not todo:
            return
        existing = self._tables_in(conn)
        if not {STATE_TABLE, CUSTOM_FIELDS_TABLE, SEEN_TABLE} <= existing:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {self._namespace}")
            for name, cols in _STATE_COLUMNS.items():
                self._create(conn, name, cols, _STATE_KEYS.get(name, ()))
        for table in todo:
            custom = self._load_custom(conn, table)
            wanted = table_columns(table, custom)
            if table not in existing:
                self._create(
                    conn, table, [(c.name, c.sql_type) for c in wanted], (collection(table).primary_key,)
                )
            else:  # columns added to the registry (or lost custom columns) since the table was made
                have = self._columns_in(conn, table)
                for col in wanted:
                    if col.name not in have:
                        self._add_column(conn, table, col.name, col.sql_type)

    def _add_column(self, conn: Connection, table: str, name: str, sql_type: SqlType) -> None:
        conn.exec_driver_sql(
            f"ALTER TABLE {self._q(table)} ADD COLUMN IF NOT EXISTS {quote(name)} {self.dialect.type_name(sql_type)}"
        )

    def _save_custom(self, conn: Connection, cols: Sequence[CustomFieldColumn]) -> None:
        now = _utcnow()
        for col in cols:
            conn.execute(
                sa.text(
                    f"DELETE FROM {self._q(CUSTOM_FIELDS_TABLE)} WHERE table_name = :t AND column_name = :c"
                ),
                {"t": col.table_name, "c": col.column_name},
            )
            conn.execute(
                sa.text(
                    f"INSERT INTO {self._q(CUSTOM_FIELDS_TABLE)} (table_name, column_name, field_id, field_key, "
                    "title, field_type, sql_type, updated_at) VALUES (:t, :c, :i, :k, :ti, :ft, :st, :u)"
                ),
                {
                    "t": col.table_name,
                    "c": col.column_name,
                    "i": col.field_id,
                    "k": col.field_key,
                    "ti": col.title,
                    "ft": col.field_type,
                    "st": col.sql_type.value,
                    "u": now,
                },
            )

    # ----------------------------------------------------------------- writing

    def _run(self, work: Callable[[Connection], T], session: Session | None = None) -> T:
        """Run ``work`` in one transaction, re-running it whole after a transient conflict."""
        attempt = 0
        while True:
            try:
                with session.transaction() if session else self.dialect.transaction() as conn:
                    return work(conn)
            except sa.exc.DBAPIError as exc:
                attempt += 1
                if not self.dialect.is_retryable(exc) or attempt > 8:
                    raise
                logger.info(
                    "transient warehouse conflict (attempt %d), retrying: %s",
                    attempt,
                    type(exc.orig).__name__,
                )
                time.sleep(min(0.1 * 2**attempt, 5.0))

    def write_stream(self, stream: SweepStream, log: logging.Logger | None = None) -> dict[str, TableStats]:
        """Drain a sweep's stream page by page; return (and store on it) per-table statistics."""
        log = log or logger
        stream.consumed = True
        stats = {t: TableStats() for t in stream.tables}
        stream.stats = stats
        pending: dict[str, list[FieldDef]] = {t: list(d) for t, d in stream.field_defs.items()}
        last: Checkpoint | None = None
        with self.dialect.session() as session:
            batches = iter(stream.batches)
            number, source_seconds = 0, 0.0
            while True:
                session.before_source(source_seconds)
                began = time.monotonic()
                batch = next(batches, None)
                source_seconds = time.monotonic() - began
                if batch is None:
                    break
                number += 1
                for t, defs in (batch.field_defs or {}).items():
                    pending.setdefault(t, []).extend(defs)
                work = partial(self._write_batch, stream=stream, batch=batch, defs=pending)
                deltas = self._run(work, session)
                pending = {}
                self._ready.update(deltas)  # committed: these tables now exist with their columns
                for t, delta in deltas.items():
                    total = stats.setdefault(t, TableStats())
                    total.rows += delta.rows
                    total.inserted += delta.inserted
                    total.updated += delta.updated
                    total.skipped_older += delta.skipped_older
                    total.removed += delta.removed
                    total.pages += delta.pages
                last = batch.checkpoint or last
                if number % 100 == 0:
                    log.info("sweep %s: %d pages written", stream.sweep, number)
            complete = last is None or last.done
            removed = self._run(
                partial(self._finish, stream=stream, defs=pending, complete=complete), session
            )
        for t, n in removed.items():
            stats[t].removed += n
        self._ready.update(stream.tables)
        log.info(
            "sweep %s written: %s",
            stream.sweep,
            ", ".join(
                f"{t} +{s.inserted} ~{s.updated} ={s.skipped_older} -{s.removed}" for t, s in stats.items()
            ),
        )
        return stats

    def _plan(
        self,
        conn: Connection,
        table: str,
        defs: Sequence[FieldDef],
        customs: Sequence[Mapping[int | str, Any]],
    ) -> list[TableColumn]:
        """Apply definitions and undefined fields seen in rows; return the table's full column list."""
        coll = COLLECTIONS[table]
        if coll.custom_fields is None:
            return table_columns(table, [])
        plan = CustomFieldPlan(table, self._load_custom(conn, table))
        for fd in defs:
            plan.define(fd)
        seen: set[int | str] = set()
        for values in customs:
            seen.update(values)
        for ident in sorted(seen, key=str):
            plan.observe(ident)
        for col in plan.new:
            self._add_column(conn, table, col.column_name, col.sql_type)
        self._save_custom(conn, [*plan.new, *plan.changed])
        return table_columns(table, plan.columns)

    def _write_batch(
        self, conn: Connection, stream: SweepStream, batch: Batch, defs: Mapping[str, Sequence[FieldDef]]
    ) -> dict[str, TableStats]:
        tables = list(dict.fromkeys([*stream.tables, *batch.rows, *defs]))
        self._ensure(conn, tables)
        now = _utcnow()
        deltas: dict[str, TableStats] = {}
        for table in tables:
            records = batch.rows.get(table, ())
            latest = _latest(table, records)
            coll = COLLECTIONS[table]
            customs = [custom_values(coll, r) for _, r in latest] if coll.custom_fields else []
            columns = self._plan(conn, table, defs.get(table, ()), customs)
            delta = deltas[table] = TableStats(rows=len(records), pages=1)
            if not latest:
                continue
            rows = _rows(table, columns, latest, customs, now)
            counts = self.dialect.merge(conn, self._q(table), columns, coll.primary_key, rows)
            delta.inserted, delta.updated = counts.inserted, counts.updated
            delta.skipped_older = counts.skipped_older + len(records) - len(rows)
            if table in stream.snapshot_tables:
                pk_i = [c.name for c in columns].index(coll.primary_key)
                self.dialect.insert_keys(conn, self._q(SEEN_TABLE), table, [r[pk_i] for r in rows])
        for table, (column, values) in (batch.removals or {}).items():
            deltas.setdefault(table, TableStats()).removed += self._remove(conn, table, column, values, now)
        if batch.checkpoint is not None:
            self._save_checkpoint(conn, batch.checkpoint)
        return deltas

    def _remove(self, conn: Connection, table: str, column: str, values: Sequence[Any], now: datetime) -> int:
        """Mark rows whose parent vanished (a deleted ticket's metric set); a later upsert of the
        same row clears the mark again, as a restored ticket gets its metrics back."""
        keys = [k for k in (coerce(v, SqlType.BIGINT) for v in values) if k is not None]
        if not keys:
            return 0
        where = f"_removed_at IS NULL AND {quote(column)} IN :keys"
        params = {"keys": keys, "now": now}
        target = self._q(table)
        count = conn.execute(
            sa.text(f"SELECT count(*) FROM {target} WHERE {where}").bindparams(
                sa.bindparam("keys", expanding=True)
            ),
            params,
        ).scalar_one()
        conn.execute(
            sa.text(f"UPDATE {target} SET _removed_at = :now WHERE {where}").bindparams(
                sa.bindparam("keys", expanding=True)
            ),
            params,
        )
        return int(count)

    def _save_checkpoint(self, conn: Connection, cp: Checkpoint) -> None:
        state = self._q(STATE_TABLE)
        conn.execute(
            sa.text(f"DELETE FROM {state} WHERE sweep = :s AND window_start = :w"),
            {"s": cp.sweep, "w": cp.window_start},
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {state} (sweep, window_start, window_end, position, resume, done, updated_at) "
                "VALUES (:s, :w, :e, :p, :r, :d, :u)"
            ),
            {
                "s": cp.sweep,
                "w": cp.window_start,
                "e": cp.window_end,
                "p": cp.position,
                "r": cp.resume,
                "d": cp.done,
                "u": _utcnow(),
            },
        )

    def _finish(
        self, conn: Connection, stream: SweepStream, defs: Mapping[str, Sequence[FieldDef]], complete: bool
    ) -> dict[str, int]:
        """Create tables an empty stream never touched, and mark vanished snapshot rows."""
        self._ensure(conn, list(stream.tables))
        for table, table_defs in defs.items():
            self._plan(conn, table, table_defs, [])
        removed: dict[str, int] = {}
        if not complete:
            return removed
        now = _utcnow()
        seen = self._q(SEEN_TABLE)
        for table in sorted(stream.snapshot_tables):
            target, pk = self._q(table), quote(collection(table).primary_key)
            keys = f"(SELECT id FROM {seen} WHERE table_name = :t)"
            vanished = f"_removed_at IS NULL AND {pk} NOT IN {keys}"
            # Counted first: rowcount is not reliable on every driver (duckdb-engine).
            removed[table] = int(
                conn.execute(
                    sa.text(f"SELECT count(*) FROM {target} WHERE {vanished}"), {"t": table}
                ).scalar_one()
            )
            conn.execute(
                sa.text(f"UPDATE {target} SET _removed_at = :now WHERE {vanished}"), {"now": now, "t": table}
            )
            conn.execute(
                sa.text(
                    f"UPDATE {target} SET _removed_at = NULL WHERE _removed_at IS NOT NULL AND {pk} IN {keys}"
                ),
                {"t": table},
            )
            conn.execute(sa.text(f"DELETE FROM {seen} WHERE table_name = :t"), {"t": table})
        return removed


def _latest(table: str, records: Sequence[Record]) -> list[tuple[int | None, Record]]:
    """Dedupe a page by primary key keeping the highest version (ties: the later record)."""
    coll = COLLECTIONS[table]
    pk = coll.primary_key
    by_key: dict[int, tuple[int | None, Record]] = {}
    for record in records:
        key = coerce(record.get(pk), SqlType.BIGINT)
        if key is None:
            logger.warning("%s: a record without a usable %r was skipped: %.200r", table, pk, record)
            continue
        version = version_of(record.get(coll.version)) if coll.version else None
        held = by_key.get(key)
        if held is None or held[0] is None or version is None or version >= held[0]:
            by_key[key] = (version, record)
    return list(by_key.values())


def _rows(
    table: str,
    columns: Sequence[TableColumn],
    latest: Sequence[tuple[int | None, Record]],
    customs: Sequence[Mapping[int | str, Any]],
    now: datetime,
) -> list[tuple[Any, ...]]:
    """Typed rows in column order; converters are chosen once per column, not per value."""
    coll = COLLECTIONS[table]
    by_key = coll.custom_fields is not None and coll.custom_fields.keyed_by == "key"
    plain: list[tuple[int, tuple[str, ...], Callable[[Any], Any]]] = []
    custom: list[tuple[int, int | str | None, Callable[[Any], Any]]] = []
    slots: dict[str, int] = {}
    for i, col in enumerate(columns):
        if col.custom is not None:
            custom.append(
                (i, col.custom.field_key if by_key else col.custom.field_id, CONVERTERS[col.sql_type])
            )
        elif col.name in ("received_at", "_raw", "_version", "_removed_at"):
            slots[col.name] = i
        else:
            plain.append((i, col.source, CONVERTERS[col.sql_type]))
    width = len(columns)
    out: list[tuple[Any, ...]] = []
    for n, (version, record) in enumerate(latest):
        values: list[Any] = [None] * width
        for i, source, convert in plain:
            value = record.get(source[0]) if len(source) == 1 else extract(record, source)
            if value is not None:
                values[i] = convert(value)
        if custom:
            found = customs[n]
            for i, ident, convert in custom:
                value = found.get(ident) if ident is not None else None
                if value is not None:
                    values[i] = convert(value)
        values[slots["received_at"]] = now
        values[slots["_raw"]] = record
        values[slots["_version"]] = version
        out.append(tuple(values))
    return out
