"""The shared limiter and token store work across processes and threads, not just within one.

Contract: several processes pacing against one account through the state store together send at
most the budget in any window (here a scaled-down 5 s window so the test is quick; the emulator test
in test_zendesk_pacing.py measures the real 60 s one, with the SQLite store), and still use most of it; concurrent token
renewals of one account perform exactly one grant (Zendesk rotates refresh tokens).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from zendesk_assets.zendesk.auth import ClientCredentialsAuth
from zendesk_assets.zendesk.client import make_http_client
from zendesk_assets.zendesk.ratelimit import RateLimiter, parse_rate_headers
from zendesk_assets.zendesk.state import StateStore

ROOT = Path(__file__).resolve().parents[1]

# One process: a ZendeskClient over a MockTransport that stamps each request's send time.
WORKER = r"""
import json, sys, time
import httpx
from zendesk_assets.zendesk.auth import BearerTokenAuth
from zendesk_assets.zendesk.client import ClientSettings, ZendeskClient, make_http_client
state_url = sys.argv[1]
sent = []
def handler(request):
    sent.append(time.time())
    return httpx.Response(200, json={"ok": True})
settings = ClientSettings(account="acme", origin="https://acme.zendesk.com", core_requests_per_minute=60,
                          period_seconds=5.0, state_url=state_url)
client = ZendeskClient(settings, BearerTokenAuth("t"), http=make_http_client(5, httpx.MockTransport(handler)))
print("ready", flush=True)
start_at, deadline = (float(x) for x in sys.stdin.readline().split())
time.sleep(max(0.0, start_at - time.time()))
while time.time() < deadline:
    client.get_json("/users/me")
print(json.dumps(sent))
"""


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_three_processes_share_one_budget_through_postgresql(pg_url: str) -> None:
    # (the SQLite store, the default, is exercised across processes by test_zendesk_pacing.py)
    state_url = str(pg_url)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, state_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, env=env)
        for _ in range(3)
    ]
    for proc in procs:  # released together once every interpreter has imported
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    start_at = time.time() + 0.5
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"{start_at!r} {start_at + 6.0!r}\n")  # more than one scaled window
        proc.stdin.close()
    per_process = []
    for proc in procs:
        assert proc.stdout is not None
        out = proc.stdout.read()
        assert proc.wait(timeout=60) == 0
        per_process.append(json.loads(out))
    sent = [t for times in per_process for t in times]
    peak = _max_in_window(sent, 5.0)
    print(f"3 processes, 60 per 5 s window: peak {peak}, per process {[len(t) for t in per_process]}")
    # budget: 60 per (scaled) window, paced at 95% -> about 57. The lower bound only shows the processes
    # really worked; the >= 90% claim is measured on the real 60 s window in test_zendesk_pacing.py
    # (12 requests/s here can be CPU-starved on a loaded 2-core CI machine).
    assert peak <= 60, peak
    assert peak >= 30, peak
    assert all(len(times) >= 0.2 * len(sent) for times in per_process), [len(t) for t in per_process]


def test_limiter_spacing_and_push_back(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path}/s.sqlite")
    now = [1000.0]
    limiter = RateLimiter(store, "acme", "core", 60, utilisation=1.0, clock=lambda: now[0])
    assert [limiter.reserve() for _ in range(3)] == [1000.0, 1001.0, 1002.0]
    limiter.push_back(1010.0)
    assert limiter.reserve() == 1010.0
    other_budget = RateLimiter(store, "acme", "incremental", 10, utilisation=1.0, clock=lambda: now[0])
    assert other_budget.reserve() == 1000.0  # budgets are independent
    other_account = RateLimiter(store, "globex", "core", 60, utilisation=1.0, clock=lambda: now[0])
    assert other_account.reserve() == 1000.0  # so are accounts


def test_parse_rate_headers() -> None:
    headers = {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "699", "ratelimit-reset": "41",
               "zendesk-ratelimit-incremental-exports": "total=10; remaining=9; resets=6"}
    assert parse_rate_headers(headers, "core") == (699, 41.0, 700)
    assert parse_rate_headers(headers, "incremental") == (9, 6.0, 10)
    assert parse_rate_headers({}, "incremental") == (None, None, None)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_renewals_make_exactly_one_grant(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    grants: list[dict[str, Any]] = []
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        time.sleep(0.3)  # a slow token endpoint widens the race
        with lock:
            grants.append(body)
            n = len(grants)
        return httpx.Response(200, json={"access_token": f"a{n}", "refresh_token": f"r{n}", "expires_in": 7200})

    state_url = f"sqlite:///{tmp_path}/s.sqlite" if backend == "sqlite" else str(request.getfixturevalue("pg_url"))
    tokens: list[str] = []

    def one_process() -> None:
        auth = ClientCredentialsAuth(store=StateStore(state_url), account="acme",
                                     token_url="https://acme.zendesk.com/oauth/tokens", client_id="cid",
                                     client_secret="cs", http=make_http_client(5, httpx.MockTransport(handler)))
        tokens.append(auth.headers()["Authorization"])

    threads = [threading.Thread(target=one_process) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(grants) == 1, grants
    assert tokens == ["Bearer a1"] * 4
