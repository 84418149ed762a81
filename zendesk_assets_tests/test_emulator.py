"""The emulator behaves like Zendesk's pagination and export APIs, and its truth is what a crawl sees.

Contract (all over real HTTP): every cursor walk yields each record exactly once; time-based exports
overlap by the last item, report end_of_stream, reject a too-recent start_time and cannot advance
when a page's worth of records share one second; `truth()` equals a full crawl for all 16
collections; `advance()` changes show up in exports and truth; generation is deterministic per seed;
the account is referentially intact and carries the hostile shapes the warehouse must survive.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
import pytest

from zendesk_assets.emulator import (
    COLLECTION_NAMES,
    DEMO_OAUTH_TOKEN,
    Emulator,
    EmulatorConfig,
    EmulatorServer,
)
from zendesk_assets.emulator.crawl import (
    by_id,
    full_crawl,
    walk_cbp,
    walk_cursor_export,
    walk_time_export,
)

SYSTEM_TYPES = {"subject", "description", "status", "tickettype", "priority", "group", "assignee", "custom_status"}
SMALL: dict[str, Any] = dict(
    seed=3, tickets=400, users=120, organizations=40, activities=90, ticket_skips=60, audit_logs=150
)


def _client(srv: EmulatorServer) -> httpx.Client:
    return httpx.Client(
        base_url=srv.base_url + "/api/v2", headers={"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"}, timeout=30
    )


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**SMALL, hold_back_seconds=0)) as srv:
        yield srv


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[httpx.Client]:
    with _client(server) as c:
        yield c


def _normalise(records: list[dict]) -> dict[int, dict]:
    return by_id(orjson.loads(orjson.dumps(records)))


# ---- walks ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("per_page", [7, 1000])
def test_ticket_cursor_export_yields_every_ticket_once(
    client: httpx.Client, server: EmulatorServer, per_page: int
) -> None:
    tickets, metric_sets, _ = walk_cursor_export(
        client, "/incremental/tickets/cursor.json", "tickets", per_page=per_page, include="metric_sets"
    )
    ids = [t["id"] for t in tickets]
    assert len(ids) == len(set(ids)) == SMALL["tickets"]
    assert {m["ticket_id"] for m in metric_sets} == {t["id"] for t in tickets if t["status"] != "deleted"}
    gts = [t["generated_timestamp"] for t in tickets]
    assert gts == sorted(gts), "the export is ordered by generated_timestamp"


def test_ticket_export_start_time_filters_on_generated_timestamp(client: httpx.Client) -> None:
    everything, _, _ = walk_cursor_export(client, "/incremental/tickets/cursor.json", "tickets")
    middle = sorted(t["generated_timestamp"] for t in everything)[len(everything) // 2]
    r = client.get("/incremental/tickets/cursor.json", params={"start_time": middle, "per_page": 1000})
    got = r.json()["tickets"]
    assert got and all(t["generated_timestamp"] >= middle for t in got)
    assert len(got) == sum(1 for t in everything if t["generated_timestamp"] >= middle)


def test_exclude_deleted_drops_deleted_tickets(client: httpx.Client) -> None:
    kept, _, _ = walk_cursor_export(
        client, "/incremental/tickets/cursor.json", "tickets", exclude_deleted="true"
    )
    everything, _, _ = walk_cursor_export(client, "/incremental/tickets/cursor.json", "tickets")
    deleted = [t for t in everything if t["status"] == "deleted"]
    assert deleted, "the generated account should contain deleted tickets"
    assert len(kept) == len(everything) - len(deleted)


def test_user_cursor_export_yields_every_user_once(client: httpx.Client) -> None:
    users, _, _ = walk_cursor_export(client, "/incremental/users/cursor.json", "users", per_page=13)
    assert len({u["id"] for u in users}) == len(users) == SMALL["users"]
    inactive = [u for u in users if not u["active"]]
    assert inactive and all(u["email"] is None for u in inactive)


@pytest.mark.parametrize(
    ("path", "key", "params"),
    [
        ("/groups.json", "groups", {"exclude_deleted": "false"}),
        ("/ticket_fields.json", "ticket_fields", {}),
        ("/organization_fields.json", "organization_fields", {}),
        ("/group_memberships.json", "group_memberships", {}),
        ("/organization_memberships.json", "organization_memberships", {}),
        ("/satisfaction_ratings.json", "satisfaction_ratings", {}),
        ("/activities.json", "activities", {}),
        ("/skips.json", "skips", {"sort_order": "desc"}),
        ("/audit_logs.json", "audit_logs", {"sort": "created_at"}),
        ("/ticket_metrics.json", "ticket_metrics", {}),
        ("/user_fields.json", "user_fields", {}),
    ],
)
def test_cbp_walk_yields_every_record_once_whatever_the_page_size(
    client: httpx.Client, path: str, key: str, params: dict
) -> None:
    small = walk_cbp(client, path, key, size=3, **params)
    large = walk_cbp(client, path, key, size=100, **params)
    assert small, f"{key}: empty listing"
    assert [r["id"] for r in small] == [r["id"] for r in large]
    assert len({r["id"] for r in small}) == len(small)


def test_cbp_limits_and_garbage_cursor(client: httpx.Client) -> None:
    r = client.get("/groups.json", params={"page[size]": 101})
    assert r.status_code == 400
    assert r.json() == {
        "error": "InvalidPaginationParameter",
        "description": "page[size] cannot be greater than 100",
    }
    r = client.get("/groups.json", params={"page[size]": 2, "page[after]": "not-a-cursor"})
    assert r.status_code == 400 and "page[after] is not valid" in r.json()["description"]
    # A cursor minted by one endpoint is not valid on another.
    other = client.get("/ticket_fields.json", params={"page[size]": 2}).json()["meta"]["after_cursor"]
    assert client.get("/groups.json", params={"page[size]": 2, "page[after]": other}).status_code == 400


def test_cbp_links_prev_goes_back_one_page(client: httpx.Client) -> None:
    first = client.get("/ticket_fields.json", params={"page[size]": 3}).json()
    second = client.get(first["links"]["next"]).json()
    back = client.get(second["links"]["prev"]).json()
    assert [f["id"] for f in back["ticket_fields"]] == [f["id"] for f in first["ticket_fields"]]
    assert {f["id"] for f in second["ticket_fields"]}.isdisjoint(f["id"] for f in first["ticket_fields"])


def test_malformed_filters_are_400_not_500(client: httpx.Client) -> None:
    for path, params in (
        ("/satisfaction_ratings.json", {"start_time": "yesterday"}),
        ("/activities.json", {"since": "not-a-date"}),
        ("/audit_logs.json", {"filter[created_at][]": "garbage"}),
        ("/incremental/ticket_events.json", {"start_time": "soon"}),
    ):
        r = client.get(path, params=params)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.json()["error"] == "InvalidValue"


def test_offset_pagination_and_its_limit(client: httpx.Client) -> None:
    first = client.get("/audit_logs.json", params={"per_page": 100}).json()
    assert first["count"] == SMALL["audit_logs"] and len(first["audit_logs"]) == 100 and first["next_page"]
    second = client.get(first["next_page"]).json()
    assert len(second["audit_logs"]) == 50 and second["next_page"] is None and second["previous_page"]
    assert {a["id"] for a in first["audit_logs"]}.isdisjoint(a["id"] for a in second["audit_logs"])
    r = client.get("/audit_logs.json", params={"page": 101, "per_page": 100})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "InvalidPaginationDepth"


def test_groups_hide_deleted_unless_asked(client: httpx.Client) -> None:
    default = walk_cbp(client, "/groups.json", "groups")
    everything = walk_cbp(client, "/groups.json", "groups", exclude_deleted="false")
    assert not any(g["deleted"] for g in default)
    assert any(g["deleted"] for g in everything) and len(everything) > len(default)


def test_list_filters(client: httpx.Client, server: EmulatorServer) -> None:
    ratings = walk_cbp(client, "/satisfaction_ratings.json", "satisfaction_ratings")
    times = sorted(_epoch(r["created_at"]) for r in ratings)
    lo, hi = times[len(times) // 4], times[3 * len(times) // 4]
    window = walk_cbp(
        client, "/satisfaction_ratings.json", "satisfaction_ratings", start_time=lo, end_time=hi
    )
    assert {r["id"] for r in window} == {r["id"] for r in ratings if lo <= _epoch(r["created_at"]) <= hi}
    bad = walk_cbp(client, "/satisfaction_ratings.json", "satisfaction_ratings", score="bad")
    assert bad and all(r["score"] == "bad" for r in bad)
    logs = walk_cbp(client, "/audit_logs.json", "audit_logs")
    mid = logs[len(logs) // 2]["created_at"]
    r = client.get(
        "/audit_logs.json",
        params=[
            ("page[size]", "100"),
            ("filter[created_at][]", "2000-01-01T00:00:00Z"),
            ("filter[created_at][]", mid),
        ],
    )
    older = r.json()["audit_logs"]
    assert older and all(a["created_at"] <= mid for a in older)
    assert [a["created_at"] for a in logs] == sorted((a["created_at"] for a in logs), reverse=True)
    activities = walk_cbp(client, "/activities.json", "activities")
    floor = server.emulator.now() - 30 * 86400
    assert activities and all(_epoch(a["created_at"]) >= floor for a in activities)
    skips = walk_cbp(client, "/skips.json", "skips", sort_order="desc")
    assert [s["id"] for s in skips] == sorted((s["id"] for s in skips), reverse=True)


# ---- time-based exports ---------------------------------------------------------------------------
def test_time_export_overlaps_by_the_last_item(client: httpx.Client, server: EmulatorServer) -> None:
    first = client.get("/incremental/ticket_events.json", params={"start_time": 0, "per_page": 50}).json()
    assert first["count"] == 50 and not first["end_of_stream"]
    assert first["end_time"] == first["ticket_events"][-1]["timestamp"]
    second = client.get(first["next_page"]).json()
    assert first["ticket_events"][-1]["id"] in {e["id"] for e in second["ticket_events"]}
    events, _ = walk_time_export(client, "/incremental/ticket_events.json", "ticket_events", per_page=200)
    assert set(events) == {e["id"] for e in server.emulator.truth("ticket_events")}


def test_time_export_window_cannot_advance_when_a_page_shares_one_second(
    client: httpx.Client, server: EmulatorServer
) -> None:
    bulk = server.emulator.gen.bulk_orgs
    assert bulk >= 3
    first = client.get(
        "/incremental/organizations.json", params={"start_time": 0, "per_page": bulk - 1}
    ).json()
    stamps = {o["updated_at"] for o in first["organizations"]}
    assert len(stamps) == 1 and not first["end_of_stream"]
    again = client.get(first["next_page"]).json()
    assert again["end_time"] == first["end_time"]
    assert [o["id"] for o in again["organizations"]] == [o["id"] for o in first["organizations"]]
    # A larger page gets past the burst.
    wide = client.get(
        "/incremental/organizations.json", params={"start_time": 0, "per_page": bulk + 5}
    ).json()
    assert wide["end_time"] > first["end_time"]


def test_too_recent_start_time_is_rejected() -> None:
    with EmulatorServer(EmulatorConfig(**SMALL, hold_back_seconds=60)) as srv, _client(srv) as c:
        now = srv.emulator.now()
        for path in (
            "/incremental/organizations.json",
            "/incremental/ticket_events.json",
            "/incremental/tickets/cursor.json",
        ):
            r = c.get(path, params={"start_time": now - 10})
            assert r.status_code == 422, path
            assert r.json() == {
                "error": "InvalidValue",
                "description": "Too recent start_time. Use a start_time older than 1 minute",
            }
        r = c.get("/incremental/organizations.json", params={"start_time": now - 3600})
        assert r.status_code == 200 and r.json()["end_of_stream"] is True


def test_ticket_events_shape_with_and_without_comment_events(client: httpx.Client) -> None:
    plain = client.get("/incremental/ticket_events.json", params={"start_time": 0, "per_page": 200}).json()
    rich = client.get(
        "/incremental/ticket_events.json",
        params={"start_time": 0, "per_page": 200, "include": "comment_events"},
    ).json()
    assert [e["id"] for e in plain["ticket_events"]] == [e["id"] for e in rich["ticket_events"]]
    ev = rich["ticket_events"][0]
    assert isinstance(ev["via"], str) and ev["event_type"] == "Audit" and "system" in ev
    assert {c["event_type"] for e in rich["ticket_events"] for c in e["child_events"]} >= {
        "Create",
        "Change",
        "Comment",
    }
    rich_comments = [
        c for e in rich["ticket_events"] for c in e["child_events"] if c["event_type"] == "Comment"
    ]
    plain_comments = [
        c for e in plain["ticket_events"] for c in e["child_events"] if c["event_type"] == "Comment"
    ]
    assert all(
        {"author_id", "body", "html_body", "public", "attachments", "audit_id", "created_at", "type"}
        <= c.keys()
        for c in rich_comments
    )
    assert all("body" not in c and c["comment_present"] is True for c in plain_comments)
    assert any(isinstance(c["via"], dict) for c in rich_comments)


# ---- truth ------------------------------------------------------------------------------------------
def test_truth_equals_a_full_crawl_for_all_16_collections(
    client: httpx.Client, server: EmulatorServer
) -> None:
    crawl = full_crawl(client)
    assert set(crawl) == set(COLLECTION_NAMES)
    for name in COLLECTION_NAMES:
        truth = _normalise(server.emulator.truth(name))
        seen = _normalise(crawl[name])
        assert truth, f"{name}: empty truth"
        assert truth.keys() == seen.keys(), f"{name}: ids differ"
        differing = [k for k in truth if truth[k] != seen[k]]
        assert not differing, f"{name}: {len(differing)} records differ, e.g. {differing[:3]}"


def test_truth_since_filters_partitioned_collections(server: EmulatorServer) -> None:
    em = server.emulator
    since = em.gen.t_start + (em.gen.t_end - em.gen.t_start) // 2
    tickets = em.truth("tickets", since=since)
    assert tickets and all(t["generated_timestamp"] >= since for t in tickets)
    assert len(tickets) < len(em.truth("tickets"))
    events = em.truth("ticket_events", since=since)
    assert events and all(e["timestamp"] >= since for e in events)
    assert all(_epoch(c["created_at"]) >= since for c in em.truth("ticket_comments", since=since))
    metric_ids = {m["ticket_id"] for m in em.truth("ticket_metrics", since=since)}
    assert metric_ids == {t["id"] for t in tickets if t["status"] != "deleted"}


# ---- mutation clock ------------------------------------------------------------------------------------
def test_advance_shows_up_in_exports_and_truth() -> None:
    with EmulatorServer(EmulatorConfig(**SMALL, hold_back_seconds=0)) as srv, _client(srv) as c:
        em = srv.emulator
        before = {t["id"]: t for t in em.truth("tickets")}
        _, _, cursor = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets")
        _, _, users_cursor = walk_cursor_export(c, "/incremental/users/cursor.json", "users")
        _, org_end = walk_time_export(c, "/incremental/organizations.json", "organizations")
        _, event_end = walk_time_export(c, "/incremental/ticket_events.json", "ticket_events")
        memberships = {m["id"] for m in walk_cbp(c, "/group_memberships.json", "group_memberships")}

        summary = em.advance(updates=6, deletes=2, creations=3, system_updates=2)
        t = summary["tickets"]
        assert len(t["updated"]) == 6 and len(t["deleted"]) == 2 and len(t["created"]) == 3
        assert len(t["system_updated"]) == 2
        time.sleep(1.1)  # the current second is never exported

        r = c.get(
            "/incremental/tickets/cursor.json", params={"cursor": cursor, "include": "metric_sets"}
        ).json()
        changed = {x["id"]: x for x in r["tickets"]}
        assert set(changed) == {*t["updated"], *t["deleted"], *t["created"], *t["system_updated"]}
        assert r["end_of_stream"] is True
        for tid in t["deleted"]:
            assert changed[tid]["status"] == "deleted"
        assert not {m["ticket_id"] for m in r["metric_sets"]} & set(t["deleted"])
        for tid in t["system_updated"]:
            assert changed[tid]["updated_at"] == before[tid]["updated_at"]
            assert changed[tid]["generated_timestamp"] > before[tid]["generated_timestamp"]
        for tid in t["updated"]:
            assert changed[tid]["updated_at"] != before[tid]["updated_at"]
        truth = {x["id"]: x for x in em.truth("tickets")}
        assert all(truth[k] == v for k, v in changed.items())
        assert len(truth) == len(before) + 3
        live = sum(1 for x in truth.values() if x["status"] != "deleted")
        assert c.get("/tickets/count.json").json()["count"]["value"] == live
        live_orgs = sum(1 for o in em.truth("organizations") if o["deleted_at"] is None)
        assert c.get("/organizations/count.json").json()["count"]["value"] == live_orgs

        new_events, _ = walk_time_export(
            c,
            "/incremental/ticket_events.json",
            "ticket_events",
            start_time=event_end,
            include="comment_events",
        )
        assert set(summary["ticket_events"]["created"]) <= set(new_events)
        new_orgs, _ = walk_time_export(
            c, "/incremental/organizations.json", "organizations", start_time=org_end
        )
        assert set(summary["organizations"]["updated"]) <= set(new_orgs)
        users = c.get("/incremental/users/cursor.json", params={"cursor": users_cursor}).json()["users"]
        assert set(summary["users"]["updated"]) <= {u["id"] for u in users}
        after = {m["id"] for m in walk_cbp(c, "/group_memberships.json", "group_memberships")}
        assert set(summary["group_memberships"]["deleted"]) <= memberships - after
        assert set(summary["group_memberships"]["created"]) <= after
        # A second crawl still equals the truth after the changes.
        crawl = full_crawl(c)
        for name in (
            "tickets",
            "ticket_metrics",
            "ticket_events",
            "ticket_comments",
            "attachments",
            "users",
            "organizations",
            "group_memberships",
            "organization_memberships",
            "satisfaction_ratings",
        ):
            assert _normalise(crawl[name]) == _normalise(em.truth(name)), name


def test_concurrent_crawls_while_the_clock_moves() -> None:
    """Thread safety and no loss: parallel walks run while advance() moves tickets to the end of the
    export; a ticket changed mid-walk may be missed by that walk or seen twice, but resuming from the
    walk's final cursor (the next sync) always picks it up: walk + resume covers every ticket."""
    with EmulatorServer(EmulatorConfig(**SMALL, hold_back_seconds=0)) as srv:
        results: list[tuple[list[int], str]] = []
        errors: list[BaseException] = []

        def crawl() -> None:
            try:
                with _client(srv) as c:
                    tickets, _, cursor = walk_cursor_export(
                        c, "/incremental/tickets/cursor.json", "tickets", per_page=25, include="metric_sets"
                    )
                results.append(([t["id"] for t in tickets], cursor))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=crawl) for _ in range(4)]
        for t in threads:
            t.start()
        touched: set[int] = set()
        for _ in range(3):
            summary = srv.emulator.advance(updates=2, creations=1)
            touched.update(summary["tickets"]["updated"], summary["tickets"]["created"])
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        assert len(results) == 4
        time.sleep(1.1)  # let the last changes leave the hold-back
        everything = {t["id"] for t in srv.emulator.truth("tickets")}
        with _client(srv) as c:
            for ids, cursor in results:
                assert everything - touched <= set(ids)  # untouched tickets: always in the walk
                repeated = {i for i in ids if ids.count(i) > 1}
                assert repeated <= touched
                resumed = c.get("/incremental/tickets/cursor.json", params={"cursor": cursor}).json()[
                    "tickets"
                ]
                assert set(ids) | {t["id"] for t in resumed} == everything


