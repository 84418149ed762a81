"""Bounded patience: an account that keeps failing ends requests within one budget for all sweeps.

Contract: failures (network errors, 5xx) are retried until the account has been failing for
`patience_seconds`; the streak lives in the state store, so a second client (another sweep or
process) that meets the same failing account gives up after its first attempt; a success ends the
streak for everyone; 429s and Retry-After waits never count.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from zendesk_assets.zendesk.auth import BearerTokenAuth
from zendesk_assets.zendesk.client import ClientSettings, ZendeskClient, make_http_client
from zendesk_assets.zendesk.errors import ZendeskRequestError
from zendesk_assets.zendesk.patience import STREAK_GAP_SECONDS, Patience
from zendesk_assets.zendesk.state import StateStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_streak_is_shared_and_a_success_ends_it(tmp_path: Path) -> None:
    store, clock = StateStore(f"sqlite:///{tmp_path}/s.sqlite"), Clock()
    first, second = Patience(store, "acme", 60, clock), Patience(store, "acme", 60, clock)
    assert first.failed() is False
    clock.now += 61
    assert first.failed() is True  # failing for longer than the budget
    assert second.failed() is True  # a newcomer meets the same streak: no minute of its own
    assert Patience(store, "other", 60, clock).failed() is False  # accounts never share a streak
    first.ok()
    assert second.failed() is False  # the success ended the streak for everyone
    clock.now += STREAK_GAP_SECONDS + 1
    assert Patience(store, "acme", 60, clock).failed() is False  # an old streak is over by itself


def test_a_client_that_succeeded_counts_from_its_own_success(tmp_path: Path) -> None:
    store, clock = StateStore(f"sqlite:///{tmp_path}/s.sqlite"), Clock()
    failing, healthy = Patience(store, "acme", 60, clock), Patience(store, "acme", 60, clock)
    failing.failed()
    clock.now += 50
    healthy._last_ok = clock.now  # its requests went through a moment ago
    failing._since = None  # (it never succeeded)
    clock.now += 20
    assert failing.failed() is True
    assert healthy.failed() is False and healthy.remaining() == pytest.approx(40)


def _client(tmp_path: Path, handler: httpx.MockTransport, patience: float) -> ZendeskClient:
    settings = ClientSettings(account="acme", origin="https://acme.zendesk.com", state_url=f"sqlite:///{tmp_path}/s.sqlite",
                              core_requests_per_minute=60_000, patience_seconds=patience, backoff_initial=0.05,
                              backoff_max=0.1, max_retries=1000)
    return ZendeskClient(settings, BearerTokenAuth("tok"), http=make_http_client(5, handler))


def test_a_5xx_storm_ends_within_the_budget_and_the_next_sweep_gives_up_at_once(tmp_path: Path) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(500, json={"error": "boom"})

    started = time.monotonic()
    with _client(tmp_path, httpx.MockTransport(handler), 1.0) as client, \
            pytest.raises(ZendeskRequestError, match=r"GET /api/v2/groups kept failing \(500 Internal Server Error\) for 1 s"):
        client.get_json("/groups")
    assert 1.0 <= time.monotonic() - started < 3.0
    assert len(calls) > 3  # it did retry, with back-off, until the budget was spent
    calls.clear()
    with _client(tmp_path, httpx.MockTransport(handler), 1.0) as other, pytest.raises(ZendeskRequestError):
        other.get_json("/users")
    assert calls == ["/api/v2/users"]  # the account is known to be failing: one attempt, no new minute


def test_retry_after_waits_do_not_spend_the_budget(tmp_path: Path) -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "1"}, json={})] * 2 + [httpx.Response(200, json={"ok": 1})]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    with _client(tmp_path, httpx.MockTransport(handler), 0.5) as client:
        assert client.get_json("/groups") == {"ok": 1}  # 2 s of Retry-After against a 0.5 s budget
