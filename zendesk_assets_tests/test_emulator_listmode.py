"""List-mode endpoints and the export shutdown, over real HTTP.

Contract: `/tickets` pages by keyset cursors (`sort=updated_at` ascending and descending yield every
listed ticket once, in order, a changed ticket moves to the end, a cursor of another order is a 400,
`page[size]` stops at 100, its own `zendesk-ratelimit-tickets-index` bucket) and leaves out archived and
deleted tickets; `/search/export` needs `filter[type]`, pages up to 1000, reaches archived tickets but not
deleted ones, bounds `updated>=`/`updated<` inclusively/exclusively and rejects a cursor of another
query or an expired one; `/deleted_tickets`, `/users`, `/deleted_users` and the ticket audits list what
the truth says; `/ticket_forms` answers the offset envelope whatever is asked; a shutdown makes every
export answer the chosen refusal from the chosen moment, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from zendesk_assets.emulator import DEMO_AGENT_OAUTH_TOKEN, DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer
from zendesk_assets.emulator.crawl import walk_cbp, walk_obp
from zendesk_assets.emulator.ordering import encode_keyset_cursor

BASE: dict[str, Any] = dict(seed=8, tickets=450, users=150, organizations=30, hold_back_seconds=0)


def _client(srv: EmulatorServer, token: str = DEMO_OAUTH_TOKEN) -> httpx.Client:
    return httpx.Client(base_url=srv.base_url + "/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv:
        yield srv


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[httpx.Client]:
    with _client(server) as c:
        yield c


def _listed(em: Any) -> dict[int, dict[str, Any]]:
    return {t["id"]: t for t in em.truth("tickets")
            if t["status"] != "deleted" and not em.archived(t["id"] - em.gen.ticket_id(0))}


# ---- /tickets ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sort", ["updated_at", "-updated_at", None, "-id"])
def test_tickets_keyset_walk_yields_every_listed_ticket_once_in_order(
    client: httpx.Client, server: EmulatorServer, sort: str | None
) -> None:
    params = {"sort": sort} if sort else {}
    small = walk_cbp(client, "/tickets.json", "tickets", size=7, **params)
    large = walk_cbp(client, "/tickets.json", "tickets", size=100, **params)
    assert [t["id"] for t in small] == [t["id"] for t in large]
    assert {t["id"] for t in small} == set(_listed(server.emulator)) and len(small) == len(set(t["id"] for t in small))
    key = "updated_at" if sort and sort.endswith("updated_at") else "id"
    order = [(t[key], t["id"]) for t in small]
    assert order == sorted(order, reverse=bool(sort and sort.startswith("-")))


def test_tickets_cursor_rules_and_rate_bucket(client: httpx.Client) -> None:
    r = client.get("/tickets.json", params={"sort": "updated_at", "page[size]": 2})
    assert r.headers["zendesk-ratelimit-tickets-index"].startswith("total=")
    cursor = r.json()["meta"]["after_cursor"]
    # The cursor is a keyset of another order than -updated_at: rejected loudly, as observed live.
    bad = client.get("/tickets.json", params={"sort": "-updated_at", "page[size]": 2, "page[after]": cursor})
    assert bad.status_code == 400 and bad.json()["description"] == "page[after] is not valid"
    assert client.get("/tickets.json", params={"page[size]": 101}).status_code == 400
    assert client.get("/tickets.json", params={"sort": "subject", "page[size]": 2}).status_code == 400
    # A client-built (updated_at, id) cursor seeks; start_time is silently ignored.
    seek = encode_keyset_cursor("updated_at,id", (("d", 0), ("i", 0)))
    first = client.get("/tickets.json", params={"sort": "updated_at", "page[size]": 3, "page[after]": seek}).json()
    plain = client.get("/tickets.json", params={"sort": "updated_at", "page[size]": 3, "start_time": 2**40}).json()
    assert [t["id"] for t in first["tickets"]] == [t["id"] for t in plain["tickets"]]
    past_end = encode_keyset_cursor("updated_at,id", (("d", 2**40), ("i", 0)))
    empty = client.get("/tickets.json", params={"sort": "updated_at", "page[size]": 3, "page[after]": past_end}).json()
    assert empty["tickets"] == [] and empty["meta"] == {"has_more": False, "after_cursor": None, "before_cursor": None}


def test_a_changed_ticket_moves_to_the_end_of_the_updated_at_order() -> None:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv, _client(srv) as c:
        first = c.get("/tickets.json", params={"sort": "updated_at", "page[size]": 100}).json()
        summary = srv.emulator.advance(updates=3, creations=2, deletes=2)
        rest = walk_cbp(c, "/tickets.json", "tickets", sort="updated_at")
        tail = {t["id"] for t in rest[-5:]}
        assert set(summary["tickets"]["updated"]) | set(summary["tickets"]["created"]) == tail
        assert not set(summary["tickets"]["deleted"]) & {t["id"] for t in rest}
        resumed = c.get(first["links"]["next"]).json()  # an old cursor keeps working
        assert resumed["tickets"]
        body = c.get("/tickets.json", params={"page[size]": 5, "include": "metric_sets"}).json()
        assert {m["ticket_id"] for m in body["metric_sets"]} == {t["id"] for t in body["tickets"]}


# ---- /search/export --------------------------------------------------------------------------------------------
def test_search_export_reaches_archived_tickets_within_bounds(client: httpx.Client, server: EmulatorServer) -> None:
    em = server.emulator
    query = "updated>=2000-01-01T00:00:00Z"
    results = _search(client, "ticket", query, size=1000)
    live = {t["id"] for t in em.truth("tickets") if t["status"] != "deleted"}
    assert {r["id"] for r in results} == live and len(results) == len(live)
    assert all(r["result_type"] == "ticket" for r in results)
    created = [(-_epoch(r["created_at"]), r["id"]) for r in results]
    assert created == sorted(created)  # newest first, ties by id
    archived = {t for t in live if em.archived(t - em.gen.ticket_id(0))}
    assert archived and archived <= {r["id"] for r in results}
    # updated>= is inclusive, updated< exclusive.
    pick = sorted(results, key=lambda r: r["updated_at"])[len(results) // 2]
    window = f"updated>={pick['updated_at']} updated<{pick['updated_at']}"
    assert _search(client, "ticket", window) == []
    inclusive = _search(client, "ticket", f"updated>={pick['updated_at']}")
    assert pick["id"] in {r["id"] for r in inclusive}
    assert all(r["updated_at"] >= pick["updated_at"] for r in inclusive)
    users = _search(client, "user", query)
    assert {u["id"] for u in users} == {u["id"] for u in em.truth("users") if u["active"]}


def test_search_export_rules(client: httpx.Client, server: EmulatorServer) -> None:
    assert client.get("/search/export.json", params={"query": "updated>2020-01-01"}).status_code == 400
    r = client.get("/search/export.json", params={"filter[type]": "ticket", "query": "type:ticket"})
    assert r.status_code == 400
    r = client.get("/search/export.json", params={"filter[type]": "ticket", "query": "updated>2020-01-01",
                                                  "page[size]": 1001})
    assert r.status_code == 400
    page = client.get("/search/export.json", params={"filter[type]": "ticket", "query": "updated>2020-01-01",
                                                     "page[size]": 2}).json()
    assert "count" not in page and page["links"]["prev"] is None and page["meta"]["has_more"]
    other = client.get("/search/export.json", params={"filter[type]": "ticket", "query": "updated>2021-01-01",
                                                      "page[size]": 2, "page[after]": page["meta"]["after_cursor"]})
    assert other.status_code == 400  # the cursor belongs to another query
    em = server.emulator
    em.set_clock_offset(em.clock_offset + 3601)
    try:
        expired = client.get(page["links"]["next"])
        assert expired.status_code == 400 and "expired" in expired.json()["description"]
    finally:
        em.set_clock_offset(em.clock_offset - 3601)


# ---- deleted tickets and users, users ---------------------------------------------------------------------------
def test_deleted_tickets_list_the_last_30_days_with_their_own_bucket() -> None:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv, _client(srv) as c:
        em = srv.emulator
        before = {t["id"] for t in walk_cbp(c, "/deleted_tickets.json", "deleted_tickets")}
        summary = em.advance(deletes=3)
        r = c.get("/deleted_tickets.json", params={"sort": "-deleted_at", "page[size]": 100})
        assert r.headers["zendesk-ratelimit-deleted-tickets-index"].startswith("total=")
        rows = r.json()["deleted_tickets"]
        assert {t["id"] for t in rows} == before | set(summary["tickets"]["deleted"])
        newest = rows[0]
        assert newest["id"] in summary["tickets"]["deleted"] and newest["previous_state"] != "deleted"
        assert set(newest) == {"id", "subject", "description", "actor", "previous_state", "deleted_at"}
        floor = em.now() - 30 * 86400
        assert all(_epoch(t["deleted_at"]) >= floor for t in rows)
        assert c.get("/deleted_tickets.json", params={"sort": "subject"}).status_code == 400


def test_users_and_deleted_users(client: httpx.Client, server: EmulatorServer) -> None:
    em = server.emulator
    truth = em.truth("users")
    by_updated = walk_cbp(client, "/users.json", "users", size=9, sort="updated_at")
    assert {u["id"] for u in by_updated} == {u["id"] for u in truth if u["active"]}
    keys = [(u["updated_at"], u["id"]) for u in by_updated]
    assert keys == sorted(keys)
    desc = walk_cbp(client, "/users.json", "users", size=9, sort="-updated_at")
    assert [u["id"] for u in desc] == [u["id"] for u in reversed(by_updated)]
    deleted = walk_cbp(client, "/deleted_users.json", "deleted_users")
    assert {u["id"] for u in deleted} == {u["id"] for u in truth if not u["active"]}
    assert all(u["email"] is None for u in deleted)
    r = client.get("/deleted_users.json", params={"sort": "-updated_at", "page[size]": 10})
    assert r.status_code == 400 and r.json() == {"error": "InvalidPaginationParameter",
                                                 "description": "sort is not valid"}


# ---- ticket audits -----------------------------------------------------------------------------------------------
def test_ticket_audits_newest_first_without_archived_or_deleted_tickets(
    client: httpx.Client, server: EmulatorServer
) -> None:
    em = server.emulator
    audits = walk_cbp(client, "/ticket_audits.json", "audits", size=100)
    keys = [(_epoch(a["created_at"]), a["id"]) for a in audits]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    shown = {em.gen.ticket_id(i) for i in range(em.n_tickets)
             if em.ticket(i)["status"] != "deleted" and not em.archived(i)}
    expected = {e["id"] for e in em.truth("ticket_events") if e["ticket_id"] in shown}
    assert {a["id"] for a in audits} == expected
    page = client.get("/ticket_audits.json", params={"page[size]": 3}).json()
    assert page["after_cursor"] == page["meta"]["after_cursor"] and page["after_url"] == page["links"]["next"]
    with _client(server, DEMO_AGENT_OAUTH_TOKEN) as agent:
        assert agent.get("/ticket_audits.json").status_code == 403


def test_audits_of_one_ticket_and_of_an_archived_one(client: httpx.Client, server: EmulatorServer) -> None:
    em = server.emulator
    live = next(i for i in range(em.n_tickets) if len(em.ticket_events(i)) >= 3 and not em.archived(i)
                and em.ticket(i)["status"] != "deleted")
    tid = em.gen.ticket_id(live)
    audits = walk_cbp(client, f"/tickets/{tid}/audits.json", "audits", size=2)
    assert [a["id"] for a in audits] == [e["id"] for e in em.ticket_events(live)]
    old = next(i for i in range(em.n_tickets) if em.archived(i) and len(em.ticket_events(i)) >= 2)
    body = client.get(f"/tickets/{em.gen.ticket_id(old)}/audits.json", params={"page[size]": 1}).json()
    assert len(body["audits"]) == len(em.ticket_events(old)) and body["next_page"] is None
    gone = next(t for t in em.truth("tickets") if t["status"] == "deleted")
    assert client.get(f"/tickets/{gone['id']}/audits.json").status_code == 404


# ---- ticket forms --------------------------------------------------------------------------------------------------
def test_ticket_forms_answer_the_offset_envelope() -> None:
    with EmulatorServer(EmulatorConfig(**BASE, ticket_forms=130)) as srv, _client(srv) as c:
        body = c.get("/ticket_forms.json", params={"page[size]": 100}).json()
        assert "meta" not in body and "links" not in body
        assert body["count"] == 130 and len(body["ticket_forms"]) == 100 and body["next_page"]
        forms = walk_obp(c, "/ticket_forms.json", "ticket_forms")
        assert [f["id"] for f in forms] == [f["id"] for f in srv.emulator.truth("ticket_forms")]
        inactive = c.get("/ticket_forms.json", params={"active": "false"}).json()["ticket_forms"]
        assert inactive and not any(f["active"] for f in inactive)


# ---- export shutdown -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [403, 404, 410])
def test_export_shutdown_refuses_exports_from_a_moment_on(status: int) -> None:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv, _client(srv) as c:
        em = srv.emulator
        em.shutdown_exports(at=em.now() + 3600, status=status)
        assert c.get("/incremental/tickets/cursor.json", params={"start_time": 0}).status_code == 200
        em.set_clock_offset(3601)  # the moment comes by the emulator's clock
        for path in ("/incremental/tickets/cursor.json", "/incremental/users/cursor.json",
                     "/incremental/ticket_events.json", "/incremental/organizations.json"):
            r = c.get(path, params={"start_time": 0})
            assert r.status_code == status and r.json()["error"] == "APINotAvailable", path
            assert "not available" in r.json()["description"]
        assert c.get("/tickets.json", params={"page[size]": 5}).status_code == 200
        assert httpx.get(f"{srv.base_url}/api/v2/incremental/tickets/cursor.json").status_code == 401
        r = httpx.post(f"{srv.base_url}/__emulator__/shutdown_exports", json={"restore": True})
        assert r.status_code == 200
        assert c.get("/incremental/tickets/cursor.json", params={"start_time": 0}).status_code == 200


def test_export_shutdown_from_the_config() -> None:
    with EmulatorServer(EmulatorConfig(**BASE, exports_shutdown_at=0, exports_refusal_status=403)) as srv, \
            _client(srv) as c:
        assert c.get("/incremental/ticket_events.json", params={"start_time": 0}).status_code == 403


def _search(client: httpx.Client, kind: str, query: str, size: int = 100) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    body = client.get("/search/export.json", params={"filter[type]": kind, "query": query, "page[size]": size}).json()
    while True:
        records.extend(body["results"])
        if not body["meta"]["has_more"]:
            return records
        body = client.get(body["links"]["next"]).json()


def _epoch(value: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