def test_changes_stay_hidden_during_hold_back() -> None:
    with EmulatorServer(EmulatorConfig(**SMALL, hold_back_seconds=30)) as srv, _client(srv) as c:
        _, _, cursor = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets")
        srv.emulator.advance(updates=3)
        r = c.get("/incremental/tickets/cursor.json", params={"cursor": cursor}).json()
        assert r["tickets"] == [] and r["end_of_stream"] is True
        assert len(srv.emulator.truth("tickets")) == SMALL["tickets"]


# ---- the generated account ---------------------------------------------------------------------------
def test_generation_is_deterministic_per_seed() -> None:
    a = Emulator(EmulatorConfig(**SMALL, anchor=1_700_000_000))
    b = Emulator(EmulatorConfig(**SMALL, anchor=1_700_000_000))
    c = Emulator(EmulatorConfig(**{**SMALL, "seed": 4}, anchor=1_700_000_000))
    for name in ("tickets", "users", "ticket_events", "organizations"):
        assert orjson.dumps(a.truth(name)) == orjson.dumps(b.truth(name)), name
    assert orjson.dumps(a.truth("tickets")) != orjson.dumps(c.truth("tickets"))
    a.advance(updates=3, creations=2)
    b.advance(updates=3, creations=2)
    assert [t["id"] for t in a.truth("tickets")][-5:] == [t["id"] for t in b.truth("tickets")][-5:]


