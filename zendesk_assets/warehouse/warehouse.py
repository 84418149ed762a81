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

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache, cached_property, partial
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateSchema, CreateTable

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, Record, Reread, SweepStream, TableStats
from zendesk_assets.collections import COLLECTIONS, FieldNames, SqlType, collection
from zendesk_assets.prefetch import ahead
from zendesk_assets.warehouse.coerce import CONVERTERS, coerce, extract, version_of
from zendesk_assets.warehouse.dialects import Dialect, Session, dialect_for, ready_tables
from zendesk_assets.warehouse.naming import mask_url, sanitize_identifier
from zendesk_assets.warehouse.reading import Reader, custom_fields
from zendesk_assets.warehouse.tables import (
    Bookkeeping,
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


def _first_line(exc: BaseException) -> str:
    """An error's class and first line (no SQL, no parameters: a page's values stay out of logs)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0][:200]}" if text else type(orig).__name__


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class WarehouseMemoryError(RuntimeError):
    """A page did not fit in the memory the warehouse engine may use, even on a fresh connection."""


class Warehouse:
    """One warehouse schema (one Zendesk account) behind any supported SQLAlchemy URL."""

    def __init__(self, url: str | None, schema: str = "zendesk") -> None:
        self.schema = sanitize_identifier(schema) or "zendesk"
        self.dialect: Dialect = dialect_for(url)
        self._ready: set[str] = ready_tables(self.dialect, self.schema)  # exist with their registry columns
        self._held: Session | None = None  # the connection ``holding()`` shares, while it lasts

    def __repr__(self) -> str:
        return f"Warehouse({mask_url(self.dialect.url)}, schema={self.schema!r})"

    @cached_property
    def book(self) -> Bookkeeping:
        """This schema's bookkeeping tables (SQLAlchemy Core)."""
        return Bookkeeping.in_schema(self.dialect.sa_schema(self.schema))

    # ----------------------------------------------------------------- names and shapes

    def qualified_name(self, table: str) -> str:
        """``schema.table`` as shown in Dagster's ``dagster/table_name`` (never the URL).

        For display: in SQL use ``sql_name``, which is quoted and qualified as the engine needs.
        """
        return f"{self.schema}.{table}"

    def sql_name(self, table: str) -> str:
        """The table's quoted, fully qualified name for SQL text."""
        return f"{self.dialect.namespace(self.schema)}.{self.dialect.quote(table)}"

    def table_schema(self, table: str) -> dg.TableSchema:
        return _table_schema(table, self.custom_fields(table))

    # ----------------------------------------------------------------- reading

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Within the block, this warehouse's transactions take turns on one connection (a
        ``Session``, whose lease rules still apply between a stream's pages) instead of opening
        one each: a sweep's reads before and after its pages opened the DuckDB file four times or
        more, at ~30 ms of CPU each, more than a no-change sweep's own work."""
        if self._held is not None:
            yield
            return
        with self.dialect.session() as session:
            self._held = session
            try:
                yield
            finally:
                self._held = None

    def _transaction(self, session: Session | None = None) -> contextlib.AbstractContextManager[Connection]:
        """A transaction on ``session``, else on the held connection, else on a new one. A
        transaction begun inside another (a reader opened within a read) gets a connection of its own."""
        session = session or self._held
        if session is None or session.in_transaction():
            return self.dialect.transaction()
        return session.transaction()

    @contextlib.contextmanager
    def read(self) -> Iterator[Reader]:
        """A ``Reader`` over one read transaction: several queries for the price of one connection."""
        with self._transaction() as conn:
            yield self._reader(conn)

    def _reader(self, conn: Connection) -> Reader:
        return Reader(conn, self.dialect, self.schema, self.book, self._ready)

    def reading(self, work: Callable[[Reader], T]) -> T:
        """``work`` over one read transaction, asked again on a new connection after a lost one: for the
        reads a sweep makes after its writes (metadata, partition counts, hints)."""
        return self._run(lambda conn: work(self._reader(conn)))

    # The reads a sweep makes (its plan, its metadata) survive a lost connection as its pages do.

    def checkpoints(self, sweep: str) -> list[Checkpoint]:
        """Stored checkpoints of a sweep, one per window, oldest window first."""
        return self._run(lambda conn: self._reader(conn).checkpoints(sweep))

    def custom_fields(self, table: str) -> list[CustomFieldColumn]:
        """The ``_custom_fields`` dictionary rows of one table, in column order."""
        return self._run(lambda conn: self._reader(conn).custom_fields(table))

    def row_count(self, table: str) -> int:
        return self._run(lambda conn: self._reader(conn).row_count(table))

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read query written as SQL text (``:name`` parameters); for tests and ad hoc reads."""
        with self.dialect.transaction() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), dict(params or {})).all()]

    def iter_rows(self, table: str, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Stream a table's rows as dicts without loading it whole.

        Holds one connection (on DuckDB: the file) until exhausted or closed; iterate promptly.
        """
        with self.dialect.transaction() as conn:
            query: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(self._reader(conn).table(table))
            for row in conn.execution_options(yield_per=batch_size).execute(query).mappings():
                yield dict(row)

    # ----------------------------------------------------------------- DDL

    def ensure_tables(self, tables: Iterable[str]) -> None:
        """Create the schema, the bookkeeping tables and the given tables (idempotent)."""
        self._run(lambda conn: self._ensure(conn, list(tables)))
        self._mark_ready(tables)

    def _mark_ready(self, tables: Iterable[str]) -> None:
        """``tables`` exist with their registry columns, and so does the bookkeeping ``_ensure`` made."""
        self._ready.update(tables, (t.name for t in self.book.tables))

    def _ensure(self, conn: Connection, tables: Sequence[str]) -> None:
        todo = [t for t in tables if t not in self._ready]
        if not todo:
            return
        existing = self.dialect.table_names(conn, self.schema)
        if not {t.name for t in self.book.tables} <= existing:
            conn.execute(CreateSchema(self.dialect.sa_schema(self.schema), if_not_exists=True))
            for bookkeeping in self.book.tables:
                conn.execute(CreateTable(bookkeeping, if_not_exists=True))
        for table in todo:
            wanted = table_columns(table, custom_fields(conn, self.book, table))
            if table not in existing:
                self.dialect.create_table(conn, self.sql_name(table), wanted, (collection(table).primary_key,))
            else:  # columns added to the registry (or lost custom columns) since the table was made
                have = self.dialect.column_names(conn, self.schema, table)
                for col in wanted:
                    if col.name not in have:
                        self.dialect.add_column(conn, self.sql_name(table), col.name, col.sql_type)

    def _save_custom(self, conn: Connection, cols: Sequence[CustomFieldColumn]) -> None:
        now = _utcnow()
        for col in cols:
            _replace_row(conn, self.book.custom_fields, col, sql_type=col.sql_type.value, updated_at=now)

    # ----------------------------------------------------------------- writing

    # A lost connection re-runs the page's transaction on a new one, this many times with backoff
    # (about 30 s in all: long enough for a failover): safe, since the page's checkpoint commits
    # with its rows, upserts are monotonic and a checkpoint row is replaced, so a page whose COMMIT
    # did land before the connection died is simply written again.
    RECONNECTS = 7

    def _run(
        self, work: Callable[[Connection], T], session: Session | None = None, log: logging.Logger | None = None
    ) -> T:
        """Run ``work`` in one transaction, re-running it whole after a transient conflict or a lost connection."""
        attempt = reconnects = exhausted = 0
        while True:
            try:
                with self._transaction(session) as conn:
                    return work(conn)
            except Exception as exc:
                if self.dialect.is_exhausted(exc):
                    # the failed transaction closed its connection (Session.transaction): a DuckDB
                    # file checkpoints on close and the next connection starts with its memory free
                    exhausted += 1
                    if exhausted > 1:
                        raise WarehouseMemoryError(self.dialect.exhausted_advice()) from None
                    (log or logger).info("warehouse out of memory (%s); the page is written again on a new connection",
                                         _first_line(exc))  # fmt: skip
                    continue
                if self.dialect.is_disconnect(exc):
                    reconnects += 1
                    if reconnects > self.RECONNECTS:
                        raise
                    (log or logger).warning(
                        "warehouse connection lost (%s); running the page's transaction again on a new "
                        "connection (%d of %d)",
                        _first_line(exc), reconnects, self.RECONNECTS,
                    )
                    time.sleep(min(0.25 * 2 ** (reconnects - 1), 8.0))
                    continue
                if not isinstance(exc, sa.exc.DBAPIError) or not self.dialect.is_retryable(exc):
                    raise
                attempt += 1
                if attempt > 8:
                    raise
                logger.info(
                    "transient warehouse conflict (attempt %d), retrying: %s",
                    attempt,
                    type(exc.orig).__name__,
                )
                time.sleep(min(0.1 * 2**attempt, 5.0))

    def write_stream(
        self,
        stream: SweepStream,
        log: logging.Logger | None = None,
        on_batch: Callable[[Batch, Mapping[str, TableStats]], None] | None = None,
    ) -> dict[str, TableStats]:
        """Drain a sweep's stream page by page, each page in one transaction with its checkpoint;
        return what was done to each table. ``on_batch`` hears what each committed batch did (the
        sweep's multi-asset adds it up per partition)."""
        log = log or logger
        stats = {t: TableStats() for t in stream.tables}
        pending: dict[str, list[FieldDef]] = {t: list(d) for t, d in stream.field_defs.items()}
        last: Checkpoint | None = None
        rereads: dict[str, Reread] = {}  # tables of a complete re-read under way (see Reread)
        token = uuid.uuid4().hex  # this pass's keys in _snapshot_seen (see _pass_label)
        # The next page is read (in a helper thread) while this one is written.
        own = contextlib.nullcontext(self._held) if self._held is not None else self.dialect.session()
        with own as session, contextlib.closing(ahead(iter(stream.batches))) as batches:
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
                starting = frozenset(t for t in batch.rows if batch.reread and t not in rereads)
                work = partial(
                    self._write_batch, stream=stream, batch=batch, defs=pending, starting=starting, token=token
                )
                deltas = self._run(work, session, log)
                rereads.update({t: batch.reread for t in batch.rows if batch.reread})
                pending = {}
                self._ready.update(deltas)  # committed: these tables now exist with their columns
                for t, delta in deltas.items():
                    stats.setdefault(t, TableStats()).add(delta)
                if on_batch is not None:
                    on_batch(batch, deltas)
                last = batch.checkpoint or last
                if number % 100 == 0:
                    log.info("sweep %s: %d pages written", stream.sweep, number)
                del batch, work  # not kept alive while the next pages are read (prefetch.ahead)
            complete = last is None or last.done
            removed = self._run(
                partial(self._finish, stream=stream, defs=pending, complete=complete, rereads=rereads, token=token),
                session,
                log,
            )
        for t, n in removed.items():
            stats[t].removed += n
        self._mark_ready(stream.tables)
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
        plan = CustomFieldPlan(table, custom_fields(conn, self.book, table))
        for fd in defs:
            plan.define(fd)
        seen: set[int | str] = set()
        for values in customs:
            seen.update(values)
        for ident in sorted(seen, key=str):
            plan.observe(ident)
        for col in plan.new:
            self.dialect.add_column(conn, self.sql_name(table), col.column_name, col.sql_type)
        self._save_custom(conn, [*plan.new, *plan.changed])
        return table_columns(table, plan.columns)

    def _write_batch(
        self,
        conn: Connection,
        stream: SweepStream,
        batch: Batch,
        defs: Mapping[str, Sequence[FieldDef]],
        starting: frozenset[str] = frozenset(),
        token: str = "",
    ) -> dict[str, TableStats]:
        tables = list(dict.fromkeys([*stream.tables, *batch.rows, *defs]))
        self._ensure(conn, tables)
        seen = self.book.seen
        for table in starting:  # keys an older release's interrupted pass left under the bare name are stale
            conn.execute(sa.delete(seen).where(seen.c.table_name == table))
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
            if coll.field_names is not None:
                latest = self._name_fields(conn, coll.field_names, latest, defs)
            rows = _rows(table, columns, latest, customs, now)
            counts = self.dialect.merge(conn, self.sql_name(table), columns, coll.primary_key, rows)
            delta.inserted, delta.updated = counts.inserted, counts.updated
            delta.skipped_older = counts.skipped_older + len(records) - len(rows)
            if table in stream.snapshot_tables or batch.reread is not None:
                pk_i = [c.name for c in columns].index(coll.primary_key)
                self.dialect.insert_ids(conn, self.book.seen, _pass_label(table, token), [r[pk_i] for r in rows])
        for table, (column, values) in (batch.removals or {}).items():
            removed = self._remove(conn, table, column, values, now)
            if removed:  # (another sweep's table may not exist yet: it is not "ready" for having been named)
                deltas.setdefault(table, TableStats()).removed += removed
        for table, (column, value, ids) in (batch.marks or {}).items():
            marked = self._mark(conn, table, column, value, ids)
            if marked:
                deltas.setdefault(table, TableStats()).updated += marked
        if batch.checkpoint is not None:
            self._save_checkpoint(conn, batch.checkpoint)
        return deltas

    def _name_fields(
        self,
        conn: Connection,
        names: FieldNames,
        latest: Sequence[tuple[int | None, Record]],
        defs: Mapping[str, Sequence[FieldDef]],
    ) -> list[tuple[int | None, Record]]:
        """Give rows that hold a custom field's id the name of that field's column in the pivot of
        ``names.table``; a field the dictionary does not know yet gets its column there first, as
        when a ticket first carries a value for it (``field_<id>`` until its definition arrives)."""
        ids: dict[int | str, None] = {}
        for _, record in latest:
            field_id = coerce(record.get(names.id_column), SqlType.BIGINT)
            if field_id is not None:
                ids[field_id] = None
        if not ids:
            return list(latest)
        self._ensure(conn, [names.table])
        columns = self._plan(conn, names.table, defs.get(names.table, ()), [ids])
        named = {c.custom.field_id: c.name for c in columns if c.custom is not None}
        out: list[tuple[int | None, Record]] = []
        for version, record in latest:
            field_id = coerce(record.get(names.id_column), SqlType.BIGINT)
            if field_id is not None:
                record = {**record, names.name_column: named.get(field_id, record.get(names.name_column))}
            out.append((version, record))
        return out

    def _remove(self, conn: Connection, table: str, column: str, values: Sequence[Any], now: datetime) -> int:
        """Mark rows whose parent vanished (a deleted ticket's metric set); a later upsert of the
        same row clears the mark again, as a restored ticket gets its metrics back."""
        keys = [k for k in (coerce(v, SqlType.BIGINT) for v in values) if k is not None]
        if not keys or not self._reader(conn).exists(table):  # another sweep's table, not synced yet
            return 0
        t = self._reader(conn).table(table, column, "_removed_at")
        where = sa.and_(t.c["_removed_at"].is_(None), t.c[column].in_(keys))
        # Counted first: rowcount is not reliable on every driver (duckdb-engine).
        count = conn.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar_one()
        conn.execute(sa.update(t).where(where).values(_removed_at=now))
        return int(count)

    def _mark(self, conn: Connection, table: str, column: str, value: Any, ids: Sequence[Any]) -> int:
        """Set ``column`` to ``value`` on the stored rows with these primary keys (a deleted ticket that
        only the deleted-tickets list names: its other columns keep their last stored values)."""
        keys = [k for k in (coerce(v, SqlType.BIGINT) for v in ids) if k is not None]
        if not keys or not self._reader(conn).exists(table):
            return 0
        pk = collection(table).primary_key
        t = self._reader(conn).table(table, pk, column)
        where = sa.and_(t.c[pk].in_(keys), sa.or_(t.c[column].is_(None), t.c[column] != value))
        count = conn.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar_one()
        conn.execute(sa.update(t).where(where).values({column: value}))
        return int(count)

    def _save_checkpoint(self, conn: Connection, cp: Checkpoint) -> None:
        _replace_row(conn, self.book.state, cp, updated_at=_utcnow())

    def _finish(
        self,
        conn: Connection,
        stream: SweepStream,
        defs: Mapping[str, Sequence[FieldDef]],
        complete: bool,
        rereads: Mapping[str, Reread] | None = None,
        token: str = "",
    ) -> dict[str, int]:
        """Create tables an empty stream never touched, and mark the rows that vanished from a
        complete snapshot or re-read (a re-read only among the rows of the range it asked for)."""
        self._ensure(conn, list(stream.tables))
        for table, table_defs in defs.items():
            self._plan(conn, table, table_defs, [])
        removed: dict[str, int] = {}
        if not complete:
            return removed
        now = _utcnow()
        seen = self.book.seen
        rereads = rereads or {}
        for table in sorted({*stream.snapshot_tables, *rereads}):
            pk = collection(table).primary_key
            scope = rereads.get(table)
            t = self._reader(conn).table(table, pk, "_removed_at", *([scope.column] if scope else []))
            label = _pass_label(table, token)
            keys = sa.select(seen.c.id).where(seen.c.table_name == label)
            vanished = sa.and_(t.c["_removed_at"].is_(None), t.c[pk].not_in(keys))
            if scope is not None and scope.since is not None:
                since = datetime.fromtimestamp(scope.since, UTC).replace(tzinfo=None)
                vanished = sa.and_(vanished, t.c[scope.column] >= since)
            # Counted first: rowcount is not reliable on every driver (duckdb-engine).
            removed[table] = int(conn.execute(sa.select(sa.func.count()).select_from(t).where(vanished)).scalar_one())
            conn.execute(sa.update(t).where(vanished).values(_removed_at=now))
            conn.execute(sa.update(t).where(t.c["_removed_at"].is_not(None), t.c[pk].in_(keys)).values(_removed_at=None))
            # this pass's keys, and those an older release kept under the bare table name
            conn.execute(sa.delete(seen).where(seen.c.table_name.in_([label, table])))
        return removed


def _pass_label(table: str, token: str) -> str:
    """The keys one pass saw are kept under its own label: two syncs of one account at once (two
    instances, or the schedule beside a backfill on another machine) each mark only what vanished
    from their own pass, never what the other pass has not reached yet. A pass that crashed leaves
    its keys behind; no other pass reads them."""
    return f"{table} {token}" if token else table


def _replace_row(conn: Connection, table: sa.Table, source: object, **values: Any) -> None:
    """Store ``source`` as the row of a bookkeeping table with its primary key, in place of any row
    with that key: columns take ``source``'s attributes of the same name, or ``values``."""
    row = {c.name: values[c.name] if c.name in values else getattr(source, c.name) for c in table.columns}
    delete, insert = _replace_statements(table)
    conn.execute(delete, row)
    conn.execute(insert, row)


@cache
def _replace_statements(table: sa.Table) -> tuple[sa.Delete, sa.Insert]:
    """Built once per table (a page writes its checkpoint this way): DELETE by primary key, INSERT."""
    key = [c == sa.bindparam(c.name) for c in table.primary_key.columns]
    return sa.delete(table).where(*key), sa.insert(table)


def _latest(table: str, records: Sequence[Record]) -> list[tuple[int | None, Record]]:
    """Dedupe a page by primary key keeping the highest version (ties: the later record)."""
    coll = COLLECTIONS[table]
    pk = coll.primary_key
    pk_type = next(c.type for c in coll.columns if c.name == pk)  # mostly BIGINT; survey responses' ULIDs are TEXT
    by_key: dict[Any, tuple[int | None, Record]] = {}
    for record in records:
        key = coerce(record.get(pk), pk_type)
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
    """Typed rows in column order, built a column at a time: one converter lookup and one tight
    loop per column rather than per cell (this loop runs for every value the sync writes)."""
    coll = COLLECTIONS[table]
    by_key = coll.custom_fields is not None and coll.custom_fields.keyed_by == "key"
    records = [record for _, record in latest]
    count = len(records)
    built: list[Sequence[Any]] = []
    for col in columns:
        if col.name == "received_at":
            built.append([now] * count)
        elif col.name == "_raw":
            built.append(records)
        elif col.name == "_version":
            built.append([version for version, _ in latest])
        elif col.name == "_removed_at":
            built.append([None] * count)
        elif col.custom is not None:
            ident = col.custom.field_key if by_key else col.custom.field_id
            found = [values.get(ident) for values in customs] if ident is not None else [None] * count
            built.append(_converted(found, CONVERTERS[col.sql_type]))
        elif len(col.source) == 1:
            key = col.source[0]
            built.append(_converted([record.get(key) for record in records], CONVERTERS[col.sql_type]))
        else:
            path = col.source
            built.append(_converted([extract(record, path) for record in records], CONVERTERS[col.sql_type]))
    return list(zip(*built, strict=True)) if built else []


def _converted(values: list[Any], convert: Callable[[Any], Any]) -> list[Any]:
    return [None if value is None else convert(value) for value in values]
