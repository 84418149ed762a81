"""The client against the emulator over real HTTP (loopback): every pagination style yields each
record exactly once, also under injected faults; auth and plan problems surface as clear errors.

Contract: cursor exports, time exports and cursor pagination each return exactly the emulator's truth, once per record, through 429 storms, 503 with Retry-After, 500/502, 504 and
slow pages (export per_page halves), truncated and malformed bodies and dropped connections.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
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
    Fault,
)
from zendesk_assets.zendesk import (
    Page,
    ZendeskAuthError,
    ZendeskClient,
    ZendeskNotAvailableError,
    ZendeskPermissionError,
    ZendeskResource,
)
from zendesk_assets.zendesk.auth import ClientCredentialsAuth
from zendesk_assets.zendesk.pagination import Read, cursor_export, cursor_pages, time_export
from zendesk_assets.zendesk.preflight import check_account, endpoint_available
from zendesk_assets.zendesk.resource import ZendeskApiTokenDeprecationWarning
from zendesk_assets.zendesk.settings import ApiToken, OAuthClientCredentials, OAuthToken

TICKETS = Read("/incremental/tickets/cursor", "tickets", order_field="generated_timestamp")
USERS = Read("/incremental/users/cursor", "users", order_field="updated_at")
ORGANIZATIONS = Read("/incremental/organizations", "organizations", order_field="updated_at")
TICKET_EVENTS = Read("/incremental/ticket_events", "ticket_events", order_field="timestamp")
FAST: dict[str, Any] = {"core_requests_per_minute": 60_000, "incremental_requests_per_minute": 60_000}


@pytest.fixture(scope="module")
def srv() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(seed=3, tickets=300, users=120, organizations=70, audit_logs=250)) as server:
        yield server


def resource(srv: EmulatorServer, tmp_path: Path, **kw: Any) -> ZendeskResource:
    auth: dict[str, Any] = {} if "auth" in kw else {"auth": OAuthToken(token=DEMO_OAUTH_TOKEN)}
    return ZendeskResource(subdomain="demo", base_url=srv.base_url, state_url=f"sqlite:///{tmp_path}/state.sqlite",
                           **{**FAST, "timeout_seconds": 2.0, **auth, **kw})


def fast_client(srv: EmulatorServer, tmp_path: Path, **kw: Any) -> ZendeskClient:
    """A client with short back-off so fault tests stay quick (Retry-After is still honoured exactly)."""
    res = resource(srv, tmp_path, **kw)
    base = res.get_client()
    settings = dataclasses.replace(base.settings, backoff_initial=0.05, backoff_max=0.2)
    base.close()
    return ZendeskClient(settings, res.get_client().auth)


def ids(pages: list[Page]) -> list[Any]:
    return [r["id"] for p in pages for r in p.records]


def assert_exactly_once(got: list[Any], truth: list[dict[str, Any]]) -> None:
    dupes = [k for k, n in Counter(got).items() if n > 1]
    assert not dupes, f"duplicated ids: {dupes[:10]}"
    assert set(got) == {r["id"] for r in truth}


# -- every pagination style, clean ---------------------------------------------------------------


def test_cursor_export_tickets_with_metric_sets(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, export_page_size=100).get_client() as client:
        pages = list(cursor_export(client, replace(TICKETS, start_time=0, params={"include": "metric_sets"})))
    assert len(pages) >= 3 and pages[-1].end_of_stream and not pages[0].end_of_stream
    assert_exactly_once(ids(pages), srv.emulator.truth("tickets"))
    metric_ticket_ids = [m["ticket_id"] for p in pages for m in p.sideloads.get("metric_sets", [])]
    assert set(metric_ticket_ids) == {m["ticket_id"] for m in srv.emulator.truth("ticket_metrics")}
    assert all(p.resume for p in pages) and pages[-1].position is not None


def test_cursor_export_resumes_from_a_stored_cursor(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, export_page_size=100).get_client() as client:
        first = next(iter(cursor_export(client, replace(USERS, start_time=0))))
        rest = list(cursor_export(client, replace(USERS, resume=first.resume)))
    assert_exactly_once(ids([first, *rest]), srv.emulator.truth("users"))


def test_time_export_organizations_dedupes_overlaps(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, export_page_size=15).get_client() as client:
        pages = list(time_export(client, replace(ORGANIZATIONS, start_time=0)))
    assert len(pages) >= 4
    assert_exactly_once(ids(pages), srv.emulator.truth("organizations"))
    positions = [p.position for p in pages]
    assert positions == sorted(positions)  # type: ignore[type-var]


def test_time_export_ticket_events(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, export_page_size=500).get_client() as client:
        pages = list(time_export(client, replace(TICKET_EVENTS, start_time=0, params={"include": "comment_events"})))
    assert_exactly_once(ids(pages), srv.emulator.truth("ticket_events"))


def test_time_export_resume_token_continues_without_loss(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, export_page_size=20).get_client() as client:
        it = iter(time_export(client, replace(ORGANIZATIONS, start_time=0)))
        first = next(it)
        rest = list(time_export(client, replace(ORGANIZATIONS, resume=first.resume)))
    # resuming re-reads the overlap second (at-least-once across runs; the warehouse upserts)
    assert {r["id"] for p in [first, *rest] for r in p.records} == {o["id"] for o in srv.emulator.truth("organizations")}


def test_time_export_from_now_is_caught_up(srv: EmulatorServer, tmp_path: Path) -> None:
    import time

    with resource(srv, tmp_path).get_client() as client:
        pages = list(time_export(client, replace(ORGANIZATIONS, start_time=int(time.time()))))
    assert pages[-1].end_of_stream


@pytest.mark.parametrize(("path", "key", "collection"), [
    ("/audit_logs", "audit_logs", "audit_logs"),
    ("/skips", "skips", "ticket_skips"),
    ("/group_memberships", "group_memberships", "group_memberships"),
    ("/ticket_fields", "ticket_fields", "ticket_fields"),
])
def test_cursor_pages(srv: EmulatorServer, tmp_path: Path, path: str, key: str, collection: str) -> None:
    with resource(srv, tmp_path).get_client() as client:
        pages = list(cursor_pages(client, Read(path, key)))
    assert_exactly_once(ids(pages), srv.emulator.truth(collection))
    assert pages[-1].end_of_stream


# -- the same under faults --------------------------------------------------------------------------

FAULTS = {
    "429-storm": (Fault("429", retry_after=1), 2),
    "503-retry-after": (Fault("503", retry_after=1, text_body=True), 1),
    "503-outage-blip": (Fault("503"), 1),
    "500": (Fault("500"), 2),
    "502-text": (Fault("502", text_body=True), 2),
    "504": (Fault("504"), 1),
    "slow": (Fault("slow", delay=2.0), 1),
    "truncate": (Fault("truncate"), 2),
    "malformed": (Fault("malformed"), 2),
    "drop": (Fault("drop"), 2),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_style_survives_faults(srv: EmulatorServer, tmp_path: Path, fault: str) -> None:
    kind, count = FAULTS[fault]
    client = fast_client(srv, tmp_path, export_page_size=100, timeout_seconds=1.0)
    with client:
        srv.emulator.inject("*/incremental/tickets/cursor", kind, count=count)
        tickets = list(cursor_export(client, replace(TICKETS, start_time=0)))
        srv.emulator.inject("*/incremental/organizations", kind, count=count)
        orgs = list(time_export(client, replace(ORGANIZATIONS, start_time=0)))
        srv.emulator.inject("*/audit_logs", kind, count=count)
        logs = list(cursor_pages(client, Read("/audit_logs", "audit_logs")))
    assert_exactly_once(ids(tickets), srv.emulator.truth("tickets"))
    assert_exactly_once(ids(orgs), srv.emulator.truth("organizations"))
    assert_exactly_once(ids(logs), srv.emulator.truth("audit_logs"))
    t = client.telemetry
    if fault.startswith("429"):
        assert t.throttled_429 == 3 * count
    if fault in ("504", "slow"):
        assert t.page_size_reductions == 2  # one per export; the CBP list is retried instead
    else:
        assert t.retries == 3 * count


def test_504_on_big_export_pages_halves_per_page() -> None:
    with EmulatorServer(EmulatorConfig(seed=5, tickets=400, users=40, organizations=10, faults="504>150")) as srv2:
        with ZendeskResource(subdomain="demo", base_url=srv2.base_url, auth=OAuthToken(token=DEMO_OAUTH_TOKEN),
                             state_url="sqlite:///:memory:", export_page_size=600, **FAST).get_client() as client:
            pages = list(cursor_export(client, replace(TICKETS, start_time=0)))
        assert_exactly_once(ids(pages), srv2.emulator.truth("tickets"))
        assert client.telemetry.page_size_reductions >= 2  # 600 -> 300 -> 150
        statuses = Counter(status for (_t, _b, _route, status) in srv2.emulator.request_log())
        assert statuses[504] == client.telemetry.page_size_reductions


# -- auth, roles, plans -------------------------------------------------------------------------------


def test_preflight_admin(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path).get_client() as client:
        info = client.preflight()
    assert info.role == "admin" and info.email == DEMO_EMAIL and info.auth_method == "oauth_access_token"


def test_preflight_agent_names_the_user_and_role(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, auth=OAuthToken(token=DEMO_AGENT_OAUTH_TOKEN)).get_client() as client, \
            pytest.raises(ZendeskPermissionError, match=f"<{DEMO_AGENT_EMAIL}> whose role is 'agent'.*needs an admin"):
        client.preflight()


def test_agent_on_export_is_refused_not_retried(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, auth=OAuthToken(token=DEMO_AGENT_OAUTH_TOKEN)).get_client() as client:
        with pytest.raises(ZendeskNotAvailableError, match=r"/incremental/tickets/cursor is not available.*or an admin"):
            list(cursor_export(client, replace(TICKETS, start_time=0)))
        assert client.telemetry.requests == 1


def test_bad_oauth_token(srv: EmulatorServer, tmp_path: Path) -> None:
    with resource(srv, tmp_path, auth=OAuthToken(token="not-a-token")).get_client() as client, \
            pytest.raises(ZendeskAuthError, match="credentials rejected for account demo: invalid_token") as info:
        client.preflight()
    assert "not-a-token" not in str(info.value)


def test_expired_oauth_token(srv: EmulatorServer, tmp_path: Path) -> None:
    admin_id = srv.emulator.truth("users")[0]["id"]
    srv.emulator.add_oauth_token("expired-token-xyz", admin_id, expires_at=1)
    with resource(srv, tmp_path, auth=OAuthToken(token="expired-token-xyz")).get_client() as client, \
            pytest.raises(ZendeskAuthError, match=r"expired, revoked.*check that the token in oauth_token is current"):
        client.get_json("/groups")


def test_legacy_api_token_works_and_warns(srv: EmulatorServer, tmp_path: Path) -> None:
    with pytest.warns(ZendeskApiTokenDeprecationWarning, match="2027-04-30"):
        client = resource(srv, tmp_path, auth=ApiToken(email=DEMO_EMAIL, api_token=DEMO_API_TOKEN)).get_client()
    with client:
        assert client.preflight().role == "admin"


def test_bad_api_token(srv: EmulatorServer, tmp_path: Path) -> None:
    with pytest.warns(ZendeskApiTokenDeprecationWarning):
        client = resource(srv, tmp_path, auth=ApiToken(email=DEMO_EMAIL, api_token="wrong")).get_client()
    with client, pytest.raises(ZendeskAuthError, match=r"Couldn't authenticate you.*check the email \(admin@"):
        client.preflight()


def test_client_credentials_renew_once_after_revocation(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(seed=6, tickets=20, users=10, organizations=3)) as own:  # revokes all tokens
        _renew_after_revocation(own, tmp_path)


def _renew_after_revocation(srv: EmulatorServer, tmp_path: Path) -> None:
    res = resource(srv, tmp_path, auth=OAuthClientCredentials(client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET))
    with res.get_client() as client:
        assert client.preflight().role == "admin"
        auth = client.auth
        assert isinstance(auth, ClientCredentialsAuth)
        srv.emulator.revoke_all_tokens()  # access and refresh tokens gone
        assert client.preflight().role == "admin"  # 401 -> refresh rejected -> client_credentials
        assert auth.grants_issued == 3  # client_credentials, refresh_token (rejected), client_credentials
    with res.get_client() as other:  # another process: reuses the stored token, no new grant
        other.get_json("/groups")
        assert isinstance(other.auth, ClientCredentialsAuth) and other.auth.grants_issued == 0


def test_wrong_client_secret(srv: EmulatorServer, tmp_path: Path) -> None:
    res = resource(srv, tmp_path, auth=OAuthClientCredentials(client_id=DEMO_CLIENT_ID, client_secret="nope-secret"))
    with res.get_client() as client, \
            pytest.raises(ZendeskAuthError, match=r"client_credentials grant rejected \(401: invalid_client") as info:
        client.preflight()
    assert "nope-secret" not in str(info.value)


def test_plan_gated_endpoint_is_unavailable_on_team(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(seed=2, tickets=20, users=10, organizations=3, plan="team")) as team, \
            ZendeskResource(subdomain="demo", base_url=team.base_url, auth=OAuthToken(token=DEMO_OAUTH_TOKEN),
                            state_url=f"sqlite:///{tmp_path}/s.sqlite", **FAST).get_client() as client:
        assert client.is_available("/audit_logs") is False
        assert client.is_available("/groups") is True
        with pytest.raises(ZendeskNotAvailableError, match="audit logs need Enterprise"):
            list(cursor_pages(client, Read("/audit_logs", "audit_logs")))


def test_plan_answer_is_probed_once_and_remembered(tmp_path: Path) -> None:
    """A sweep behind a plan asks the preflight's remembered answer, not Zendesk, on every run."""
    with EmulatorServer(EmulatorConfig(seed=2, tickets=20, users=10, organizations=3, plan="team")) as team, \
            ZendeskResource(subdomain="demo", base_url=team.base_url, auth=OAuthToken(token=DEMO_OAUTH_TOKEN),
                            state_url=f"sqlite:///{tmp_path}/s.sqlite", **FAST).get_client() as client:
        status = check_account(client, ["/audit_logs", "/groups"])
        assert status.unavailable == ("/audit_logs",)
        asked = len(team.emulator.request_log())
        assert endpoint_available(client, "/audit_logs") is False
        assert endpoint_available(client, "/groups") is True
        assert len(team.emulator.request_log()) == asked  # both answered from the state store
        assert endpoint_available(client, "/ticket_forms") is True  # never checked: one probe
        assert len(team.emulator.request_log()) == asked + 1