def test_referential_integrity(server: EmulatorServer) -> None:
    em = server.emulator
    users = {u["id"] for u in em.truth("users")}
    orgs = {o["id"] for o in em.truth("organizations")}
    groups = {g["id"] for g in em.truth("groups")}
    tickets = {t["id"]: t for t in em.truth("tickets")}
    for t in tickets.values():
        assert {t["requester_id"], t["submitter_id"], *t["collaborator_ids"]} <= users
        assert t["assignee_id"] is None or t["assignee_id"] in users
        assert t["organization_id"] is None or t["organization_id"] in orgs
        assert t["group_id"] in groups
        assert t["problem_id"] is None or t["problem_id"] in tickets
    for m in em.truth("group_memberships"):
        assert m["user_id"] in users and m["group_id"] in groups
    for m in em.truth("organization_memberships"):
        assert m["user_id"] in users and m["organization_id"] in orgs
    for r in em.truth("satisfaction_ratings"):
        assert r["ticket_id"] in tickets and {r["requester_id"], r["assignee_id"]} <= users
    for s in em.truth("ticket_skips"):
        assert s["ticket_id"] in tickets and s["user_id"] in users
    for a in em.truth("activities"):
        assert a["object"]["ticket"]["id"] in tickets and {a["user_id"], a["actor_id"]} <= users
    for log in em.truth("audit_logs"):
        assert log["actor_id"] in users
        assert log["source_id"] in {"user": users, "organization": orgs, "group": groups}[log["source_type"]]
    for e in em.truth("ticket_events"):
        assert e["ticket_id"] in tickets and e["updater_id"] in users
    for c in em.truth("ticket_comments"):
        assert c["ticket_id"] in tickets and c["author_id"] in users
    for m in em.truth("ticket_metrics"):
        assert m["ticket_id"] in tickets
    fields = {f["id"] for f in em.truth("ticket_fields")}
    for form in em.truth("ticket_forms"):
        assert set(form["ticket_field_ids"]) <= fields


