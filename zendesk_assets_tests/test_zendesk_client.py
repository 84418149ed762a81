"""The HTTP client's behaviour towards Zendesk, over `httpx.MockTransport` (no network, no real sleeps).

Contract: 429/503 honour Retry-After; 503 without it is an outage (a few tries, then fail); other 5xx
and network errors back off and retry; 400/401/403/404/422 are never blindly retried; a 401 renews the
token exactly once; the auth header only ever goes to the account's host; rate-limit headers slow the
shared limiter; pages are deduplicated, stuck exports are detected, 504s halve per_page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from zendesk_assets.zendesk import (
    ZendeskAuthError,
    ZendeskError,
    ZendeskExportStuckError,
    ZendeskPermissionError,
    ZendeskRequestError,
)
from zendesk_assets.zendesk.auth import BearerTokenAuth, ClientCredentialsAuth
from zendesk_assets.zendesk.client import ClientSettings, ZendeskClient, make_http_client
from zendesk_assets.zendesk.clock import ZendeskClock, boot_id
from zendesk_assets.zendesk.pagination import Read, cursor_export, cursor_pages, time_export
from zendesk_assets.zendesk.preflight import check_account, ensure_checked
from zendesk_assets.zendesk.state import StateStore

ORIGIN = "https://acme.zendesk.com"
TICKETS = Read("/incremental/tickets/cursor", "tickets", order_field="generated_timestamp")
USERS = Read("/incremental/users/cursor", "users", order_field="updated_at")
ORGANIZATIONS = Read("/incremental/organizations", "organizations", order_field="updated_at")
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Wraps a handler; keeps every request so tests can count and inspect them."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r.url.path == path)


def make_client(
    tmp_path: Path, handler: Handler, *, auth: Any = None, sleeps: list[float] | None = None, **overrides: Any
) -> tuple[ZendeskClient, Recorder]:
    rec = Recorder(handler)
    settings = ClientSettings(
        account="acme",
        origin=ORIGIN,
        core_requests_per_minute=overrides.pop("core", 6000),
        incremental_requests_per_minute=overrides.pop("incremental", 6000),
        state_url=f"sqlite:///{tmp_path}/state.sqlite",
        **overrides,
    )
    http = make_http_client(5, httpx.MockTransport(rec))
    sink = sleeps if sleeps is not None else []
    client = ZendeskClient(settings, auth or BearerTokenAuth("tok"), http=http, sleep=sink.append)
    return client, rec


def js(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def sequence(*responses: httpx.Response | Exception) -> Handler:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


# -- retries ---------------------------------------------------------------------------------------


def test_429_waits_exactly_retry_after_then_succeeds(tmp_path: Path) -> None:
    sleeps: list[float] = []
    client, rec = make_client(
        tmp_path,
        sequence(js(429, {"error": "slow"}, {"Retry-After": "7"}), js(200, {"ok": 1})),
        sleeps=sleeps,
    )
    assert client.get_json("/groups") == {"ok": 1}
    assert len(rec.requests) == 2
    assert client.telemetry.throttled_429 == 1 and client.telemetry.retries == 1
    assert any(abs(s - 7) < 0.5 for s in sleeps), sleeps


def test_503_with_retry_after_is_retried(tmp_path: Path) -> None:
    sleeps: list[float] = []
    client, _rec = make_client(
        tmp_path, sequence(js(503, {}, {"Retry-After": "3"}), js(200, {"ok": 1})), sleeps=sleeps
    )
    assert client.get_json("/groups") == {"ok": 1}
    assert any(abs(s - 3) < 0.5 for s in sleeps)


def test_503_without_retry_after_is_an_outage_that_fails_after_a_few_tries(tmp_path: Path) -> None:
    client, rec = make_client(tmp_path, sequence(httpx.Response(503, text="down")))
    with pytest.raises(
        ZendeskRequestError, match=r"zendesk\[acme\]: GET /api/v2/groups kept failing .*outage"
    ):
        client.get_json("/groups")
    assert len(rec.requests) == 3


def test_500_and_network_errors_back_off_then_succeed(tmp_path: Path) -> None:
    sleeps: list[float] = []
    client, rec = make_client(
        tmp_path,
        sequence(httpx.Response(500), httpx.RemoteProtocolError("peer closed"), js(200, {"ok": 2})),
        sleeps=sleeps,
    )
    assert client.get_json("/groups") == {"ok": 2}
    assert client.telemetry.retries == 2
    assert len(rec.requests) == 3


def test_truncated_json_body_is_retried(tmp_path: Path) -> None:
    broken = httpx.Response(
        200, content=b'{"groups": [{"id": 1', headers={"Content-Type": "application/json"}
    )
    client, rec = make_client(tmp_path, sequence(broken, js(200, {"groups": []})))
    assert client.get_json("/groups") == {"groups": []}
    assert len(rec.requests) == 2


def test_retries_are_capped(tmp_path: Path) -> None:
    client, rec = make_client(tmp_path, sequence(httpx.Response(502)), max_retries=2)
    with pytest.raises(ZendeskRequestError, match="kept failing"):
        client.get_json("/groups")
    assert len(rec.requests) == 3


@pytest.mark.parametrize("status", [400, 404, 422])
def test_client_errors_are_not_retried(tmp_path: Path, status: int) -> None:
    body = {"error": "InvalidPaginationParameter", "description": "page[size] cannot be greater than 100"}
    client, rec = make_client(tmp_path, sequence(js(status, body)))
    with pytest.raises(
        ZendeskRequestError, match=f"failed with {status}: InvalidPaginationParameter"
    ) as info:
        client.get_json("/groups")
    assert info.value.status == status
    assert len(rec.requests) == 1


def test_403_is_a_permission_error_without_retry(tmp_path: Path) -> None:
    client, rec = make_client(
        tmp_path,
        sequence(
            js(403, {"error": "Forbidden", "description": "missing the following required scopes: read"})
        ),
    )
    with pytest.raises(ZendeskPermissionError, match="permission denied on /api/v2/groups"):
        client.get_json("/groups")
    assert len(rec.requests) == 1


def test_plan_gated_endpoint_is_reported_unavailable(tmp_path: Path) -> None:
    body = {
        "error": "Forbidden",
        "description": "You do not have access to this page. Please contact the account owner",
    }
    client, rec = make_client(tmp_path, sequence(js(403, body)))
    assert client.is_available("/audit_logs") is False
    assert len(rec.requests) == 1


# -- auth ------------------------------------------------------------------------------------------


def test_bearer_401_fails_once_with_actionable_message(tmp_path: Path) -> None:
    body = {
        "error": "invalid_token",
        "error_description": "The access token provided is expired, revoked, malformed",
    }
    client, rec = make_client(tmp_path, sequence(js(401, body)), auth=BearerTokenAuth("very-secret-token"))
    with pytest.raises(
        ZendeskAuthError, match=r"credentials rejected for account acme: invalid_token.*token in oauth_token is current"
    ) as info:
        client.get_json("/users/me")
    assert "very-secret-token" not in str(info.value)
    assert len(rec.requests) == 1


def _oauth_server(state: dict[str, Any]) -> Handler:
    """A tiny token endpoint with rotating refresh tokens, and an API accepting only the current token."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/tokens":
            body = json.loads(request.content)
            state.setdefault("grants", []).append(body["grant_type"])
            if body["client_secret"] != "cs":
                return js(401, {"error": "invalid_client"})
            if body["grant_type"] == "refresh_token" and body["refresh_token"] != state.get("refresh"):
                return js(400, {"error": "invalid_grant", "error_description": "refresh token already used"})
            n = len(state["grants"])
            state["access"], state["refresh"] = f"a{n}", f"r{n}"
            return js(
                200, {"access_token": state["access"], "refresh_token": state["refresh"], "expires_in": 7200}
            )
        if request.headers.get("Authorization") != f"Bearer {state.get('access')}" or state.get("reject_all"):
            return js(401, {"error": "invalid_token"})
        return js(200, {"user": {"id": 1, "name": "Ada", "email": "ada@acme.com", "role": "admin"}})

    return handler


