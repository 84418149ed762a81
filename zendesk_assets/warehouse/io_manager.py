"""Dagster's face of the warehouse: a resource holding the URL and an IO manager writing streams.

Several assets of one sweep share one ``SweepStream``: the first output handled drains it (writing
every table the sweep feeds, page by page) and every output then reports its own table's
statistics as output metadata, so Zendesk is read once however many assets the sweep feeds.
"""

# No ``from __future__ import annotations`` here: Dagster resolves the resource field annotations
# (``ResourceDependency[...]``) at class creation.
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
from pydantic import Field

from zendesk_assets.batches import TableOutput, TableStats
from zendesk_assets.warehouse.naming import mask_url
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


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Writes ``TableOutput`` streams into the warehouse and loads tables as lazy handles."""

    warehouse: dg.ResourceDependency[WarehouseResource]

    def _warehouse(self) -> Warehouse:
        return self.warehouse.get_warehouse()

    def handle_output(self, context: dg.OutputContext, obj: TableOutput | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, TableOutput):
            raise TypeError(
                f"WarehouseIOManager stores TableOutput values, got {type(obj).__name__} for "
                f"{context.asset_key.to_user_string() if context.has_asset_key else context.name}"
            )
        wh = self._warehouse()
        stream = obj.stream
        if not stream.consumed:
            wh.write_stream(stream, log=context.log)
        stats = stream.stats.get(obj.table, TableStats())
        metadata: dict[str, Any] = {
            "dagster/row_count": wh.row_count(obj.table),
            "rows_received": stats.rows,
            "rows_inserted": stats.inserted,
            "rows_updated": stats.updated,
            "rows_skipped_older": stats.skipped_older,
            "rows_removed": stats.removed,
            "pages": stats.pages,
            "dagster/table_name": wh.qualified_name(obj.table),
            "dagster/column_schema": wh.table_schema(obj.table),
        }
        for key, value in stream.telemetry.items():
            metadata[f"zendesk/{key}"] = value
        context.add_output_metadata(metadata)

    def load_input(self, context: dg.InputContext) -> WarehouseTable:
        key = context.asset_key if context.has_asset_key else context.upstream_output.asset_key  # type: ignore[union-attr]
        table = key.path[-1]
        wh = self._warehouse()
        return WarehouseTable(wh.qualified_name(table), table, wh)