def test_hostile_shapes_are_present(server: EmulatorServer) -> None:
    em = server.emulator
    tickets = em.truth("tickets")
    assert min(t["id"] for t in tickets) > 2**53
    assert min(e["id"] for e in em.truth("ticket_events")) > 2**53
    assert any(len(c["body"].encode()) > 64 * 1024 for c in em.truth("ticket_comments"))
    fields = em.truth("ticket_fields")
    types = {f["type"] for f in fields}
    assert types >= {
        "checkbox",
        "date",
        "decimal",
        "integer",
        "regexp",
        "tagger",
        "multiselect",
        "text",
        "textarea",
        "lookup",
        "partialcreditcard",
    }
    titles = [f["title"] for f in fields]
    assert '"; drop table users; --' in titles and "" in titles and titles.count("Region") == 2
    assert any(any(ord(ch) > 0xFFFF for ch in t) for t in titles), "an emoji title"
    date_field = next(f["id"] for f in fields if f["type"] == "date")
    dates = {
        cf["value"][-6:]
        for t in tickets
        for cf in t["custom_fields"]
        if cf["id"] == date_field and cf["value"]
    }
    assert any(d.endswith("Z") for d in dates) and "+00:00" in dates
    # System fields are listed too, Type and Priority removable as on real accounts: a field's type,
    # not `removable`, tells a custom field from a system one.
    system = {f["type"]: f for f in fields if f["type"] in SYSTEM_TYPES}
    assert set(system) == SYSTEM_TYPES
    assert {t for t, f in system.items() if f["removable"]} == {"tickettype", "priority"}
    assert [o["value"] for o in system["priority"]["system_field_options"]] == ["low", "normal", "high", "urgent"]
    custom_ids = {f["id"] for f in fields if f["type"] not in SYSTEM_TYPES}
    assert all({cf["id"] for cf in t["custom_fields"]} == custom_ids for t in tickets)
    orgs = em.truth("organizations")
    deleted = [o for o in orgs if o["deleted_at"]]
    assert deleted and all(o["name"].startswith(f"{o['id']}_deleted_") for o in deleted)
    assert {"user_fields", "url"} <= em.truth("users")[0].keys()
    assert any(not isinstance(c["via"], dict) for c in em.truth("ticket_comments"))