def _cc(client: ZendeskClient, secret: str = "cs") -> ClientCredentialsAuth:
    return ClientCredentialsAuth(
        store=client.store,
        account="acme",
        token_url=f"{ORIGIN}/oauth/tokens",
        client_id="cid",
        client_secret=secret,
        http=client._http,
    )


def test_client_credentials_token_is_cached_in_the_shared_store(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    client, _rec = make_client(tmp_path, _oauth_server(state))
    client.auth = _cc(client)
    assert client.preflight().role == "admin"
    client.get_json("/users/me")
    # a second "process": new auth object, same store -> no new grant
    other, _ = make_client(tmp_path, _oauth_server(state))
    other.auth = _cc(other)
    other.get_json("/users/me")
    assert state["grants"] == ["client_credentials"]


def test_401_triggers_exactly_one_refresh_then_fails(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    client, _rec = make_client(tmp_path, _oauth_server(state))
    client.auth = _cc(client)
    client.get_json("/users/me")
    state["access"] = "revoked-server-side"  # token revoked: next call 401s, refresh makes a new one
    client.get_json("/users/me")
    assert state["grants"] == ["client_credentials", "refresh_token"]
    state["reject_all"] = True
    with pytest.raises(
        ZendeskAuthError, match=r"credentials rejected for account acme.*client id \(cid, from client_id\)"
    ):
        client.get_json("/users/me")
    assert state["grants"] == ["client_credentials", "refresh_token", "refresh_token"]


def test_rotation_second_process_reuses_the_pair_the_first_stored(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    a, _ = make_client(tmp_path, _oauth_server(state))
    b, _ = make_client(tmp_path, _oauth_server(state))
    a.auth, b.auth = _cc(a), _cc(b)
    a.get_json("/users/me")
    b.get_json("/users/me")
    state["access"] = "revoked"
    # both were holding a1; A renews (refresh r1 -> a2/r2); B's 401 then finds a2 in the store
    stale = {"Authorization": "Bearer a1"}
    assert a.auth.renew(stale) and b.auth.renew(stale)
    assert state["grants"] == ["client_credentials", "refresh_token"]
    b.get_json("/users/me")


def test_consumed_refresh_token_falls_back_to_client_credentials(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    client, _ = make_client(tmp_path, _oauth_server(state))
    client.auth = _cc(client)
    client.get_json("/users/me")
    state["refresh"] = "used-elsewhere"
    state["access"] = "revoked"
    client.get_json("/users/me")
    assert state["grants"] == ["client_credentials", "refresh_token", "client_credentials"]


def test_wrong_client_secret_is_an_auth_error_naming_the_client(tmp_path: Path) -> None:
    state: dict[str, Any] = {}
    client, _ = make_client(tmp_path, _oauth_server(state))
    client.auth = _cc(client, secret="wrong-secret-xyz")
    with pytest.raises(
        ZendeskAuthError, match=r"client_credentials grant rejected \(401: invalid_client\).*cid"
    ) as info:
        client.get_json("/users/me")
    assert "wrong-secret-xyz" not in str(info.value)


def test_preflight_agent_is_refused_naming_user_and_role(tmp_path: Path) -> None:
    me = {"user": {"id": 7, "name": "Bob Agent", "email": "bob@acme.com", "role": "agent"}}
    client, _ = make_client(tmp_path, sequence(js(200, me)))
    with pytest.raises(
        ZendeskPermissionError, match=r"Bob Agent <bob@acme.com> whose role is 'agent'.*needs an admin"
    ):
        client.preflight()


def test_preflight_anonymous_user_means_rejected_credentials(tmp_path: Path) -> None:
    me = {"user": {"id": None, "name": "Anonymous user", "role": "end-user"}}
    client, _ = make_client(tmp_path, sequence(js(200, me)))
    with pytest.raises(
        ZendeskAuthError,
        match="credentials rejected for account acme: Zendesk treated the request as anonymous",
    ):
        client.preflight()


def _admin_at(stated: int) -> Handler:
    me = {"user": {"id": 1, "name": "Ann Admin", "email": "ann@acme.com", "role": "admin"}}
    return sequence(js(200, me, {"Date": formatdate(stated, usegmt=True)}))


def test_a_run_the_cli_launched_starts_from_the_time_its_preflight_saw(tmp_path: Path) -> None:
    stated = 1_800_000_000  # Zendesk's clock, far from the host's
    checker, _ = make_client(tmp_path, _admin_at(stated))
    check_account(checker)
    sweep, rec = make_client(tmp_path, _admin_at(0))
    ensure_checked(sweep, already_checked=True)
    assert rec.requests == []
    now = sweep.clock.now()
    assert now is not None and stated <= now <= stated + 5
    # a run nobody checked just before takes no reading from an earlier check (it may be stale)
    other, _ = make_client(tmp_path, _admin_at(0))
    ensure_checked(other, already_checked=False)
    assert other.clock.now() is None


def test_a_clock_reading_from_another_boot_or_from_the_future_is_not_taken() -> None:
    clock = ZendeskClock()
    assert not clock.adopt({"stated": 5, "monotonic": 0.0, "boot": "another-boot"})
    assert not clock.adopt({"stated": 5, "monotonic": time.monotonic() + 60, "boot": boot_id()})
    assert not clock.adopt(None)
    assert clock.now() is None
    if boot_id() is not None:
        assert clock.adopt({"stated": 5, "monotonic": time.monotonic() - 2, "boot": boot_id()})
        assert clock.now() in (7, 8)
        assert not clock.adopt({"stated": 99, "monotonic": time.monotonic(), "boot": boot_id()})  # has its own


def test_the_sync_preflight_reuses_a_plan_answer_that_check_asks_afresh(tmp_path: Path) -> None:
    me = js(200, {"user": {"id": 1, "name": "Ann Admin", "email": "ann@acme.com", "role": "admin"}})
    client, rec = make_client(tmp_path, sequence(me, js(200, {"audit_logs": []}), me, me, js(200, {"audit_logs": []})))
    assert check_account(client, ["/audit_logs"]).unavailable == ()
    assert check_account(client, ["/audit_logs"], reuse_plan=True).unavailable == ()
    assert [r.url.path for r in rec.requests] == ["/api/v2/users/me", "/api/v2/audit_logs", "/api/v2/users/me"]
    check_account(client, ["/audit_logs"])  # `check` asks again
    assert rec.count("/api/v2/audit_logs") == 2


# -- host pinning ----------------------------------------------------------------------------------


def test_next_link_to_foreign_host_is_refused(tmp_path: Path) -> None:
    page = {
        "groups": [{"id": 1}],
        "meta": {"has_more": True, "after_cursor": "x"},
        "links": {"next": "https://evil.example.com/api/v2/groups?page[after]=x"},
    }
    client, rec = make_client(tmp_path, sequence(js(200, page)))
    pages = cursor_pages(client, Read("/groups", "groups"))
    assert next(pages).records == [{"id": 1}]
    with pytest.raises(ZendeskError, match=r"refusing to follow 'evil\.example\.com'"):
        next(pages)
    assert all(r.url.host == "acme.zendesk.com" for r in rec.requests)


# -- pacing ----------------------------------------------------------------------------------------


def test_requests_are_spaced_by_the_limiter(tmp_path: Path) -> None:
    sleeps: list[float] = []
    client, _ = make_client(tmp_path, sequence(js(200, {})), sleeps=sleeps, core=60, utilisation=1.0)
    started = time.monotonic()
    for _ in range(4):
        client.get_json("/groups")
    elapsed = time.monotonic() - started
    # 60/min = one per second: with fake sleeps the reserved slots run ahead of the clock, at
    # t0 + 0, 1, 2, 3 s; the real time the calls themselves took (a loaded CI machine) shortens
    # each wait by at most the elapsed time.
    assert 0 + 1 + 2 + 3 - 4 * elapsed - 0.05 <= sum(sleeps) <= 0 + 1 + 2 + 3 + 0.3
    assert client.telemetry.wait_seconds == pytest.approx(sum(sleeps), abs=0.01)


def test_exhausted_budget_header_pushes_the_shared_limiter_back(tmp_path: Path) -> None:
    sleeps: list[float] = []
    headers = {"X-Rate-Limit": "200", "X-Rate-Limit-Remaining": "0", "ratelimit-reset": "20"}
    client, _ = make_client(tmp_path, sequence(js(200, {}, headers), js(200, {})), sleeps=sleeps)
    client.get_json("/groups")
    client.get_json("/groups")
    assert max(sleeps) == pytest.approx(20, abs=0.5)


def test_other_apps_spending_the_budget_stretch_the_spacing(tmp_path: Path) -> None:
    sleeps: list[float] = []
    # 10 requests left for the next 30 s: at most one every 3 s, although we are configured for 6000/min
    headers = {"ratelimit-limit": "700", "ratelimit-remaining": "10", "ratelimit-reset": "30"}
    client, _ = make_client(tmp_path, sequence(js(200, {}, headers)), sleeps=sleeps)
    client.get_json("/groups")
    client.get_json("/groups")
    assert sleeps[-1] == pytest.approx(3, abs=0.3)


def test_telemetry_as_metadata(tmp_path: Path) -> None:
    client, _ = make_client(
        tmp_path, sequence(js(200, {"groups": [{"id": 1}, {"id": 2}], "meta": {"has_more": False}}))
    )
    list(cursor_pages(client, Read("/groups", "groups")))
    meta = client.telemetry.as_metadata()
    assert meta["zendesk_requests"] == 1 and meta["zendesk_pages"] == 1 and meta["zendesk_rows"] == 2
    assert set(meta) >= {
        "zendesk_throttled_429",
        "zendesk_wait_seconds",
        "zendesk_retries",
        "zendesk_page_size_reductions",
    }


# -- exports ---------------------------------------------------------------------------------------


def _q(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


def test_time_export_dedupes_the_overlap_and_keeps_the_newest(tmp_path: Path) -> None:
    t0 = 1_600_000_000

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(_q(request)["start_time"])
        if start == t0:
            orgs = [
                {"id": 1, "updated_at": "2020-09-13T12:26:40Z"},
                {"id": 2, "updated_at": "2020-09-13T12:26:50Z"},
            ]
            return js(200, {"organizations": orgs, "end_time": t0 + 10, "end_of_stream": False, "count": 2})
        # the overlap: id 2 again (same version), then id 3
        orgs = [
            {"id": 2, "updated_at": "2020-09-13T12:26:50Z"},
            {"id": 3, "updated_at": "2020-09-13T12:27:00Z"},
        ]
        return js(200, {"organizations": orgs, "end_time": t0 + 20, "end_of_stream": True, "count": 2})

    client, _rec = make_client(tmp_path, handler)
    pages = list(time_export(client, replace(ORGANIZATIONS, start_time=t0)))
    ids = [r["id"] for p in pages for r in p.records]
    assert ids == [1, 2, 3]
    assert [p.resume for p in pages] == [str(t0 + 10), str(t0 + 20)]
    assert pages[-1].end_of_stream and pages[-1].position == t0 + 20


def test_time_export_clamps_start_time_and_treats_too_recent_as_caught_up(tmp_path: Path) -> None:
    body = {
        "error": "InvalidValue",
        "description": "Too recent start_time. Use a start_time older than 1 minute",
    }
    zendesk_now = int(time.time()) + 7200  # Zendesk's clock, two hours ahead of ours: the clamp follows it
    date = {"Date": formatdate(zendesk_now, usegmt=True)}
    client, rec = make_client(tmp_path, sequence(js(200, {}, date), js(422, body, date)))
    client.get_json("/users/me")  # any earlier response tells Zendesk's time
    pages = list(time_export(client, replace(ORGANIZATIONS, start_time=zendesk_now + 3600)))
    assert len(pages) == 1 and pages[0].end_of_stream and pages[0].records == []
    assert zendesk_now - 70 <= int(_q(rec.requests[1])["start_time"]) <= zendesk_now - 61


def test_time_export_same_second_trap_raises_stuck(tmp_path: Path) -> None:
    t0 = 1_600_000_000
    orgs = [{"id": i, "updated_at": "2020-09-13T12:26:40Z"} for i in range(10)]
    client, _ = make_client(
        tmp_path,
        sequence(js(200, {"organizations": orgs, "end_time": t0, "end_of_stream": False})),
        export_page_size=10,
    )
    with pytest.raises(
        ZendeskExportStuckError,
        match=r"returned start_time=1600000000 again with 10 records \(>= per_page=10\) sharing one second",
    ):
        list(time_export(client, replace(ORGANIZATIONS, start_time=t0)))


def test_cursor_export_non_advancing_cursor_raises_stuck(tmp_path: Path) -> None:
    body = {"tickets": [], "after_cursor": "C1", "end_of_stream": False}
    client, _ = make_client(tmp_path, sequence(js(200, body)))
    with pytest.raises(ZendeskExportStuckError, match="same cursor again"):
        list(cursor_export(client, replace(TICKETS, resume="C1")))


def test_cursor_export_uses_start_time_once_then_cursor_only(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        q = _q(request)
        if "cursor" not in q:
            return js(
                200,
                {
                    "tickets": [{"id": 1, "generated_timestamp": 100}],
                    "after_cursor": "A",
                    "end_of_stream": False,
                    "metric_sets": [{"ticket_id": 1}],
                },
            )
        return js(
            200,
            {"tickets": [{"id": 2, "generated_timestamp": 200}], "after_cursor": "B", "end_of_stream": True},
        )

    client, rec = make_client(tmp_path, handler)
    pages = list(cursor_export(client, replace(TICKETS, start_time=50, params={"include": "metric_sets"})))
    assert [r["id"] for p in pages for r in p.records] == [1, 2]
    assert pages[0].sideloads == {"metric_sets": [{"ticket_id": 1}]}
    assert [p.resume for p in pages] == ["A", "B"] and [p.position for p in pages] == [100, 200]
    assert "start_time" in _q(rec.requests[0]) and "start_time" not in _q(rec.requests[1])
    assert _q(rec.requests[1])["cursor"] == "A" and _q(rec.requests[1])["include"] == "metric_sets"


def test_export_504_halves_per_page_and_keeps_the_smaller_size(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        q = _q(request)
        if int(q["per_page"]) > 500:
            return httpx.Response(504, text="upstream request timeout")
        if "cursor" not in q:
            return js(200, {"users": [{"id": 1}], "after_cursor": "A", "end_of_stream": False})
        return js(200, {"users": [{"id": 2}], "after_cursor": "B", "end_of_stream": True})

    client, rec = make_client(tmp_path, handler)
    pages = list(cursor_export(client, replace(USERS, start_time=0)))
    assert [r["id"] for p in pages for r in p.records] == [1, 2]
    assert [_q(r)["per_page"] for r in rec.requests] == ["1000", "500", "500"]
    assert client.telemetry.page_size_reductions == 1


def test_cursor_pages_resume_from_after_cursor(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        q = _q(request)
        assert q["page[size]"] == "100"
        if q.get("page[after]") == "X":
            return js(200, {"groups": [{"id": 2}], "meta": {"has_more": False, "after_cursor": None}})
        return js(
            200,
            {
                "groups": [{"id": 1}],
                "meta": {"has_more": True, "after_cursor": "X"},
                "links": {"next": f"{ORIGIN}/api/v2/groups?page[size]=100&page[after]=X"},
            },
        )

    client, _ = make_client(tmp_path, handler)
    first = next(iter(cursor_pages(client, Read("/groups", "groups"))))
    assert first.resume == "X" and not first.end_of_stream
    rest = list(cursor_pages(client, Read("/groups", "groups", resume=first.resume)))
    assert [r["id"] for p in rest for r in p.records] == [2]


def test_state_store_repr_hides_password() -> None:
    store = StateStore.__new__(StateStore)
    store.url = "postgresql+psycopg://u:hunter2@db/x"
    assert "hunter2" not in repr(store)


def test_long_waits_log_a_heartbeat_with_the_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client, _ = make_client(
        tmp_path, sequence(js(429, {}, {"Retry-After": "70"}), js(200, {})), heartbeat_seconds=30
    )
    with caplog.at_level("INFO", logger="zendesk_assets.zendesk"):
        client.get_json("/groups")
    # (the fake sleep does not move the clock, so the limiter, pushed back by the same 70 s, waits again)
    beats = [r.getMessage() for r in caplog.records if "waiting for Retry-After" in r.getMessage()]
    assert len(beats) == 2, beats  # after 30 s and 60 s of a 70 s wait
    assert "Retry-After (429 Too Many Requests)" in beats[0] and "30s waited" in beats[0]
    assert "tok" not in " ".join(r.getMessage() for r in caplog.records)


def test_budget_waits_log_a_heartbeat(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client, _ = make_client(
        tmp_path,
        sequence(js(200, {"users": [], "after_cursor": "A", "end_of_stream": True})),
        incremental=1,
        heartbeat_seconds=20,
    )
    with caplog.at_level("INFO", logger="zendesk_assets.zendesk"):
        list(cursor_export(client, replace(USERS, start_time=0)))
        list(cursor_export(client, replace(USERS, start_time=0)))  # 1/min: the second waits ~63 s
    beats = [r.getMessage() for r in caplog.records if "waiting for" in r.getMessage()]
    assert beats and "the incremental request budget (1/min)" in beats[0]
    assert client.telemetry.wait_seconds > 60


def test_export_page_size_grows_back_after_successes(tmp_path: Path) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(504, text="upstream request timeout")
        n = calls["n"]
        return js(200, {"users": [{"id": n}], "after_cursor": f"C{n}", "end_of_stream": n >= 8})

    client, rec = make_client(tmp_path, handler)
    list(cursor_export(client, replace(USERS, start_time=0)))
    sizes = [int(_q(r)["per_page"]) for r in rec.requests]
    assert sizes == [1000, 500, 500, 500, 500, 500, 1000, 1000]


def test_export_read_timeout_halves_per_page(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if int(_q(request)["per_page"]) > 250:
            raise httpx.ReadTimeout("slow page", request=request)
        return js(200, {"users": [{"id": 1}], "after_cursor": "A", "end_of_stream": True})

    client, rec = make_client(tmp_path, handler)
    pages = list(cursor_export(client, replace(USERS, start_time=0)))
    assert [r["id"] for p in pages for r in p.records] == [1]
    assert [int(_q(r)["per_page"]) for r in rec.requests] == [1000, 500, 250]
    assert client.telemetry.page_size_reductions == 2


def test_short_lived_token_is_renewed_before_it_expires(tmp_path: Path) -> None:
    grants: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/tokens":
            grants.append(json.loads(request.content)["grant_type"])
            return js(
                200, {"access_token": f"a{len(grants)}", "refresh_token": f"r{len(grants)}", "expires_in": 1}
            )
        return js(200, {"ok": True})

    client, rec = make_client(tmp_path, handler)
    client.auth = _cc(client)
    client.get_json("/groups")
    client.get_json("/groups")  # still fresh (renewal point: half of the 1 s lifetime)
    time.sleep(0.6)
    client.get_json("/groups")
    assert grants == ["client_credentials", "refresh_token"]
    assert [r.headers["Authorization"] for r in rec.requests if r.url.path != "/oauth/tokens"] == [
        "Bearer a1",
        "Bearer a1",
        "Bearer a2",
    ]
