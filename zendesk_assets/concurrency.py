"""At most one run per account and sweep at a time.

Two sweeps of the same export over the same windows would read Zendesk twice inside one rate budget
and race on the same checkpoints; a first sync of a big account outlasts the three-hour period, so
the next tick would do exactly that. Dagster enforces the rule itself: every sweep's multi-asset
claims its own concurrency pool (``pool_name``), and the instance gives each pool one slot
(``concurrency: pools: default_limit: 1`` in dagster.yaml), so a second run of a sweep, launched
by hand, by a backfill or by the schedule, waits in the queue until the first ends. The schedule
also asks the instance which sweeps in-progress runs hold (``busy_sweeps``) and requests only the
idle ones, so its ticks never pile up behind a long sync.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.config import AccountConfig

# Every status of a run that has not ended: queued runs hold their sweeps too (they will run them).
IN_PROGRESS = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


def pool_name(account: AccountConfig, sweep: str) -> str:
    """The Dagster concurrency pool of one account's sweep (pool names are any non-blank string)."""
    return f"zendesk/{account.name}/{sweep}"


def sweeps_of_run(run: dg.DagsterRun, tables: Mapping[dg.AssetKey, str], account_job: str) -> set[str]:
    """The account's sweeps a run executes: from its asset selection (``tables``: the account's asset
    keys, as its translator made them), or all of them when it runs a whole job that holds the
    account's assets (no selection recorded)."""
    if run.asset_selection is None:
        whole = run.job_name == account_job or run.job_name.startswith("__ASSET_JOB")
        return set(SWEEPS) if whole else set()
    return {COLLECTIONS[tables[key]].sweep for key in run.asset_selection if key in tables}


def busy_sweeps(
    instance: dg.DagsterInstance, tables: Mapping[dg.AssetKey, str], account_job: str
) -> Mapping[str, str]:
    """Sweep -> id of an in-progress run that holds it, for one account."""
    busy: dict[str, str] = {}
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(IN_PROGRESS))):
        for sweep in sweeps_of_run(run, tables, account_job):
            busy.setdefault(sweep, run.run_id)
    return busy


def describe(busy: Mapping[str, str]) -> str:
    """The held sweeps and the runs holding them, for a tick's skip reason or log line."""
    return ", ".join(f"{sweep} (run {run_id[:8]})" for sweep, run_id in sorted(busy.items()))
