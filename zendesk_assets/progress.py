"""Live progress of the sweeps running in this process, for `zendesk-assets sync`'s view.

The asset wraps its stream with `observe`, which counts pages and rows as the warehouse drains
them and keeps the client's telemetry (requests, waits, retries) at hand. The CLI runs its runs in
process and reads `BOARD` a few times a second; anywhere else nobody reads it and it costs a
counter per page. The Dagster UI keeps its own progress lines (the sweeps log them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from zendesk_assets.batches import Batch


@dataclass
class SweepProgress:
    """How far one sweep of one account has got."""

    account: str
    sweep: str
    state: str = "running"  # running | done | failed | not on this plan
    pages: int = 0
    rows: int = 0
    first: int | None = None  # epoch where the first window began
    position: int | None = None  # epoch the last committed page reached
    target: int | None = None  # epoch the window ends at; at the live edge, Zendesk's now
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    telemetry: Any = None  # the client's Telemetry: requests, wait_seconds, retries, throttled_429

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def waited(self) -> float:
        return float(getattr(self.telemetry, "wait_seconds", 0.0) or 0.0)

    def eta_seconds(self) -> float | None:
        """Time left at the pace so far, from how much of the change-time window is behind us."""
        if self.state != "running" or self.position is None or self.first is None:
            return None
        target = self.target or self.position
        done, todo = self.position - self.first, target - self.position
        if done <= 0 or todo <= 0:
            return None
        return self.elapsed * todo / done


BOARD: dict[tuple[str, str], SweepProgress] = {}
_lock = threading.Lock()


def observe(
    account: str, sweep: str, client: Any, batches: Iterator[Batch], ended: Callable[[], str | None] | None = None
) -> Iterator[Batch]:
    """Pass the batches through, recording progress on the board; ``ended`` may name a state other
    than "done" for a stream that ended normally (a sweep that found its endpoint off the plan)."""
    entry = SweepProgress(account, sweep, telemetry=getattr(client, "telemetry", None))
    with _lock:
        BOARD[(account, sweep)] = entry
    try:
        for batch in batches:
            entry.pages += 1
            entry.rows += sum(len(rows) for rows in batch.rows.values())
            cp = batch.checkpoint
            if cp is not None and cp.position:
                if entry.first is None:
                    entry.first = cp.window_start or cp.position
                # The live edge is Zendesk's now (its Date header), not ours: positions are Zendesk's times.
                clock = getattr(client, "clock", None)
                entry.position, entry.target = cp.position, cp.window_end or (clock.now() if clock else None)
            yield batch
        entry.state = (ended() if ended else None) or "done"
    except GeneratorExit:
        entry.state = "done"
        raise
    except BaseException:
        entry.state = "failed"
        raise
    finally:
        entry.finished = time.monotonic()


def snapshot() -> list[SweepProgress]:
    with _lock:
        return list(BOARD.values())
