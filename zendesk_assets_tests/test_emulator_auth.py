"""The emulator authenticates like Zendesk and answers auth failures with Zendesk's bodies.

Contract: the admin token reads everything; the agent token reads ordinary lists but gets 403 on
incremental exports and satisfaction ratings; legacy `email/token` basic auth maps to the same users; callers without credentials (or with a
password instead of a token) are anonymous: 200 with an anonymous user on /users/me, 401 elsewhere;
OAuth client credentials issue a working token; a refresh rotates the pair (old refresh and old
access token both die, a reused refresh token gets 400 invalid_grant); expired/revoked tokens get
the invalid_token 401; audit_logs is 403 on plan "team"; no secret leaks into reprs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from zendesk_assets.emulator import (
    DEMO_AGENT_EMAIL,
    DEMO_AGENT_OAUTH_TOKEN,
    DEMO_API_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_OAUTH_TOKEN,
    EmulatorConfig,
    EmulatorServer,
)

FORBIDDEN_TEXT = "You do not have access to this page. Please contact the account owner of this help desk"
INVALID_TOKEN = {"error": "invalid_token", "error_description": "The access token provided is expired, revoked, "
                 "malformed or invalid for other reasons."}
CONFIG = dict(seed=2, tickets=60, users=30, organizations=8, hold_back_seconds=0)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**CONFIG)) as srv:  # type: ignore[arg-type]
        yield srv


def _get(srv: EmulatorServer, path: str, auth: str | None) -> httpx.Response:
    headers = {"Authorization": auth} if auth else {}
    return httpx.get(f"{srv.base_url}/api/v2{path}", headers=headers, params={"start_time": 0}, timeout=30)


def _bearer(token: str) -> str:
    return f"Bearer {token}"


def _basic(email: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()


def _token(srv: EmulatorServer, **data: str) -> httpx.Response:
    return httpx.post(f"{srv.base_url}/oauth/tokens", data=data, timeout=30)


def test_admin_and_agent_roles(server: EmulatorServer) -> None:
    me = _get(server, "/users/me.json", _bearer(DEMO_OAUTH_TOKEN)).json()["user"]
    assert me["role"] == "admin" and me["email"] == DEMO_EMAIL
    agent = _bearer(DEMO_AGENT_OAUTH_TOKEN)
    assert _get(server, "/users/me.json", agent).json()["user"]["role"] == "agent"
    assert _get(server, "/groups.json", agent).status_code == 200
    for path in ("/incremental/tickets/cursor.json", "/incremental/ticket_events.json", "/satisfaction_ratings.json"):
        r = _get(server, path, agent)
        assert r.status_code == 403, path
        assert r.json()["error"]["title"] == "Forbidden" and FORBIDDEN_TEXT in r.json()["error"]["message"]
        assert _get(server, path, _bearer(DEMO_OAUTH_TOKEN)).status_code == 200


def test_legacy_basic_auth(server: EmulatorServer) -> None:
    assert _get(server, "/users/me.json", _basic(DEMO_EMAIL, DEMO_API_TOKEN)).json()["user"]["role"] == "admin"
    assert _get(server, "/incremental/users/cursor.json", _basic(DEMO_EMAIL, DEMO_API_TOKEN)).status_code == 200
    assert _get(server, "/incremental/users/cursor.json", _basic(DEMO_AGENT_EMAIL, DEMO_API_TOKEN)).status_code == 403
    for auth in (_basic(DEMO_EMAIL, "wrong"), "Basic !!!", "Token abc"):
        r = _get(server, "/users/me.json", auth)
        assert r.status_code == 401
        assert r.json() == {"error": "Couldn't authenticate you"}
        assert r.headers["WWW-Authenticate"] == 'Basic realm="Web Password"'


def test_anonymous_callers_get_an_anonymous_user_on_users_me_only(server: EmulatorServer) -> None:
    password = "Basic " + base64.b64encode(f"{DEMO_EMAIL}:some-password".encode()).decode()
    for auth in (None, password):
        me = _get(server, "/users/me.json", auth)
        assert me.status_code == 200, auth
        assert me.json()["user"]["id"] is None and me.json()["user"]["name"] == "Anonymous user"
        r = _get(server, "/groups.json", auth)
        assert r.status_code == 401 and r.json() == {"error": "Couldn't authenticate you"}


def test_unknown_bearer_token_gets_invalid_token(server: EmulatorServer) -> None:
    r = _get(server, "/users/me.json", _bearer("nope"))
    assert r.status_code == 401 and r.json() == INVALID_TOKEN


def test_client_credentials_then_rotating_refresh(server: EmulatorServer) -> None:
    first = _token(server, grant_type="client_credentials", client_id=DEMO_CLIENT_ID,
                   client_secret=DEMO_CLIENT_SECRET, expires_in="600")
    assert first.status_code == 200
    pair = first.json()
    assert pair["token_type"] == "bearer" and pair["scope"] == "read" and pair["expires_in"] == 600
    assert pair["refresh_token"] and pair["refresh_token_expires_in"] > 0
    assert _get(server, "/users/me.json", _bearer(pair["access_token"])).status_code == 200

    second = httpx.post(f"{server.base_url}/oauth/tokens", json={
        "grant_type": "refresh_token", "refresh_token": pair["refresh_token"],
        "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}, timeout=30)
    assert second.status_code == 200
    new = second.json()
    assert new["access_token"] != pair["access_token"] and new["refresh_token"] != pair["refresh_token"]
    assert _get(server, "/users/me.json", _bearer(new["access_token"])).status_code == 200
    old = _get(server, "/users/me.json", _bearer(pair["access_token"]))
    assert old.status_code == 401 and old.json() == INVALID_TOKEN
    reused = _token(server, grant_type="refresh_token", refresh_token=pair["refresh_token"],
                    client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_bad_client_and_grant(server: EmulatorServer) -> None:
    r = _token(server, grant_type="client_credentials", client_id=DEMO_CLIENT_ID, client_secret="wrong")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = _token(server, grant_type="password", client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


def test_expired_and_revoked_tokens() -> None:
    with EmulatorServer(EmulatorConfig(**CONFIG)) as srv:  # type: ignore[arg-type]
        em = srv.emulator
        admin_id = em.gen.user_id(0)
        em.add_oauth_token("short-lived", admin_id, expires_at=em.now() - 1)
        em.add_oauth_token("long-lived", admin_id, expires_at=em.now() + 3600)
        r = _get(srv, "/users/me.json", _bearer("short-lived"))
        assert r.status_code == 401 and r.json() == INVALID_TOKEN
        assert _get(srv, "/users/me.json", _bearer("long-lived")).status_code == 200
        with pytest.raises(ValueError, match="does not exist"):
            em.add_oauth_token("x", 12345)
        em.revoke_all_tokens()
        for token in ("long-lived", DEMO_OAUTH_TOKEN):
            assert _get(srv, "/users/me.json", _bearer(token)).status_code == 401


def test_audit_logs_are_plan_gated() -> None:
    with EmulatorServer(EmulatorConfig(**{**CONFIG, "plan": "team"})) as srv:  # type: ignore[arg-type]
        r = _get(srv, "/audit_logs.json", _bearer(DEMO_OAUTH_TOKEN))
        assert r.status_code == 403 and FORBIDDEN_TEXT in r.json()["error"]["message"]
        assert _get(srv, "/groups.json", _bearer(DEMO_OAUTH_TOKEN)).status_code == 200
    with EmulatorServer(EmulatorConfig(**CONFIG)) as srv:  # type: ignore[arg-type]
        assert _get(srv, "/audit_logs.json", _bearer(DEMO_OAUTH_TOKEN)).status_code == 200


def test_reprs_carry_no_secrets(server: EmulatorServer) -> None:
    text = repr(server) + repr(server.emulator.config)
    assert DEMO_OAUTH_TOKEN not in text and DEMO_CLIENT_SECRET not in text and DEMO_API_TOKEN not in text
