"""Dagster's face of the warehouse: the resource, the metadata of a written table, and an IO
manager that hands tables to downstream assets.

A sweep's multi-asset writes through the resource's ``Warehouse`` itself (one stream, page by page,
each page in one transaction with its checkpoint) and reports one ``dg.MaterializeResult`` per
table with ``table_metadata``, as Dagster's own integrations (dlt, Sling, Fivetran) do: nothing is
handed to an IO manager to store. ``WarehouseIOManager`` remains for the other direction: a
downstream Python asset that takes a Zendesk table as an input gets a lazy ``WarehouseTable``.
"""

# No ``from __future__ import annotations`` here: Dagster resolves the resource field annotations
# (``ResourceDependency[...]``) at class creation.
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
from pydantic import Field

from zendesk_assets.batches import TableStats
from zendesk_assets.warehouse.naming import mask_url
from zendesk_assets.warehouse.tables import table_schema
from zendesk_assets.warehouse.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """Where the tables go: any SQLAlchemy URL; nothing set means an embedded DuckDB file."""

    url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the warehouse (WAREHOUSE_URL), e.g. postgresql://user:pass@host/db. "
            "Unset: a DuckDB file ./zendesk.duckdb in the working directory. The password is never logged."
        ),
    )
    schema_name: str = Field(
        default="zendesk",
        description="Schema holding this Zendesk account's tables; sanitised to [a-z0-9_].",
    )

    def get_warehouse(self) -> Warehouse:
        return Warehouse(self.url, self.schema_name)

    def __repr__(self) -> str:  # the URL may carry a password
        return f"WarehouseResource(url={mask_url(self.url) if self.url else None!r}, schema_name={self.schema_name!r})"


@dataclass(frozen=True)
class WarehouseTable:
    """A downstream asset's handle on a table: its name, and rows read lazily on demand."""

    qualified_name: str
    table: str
    warehouse: Warehouse

    def rows(self, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        return self.warehouse.iter_rows(self.table, batch_size)

    def row_count(self) -> int:
        return self.warehouse.row_count(self.table)


def table_metadata(
    warehouse: Warehouse, table: str, stats: TableStats, sweep: Mapping[str, float | int]
) -> dict[str, Any]:
    """A written table's materialization metadata: Dagster's own keys (size, name, schema; never the
    URL), what this run did to the table, and the sweep's numbers, shared by the tables it feeds.
    Our keys live under ``zendesk/`` only; the sweep's carry ``sweep_`` so nobody reads a sweep's
    request count as one partition's."""
    # one connection (on DuckDB, one opening of the file) for both
    rows, custom = warehouse.reading(lambda reader: (reader.row_count(table), reader.custom_fields(table)))
    return {
        "dagster/row_count": rows,
        "dagster/table_name": warehouse.qualified_name(table),
        "dagster/column_schema": table_schema(table, custom),
        **row_metadata(stats),
        **{f"zendesk/sweep_{key}": value for key, value in sweep.items()},
    }


def row_metadata(stats: TableStats) -> dict[str, int]:
    """What a run did to a table, or to one partition of it."""
    return {
        "zendesk/rows_received": stats.rows,
        "zendesk/rows_inserted": stats.inserted,
        "zendesk/rows_updated": stats.updated,
        "zendesk/rows_skipped_older": stats.skipped_older,
        "zendesk/rows_removed": stats.removed,
    }


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Loads a Zendesk table as a lazy ``WarehouseTable`` for a downstream asset that takes it as
    an input. The sweeps write their tables themselves; this IO manager stores nothing."""

    warehouse: dg.ResourceDependency[WarehouseResource]

    def handle_output(self, context: dg.OutputContext, obj: None) -> None:
        if obj is not None:
            raise TypeError(
                f"WarehouseIOManager stores nothing: the Zendesk sweeps write their tables themselves, but "
                f"{context.asset_key.to_user_string() if context.has_asset_key else context.name} returned a "
                f"{type(obj).__name__}; give that asset another IO manager"
            )

    def load_input(self, context: dg.InputContext) -> WarehouseTable:
        key = context.asset_key if context.has_asset_key else context.upstream_output.asset_key  # type: ignore[union-attr]
        table = key.path[-1]
        wh = self.warehouse.get_warehouse()
        return WarehouseTable(wh.qualified_name(table), table, wh)
