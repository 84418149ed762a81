"""How long an account may keep failing before requests stop retrying, shared by every process.

Each request retries network errors and 5xx with back-off, but an unreachable or broken Zendesk
must end a run within one overall budget, not one budget per sweep and per request. The failure
streak (when it began, when it was last seen) lives in the state store, so a sweep that starts
while the account is already failing gives up at once instead of waiting its own minute. A
success ends the streak. 429s and Retry-After waits are Zendesk asking for time: they never count.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from .state import StateStore

# Failures further apart than this are separate streaks (the longest back-off sleep is shorter).
STREAK_GAP_SECONDS = 90.0


class Patience:
    def __init__(
        self, store: StateStore, account: str, seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.seconds = seconds
        self.key = f"failing:{account}"
        self._clock = clock
        self._since: float | None = None  # start of the streak as this client counts it
        self._last_ok: float | None = None

    def ok(self) -> None:
        """A request succeeded: the streak (if this client saw one) is over for every process."""
        self._last_ok = self._clock()
        if self._since is not None:
            self._since = None
            self.store.drop_flag(self.key)

    def failed(self) -> bool:
        """Record a failure; True when the streak has outlasted the budget."""
        now = self._clock()
        shared = self.store.get_flag(self.key)
        since = now
        if shared is not None:
            streak = json.loads(shared)
            if now - float(streak["last"]) <= STREAK_GAP_SECONDS:
                since = float(streak["since"])
        self.store.put_flag(self.key, json.dumps({"since": since, "last": now}), STREAK_GAP_SECONDS)
        # A client that succeeded since the streak began counts from its own last success.
        self._since = max(since, self._last_ok or since)
        return self.elapsed() >= self.seconds

    def elapsed(self) -> float:
        return 0.0 if self._since is None else self._clock() - self._since

    def remaining(self) -> float:
        return max(0.0, self.seconds - self.elapsed())
