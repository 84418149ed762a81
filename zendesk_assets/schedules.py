"""Every three hours, per account: what to materialize and over which partition range.

A plain schedule over partitioned and unpartitioned assets together fails (no partition key),
so the schedule emits the run requests itself: one for the unpartitioned assets, and one
partition-range request (a single run, thanks to ``BackfillPolicy.single_run()``) covering the
last twelve months for the partitioned ones. Opt-in collections are skipped unless configured.
The same function serves ``zendesk-assets sync``, so the CLI runs exactly what the schedule would.
A tick leaves out the sweeps that in-progress runs still hold (a first sync of a big account lasts
longer than three hours), and skips with the reason when all of them are held (concurrency.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.concurrency import busy_sweeps, describe
from zendesk_assets.config import AccountConfig
from zendesk_assets.partitions import default_range, monthly_partitions
from zendesk_assets.translator import AccountGraph

CRON = "0 */3 * * *"


def job_name(account: AccountConfig) -> str:
    return f"{account.name}_sync"


def sync_job(graph: AccountGraph) -> dg.UnresolvedAssetJobDefinition:
    """Every table of the account, whatever keys and groups the translator gave them (the external
    endpoint assets are not part of it: nothing materializes them)."""
    account = graph.account
    return dg.define_asset_job(
        job_name(account),
        selection=dg.AssetSelection.assets(*(spec.key for spec in graph.specs.values())),
        description=f"Sync Zendesk account {account.name} into schema {account.schema_name}.",
        tags={"zendesk/account": account.name},
    )


def enabled_tables(account: AccountConfig, partitioned: bool, busy: Collection[str] = ()) -> list[str]:
    return [
        c.name
        for c in COLLECTIONS.values()
        if SWEEPS[c.sweep].partitioned == partitioned and account.enabled(c.name) and c.sweep not in busy
    ]


def run_requests(
    account: AccountConfig,
    when: datetime,
    since: date | None = None,
    busy: Collection[str] = (),
    graph: AccountGraph | None = None,
) -> list[dg.RunRequest]:
    """The runs that bring the account up to date at ``when`` (``since`` widens the history),
    leaving out the ``busy`` sweeps, for the assets as ``graph`` keys them (the default
    translator's keys unless given)."""
    graph = graph or AccountGraph.build(account)
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M")
    requests: list[dg.RunRequest] = []
    current = enabled_tables(account, partitioned=False, busy=busy)
    if current:
        requests.append(
            dg.RunRequest(
                # the part first: the tick preview and the run list show run keys and tags, so the
                # two requests of a tick read apart at a glance
                run_key=f"current tables of {account.name} at {stamp}",
                asset_selection=[graph.key(t) for t in current],
                tags={"zendesk/account": account.name, "zendesk/part": "current"},
            )
        )
    history = enabled_tables(account, partitioned=True, busy=busy)
    key_range = default_range(monthly_partitions(account), account.history_months, when, since)
    if history and key_range is not None:
        requests.append(
            dg.RunRequest(
                run_key=f"history {key_range.start}..{key_range.end} of {account.name} at {stamp}",
                asset_selection=[graph.key(t) for t in history],
                tags={
                    "zendesk/account": account.name,
                    "zendesk/part": "history",
                    ASSET_PARTITION_RANGE_START_TAG: key_range.start,
                    ASSET_PARTITION_RANGE_END_TAG: key_range.end,
                },
            )
        )
    return requests


def sync_schedule(graph: AccountGraph, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    account = graph.account
    tables = {graph.key(table): table for table in graph.specs}  # the account's keys, as the translator made them

    @dg.schedule(
        name=f"{account.name}_every_3_hours",
        cron_schedule=CRON,
        job=job,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Brings every enabled table up to date; the partitioned ones over the last twelve months.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> Sequence[dg.RunRequest] | dg.SkipReason:
        when = context.scheduled_execution_time or datetime.now(UTC)
        busy = busy_sweeps(context.instance, tables, job.name)
        requests = run_requests(account, when, busy=busy, graph=graph)
        if busy and not requests:
            return dg.SkipReason(
                f"{account.name}: every enabled sweep is still running from an earlier run: {describe(busy)}; "
                "the first tick after they end syncs them"
            )
        if busy:
            context.log.info(f"{account.name}: left out, still running from an earlier run: {describe(busy)}")
        return requests

    return _schedule
