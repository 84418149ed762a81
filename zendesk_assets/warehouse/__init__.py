"""The warehouse: typed tables from the registry, monotonic upserts, crash-safe checkpoints.

Public API: ``Warehouse`` (plain class), ``WarehouseResource`` and ``WarehouseIOManager``
(Dagster), ``WarehouseTable`` (what downstream assets load), ``CustomFieldColumn``.
"""

from zendesk_assets.warehouse.io_manager import WarehouseIOManager, WarehouseResource, WarehouseTable
from zendesk_assets.warehouse.tables import CustomFieldColumn
from zendesk_assets.warehouse.warehouse import Warehouse

__all__ = ["CustomFieldColumn", "Warehouse", "WarehouseIOManager", "WarehouseResource", "WarehouseTable"]
