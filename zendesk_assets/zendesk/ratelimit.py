"""Pacing: one GCRA limiter per (account, budget), shared by every process through the state store.

Why hand-written: the libraries we could use (tenacity, httpx transports) retry after a 429; none paces
ahead of it across processes. GCRA fits a database row exactly: its whole state is one timestamp, the
"theoretical arrival time" (TAT) of the next request. Reserving a slot is one locked read-modify-write
(`slot = max(tat, now)`, `tat = slot + interval`), then the caller sleeps until its slot. That spaces the
requests of all processes evenly, with no burst, so a budget of N/min is used at `utilisation * N` and
never exceeded whatever the server's window (fixed or sliding). Zendesk's headers and Retry-After only
ever push the TAT later (`push_back` / `slow_down`), so every process on the account backs off together.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping

import sqlalchemy as sa

from .state import StateStore, limiter_table

log = logging.getLogger("zendesk_assets.zendesk")


class RateLimiter:
    """Even spacing of requests against one budget (core or incremental) of one Zendesk account."""

    def __init__(
        self,
        store: StateStore,
        account: str,
        budget: str,
        requests_per_minute: float,
        *,
        period_seconds: float = 60.0,
        utilisation: float = 0.95,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError(f"requests_per_minute must be positive for the {budget} budget")
        self.store = store
        self.account = account
        self.budget = budget
        self.key = f"{account}:{budget}"
        self.requests_per_minute = requests_per_minute
        self.period_seconds = period_seconds
        # Zendesk shares the budget with every app on the account and may throttle spikes: aim a little
        # under the configured figure so timing jitter between processes never crosses it.
        self.interval = period_seconds / (requests_per_minute * utilisation)
        self.clock = clock

    def reserve(self) -> float:
        """Claim the next free slot for this account's budget; return its wall-clock time."""
        with self.store.locked_row(limiter_table, self.key, {"tat": 0.0}) as (conn, row):
            now = self.clock()
            slot = max(float(row.tat), now)
            conn.execute(
                sa.update(limiter_table).where(limiter_table.c.key == self.key).values(tat=slot + self.interval)
            )
        return slot

    def push_back(self, until: float) -> None:
        """Nobody on this account sends against this budget before `until` (Retry-After, window reset)."""
        with self.store.locked_row(limiter_table, self.key, {"tat": 0.0}) as (conn, row):
            if float(row.tat) < until:
                conn.execute(sa.update(limiter_table).where(limiter_table.c.key == self.key).values(tat=until))

    def slow_down(self, extra_seconds: float) -> None:
        """Delay the whole queue by `extra_seconds` (the budget is nearly spent by someone else)."""
        with self.store.locked_row(limiter_table, self.key, {"tat": 0.0}) as (conn, row):
            tat = max(float(row.tat), self.clock()) + extra_seconds
            conn.execute(sa.update(limiter_table).where(limiter_table.c.key == self.key).values(tat=tat))

    def observe(self, remaining: int | None, reset_seconds: float | None, limit: int | None = None) -> None:
        """Adapt to Zendesk's view of the shared budget after a response.

        Zendesk's window is fixed (`ratelimit-reset` = seconds until it resets), so `remaining / reset`
        is the rate we may still use; when other apps spend the budget it falls below our pace and we
        stretch the queue to match. Alone, our pace (utilisation < 1) never triggers this. Close to
        empty we slow down one extra interval per response whatever the window kind.
        """
        if remaining is None:
            return
        now = self.clock()
        if remaining <= 0:
            self.push_back(now + max(reset_seconds or 1.0, 1.0))
            return
        if reset_seconds is not None and 0 < reset_seconds <= self.period_seconds:
            sustainable_interval = reset_seconds / remaining
            if sustainable_interval > self.interval * 1.05:
                self.push_back(now + sustainable_interval)
                return
        reserve = max(1, math.ceil(0.03 * (limit or self.requests_per_minute)))
        if remaining <= reserve:
            self.slow_down(self.interval)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def _parse_bucket(value: str) -> dict[str, str]:
    # "total=10; remaining=9; resets=6"
    out: dict[str, str] = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip().lower()] = v.strip()
    return out


def parse_rate_headers(headers: Mapping[str, str], budget: str) -> tuple[int | None, float | None, int | None]:
    """(remaining, reset seconds, limit) for `budget` from Zendesk's headers, None where absent.

    Core budget: `X-Rate-Limit-Remaining` / `ratelimit-remaining`, `ratelimit-reset`, `X-Rate-Limit`.
    Incremental exports: `zendesk-ratelimit-incremental-exports: total=10; remaining=9; resets=6`.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    if budget == "incremental":
        raw = lower.get("zendesk-ratelimit-incremental-exports")
        if raw is None:
            return None, None, None
        bucket = _parse_bucket(raw)
        reset = _int(bucket.get("resets"))
        return _int(bucket.get("remaining")), float(reset) if reset is not None else None, _int(bucket.get("total"))
    remaining = _int(lower.get("ratelimit-remaining") or lower.get("x-rate-limit-remaining"))
    reset = _int(lower.get("ratelimit-reset"))
    limit = _int(lower.get("ratelimit-limit") or lower.get("x-rate-limit"))
    return remaining, float(reset) if reset is not None else None, limit


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (Zendesk sends integer seconds); None when absent or odd."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)
