"""Half-open windows of change time, in epoch seconds, and the arithmetic on them.

A ``Window`` is ``[start, end)``; ``end`` None is the live edge, open-ended. Sweeps plan their reads
with it (what a run must read is the requested window minus what is stored), the checks compare it
(what Dagster records as materialized minus what is stored) and the partitions translate a range of
months into one. Half-open windows meet without overlap, so a change at 23:59:59 on the last day of
a month belongs to exactly one month.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in epoch seconds; ``end`` None reaches the live edge."""

    start: int
    end: int | None = None

    @property
    def empty(self) -> bool:
        return self.end is not None and self.end <= self.start

    def overlaps(self, other: Window) -> bool:
        return (other.end is None or self.start < other.end) and (self.end is None or self.end > other.start)

    def __str__(self) -> str:
        return f"{moment(self.start)} -> {moment(self.end)}"


def month_key(ts: int) -> str:
    """The monthly partition an epoch second falls in, as Dagster names it (``2024-06-01``)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-01")


def moment(ts: int | None) -> str:
    """An epoch second for people (UTC); None is the live edge."""
    if ts is None:
        return "live edge"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _end(window: Window) -> float:
    return float("inf") if window.end is None else window.end


def merge(windows: Iterable[Window]) -> list[Window]:
    """Sorted, disjoint windows covering exactly what ``windows`` cover (empty ones dropped)."""
    merged: list[Window] = []
    for window in sorted((w for w in windows if not w.empty), key=lambda w: w.start):
        if merged and window.start <= _end(merged[-1]):
            last = merged[-1]
            reach = None if last.end is None or window.end is None else max(last.end, window.end)
            merged[-1] = Window(last.start, reach)
        else:
            merged.append(window)
    return merged


def subtract(windows: Iterable[Window], minus: Iterable[Window]) -> list[Window]:
    """The parts of ``windows`` that no window of ``minus`` covers, sorted and disjoint."""
    holes = merge(minus)
    out: list[Window] = []
    for window in merge(windows):
        cursor: int | None = window.start
        for hole in holes:
            if cursor is None or _end(hole) <= cursor or hole.start >= _end(window):
                continue
            if hole.start > cursor:
                out.append(Window(cursor, hole.start))
            cursor = None if hole.end is None else max(cursor, hole.end)
        if cursor is not None and cursor < _end(window):
            out.append(Window(cursor, window.end))
    return out
