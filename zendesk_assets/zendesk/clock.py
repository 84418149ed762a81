"""Zendesk's clock, as its responses tell it: the sync never decides a window end by our own clock.

Every window end, high-water mark and "too recent" decision of a sweep is compared with timestamps
Zendesk wrote (``created_at``, ``generated_timestamp``, export ``end_time``). A host whose clock runs
three hours ahead or behind Zendesk's would end windows in Zendesk's future (rows wait) or past
(rows fall behind the look-back and are lost), so those decisions use the time Zendesk states in
each response's ``Date`` header (RFC 9110 section 6.6.1: the origin server's clock when it made the
response). Between responses the reading is carried forward on the host's *monotonic* clock, which
measures a duration and never the time of day.

A reading can be handed to another client of the same run (``reading``/``adopt``): the preflight's
``/users/me`` states the time once, and the sweeps after it need not each ask again. The monotonic
clock is shared by the processes of one machine since it booted, so a reading is taken only where
the boot id matches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@cache
def boot_id() -> str | None:
    """This machine's boot, where the kernel says (Linux); None elsewhere: readings stay in their process."""
    try:
        return BOOT_ID.read_text().strip() or None
    except OSError:
        return None


class ZendeskClock:
    """The latest time Zendesk stated, carried forward by the monotonic clock until the next one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stated: int | None = None
        self._at = 0.0

    def observe(self, date_header: str | None) -> None:
        """Take the ``Date`` of a response (ignored when absent or unreadable)."""
        if not date_header:
            return
        try:
            stated = int(parsedate_to_datetime(date_header).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        with self._lock:
            self._stated, self._at = stated, time.monotonic()

    def now(self) -> int | None:
        """Zendesk's current time in epoch seconds, or None before any response was seen."""
        with self._lock:
            if self._stated is None:
                return None
            return self._stated + int(time.monotonic() - self._at)

    def reading(self) -> dict[str, Any] | None:
        """The latest statement with the monotonic time it was seen at, for ``adopt`` elsewhere."""
        with self._lock:
            if self._stated is None:
                return None
            return {"stated": self._stated, "monotonic": self._at, "boot": boot_id()}

    def adopt(self, reading: Mapping[str, Any] | None) -> bool:
        """Start from another client's reading when this one has seen no response yet; only a reading
        from this boot (same monotonic clock) and from the past of that clock is taken."""
        if not reading or reading.get("boot") is None or reading.get("boot") != boot_id():
            return False
        try:
            stated, at = int(reading["stated"]), float(reading["monotonic"])
        except (KeyError, TypeError, ValueError):
            return False
        with self._lock:
            if self._stated is not None or at > time.monotonic():
                return False
            self._stated, self._at = stated, at
        return True
