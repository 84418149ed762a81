"""Table shapes: the registry's columns, the system columns, the account's custom fields, and the
bookkeeping tables.

Nothing here is written per collection: a table is ``COLLECTIONS[name].columns`` plus
``SYSTEM_COLUMNS`` plus the custom-field columns recorded in the ``_custom_fields`` dictionary.
Custom fields are keyed by Zendesk field id (user/organization fields by their immutable ``key``),
never by title: admins rename fields, and a pivot keyed by title would move the data to a new
column; two fields titled alike still get distinct names.

The bookkeeping tables (``_sync_state``, ``_custom_fields``, ``_snapshot_seen``) are SQLAlchemy Core
tables: the same statements run on every engine, which compiles them with its own quoting and types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zendesk_assets.batches import FieldDef
from zendesk_assets.collections import COLLECTIONS, SYSTEM_COLUMNS, Collection, Column, SqlType
from zendesk_assets.warehouse.naming import sanitize_identifier, with_suffix

if TYPE_CHECKING:
    import dagster as dg

STATE_TABLE = "_sync_state"
CUSTOM_FIELDS_TABLE = "_custom_fields"
SEEN_TABLE = "_snapshot_seen"

# An instant: PostgreSQL keeps it as TIMESTAMPTZ, DuckDB as a naive UTC TIMESTAMP, as the data tables do.
_INSTANT = sa.DateTime(timezone=True).with_variant(sa.DateTime(), "duckdb")
_BOOKKEEPING = sa.MetaData()

SYNC_STATE = sa.Table(
    STATE_TABLE,
    _BOOKKEEPING,
    sa.Column("sweep", sa.Text, primary_key=True),  # the sweep's state key (sweeps.state_key)
    sa.Column("window_start", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("window_end", sa.BigInteger),  # NULL: the live window
    sa.Column("position", sa.BigInteger),
    sa.Column("resume", sa.Text),
    sa.Column("done", sa.Boolean),
    sa.Column("updated_at", _INSTANT),  # when the checkpoint was committed
)
CUSTOM_FIELDS = sa.Table(
    CUSTOM_FIELDS_TABLE,
    _BOOKKEEPING,
    sa.Column("table_name", sa.Text, primary_key=True),
    sa.Column("column_name", sa.Text, primary_key=True),
    sa.Column("field_id", sa.BigInteger),
    sa.Column("field_key", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("field_type", sa.Text),
    sa.Column("sql_type", sa.Text),
    sa.Column("updated_at", _INSTANT),
)
SNAPSHOT_SEEN = sa.Table(  # keys seen by a snapshot pass still under way
    SEEN_TABLE,
    _BOOKKEEPING,
    sa.Column("table_name", sa.Text),
    sa.Column("id", sa.BigInteger),
)


@dataclass(frozen=True)
class Bookkeeping:
    """The bookkeeping tables of one warehouse schema."""

    state: sa.Table
    custom_fields: sa.Table
    seen: sa.Table

    @classmethod
    @cache  # one set per schema name: statements built on them are built once too
    def in_schema(cls, sa_schema: str) -> Bookkeeping:
        metadata = sa.MetaData()
        state, custom, seen = (t.to_metadata(metadata, schema=sa_schema) for t in (SYNC_STATE, CUSTOM_FIELDS, SNAPSHOT_SEEN))
        return cls(state, custom, seen)

    @property
    def tables(self) -> tuple[sa.Table, ...]:
        return (self.state, self.custom_fields, self.seen)


# Introspection reads the SQL standard's information_schema (see Dialect.table_names).
INFORMATION_TABLES = sa.table(
    "tables", sa.column("table_schema"), sa.column("table_name"), schema="information_schema"
)
INFORMATION_COLUMNS = sa.table(
    "columns", sa.column("table_schema"), sa.column("table_name"), sa.column("column_name"), schema="information_schema"
)

# Zendesk field types (ticket, user and organization fields) -> column types; anything else,
# including tagger/dropdown/text/textarea/regexp and types Zendesk adds later, lands as TEXT.
FIELD_TYPES: Mapping[str, SqlType] = {
    "checkbox": SqlType.BOOLEAN,
    "date": SqlType.DATE,
    "decimal": SqlType.DOUBLE,
    "integer": SqlType.BIGINT,
    "lookup": SqlType.BIGINT,
    "multiselect": SqlType.JSON,
}


@dataclass(frozen=True)
class CustomFieldColumn:
    """One row of ``_custom_fields``: the column a custom field was given, once and for good."""

    table_name: str
    column_name: str
    field_id: int | None  # None for a user/org field seen in records before its definition
    field_key: str | None
    title: str
    field_type: str
    sql_type: SqlType

    def description(self) -> str:
        ident = f"id {self.field_id}" if self.field_id is not None else f"key {self.field_key!r}"
        return f"Custom field {self.title!r} ({self.field_type}, {ident})."


@dataclass(frozen=True)
class TableColumn(Column):
    """A physical column and how a record fills it: a registry column, or a custom field's."""

    custom: CustomFieldColumn | None = None

    @property
    def sql_type(self) -> SqlType:
        return self.type


