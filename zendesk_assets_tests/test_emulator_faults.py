"""The emulator's failures and rate limits are deterministic and shaped like Zendesk's.

Contract: a seeded fault spec produces the same fault sequence for the same seed (and a different
one for another seed); `inject()` fires exactly `count` times on matching paths; `504>N` fails every
export page above N records however often it is retried; drops, truncated bodies and malformed JSON
reach the client as such; with core_rpm=N the (N+1)-th request within a minute gets 429 with an
integer Retry-After, incremental exports have their own budget and header, external_rpm shows in
`remaining`; stats and the request log count what happened.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer, Fault

BASE: dict[str, Any] = dict(seed=9, tickets=200, users=50, organizations=10, hold_back_seconds=0)


def _client(srv: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=srv.base_url + "/api/v2", headers={"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"},
                        timeout=30)


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv:
        yield srv


def _statuses(seed: int, n: int = 60) -> list[tuple[int, str]]:
    spec = "429:0.15,500:0.05,502:0.05,503:0.05,malformed:0.05"
    with EmulatorServer(EmulatorConfig(**{**BASE, "seed": seed, "faults": spec})) as srv, _client(srv) as c:
        out = []
        for _ in range(n):
            r = c.get("/groups.json")
            kind = "json" if r.headers["content-type"].startswith("application/json") else "text"
            if r.status_code == 200:
                try:
                    orjson.loads(r.content)
                except orjson.JSONDecodeError:
                    kind = "malformed"
            out.append((r.status_code, kind))
        return out


def test_seeded_faults_are_deterministic() -> None:
    a, b, other = _statuses(5), _statuses(5), _statuses(6)
    assert a == b
    assert a != other
    codes = {s for s, _ in a}
    assert {200, 429} <= codes and len(codes) >= 3, codes
    assert ("429", "text") in {(str(s), k) for s, k in a} or ("429", "text") in {(str(s), k) for s, k in other}
    assert any(k == "malformed" for _, k in a + other)


def test_inject_fires_exactly_count_times(server: EmulatorServer) -> None:
    server.emulator.inject("/api/v2/groups*", Fault("503", retry_after=7), count=2)
    with _client(server) as c:
        assert c.get("/users/me.json").status_code == 200  # other paths are untouched
        first, second, third = (c.get("/groups.json") for _ in range(3))
    assert first.status_code == second.status_code == 503 and first.headers["Retry-After"] == "7"
    assert third.status_code == 200
    stats = server.emulator.stats()["requests"]
    assert stats[("GET", "/api/v2/groups", 503)] == 2 and stats[("GET", "/api/v2/groups", 200)] == 1


def test_injected_429_with_text_body(server: EmulatorServer) -> None:
    server.emulator.inject("/api/v2/incremental/*", Fault("429", retry_after=3, text_body=True))
    with _client(server) as c:
        r = c.get("/incremental/organizations.json", params={"start_time": 0})
        assert r.status_code == 429 and r.headers["Retry-After"] == "3"
        assert r.headers["content-type"].startswith("text/plain")
        assert c.get("/incremental/organizations.json", params={"start_time": 0}).status_code == 200


def test_504_above_a_page_size_keeps_failing_until_the_page_shrinks() -> None:
    with EmulatorServer(EmulatorConfig(**{**BASE, "faults": "504>500"})) as srv, _client(srv) as c:
        for _ in range(3):
            assert c.get("/incremental/tickets/cursor.json", params={"start_time": 0, "per_page": 1000}).status_code == 504
        assert c.get("/incremental/tickets/cursor.json", params={"start_time": 0, "per_page": 500}).status_code == 200
        assert c.get("/groups.json", params={"per_page": 1000}).status_code == 200  # only exports time out


def test_dropped_connection(server: EmulatorServer) -> None:
    server.emulator.inject("/api/v2/groups*", Fault("drop"))
    with _client(server) as c:
        with pytest.raises(httpx.TransportError):
            c.get("/groups.json")
        assert c.get("/groups.json").status_code == 200


def test_truncated_body(server: EmulatorServer) -> None:
    server.emulator.inject("/api/v2/incremental/tickets/cursor*", Fault("truncate"))
    with _client(server) as c:
        with pytest.raises(httpx.TransportError):
            c.get("/incremental/tickets/cursor.json", params={"start_time": 0})
        assert c.get("/incremental/tickets/cursor.json", params={"start_time": 0}).status_code == 200


def test_malformed_page(server: EmulatorServer) -> None:
    server.emulator.inject("/api/v2/ticket_fields*", Fault("malformed"))
    with _client(server) as c:
        r = c.get("/ticket_fields.json")
        assert r.status_code == 200
        with pytest.raises(ValueError):
            r.json()
        assert c.get("/ticket_fields.json").json()["ticket_fields"]


def test_slow_response(server: EmulatorServer) -> None:
    server.emulator.inject("/api/v2/groups*", Fault("slow", delay=0.4))
    with _client(server) as c:
        started = time.monotonic()
        assert c.get("/groups.json").status_code == 200
        assert time.monotonic() - started >= 0.4


def test_core_rate_limit() -> None:
    with EmulatorServer(EmulatorConfig(**{**BASE, "core_rpm": 5})) as srv, _client(srv) as c:
        ok = [c.get("/groups.json") for _ in range(5)]
        assert all(r.status_code == 200 for r in ok)
        assert [r.headers["X-Rate-Limit-Remaining"] for r in ok] == ["4", "3", "2", "1", "0"]
        assert ok[0].headers["X-Rate-Limit"] == "5" and ok[0].headers["ratelimit-limit"] == "5"
        limited = c.get("/groups.json")
        assert limited.status_code == 429
        retry_after = int(limited.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        # Exports have their own budget.
        assert c.get("/incremental/organizations.json", params={"start_time": 0}).status_code == 200
        stats = srv.emulator.stats()
        assert stats["rate_limited"] == 1
        assert stats["by_budget"] == {"core": 6, "incremental": 1}
        log = srv.emulator.request_log()
        assert [entry[3] for entry in log] == [200] * 5 + [429, 200]
        assert {entry[1] for entry in log} == {"core", "incremental"}


def test_incremental_budget_and_header() -> None:
    with EmulatorServer(EmulatorConfig(**{**BASE, "incremental_rpm": 2})) as srv, _client(srv) as c:
        params = {"start_time": 0}
        first = c.get("/incremental/organizations.json", params=params)
        assert first.headers["zendesk-ratelimit-incremental-exports"].startswith("total=2; remaining=1; resets=")
        assert c.get("/incremental/users/cursor.json", params=params).status_code == 200
        third = c.get("/incremental/ticket_events.json", params=params)
        assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
        assert c.get("/groups.json").status_code == 200


def test_external_apps_consume_the_core_budget() -> None:
    with EmulatorServer(EmulatorConfig(**{**BASE, "core_rpm": 10, "external_rpm": 4})) as srv, _client(srv) as c:
        r = c.get("/groups.json")
        assert r.headers["X-Rate-Limit-Remaining"] == "5"
        statuses = [c.get("/groups.json").status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]


def test_unlimited_mode_still_sends_headers(server: EmulatorServer) -> None:
    with _client(server) as c:
        r = c.get("/groups.json")
        assert int(r.headers["X-Rate-Limit"]) > 0 and "ratelimit-remaining" in r.headers
        e = c.get("/incremental/organizations.json", params={"start_time": 0})
        assert "zendesk-ratelimit-incremental-exports" in e.headers


def test_reset_stats(server: EmulatorServer) -> None:
    with _client(server) as c:
        c.get("/groups.json")
    assert server.emulator.stats()["requests"]
    server.emulator.reset_stats()
    assert server.emulator.stats() == {"requests": {}, "by_budget": {"core": 0, "incremental": 0}, "rate_limited": 0}
    assert server.emulator.request_log() == []


def test_bad_fault_spec_is_rejected() -> None:
    with pytest.raises(ValueError, match="cannot parse"):
        EmulatorConfig(faults="418:0.5")
    with pytest.raises(ValueError, match="more than 1"):
        EmulatorConfig(faults="429:0.6,500:0.6")
    with pytest.raises(ValueError, match="unknown emulator fault kind"):
        Fault("teapot")
