"""The warehouse: typed tables from the registry, monotonic upserts, crash-safe checkpoints.

Public API: ``Warehouse`` (plain class), ``WarehouseResource``, ``WarehouseIOManager`` and
``table_metadata`` (Dagster), ``WarehouseTable`` (what downstream assets load), ``CustomFieldColumn``.
Adding a warehouse engine: see ``README.md`` in this package.

The Dagster-facing names are imported on first use (PEP 562), so a plain ``Warehouse`` (a CLI,
a subprocess, a benchmark) does not pay for importing Dagster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zendesk_assets.warehouse.tables import CustomFieldColumn
from zendesk_assets.warehouse.warehouse import Warehouse

if TYPE_CHECKING:
    from zendesk_assets.warehouse.resource import (
        WarehouseIOManager,
        WarehouseResource,
        WarehouseTable,
        row_metadata,
        table_metadata,
    )

__all__ = [
    "CustomFieldColumn",
    "Warehouse",
    "WarehouseIOManager",
    "WarehouseResource",
    "WarehouseTable",
    "row_metadata",
    "table_metadata",
]
_DAGSTER_FACING = ("WarehouseIOManager", "WarehouseResource", "WarehouseTable", "row_metadata", "table_metadata")


def __getattr__(name: str) -> Any:
    if name in _DAGSTER_FACING:
        from zendesk_assets.warehouse import resource

        return getattr(resource, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
