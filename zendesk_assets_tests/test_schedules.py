"""The three-hour schedule: at any instant (month boundaries included) its run requests cover every
enabled asset once, and the partition range reaches from twelve months back through the partition
holding the previous tick, so no window since the previous run is left out; a tick leaves out the
sweeps in-progress runs hold, and skips with their names when it would request nothing."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.test_utils import create_run_for_test

from zendesk_assets.collections import COLLECTIONS, OPT_IN, SWEEPS
from zendesk_assets.config import AccountConfig
from zendesk_assets.definitions import build_definitions
from zendesk_assets.partitions import monthly_partitions
from zendesk_assets.schedules import run_requests
from zendesk_assets.translator import asset_key
from zendesk_assets.zendesk.settings import OAuthToken

INSTANTS = [
    datetime(2026, 12, 1, 0, 0, tzinfo=UTC),  # 00:00 on the first of a month
    datetime(2027, 1, 1, 0, 0, tzinfo=UTC),  # and of a year
    datetime(2026, 11, 27, 15, 0, tzinfo=UTC),
    datetime(2024, 3, 1, 3, 0, tzinfo=UTC),  # shortly after the configured start: fewer than 12 months exist
]


def _account(**kw: object) -> AccountConfig:
    return AccountConfig(name="acme", subdomain="acme", schema_name="acme", start_date=date(2024, 1, 1), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("when", INSTANTS, ids=lambda d: d.isoformat())
def test_run_requests_cover_every_enabled_asset_and_every_window_since_the_previous_tick(
    when: datetime,
) -> None:
    account = _account()
    requests = run_requests(account, when)
    selected = [k for r in requests for k in (r.asset_selection or [])]
    expected = {asset_key(account, c) for c in COLLECTIONS if c not in OPT_IN}
    assert sorted(selected, key=str) == sorted(expected, key=str)  # each exactly once

    (history,) = [r for r in requests if ASSET_PARTITION_RANGE_START_TAG in r.tags]
    partitions = monthly_partitions(account)
    start = partitions.time_window_for_partition_key(history.tags[ASSET_PARTITION_RANGE_START_TAG]).start
    end = partitions.time_window_for_partition_key(history.tags[ASSET_PARTITION_RANGE_END_TAG]).end
    previous_tick = when - timedelta(hours=3)
    assert start <= max(previous_tick, datetime(2024, 1, 1, tzinfo=UTC)) and when < end
    twelve_months_back = date(when.year - 1, when.month, 1)
    assert start.date() <= max(twelve_months_back, date(2024, 1, 1))


def test_opt_ins_are_scheduled_only_when_configured() -> None:
    when = INSTANTS[0]
    plain = {k for r in run_requests(_account(), when) for k in r.asset_selection or []}
    opted = {
        k for r in run_requests(_account(opt_in=frozenset(OPT_IN)), when) for k in r.asset_selection or []
    }
    assert opted - plain == {asset_key(_account(), t) for t in OPT_IN}


def test_since_widens_the_range_back_to_that_month() -> None:
    (history,) = [
        r
        for r in run_requests(_account(), INSTANTS[0], since=date(2024, 5, 17))
        if r.tags.get("zendesk/part") == "history"
    ]
    assert history.tags[ASSET_PARTITION_RANGE_START_TAG] == "2024-05-01"
    assert history.tags[ASSET_PARTITION_RANGE_END_TAG] == "2026-12-01"


def _evaluate(instance: dg.DagsterInstance, account: AccountConfig, when: datetime) -> Any:
    defs = build_definitions([account.model_copy(update={"auth": OAuthToken(token="not-used")})])
    schedule = defs.get_schedule_def(f"{account.name}_every_3_hours")
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
        return schedule.evaluate_tick(context)


def _selected_sweeps(requests: Any) -> set[str]:
    return {COLLECTIONS[k.path[1]].sweep for r in requests for k in r.asset_selection or []}


def test_a_tick_requests_only_the_sweeps_no_run_in_progress_holds() -> None:
    account = _account(opt_in=frozenset(OPT_IN))
    when = INSTANTS[2]
    with dg.instance_for_test() as instance:
        everything = _selected_sweeps(_evaluate(instance, account, when).run_requests)
        assert everything == set(SWEEPS)
        # a backfill of the tickets sweep, not started yet, and a manual run of groups, started
        create_run_for_test(
            instance, job_name="__ASSET_JOB", status=dg.DagsterRunStatus.NOT_STARTED,
            asset_selection=frozenset({asset_key(account, "ticket_metrics")}),
        )
        create_run_for_test(
            instance, job_name="__ASSET_JOB", status=dg.DagsterRunStatus.STARTED,
            asset_selection=frozenset({asset_key(account, "groups")}),
        )
        # ended runs and other accounts' runs hold nothing
        create_run_for_test(
            instance, job_name="__ASSET_JOB", status=dg.DagsterRunStatus.SUCCESS,
            asset_selection=frozenset({asset_key(account, "users")}),
        )
        create_run_for_test(
            instance, job_name="__ASSET_JOB", status=dg.DagsterRunStatus.STARTED,
            asset_selection=frozenset({dg.AssetKey(["globex", "users"])}),
        )
        result = _evaluate(instance, account, when)
        assert result.skip_message is None
        assert _selected_sweeps(result.run_requests) == set(SWEEPS) - {"tickets", "groups"}


def test_a_tick_skips_naming_the_sweeps_when_every_one_is_still_running() -> None:
    account = _account()
    with dg.instance_for_test() as instance:
        run = create_run_for_test(instance, job_name="acme_sync", status=dg.DagsterRunStatus.STARTED)
        result = _evaluate(instance, account, INSTANTS[2])
        assert not result.run_requests
        assert result.skip_message is not None
        assert "still running" in result.skip_message and run.run_id[:8] in result.skip_message
        assert all(sweep in result.skip_message for sweep in SWEEPS)


def test_every_sweep_claims_its_own_pool_per_account() -> None:
    acme, globex = _account(), AccountConfig(
        name="globex", subdomain="globex", schema_name="globex", start_date=date(2024, 1, 1)
    )
    accounts = [a.model_copy(update={"auth": OAuthToken(token="not-used")}) for a in (acme, globex)]
    sweeps = [a for a in build_definitions(accounts).assets or [] if isinstance(a, dg.AssetsDefinition)]
    pools = [a.op.pool for a in sweeps]  # the endpoints are external AssetSpecs, run by nobody
    assert len(pools) == 2 * len(SWEEPS) == len(set(pools))
    assert all(isinstance(p, str) and p.startswith("zendesk/") for p in pools)


def test_the_two_requests_of_a_tick_read_apart() -> None:
    """The tick preview and the run list show run keys and tags: current and history differ at a glance."""
    current, history = run_requests(_account(), INSTANTS[0])
    assert current.run_key and current.run_key.startswith("current tables of acme at ")
    assert history.run_key and history.run_key.startswith("history ") and ".." in history.run_key
    assert (current.tags["zendesk/part"], history.tags["zendesk/part"]) == ("current", "history")
