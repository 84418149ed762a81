"""Monthly partitions of the tickets and ticket_events sweeps, and the windows they stand for.

A partition is a month of *change time*: a ticket belongs to the month of its latest
``generated_timestamp`` (the export's order), an event to the month of its ``timestamp``.
Windows are half-open, so an update at 23:59:59 on the last day of a month falls in exactly one.
The current month is a partition too (``end_offset=1``) and is the live edge: its window is
open-ended and resumes from the stored export cursor every three hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg

from zendesk_assets.config import AccountConfig
from zendesk_assets.windows import Window


def monthly_partitions(account: AccountConfig) -> dg.MonthlyPartitionsDefinition:
    """Fixed start (from configuration), never computed from today."""
    return dg.MonthlyPartitionsDefinition(
        start_date=account.start_date.replace(day=1).isoformat(), end_offset=1, timezone="UTC"
    )


def window_for(start: datetime, end: datetime, now: datetime | None = None) -> Window:
    """A partition range's window; a range reaching the current month stays open-ended."""
    now = now or datetime.now(UTC)
    end_ts = int(end.timestamp())
    return Window(int(start.timestamp()), None if end_ts > now.timestamp() else end_ts)


def partition_window(partitions: dg.MonthlyPartitionsDefinition, key: str) -> Window:
    """The closed window one monthly partition stands for."""
    tw = partitions.time_window_for_partition_key(key)
    return Window(int(tw.start.timestamp()), int(tw.end.timestamp()))


def default_range(
    partitions: dg.MonthlyPartitionsDefinition, history_months: int, now: datetime, since: date | None = None
) -> dg.PartitionKeyRange | None:
    """The partitions a scheduled run covers: the last ``history_months`` months up to now.

    ``since`` widens the range back to that date (a headless backfill by partition range).
    """
    keys = partitions.get_partition_keys(current_time=now)
    if not keys:
        return None
    first_month = _months_back(now.date().replace(day=1), history_months)  # covers now minus a year
    if since is not None:
        first_month = min(first_month, since.replace(day=1))
    eligible = [k for k in keys if date.fromisoformat(k) >= first_month] or keys[-1:]
    return dg.PartitionKeyRange(eligible[0], eligible[-1])


def _months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)
