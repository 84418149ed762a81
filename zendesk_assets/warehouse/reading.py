"""Reads of one warehouse schema in one transaction: where the sweeps resume, what the checks measure.

Every statement is SQLAlchemy Core over the bookkeeping tables or a lightweight ``sa.table`` of a
data table, so the engine's dialect quotes, qualifies and types it; nothing here is per engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zendesk_assets.batches import Checkpoint
from zendesk_assets.collections import COLLECTIONS, Archive, Reference, SqlType, Tombstone
from zendesk_assets.warehouse.dialects import Dialect
from zendesk_assets.warehouse.tables import CUSTOM_FIELDS_TABLE, STATE_TABLE, Bookkeeping, CustomFieldColumn
from zendesk_assets.windows import Window


@dataclass(frozen=True)
class KeyStats:
    """How a table's primary key holds up: every row keyed, no key twice."""

    rows: int
    null_keys: int
    duplicate_rows: int
    sample: list[Any]  # some keys held by more than one row


@dataclass(frozen=True)
class Orphans:
    """Present rows whose reference names no stored parent."""

    rows: int
    ids: int  # distinct missing parent ids
    sample: list[Any]


class Reader:
    """One schema seen through one connection. The set of tables is read once, on first use."""

    def __init__(
        self, conn: Connection, dialect: Dialect, schema: str, book: Bookkeeping, known: Set[str] = frozenset()
    ) -> None:
        self.conn = conn
        self.dialect = dialect
        self.schema = schema
        self.book = book
        self._known = known  # tables the warehouse knows exist: no look-up for them
        self._tables: set[str] | None = None

    def table(self, name: str, *columns: str) -> sa.TableClause:
        """A data table of this schema with the columns a statement needs."""
        return sa.table(name, *(sa.column(c) for c in columns), schema=self.dialect.sa_schema(self.schema))

    def tables(self) -> set[str]:
        if self._tables is None:
            self._tables = self.dialect.table_names(self.conn, self.schema)
        return self._tables

    def exists(self, table: str) -> bool:
        return table in self._known or table in self.tables()

    # ----------------------------------------------------------------- bookkeeping

    def checkpoints(self, sweep: str) -> list[Checkpoint]:
        """Stored checkpoints of a sweep, one per window, oldest window first."""
        if not self.exists(STATE_TABLE):
            return []
        s = self.book.state
        rows = self.conn.execute(sa.select(s).where(s.c.sweep == sweep).order_by(s.c.window_start)).all()
        return [
            Checkpoint(r.sweep, int(r.window_start), r.window_end, r.position, r.resume, bool(r.done), r.updated_at)
            for r in rows
        ]

    def custom_fields(self, table: str) -> list[CustomFieldColumn]:
        """The ``_custom_fields`` dictionary rows of one table, in column order."""
        if not self.exists(CUSTOM_FIELDS_TABLE):
            return []
        return custom_fields(self.conn, self.book, table)

    # ----------------------------------------------------------------- measurements

    def row_count(self, table: str) -> int:
        if not self.exists(table):
            return 0
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(self.table(table))).scalar_one())

    def partition_counts(self, table: str, windows: Mapping[str, Window]) -> dict[str, int]:
        """Rows of a partitioned table per partition (its registry ``partition_time``), in one scan.
        Rows whose parent is missing are in no month."""
        found = dict.fromkeys(windows, 0)
        when = COLLECTIONS[table].partition_time
        if when is None or not windows or not self.exists(table) or (when.via and not self.exists(when.via.table)):
            return found
        if when.via is None:
            source: sa.FromClause = self.table(table, when.column)
            column = source.c[when.column]
        else:
            child = self.table(table, when.via.column).alias("c")
            parent = self.table(when.via.table, when.via.target, when.column).alias("p")
            source = child.join(parent, parent.c[when.via.target] == child.c[when.via.column])
            column = parent.c[when.column]
        holder = COLLECTIONS[when.via.table if when.via else table]
        epoch = next(c.type for c in holder.columns if c.name == when.column) is not SqlType.TIMESTAMP

        def bound(ts: int) -> Any:
            return ts if epoch else datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)

        sums = [
            sa.func.sum(
                sa.case((sa.and_(column >= bound(w.start), *([column < bound(w.end)] if w.end else [])), 1), else_=0)
            )
            for w in windows.values()
        ]
        row = self.conn.execute(sa.select(*sums).select_from(source)).one()
        return {key: int(n or 0) for key, n in zip(windows, row, strict=True)}

    def key_stats(self, table: str, key: str, sample: int) -> KeyStats:
        k = self.table(table, key).c[key]
        rows, keyed, distinct = self.conn.execute(
            sa.select(sa.func.count(), sa.func.count(k), sa.func.count(sa.distinct(k)))
        ).one()
        duplicates = int(keyed) - int(distinct)
        found: list[Any] = []
        if duplicates:
            query = sa.select(k).where(k.is_not(None)).group_by(k).having(sa.func.count() > 1).order_by(k)
            found = list(self.conn.execute(query.limit(sample)).scalars())
        return KeyStats(int(rows), int(rows) - int(keyed), duplicates, found)

    def orphans(self, table: str, ref: Reference, sample: int) -> Orphans:
        child = self.table(table, ref.column, "_removed_at").alias("c")
        parent = self.table(ref.table, ref.target).alias("p")
        column = child.c[ref.column]
        orphan = sa.and_(
            child.c["_removed_at"].is_(None),
            column.is_not(None),
            ~sa.exists().where(parent.c[ref.target] == column),
        )
        rows, ids = self.conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(column))).select_from(child).where(orphan)
        ).one()
        found: list[Any] = []
        if rows:
            query = sa.select(column).distinct().where(orphan).order_by(column).limit(sample)
            found = list(self.conn.execute(query).scalars())
        return Orphans(int(rows), int(ids), found)

    def archived_rows(self, table: str, archive: Archive, before: datetime) -> int:
        """Present rows in the archive's state (``column`` = ``value``) since before ``before``."""
        t = self.table(table, "_removed_at", archive.column, archive.since)
        where = (t.c["_removed_at"].is_(None), t.c[archive.column] == archive.value, t.c[archive.since] < before)
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one())

    def live_rows(self, table: str, deleted: Tombstone | None, created_before: datetime | None = None) -> int:
        """Rows present and not marked deleted (``deleted``), created no later than ``created_before``."""
        t = self.table(table, "_removed_at", "created_at", *([deleted.column] if deleted else []))
        where: list[sa.ColumnElement[bool]] = [t.c["_removed_at"].is_(None)]
        if deleted is not None:
            mark = t.c[deleted.column]
            where.append(mark.is_(None) if deleted.value is None else sa.or_(mark.is_(None), mark != deleted.value))
        if created_before is not None:
            where.append(t.c["created_at"] <= created_before)
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one())


def custom_fields(conn: Connection, book: Bookkeeping, table: str) -> list[CustomFieldColumn]:
    return [
        CustomFieldColumn(
            r.table_name,
            r.column_name,
            None if r.field_id is None else int(r.field_id),
            r.field_key,
            r.title,
            r.field_type,
            SqlType(r.sql_type),
        )
        for r in conn.execute(_custom_fields_of(book.custom_fields), {"table": table})
    ]


@cache
def _custom_fields_of(c: sa.Table) -> sa.Select[Any]:
    """Built once (every page reads it): the dictionary rows of one table, in column order."""
    return sa.select(c).where(c.c.table_name == sa.bindparam("table")).order_by(c.c.updated_at, c.c.column_name)