def base_columns(table: str) -> list[TableColumn]:
    """Registry columns then system columns (the part of a table that never depends on data)."""
    coll = COLLECTIONS[table]
    cols: list[Column] = [*coll.columns, *SYSTEM_COLUMNS]
    return [TableColumn(c.name, c.type, c.description, c.path) for c in cols]


def table_columns(table: str, custom: Sequence[CustomFieldColumn]) -> list[TableColumn]:
    """The full, ordered column list of a table."""
    extra = [TableColumn(c.column_name, c.sql_type, c.description(), custom=c) for c in custom]
    return [*base_columns(table), *extra]


def table_schema(table: str, custom: Sequence[CustomFieldColumn]) -> dg.TableSchema:
    """Dagster's column schema for the UI: names, portable types and the seed's descriptions."""
    import dagster as dg  # here, not at module level: plain warehouse use needs no Dagster
    pk = COLLECTIONS[table].primary_key
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.sql_type.value,
                description=c.description,
                constraints=dg.TableColumnConstraints(nullable=False, unique=True)
                if c.name == pk
                else None,
            )
            for c in table_columns(table, custom)
        ]
    )


def custom_values(coll: Collection, record: Mapping[str, Any]) -> dict[int | str, Any]:
    """A record's custom field values keyed by field id (tickets) or key (users, orgs)."""
    source = coll.custom_fields
    if source is None:
        return {}
    raw = record.get(source.record_key)
    values: dict[int | str, Any] = {}
    if source.keyed_by == "id":
        if isinstance(raw, list):
            for item in raw:
                if isinstance(item, Mapping) and isinstance(item.get("id"), int | str):
                    try:
                        values[int(item["id"])] = item.get("value")
                    except ValueError:
                        continue
    elif isinstance(raw, Mapping):
        values = {str(k): v for k, v in raw.items()}
    return values


class CustomFieldPlan:
    """Assigns columns to custom fields for one table, given what the dictionary already holds."""

    def __init__(self, table: str, existing: Iterable[CustomFieldColumn]) -> None:
        self.table = table
        self.coll = COLLECTIONS[table]
        self.columns: list[CustomFieldColumn] = list(existing)
        self.new: list[CustomFieldColumn] = []  # needs ALTER TABLE ADD COLUMN + dictionary insert
        self.changed: list[CustomFieldColumn] = []  # dictionary update only (rename, late definition)
        self._taken = {c.name for c in base_columns(table)} | {c.column_name for c in self.columns}
        self._index: dict[int | str, CustomFieldColumn] = {}
        for col in self.columns:
            self._remember(col)

    @property
    def by_key(self) -> bool:
        return self.coll.custom_fields is not None and self.coll.custom_fields.keyed_by == "key"

    def _remember(self, col: CustomFieldColumn) -> None:
        ident = col.field_key if self.by_key else col.field_id
        if ident is not None:
            self._index[ident] = col

    def lookup(self, ident: int | str) -> CustomFieldColumn | None:
        return self._index.get(ident)

    def _name(self, title: str, field_id: int | None, key: str | None) -> str:
        fallback = f"field_{field_id}" if field_id is not None else with_suffix("field", sanitize_identifier(key or "x"))
        base = sanitize_identifier(title) or fallback
        for candidate in (base, with_suffix(base, str(field_id if field_id is not None else "k")), fallback):
            if candidate not in self._taken:
                return candidate
        n = 2
        while with_suffix(fallback, str(n)) in self._taken:
            n += 1
        return with_suffix(fallback, str(n))

    def _add(self, field_id: int | None, key: str | None, title: str, field_type: str, sql_type: SqlType) -> None:
        col = CustomFieldColumn(self.table, self._name(title, field_id, key), field_id, key, title, field_type, sql_type)
        self._taken.add(col.column_name)
        self._remember(col)
        self.columns.append(col)
        self.new.append(col)

    def _replace(self, old: CustomFieldColumn, new: CustomFieldColumn) -> None:
        self.columns[self.columns.index(old)] = new
        self._remember(new)
        if old in self.new:
            self.new[self.new.index(old)] = new
        else:
            self.changed = [c for c in self.changed if c.column_name != new.column_name] + [new]

    def define(self, fd: FieldDef) -> None:
        """Apply a definition: a new column, or a title/definition update that never moves data."""
        ident: int | str | None = fd.key if self.by_key else fd.id
        if ident is None:
            return  # a user/org field without key cannot appear in records
        current = self.lookup(ident)
        if current is None:
            self._add(fd.id, fd.key, fd.title, fd.type, FIELD_TYPES.get(fd.type, SqlType.TEXT))
        elif (current.title, current.field_id, current.field_type) != (fd.title, fd.id, fd.type):
            # The column's type stays: a field first seen undefined landed as TEXT.
            updated = CustomFieldColumn(
                self.table, current.column_name, fd.id, fd.key, fd.title, fd.type, current.sql_type
            )
            self._replace(current, updated)

    def observe(self, ident: int | str) -> None:
        """A value for a field with no definition still lands, as TEXT ``field_<id>``."""
        if self.lookup(ident) is not None:
            return
        if self.by_key:
            self._add(None, str(ident), "", "unknown", SqlType.TEXT)
        else:
            self._add(int(ident), None, "", "unknown", SqlType.TEXT)
