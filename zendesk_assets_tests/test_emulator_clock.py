"""The emulator's own clock, archived tickets and the late arrivals a sync has to reconcile.

Contract (over real HTTP): with `clock_offset_seconds` every response's `Date` header, the exports'
hold-back and "Too recent" 422s, the activities' 30-day window and `advance()` stamps follow the
emulator's clock, not the host's; tickets closed 120 days ago (by that clock) are archived: left out of
/tickets, /ticket_metrics and /ticket_audits, and out of /tickets/count only when
`tickets_count_excludes_archived`; with `skips_hide_archived_and_deleted` their skips stay hidden until
`advance(unarchive=...)` and skips of deleted tickets vanish (and are listed by `removed()`); late skips,
audit logs and activities carry a created_at in the past and sort among the older ones; a rating
changed after creation keeps its created_at and moves its updated_at.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer
from zendesk_assets.emulator.crawl import walk_cbp, walk_cursor_export

BASE: dict[str, Any] = dict(seed=4, tickets=500, users=120, organizations=30, activities=120, ticket_skips=200,
                            audit_logs=100, hold_back_seconds=0)
HOUR = 3600


def _client(srv: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=srv.base_url + "/api/v2", headers={"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"},
                        timeout=30)


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv:
        yield srv


# ---- clock -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [3 * HOUR, -3 * HOUR])
def test_date_header_exports_and_advance_follow_the_emulators_clock(offset: int) -> None:
    with EmulatorServer(EmulatorConfig(**{**BASE, "hold_back_seconds": 60, "clock_offset_seconds": offset})) as srv, \
            _client(srv) as c:
        em = srv.emulator
        for r in (c.get("/groups.json"), c.get("/nope"), httpx.get(f"{srv.base_url}/__emulator__/stats")):
            served = parsedate_to_datetime(r.headers["date"]).timestamp()
            assert abs(served - (time.time() + offset)) < 5, r.headers["date"]
        assert len(r.headers.get_list("date")) == 1  # uvicorn's own Date header is off
        # "Too recent" is decided by the emulator's clock: one minute before *its* now is too recent.
        too_recent = c.get("/incremental/ticket_events.json", params={"start_time": em.now() - 30})
        assert too_recent.status_code == 422 and "Too recent" in too_recent.json()["description"]
        host_now = int(time.time()) - 120
        r = c.get("/incremental/ticket_events.json", params={"start_time": host_now})
        assert r.status_code == (200 if offset > 0 else 422)
        # The generated history ends by the emulator's clock, so the export hides none of it...
        tickets, _, _ = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets")
        assert len(tickets) == BASE["tickets"]
        # ...and a change is stamped at the emulator's now and hidden for its hold-back.
        changed = em.advance(updates=1)["tickets"]["updated"][0]
        truth = {t["id"]: t for t in em.truth("tickets")}
        assert abs(_epoch(truth[changed]["updated_at"]) - (time.time() + offset)) < 5
        again, _, _ = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets")
        assert changed not in {t["id"] for t in again}  # it left its old slot and waits out the hold-back


def test_the_clock_can_move_and_activities_keep_their_30_days_by_it() -> None:
    anchor = int(time.time()) // HOUR * HOUR
    with EmulatorServer(EmulatorConfig(**BASE, anchor=anchor)) as srv, _client(srv) as c:
        visible = len(walk_cbp(c, "/activities.json", "activities"))
        srv.emulator.set_clock_offset(20 * 86400)  # 20 days later, the oldest activities fall out
        later = walk_cbp(c, "/activities.json", "activities")
        assert 0 < len(later) < visible
        floor = srv.emulator.now() - 30 * 86400
        assert all(_epoch(a["created_at"]) >= floor for a in later)
        r = httpx.post(f"{srv.base_url}/__emulator__/clock", json={"offset": -HOUR})
        assert r.status_code == 200 and srv.emulator.clock_offset == -HOUR
        assert httpx.post(f"{srv.base_url}/__emulator__/clock", json={"bogus": 1}).status_code == 400


# ---- archive and counts ----------------------------------------------------------------------------------
def test_archived_tickets_leave_the_lists_but_not_the_exports(server: EmulatorServer) -> None:
    em = server.emulator
    archived = {em.gen.ticket_id(i) for i in range(em.n_tickets) if em.archived(i)}
    tickets = em.truth("tickets")
    assert archived and all(t["status"] == "closed" for t in tickets if t["id"] in archived)
    assert all(em.now() - _epoch(t["updated_at"]) >= 120 * 86400 for t in tickets if t["id"] in archived)
    assert not any(t["status"] == "closed" and em.now() - _epoch(t["updated_at"]) > 121 * 86400
                   and t["id"] not in archived for t in tickets)
    with _client(server) as c:
        exported, _, _ = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets")
        assert archived <= {t["id"] for t in exported}
        listed = {t["id"] for t in walk_cbp(c, "/tickets.json", "tickets")}
        assert not listed & archived
        assert listed == {t["id"] for t in tickets if t["status"] != "deleted"} - archived
        metrics = {m["ticket_id"] for m in walk_cbp(c, "/ticket_metrics.json", "ticket_metrics")}
        assert metrics and not metrics & archived
        count = c.get("/tickets/count.json").json()["count"]["value"]
        assert count == sum(1 for t in tickets if t["status"] != "deleted")  # default: archived included


def test_count_can_leave_archived_tickets_out() -> None:
    with EmulatorServer(EmulatorConfig(**BASE, tickets_count_excludes_archived=True)) as srv, _client(srv) as c:
        em = srv.emulator
        live = sum(1 for t in em.truth("tickets") if t["status"] != "deleted")
        archived = sum(1 for i in range(em.n_tickets) if em.archived(i))
        assert archived > 0
        assert c.get("/tickets/count.json").json()["count"]["value"] == live - archived
        em.advance(unarchive=3)
        assert c.get("/tickets/count.json").json()["count"]["value"] == live - archived + 3


# ---- skips -------------------------------------------------------------------------------------------------
def _skip_ids(c: httpx.Client) -> list[int]:
    return [s["id"] for s in walk_cbp(c, "/skips.json", "skips", sort_order="desc")]


def test_skips_are_all_listed_by_default(server: EmulatorServer) -> None:
    with _client(server) as c:
        assert len(_skip_ids(c)) == BASE["ticket_skips"]


def test_skips_of_archived_tickets_appear_when_unarchived_and_of_deleted_ones_vanish() -> None:
    with EmulatorServer(EmulatorConfig(**BASE, skips_hide_archived_and_deleted=True)) as srv, _client(srv) as c:
        em = srv.emulator
        hidden = [s for s in range(BASE["ticket_skips"]) if not em.skip_visible(s)]
        seen = _skip_ids(c)
        assert hidden and len(seen) == BASE["ticket_skips"] - len(hidden)
        assert {s["id"] for s in em.truth("ticket_skips")} == set(seen)
        # Un-archive until a ticket with skips leaves the archive: its old skips appear, in time order.
        appeared: list[int] = []
        for _ in range(40):
            appeared += em.advance(unarchive=5).get("ticket_skips", {}).get("appeared", [])
            if appeared:
                break
        assert appeared
        now_seen = _skip_ids(c)
        assert set(appeared) <= set(now_seen) and not set(appeared) & set(seen)
        created = [_epoch(s["created_at"]) for s in walk_cbp(c, "/skips.json", "skips", sort_order="desc")]
        assert created == sorted(created, reverse=True)
        # Deleting tickets makes their skips vanish; removed() names them for the warehouse.
        gone: list[int] = []
        for _ in range(40):
            gone += em.advance(deletes=5).get("ticket_skips", {}).get("deleted", [])
            if gone:
                break
        assert gone and not set(gone) & set(_skip_ids(c))
        assert set(gone) <= set(em.removed("ticket_skips"))
        assert not set(em.removed("ticket_skips")) & {s["id"] for s in em.truth("ticket_skips")}


def test_late_skips_sort_among_older_ones(server: EmulatorServer) -> None:
    em = server.emulator
    with _client(server) as c:
        newest = _epoch(walk_cbp(c, "/skips.json", "skips", size=1, sort_order="desc")[0]["created_at"])
        summary = em.advance(late_skips=4)
        late = set(summary["ticket_skips"]["created"])
        skips = walk_cbp(c, "/skips.json", "skips", size=25, sort_order="desc")
        by_id = {s["id"]: s for s in skips}
        assert late <= set(by_id)
        assert all(em.now() - 3 * HOUR - 5 <= _epoch(by_id[s]["created_at"]) <= em.now() - 300 for s in late)
        created = [_epoch(s["created_at"]) for s in skips]
        assert created == sorted(created, reverse=True)
        assert newest <= em.now()


# ---- late audit logs, activities and ratings -----------------------------------------------------------------
def test_late_audit_logs_and_activities_carry_a_past_created_at(server: EmulatorServer) -> None:
    em = server.emulator
    with _client(server) as c:
        summary = em.advance(late_audit_logs=5, late_activities=5)
        logs = walk_cbp(c, "/audit_logs.json", "audit_logs", sort="-created_at")
        created = [_epoch(a["created_at"]) for a in logs]
        assert created == sorted(created, reverse=True)
        late = [a for a in logs if a["id"] in set(summary["audit_logs"]["created"])]
        assert len(late) == 5 and all(em.now() - 3 * HOUR <= _epoch(a["created_at"]) <= em.now() - 300 for a in late)
        acts = {a["id"]: a for a in walk_cbp(c, "/activities.json", "activities")}
        assert set(summary["activities"]["created"]) <= set(acts)
        assert all(_epoch(acts[a]["created_at"]) <= em.now() - 300 for a in summary["activities"]["created"])
        assert {a["id"] for a in em.truth("audit_logs")} == {a["id"] for a in logs}


def test_a_rating_changed_later_keeps_created_at_and_moves_updated_at(server: EmulatorServer) -> None:
    em = server.emulator
    before = {r["id"]: r for r in em.truth("satisfaction_ratings")}
    summary = em.advance(rating_updates=3)
    changed = summary["satisfaction_ratings"]["updated"]
    assert len(changed) == 3
    with _client(server) as c:
        ratings = {r["id"]: r for r in walk_cbp(c, "/satisfaction_ratings.json", "satisfaction_ratings")}
        tickets = {t["id"]: t for t in em.truth("tickets")}
    for rid in changed:
        old, new = before[rid], ratings[rid]
        assert new["created_at"] == old["created_at"] and new["score"] != old["score"]
        assert _epoch(new["updated_at"]) >= em.now() - 5 > _epoch(old["updated_at"])
        assert tickets[new["ticket_id"]]["satisfaction_rating"]["score"] == new["score"]
    # A window on created_at no longer sees the change: what a look-back reader misses.
    recent = em.now() - 86400
    with _client(server) as c:
        windowed = walk_cbp(c, "/satisfaction_ratings.json", "satisfaction_ratings", start_time=recent)
    assert not {r["id"] for r in windowed} & set(changed)
