"""The asset graph: one asset per collection, one multi-asset per API sweep, per account.

Everything is generated from the registry: a sweep's multi-asset has one asset spec per table it
feeds, so the ticket export fills tickets and ticket_metrics in one read and the ticket_events
export fills ticket_events, ticket_comments and attachments. The multi-asset writes the sweep's lazy
stream through the account's warehouse resource, page by page with checkpoints, then reports one
``MaterializeResult`` per selected table.
"""

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import dagster as dg

from zendesk_assets.batches import SweepStream, TableStats
from zendesk_assets.collections import COLLECTIONS, SWEEPS, SYSTEM_COLUMNS, Collection, Sweep
from zendesk_assets.concurrency import pool_name
from zendesk_assets.config import AccountConfig
from zendesk_assets.hints import empty_table_hints
from zendesk_assets.partitions import monthly_partitions, window_for
from zendesk_assets.progress import observe
from zendesk_assets.sweeps import SweepRequest, fetch_field_defs, open_stream, written_tables
from zendesk_assets.warehouse import table_metadata
from zendesk_assets.warehouse.dialects import warehouse_kind as dialect_kind
from zendesk_assets.zendesk.preflight import CHECKED_TAG, endpoint_available, ensure_checked
from zendesk_assets.zendesk.settings import env_name


@dataclass(frozen=True)
class ResourceKeys:
    """The resource keys of one account (several accounts live side by side)."""

    zendesk: str
    warehouse: str
    io_manager: str

    @classmethod
    def of(cls, account: AccountConfig) -> "ResourceKeys":
        return cls(f"zendesk_{account.name}", f"warehouse_{account.name}", f"io_manager_{account.name}")


def asset_key(account: AccountConfig, table: str) -> dg.AssetKey:
    return dg.AssetKey([account.name, table])


def warehouse_kind(account: AccountConfig) -> str:
    """The account's warehouse engine as a Dagster kind (the warehouse package decides which)."""
    url = account.warehouse_url
    name = env_name(url)
    if name is not None:
        url = os.environ.get(name)
    return dialect_kind(url)


def column_schema(collection: Collection) -> dg.TableSchema:
    """The registry's columns; custom-field columns are added by the warehouse when it writes."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type.value, description=c.description)
            for c in (*collection.columns, *SYSTEM_COLUMNS)
        ]
    )


def _spec(account: AccountConfig, collection: Collection, kind: str) -> dg.AssetSpec:
    opt_in = " Opt-in: synced by the schedule only when ZENDESK_OPT_IN names it." if collection.opt_in else ""
    return dg.AssetSpec(
        key=asset_key(account, collection.name),
        group_name=account.name,
        description=collection.description + opt_in,
        skippable=True,
        kinds={"zendesk", kind},
        tags={"zendesk/opt_in": "true"} if collection.opt_in else None,
        metadata={
            "dagster/column_schema": column_schema(collection),
            "dagster/table_name": f"{account.schema_name}.{collection.name}",
            "zendesk/sweep": collection.sweep,
            "zendesk/primary_key": collection.primary_key,
        },
    ).with_io_manager_key(ResourceKeys.of(account).io_manager)  # downstream assets load tables through it


def sweep_assets(account: AccountConfig, sweep: Sweep, kind: str) -> dg.AssetsDefinition:
    keys = ResourceKeys.of(account)
    partitions = monthly_partitions(account) if sweep.partitioned else None
    start_epoch = int(datetime.combine(account.start_date, datetime.min.time(), UTC).timestamp())

    @dg.multi_asset(
        name=f"{account.name}__{sweep.name}",
        description=sweep.description or f"Snapshot of {sweep.endpoint}.",
        specs=[_spec(account, COLLECTIONS[t], kind) for t in sweep.tables],
        can_subset=True,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        required_resource_keys={keys.zendesk, keys.warehouse},
        op_tags={"zendesk/account": account.name, "zendesk/sweep": sweep.name},
        pool=pool_name(account, sweep.name),  # one run per account and sweep at a time (concurrency.py)
    )
    def _sweep(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        selected = tuple(t for t in sweep.tables if asset_key(account, t) in context.selected_asset_keys)
        tables = written_tables(sweep, account.enabled, selected)
        client = getattr(context.resources, keys.zendesk).get_client(log=context.log)
        warehouse = getattr(context.resources, keys.warehouse).get_warehouse()
        try:
            ensure_checked(client, already_checked=CHECKED_TAG in context.run.tags)
            started = time.monotonic()
            telemetry: dict[str, float | int] = {}
            if sweep.plan and not endpoint_available(client, sweep.endpoint):
                context.log.warning(_unavailable(account, sweep, tables))
                stream = SweepStream(sweep.name, tables, iter(()))
                telemetry["unavailable"] = 1
            else:
                window = window_for(*context.partition_time_window) if partitions else None
                request = SweepRequest(
                    sweep, tables, window, start_epoch, account.reread_hours * 3600, account.export_mode,
                    account.sweep_params(sweep), account.narrowed(sweep),
                )
                stream = open_stream(
                    client,
                    request,
                    [cp for key in request.state_keys for cp in warehouse.checkpoints(key)],
                    fetch_field_defs(client, tables),
                    context.log,
                )
                stream = replace(stream, batches=observe(account.name, sweep.name, client, stream.batches))
            stats = warehouse.write_stream(stream, log=context.log)
            hints = empty_table_hints(client, warehouse, stats, tables, account.enabled)
            for hint in hints.values():
                context.log.warning(f"{account.name}: {hint}")
            telemetry.update(_telemetry(client.telemetry.as_metadata(), stats, time.monotonic() - started))
            for table in selected:
                metadata = table_metadata(warehouse, table, stats.get(table, TableStats()), telemetry)
                if table in hints:  # shown on the asset's page, where an empty table is noticed
                    metadata = {**metadata, "zendesk/why_empty": hints[table]}
                yield dg.MaterializeResult(asset_key=asset_key(account, table), metadata=metadata)
        finally:
            client.close()

    return _sweep


def _telemetry(client: dict[str, float | int], stats: dict[str, TableStats], seconds: float) -> dict[str, float | int]:
    """The sweep's own numbers, shared by its tables: the client's counters, the pages and rows the
    stream carried, and how long it took."""
    pages = max((s.pages for s in stats.values()), default=0)
    return {**client, "pages": pages, "rows": sum(s.rows for s in stats.values()), "seconds": round(seconds, 3)}


def _unavailable(account: AccountConfig, sweep: Sweep, tables: tuple[str, ...]) -> str:
    silence = " Remove it from ZENDESK_OPT_IN to silence this." if all(COLLECTIONS[t].opt_in for t in tables) else ""
    return (
        f"{account.name}: {', '.join(tables)} is not available on this Zendesk plan ({sweep.plan} only); "
        f"nothing to sync.{silence}"
    )


def account_assets(account: AccountConfig, kind: str) -> list[dg.AssetsDefinition]:
    return [sweep_assets(account, sweep, kind) for sweep in SWEEPS.values()]