def test_resource_inside_a_dagster_asset(srv: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZD_TEST_OAUTH_TOKEN", DEMO_OAUTH_TOKEN)

    @dg.asset
    def groups_probe(context, zendesk: ZendeskResource) -> dg.MaterializeResult:
        with zendesk.get_client(context.log) as client:
            client.preflight()
            rows = sum(len(p.records) for p in cursor_pages(client, Read("/groups", "groups", {"exclude_deleted": "false"})))
            return dg.MaterializeResult(metadata={"groups": rows, **client.telemetry.as_metadata()})

    zendesk = ZendeskResource(subdomain="https://demo.zendesk.com/agent", base_url=srv.base_url,
                              auth=OAuthToken(token=dg.EnvVar("ZD_TEST_OAUTH_TOKEN")),
                              state_url=f"sqlite:///{tmp_path}/state.sqlite")
    result = dg.materialize([groups_probe], resources={"zendesk": zendesk})
    assert result.success
    metadata = result.asset_materializations_for_node("groups_probe")[0].metadata
    assert metadata["groups"].value == len(srv.emulator.truth("groups"))
    assert metadata["zendesk_requests"].value == 2 and metadata["zendesk_throttled_429"].value == 0
    assert DEMO_OAUTH_TOKEN not in repr(metadata)
