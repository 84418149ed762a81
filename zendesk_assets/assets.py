"""The asset graph: one asset per collection, one multi-asset per API sweep, per account.

Everything is generated from the registry: a sweep's multi-asset has one asset spec per table it
feeds (made by the translator, ``translator.py``), so the ticket export fills tickets and
ticket_metrics in one read and the ticket_events export fills ticket_events, ticket_comments and
attachments. The multi-asset writes the sweep's lazy stream through the account's warehouse
resource, page by page with checkpoints, then reports one ``MaterializeResult`` per selected table.
A partition range run records one materialization per partition; each gets that month's own rows
(``context.add_asset_metadata(partition_key=...)``), not the run's totals.
"""

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import dagster as dg

from zendesk_assets.batches import Batch, SweepStream, TableStats
from zendesk_assets.collections import COLLECTIONS, SWEEPS, Sweep
from zendesk_assets.concurrency import pool_name
from zendesk_assets.config import AccountConfig
from zendesk_assets.hints import empty_table_hints
from zendesk_assets.partitions import monthly_partitions, partition_window, window_for
from zendesk_assets.progress import observe
from zendesk_assets.sweeps import SweepRequest, fetch_field_defs, open_stream, written_tables
from zendesk_assets.translator import AccountGraph
from zendesk_assets.warehouse import Warehouse, row_metadata, table_metadata
from zendesk_assets.zendesk.client import ZendeskClient, means_unavailable
from zendesk_assets.zendesk.errors import ZendeskError
from zendesk_assets.zendesk.preflight import (
    CHECKED_TAG,
    endpoint_available,
    ensure_checked,
    remember_unavailable,
)


@dataclass(frozen=True)
class ResourceKeys:
    """The resource keys of one account (several accounts live side by side)."""

    zendesk: str
    warehouse: str
    io_manager: str

    @classmethod
    def of(cls, account: AccountConfig) -> "ResourceKeys":
        return cls(f"zendesk_{account.name}", f"warehouse_{account.name}", f"io_manager_{account.name}")


def sweep_assets(graph: AccountGraph, sweep: Sweep) -> dg.AssetsDefinition:
    account = graph.account
    keys = ResourceKeys.of(account)
    partitions = monthly_partitions(account) if sweep.partitioned else None
    start_epoch = int(datetime.combine(account.start_date, datetime.min.time(), UTC).timestamp())

    @dg.multi_asset(
        name=f"{account.name}__{sweep.name}",
        description=sweep.description or f"Snapshot of {sweep.endpoint}.",
        # downstream assets load the tables through the account's IO manager
        specs=[graph.specs[t].with_io_manager_key(keys.io_manager) for t in sweep.tables],
        can_subset=True,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        required_resource_keys={keys.zendesk, keys.warehouse},
        op_tags={"zendesk/account": account.name, "zendesk/sweep": sweep.name},
        pool=pool_name(account, sweep.name),  # one run per account and sweep at a time (concurrency.py)
    )
    def _sweep(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        selected = tuple(t for t in sweep.tables if graph.key(t) in context.selected_asset_keys)
        tables = written_tables(sweep, account.enabled, selected)
        client = getattr(context.resources, keys.zendesk).get_client(log=context.log)
        warehouse = getattr(context.resources, keys.warehouse).get_warehouse()
        # one connection for the step's reads, pages and metadata: one opening of a DuckDB file
        with contextlib.closing(client), warehouse.holding():
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
                    lambda: fetch_field_defs(client, tables),
                    context.log,
                )
                batches = stream.batches
                if sweep.plan and not stream.snapshot_tables:
                    batches = _plan_gated(batches, client, sweep, telemetry)
                batches = observe(account.name, sweep.name, client, batches,
                                  lambda: "not on this plan" if telemetry.get("unavailable") else None)
                stream = replace(stream, batches=batches)
            months = MonthlyStats()
            stats = warehouse.write_stream(stream, log=context.log, on_batch=months.add)
            if telemetry.get("unavailable"):
                context.log.warning(_unavailable(account, sweep, tables))
            hints = empty_table_hints(client, warehouse, stats, tables, account.enabled)
            for hint in hints.values():
                context.log.warning(f"{account.name}: {hint}")
            telemetry.update(_telemetry(client.telemetry.as_metadata(), time.monotonic() - started))
            if partitions:
                _report_partitions(context, graph, partitions, warehouse, selected, months)
            for table in selected:
                metadata = table_metadata(warehouse, table, stats.get(table, TableStats()), telemetry)
                if table in hints:  # shown on the asset's page, where an empty table is noticed
                    metadata = {**metadata, "zendesk/why_empty": hints[table]}
                yield dg.MaterializeResult(asset_key=graph.key(table), metadata=metadata)

    return _sweep