def test_per_ticket_endpoints(client: httpx.Client, server: EmulatorServer) -> None:
    em = server.emulator
    tickets = em.truth("tickets")
    live = next(t for t in tickets if t["status"] != "deleted")
    gone = next(t for t in tickets if t["status"] == "deleted")
    comments = walk_cbp(client, f"/tickets/{live['id']}/comments.json", "comments", size=1)
    expected = [
        {k: v for k, v in c.items() if k != "ticket_id"}
        for c in em.truth("ticket_comments")
        if c["ticket_id"] == live["id"]
    ]
    assert _normalise(comments) == _normalise(expected)
    assert (
        client.get(f"/tickets/{live['id']}/metrics.json").json()["ticket_metric"]["ticket_id"] == live["id"]
    )
    assert client.get(f"/tickets/{gone['id']}/metrics.json").status_code == 404
    assert client.get(f"/tickets/{gone['id']}/comments.json").status_code == 404
    count = client.get("/tickets/count.json").json()["count"]
    assert count["value"] == sum(1 for t in tickets if t["status"] != "deleted")
    orgs = client.get("/organizations/count.json").json()["count"]["value"]
    assert orgs == sum(1 for o in em.truth("organizations") if o["deleted_at"] is None)
    # Zendesk counts deleted (inactive) users under /deleted_users/count, not here.
    assert client.get("/users/count.json").json()["count"]["value"] == sum(
        1 for u in em.truth("users") if u["active"]
    )
    r = client.get("/no/such/thing")
    assert r.status_code == 404 and r.json() == {"error": "InvalidEndpoint", "description": "Not found"}


