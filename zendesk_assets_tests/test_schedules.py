"""The three-hour schedule: at any instant (month boundaries included) its run requests cover every
enabled asset once, and the partition range reaches from twelve months back through the partition
holding the previous tick, so no window since the previous run is left out."""

from datetime import UTC, date, datetime, timedelta

import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from zendesk_assets.assets import asset_key
from zendesk_assets.collections import COLLECTIONS, OPT_IN
from zendesk_assets.config import AccountConfig
from zendesk_assets.partitions import monthly_partitions
from zendesk_assets.schedules import run_requests

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