def _telemetry(client: dict[str, float | int], seconds: float) -> dict[str, float | int]:
    """The sweep's own numbers, shared by its tables: the client's counters (requests, pages, waits;
    its record count is the tables' ``rows_received``) and how long it took."""
    numbers = {k.removeprefix("zendesk_"): v for k, v in client.items() if k != "zendesk_rows"}
    return {**numbers, "seconds": round(seconds, 3)}


@dataclass
class MonthlyStats:
    """What each committed batch did, added up per partition (the month its records fall in)."""

    months: dict[str, dict[str, TableStats]] = field(default_factory=dict)

    def add(self, batch: Batch, deltas: Mapping[str, TableStats]) -> None:
        if batch.partition is None:
            return
        month = self.months.setdefault(batch.partition, {})
        for table, delta in deltas.items():
            month.setdefault(table, TableStats()).add(delta)

    def of(self, partition: str, table: str) -> TableStats:
        return self.months.get(partition, {}).get(table, TableStats())


def _report_partitions(
    context: dg.AssetExecutionContext,
    graph: AccountGraph,
    partitions: dg.MonthlyPartitionsDefinition,
    warehouse: Warehouse,
    tables: Sequence[str],
    months: MonthlyStats,
) -> None:
    """Each partition's own numbers: the rows of that month now in the warehouse, and what this run
    wrote to it. They override the run's totals on that partition's materialization (a range run
    records one materialization per partition; Dagster merges partition-scoped metadata last)."""
    keys = context.partition_keys
    windows = {key: partition_window(partitions, key) for key in keys}
    counts = warehouse.reading(lambda reader: {table: reader.partition_counts(table, windows) for table in tables})
    for table in tables:
        for key in keys:
            context.add_asset_metadata(
                {"dagster/partition_row_count": counts[table][key], **row_metadata(months.of(key, table))},
                asset_key=graph.key(table),
                partition_key=key,
            )


def _plan_gated(
    batches: Iterator[Batch], client: ZendeskClient, sweep: Sweep, telemetry: dict[str, float | int]
) -> Iterator[Batch]:
    """A plan-gated sweep whose first read finds the endpoint gone (the plan changed since it was
    probed) stores nothing and says so, as a probe's "unavailable" would; later errors are errors."""
    first = True
    try:
        for batch in batches:
            first = False
            yield batch
    except ZendeskError as exc:
        if not first or not means_unavailable(exc):
            raise
        remember_unavailable(client, sweep.endpoint)
        telemetry["unavailable"] = 1


def _unavailable(account: AccountConfig, sweep: Sweep, tables: tuple[str, ...]) -> str:
    silence = " Remove it from ZENDESK_OPT_IN to silence this." if all(COLLECTIONS[t].opt_in for t in tables) else ""
    return (
        f"{account.name}: {', '.join(tables)} is not available on this Zendesk plan ({sweep.plan} only); "
        f"nothing to sync.{silence}"
    )


def account_assets(graph: AccountGraph) -> list[dg.AssetsDefinition]:
    return [sweep_assets(graph, sweep) for sweep in SWEEPS.values()]
