"""The warehouse: typed tables from the registry, monotonic upserts, crash-safe checkpoints.

Public API: ``Warehouse`` (plain class), ``WarehouseResource`` and ``WarehouseIOManager``
(Dagster), ``WarehouseTable`` (what downstream assets load), ``CustomFieldColumn``.

The Dagster-facing names are imported on first use (PEP 562), so a plain ``Warehouse`` (a CLI,
a subprocess, a benchmark) does not pay for importing Dagster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zendesk_assets.warehouse.tables import CustomFieldColumn
from zendesk_assets.warehouse.warehouse import Warehouse

if TYPE_CHECKING:
    from zendesk_assets.warehouse.io_manager import WarehouseIOManager, WarehouseResource, WarehouseTable

__all__ = ["CustomFieldColumn", "Warehouse", "WarehouseIOManager", "WarehouseResource", "WarehouseTable"]


def __getattr__(name: str) -> Any:
    if name in ("WarehouseIOManager", "WarehouseResource", "WarehouseTable"):
        from zendesk_assets.warehouse import io_manager

        return getattr(io_manager, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
