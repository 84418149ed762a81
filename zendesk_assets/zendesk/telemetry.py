"""Per-sweep counters, surfaced as Dagster output metadata so a slow or throttled sync explains itself."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, fields


@dataclass
class Telemetry:
    """Counters for one client (one sweep): how much was fetched and what it cost in waiting."""

    requests: int = 0
    pages: int = 0
    rows: int = 0
    throttled_429: int = 0
    wait_seconds: float = 0.0
    retries: int = 0
    page_size_reductions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, amount: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def as_metadata(self) -> dict[str, float | int]:
        """Flat numbers for `MaterializeResult(metadata=...)`, prefixed so they group together in the UI."""
        out: dict[str, float | int] = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            out[f"zendesk_{f.name}"] = round(value, 3) if isinstance(value, float) else value
        return out


def heartbeat(log: logging.Logger, *, account: str, waited: float, remaining: float, reason: str) -> None:
    """One log line during a long wait, so an operator sees why a run sits idle."""
    log.info(
        "zendesk[%s]: waiting for %s; %.0fs waited, about %.0fs to go",
        account,
        reason,
        waited,
        remaining,
    )