def test_cli_serves_and_control_endpoints_drive_it() -> None:
    with httpx.Client() as probe:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "zendesk_assets.emulator",
                "--port",
                str(port),
                "--seed",
                "5",
                "--tickets",
                "120",
                "--users",
                "40",
                "--organizations",
                "12",
                "--hold-back",
                "0",
                "--core-rpm",
                "1000",
                "--clock-offset",
                "7200",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            base = f"http://127.0.0.1:{port}"
            assert base in line and "emulator-only" in line
            counts = probe.get(f"{base}/__emulator__/truth").json()["counts"]
            assert counts["tickets"] == 120 and set(counts) == set(COLLECTION_NAMES)
            r = probe.post(f"{base}/__emulator__/advance", json={"creations": 2})
            assert len(r.json()["summary"]["tickets"]["created"]) == 2
            assert probe.get(f"{base}/__emulator__/truth").json()["counts"]["tickets"] == 122
            assert probe.post(f"{base}/__emulator__/advance", json={"bogus": 1}).status_code == 400
            probe.get(f"{base}/api/v2/users/me", headers={"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"})
            # The emulator's clock runs two hours ahead of the host's; the Date header says so.
            served = parsedate_to_datetime(probe.get(f"{base}/__emulator__/stats").headers["date"]).timestamp()
            assert abs(served - time.time() - 7200) < 5
            export = f"{base}/api/v2/incremental/organizations.json"
            auth = {"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"}
            assert probe.post(f"{base}/__emulator__/shutdown_exports", json={"status": 404}).status_code == 200
            assert probe.get(export, params={"start_time": 0}, headers=auth).status_code == 404
            stats = probe.get(f"{base}/__emulator__/stats").json()
            assert {"method": "GET", "route": "/api/v2/users/me", "status": 200, "count": 1} in stats[
                "requests"
            ]
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
