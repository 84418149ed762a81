"""Sweep planning and routing: stored windows tile the requested range with no gap and no rework,
and one page's records reach every table its sweep feeds, shaped as the registry expects."""

from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, Reread
from zendesk_assets.collections import COLLECTIONS, SWEEPS, comment_rows, event_rows, metric_sets
from zendesk_assets.sweeps import SweepRequest, WorkItem, defining, open_stream, plan, removals, route
from zendesk_assets.windows import Window
from zendesk_assets.zendesk.auth import BearerTokenAuth
from zendesk_assets.zendesk.client import ClientSettings, ZendeskClient, make_http_client

JAN, FEB, MAR, APR = 1_704_067_200, 1_706_745_600, 1_709_251_200, 1_711_929_600  # 2024-01..04-01 UTC


def cp(
    start: int, end: int | None, position: int | None, resume: str | None = None, done: bool = False
) -> Checkpoint:
    return Checkpoint("tickets", start, end, position, resume, done)


def test_first_sync_is_one_live_window_from_the_range_start() -> None:
    assert plan(Window(JAN, None), []) == [WorkItem(JAN, None)]


def test_next_sync_resumes_the_live_cursor_only() -> None:
    stored = [cp(JAN, None, MAR + 5, "cursor-1")]
    assert plan(Window(JAN, None), stored) == [WorkItem(JAN, None, "cursor-1", MAR + 5)]


def test_backfill_of_older_months_is_one_closed_window_and_leaves_the_live_edge_alone() -> None:
    stored = [cp(MAR, None, APR + 100, "cursor-1")]
    assert plan(Window(JAN, MAR), stored) == [WorkItem(JAN, MAR)]


def test_widening_history_fills_the_gap_then_resumes_the_live_edge() -> None:
    stored = [cp(MAR, None, APR + 100, "cursor-1")]
    assert plan(Window(JAN, None), stored) == [WorkItem(JAN, MAR), WorkItem(MAR, None, "cursor-1", APR + 100)]


def test_a_window_interrupted_mid_way_resumes_from_its_token() -> None:
    stored = [cp(JAN, MAR, FEB + 10, "half-way"), cp(MAR, None, APR, "live")]
    assert plan(Window(JAN, MAR), stored) == [WorkItem(JAN, MAR, "half-way", FEB + 10)]


def test_only_the_hole_between_finished_windows_is_swept() -> None:
    stored = [cp(JAN, FEB, FEB, done=True), cp(MAR, APR, APR, done=True), cp(APR, None, APR + 9, "live")]
    assert plan(Window(JAN, APR), stored) == [WorkItem(FEB, MAR)]
    assert plan(Window(JAN, None), stored) == [WorkItem(FEB, MAR), WorkItem(APR, None, "live", APR + 9)]


def test_a_fully_stored_closed_range_needs_no_request() -> None:
    stored = [cp(JAN, MAR, MAR, done=True), cp(MAR, None, APR, "live")]
    assert plan(Window(JAN, MAR), stored) == []


EVENT = {
    "id": 900, "ticket_id": 7, "timestamp": FEB, "created_at": "2024-02-01T00:00:00Z", "updater_id": 5,
    "via": "Web form", "system": {"client": "Firefox", "location": "Oslo", "latitude": 59.9, "longitude": 10.7},
    "event_type": "Audit",
    "child_events": [
        {"id": 901, "event_type": "Change", "status": "open", "via": "Web form"},
        {"id": 902, "event_type": "Comment", "body": "hi", "author_id": 5, "public": True,
         "via": {"channel": "web"}, "attachments": [{"id": 77, "file_name": "a.png"}]},
    ],
}  # fmt: skip


def test_each_child_event_becomes_a_row_with_its_parent_context() -> None:
    rows = list(event_rows(EVENT))
    assert [r["id"] for r in rows] == [901, 902]
    assert all(r["ticket_event_id"] == 900 and r["ticket_id"] == 7 and r["timestamp"] == FEB for r in rows)
    assert rows[0]["ticket_event_via"] == "Web form" and rows[1]["via"] == {"channel": "web"}
    assert rows[0]["system"]["client"] == "Firefox"


def test_an_event_without_children_is_kept_as_one_row() -> None:
    rows = list(event_rows({**EVENT, "child_events": []}))
    assert [r["id"] for r in rows] == [900]


def test_comments_get_the_ticket_id_their_children_lack_and_attachments_follow() -> None:
    comments = list(comment_rows(EVENT))
    assert [(c["id"], c["ticket_id"], c["ticket_event_id"]) for c in comments] == [(902, 7, 900)]
    rows = route([EVENT], {}, ("ticket_events", "ticket_comments", "attachments"))
    assert [(a["id"], a["ticket_id"], a["comment_id"]) for a in rows["attachments"]] == [(77, 7, 902)]
    assert len(rows["ticket_events"]) == 2 and len(rows["ticket_comments"]) == 1


def test_metric_sets_come_from_either_shape_once_and_only_for_the_page_tickets() -> None:
    tickets: list[dict[str, Any]] = [{"id": 1}, {"id": 2, "metric_set": {"id": 20, "replies": 3}}]
    side = {
        "metric_sets": [{"id": 10, "ticket_id": 1}, {"id": 99, "ticket_id": 3}, {"id": 20, "ticket_id": 2}]
    }
    assert sorted(m["id"] for m in metric_sets(tickets, side)) == [10, 20]


def test_unselected_tables_get_no_rows() -> None:
    rows = route([{"id": 1}], {}, ("tickets",))
    assert set(rows) == {"tickets"}


def test_metric_sets_and_skips_of_deleted_tickets_are_named_for_removal() -> None:
    page = [{"id": 1, "status": "open"}, {"id": 2, "status": "deleted"}]
    gone = ("ticket_id", [2])
    children = {c.name for c in COLLECTIONS.values() if c.removed_with_parent and c.removed_with_parent.table == "tickets"}
    assert {"ticket_metrics", "ticket_skips"} <= children
    assert removals(page, ("tickets", "ticket_metrics")) == dict.fromkeys(children, gone)
    # the other sweeps' tables (skips...) are named even so; ticket_metrics only when this read writes it
    assert removals(page, ("tickets",)) == dict.fromkeys(children - {"ticket_metrics"}, gone)
    assert removals(page, ("ticket_skips",)) == {}


class FakeExport:
    """A ticket export over fixed records, ordered by generated_timestamp, two records a page,
    served to a real client over ``httpx.MockTransport``; the cursor is the next record's index."""

    def __init__(self, stamps: list[int]) -> None:
        self.records = [{"id": i, "generated_timestamp": ts} for i, ts in enumerate(sorted(stamps))]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        if "cursor" in query:
            at = int(query["cursor"])
        else:
            start = int(query["start_time"])
            at = next(
                (i for i, r in enumerate(self.records) if r["generated_timestamp"] >= start), len(self.records)
            )
        chunk = self.records[at : at + 2]
        at += len(chunk)
        body = {"tickets": chunk, "after_cursor": str(at), "end_of_stream": at >= len(self.records)}
        return httpx.Response(200, json=body)

    def client(self, tmp_path: Path) -> ZendeskClient:
        settings = ClientSettings(account="acme", origin="https://acme.zendesk.com",
                                  state_url=f"sqlite:///{tmp_path}/state.sqlite",
                                  core_requests_per_minute=60_000, incremental_requests_per_minute=60_000)  # fmt: skip
        return ZendeskClient(settings, BearerTokenAuth("t"), http=make_http_client(5, httpx.MockTransport(self)))


def _drain(client: ZendeskClient, window: Window, stored: list[Checkpoint]) -> tuple[list[int], Checkpoint]:
    request = SweepRequest(SWEEPS["tickets"], ("tickets",), window, 0)
    stream = open_stream(client, request, stored)
    ids: list[int] = []
    last: Checkpoint | None = None
    for batch in stream.batches:
        ids += [r["id"] for r in batch.rows["tickets"]]
        last = batch.checkpoint or last
    assert last is not None
    return ids, last


def test_no_change_is_lost_or_doubled_at_a_partition_boundary(tmp_path: Path) -> None:
    """An update at 23:59:59 on the last day of a month belongs to that month's window, one a
    second later to the next; a closed window stops at its end and the live edge takes the rest."""
    source = FakeExport([JAN + 5, FEB - 1, FEB, FEB + 1, MAR - 1, MAR])
    client = source.client(tmp_path)
    older, older_cp = _drain(client, Window(JAN, FEB), [])
    assert [source.records[i]["generated_timestamp"] for i in older] == [JAN + 5, FEB - 1]
    assert older_cp.done and older_cp.position == FEB and older_cp.window_end == FEB

    live, live_cp = _drain(client, Window(FEB, None), [older_cp])
    assert sorted(older + live) == list(range(6))  # each record exactly once
    assert not live_cp.done and live_cp.window_end is None and live_cp.resume == "6"

    # The next run resumes the live cursor and reads only what came after it.
    source.records.append({"id": 6, "generated_timestamp": MAR + 60})
    again, _ = _drain(client, Window(FEB, None), [older_cp, live_cp])
    assert again == [6]


def _first_list_query(
    tmp_path: Path, sweep: str, stored: list[Checkpoint], now: int, batches: list[Batch] | None = None
) -> dict[str, list[str]]:
    """The query string of the first request a windowed list sweep sends (over a mock transport)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={SWEEPS[sweep].record_key: [], "meta": {"has_more": False}})

    settings = ClientSettings(account="acme", origin="https://acme.zendesk.com",
                              state_url=f"sqlite:///{tmp_path}/state.sqlite")  # fmt: skip
    client = ZendeskClient(settings, BearerTokenAuth("t"), http=make_http_client(5, httpx.MockTransport(handler)))
    request = SweepRequest(SWEEPS[sweep], (sweep,), None, JAN)
    batches = batches if batches is not None else []
    batches += open_stream(client, request, stored, now=now).batches
    assert Checkpoint(sweep, 0, None, now, None) in [b.checkpoint for b in batches]  # the new high-water mark
    keys = {k for k, _ in seen[0].url.params.multi_items()}
    return {k: seen[0].url.params.get_list(k) for k in keys}


def test_windowed_lists_ask_for_their_window_as_the_registry_says(tmp_path: Path) -> None:
    """Each incremental list re-reads from its stored high-water mark minus its look-back, asked for
    with its own filter; the first run starts at the configured start date."""
    now, mark = APR, MAR

    def stored(sweep: str) -> list[Checkpoint]:  # re-read whole an hour ago: not due again
        return [Checkpoint(sweep, 0, None, mark, None), Checkpoint(f"{sweep}:reread", 0, None, now - 3600, None, True)]

    ratings = _first_list_query(tmp_path, "satisfaction_ratings", stored("satisfaction_ratings"), now)
    assert ratings["start_time"] == [str(mark - 30 * 86400)] and ratings["end_time"] == [str(now)]
    audit = _first_list_query(tmp_path, "audit_logs", stored("audit_logs"), now)
    assert audit["filter[created_at][]"] == ["2024-02-29T18:00:00Z", "2024-04-01T00:00:00Z"]  # 6 h look-back
    assert audit["sort"] == ["created_at"]
    activities = _first_list_query(tmp_path, "activities", [], now)
    assert activities["since"] == ["2024-03-02T00:00:00Z"]  # the 30 days Zendesk keeps, not JAN
    skips = _first_list_query(tmp_path, "ticket_skips", stored("ticket_skips"), now)
    assert skips["sort_order"] == ["desc"] and "start_time" not in skips


def test_window_ends_and_high_water_marks_come_from_zendesks_date_header(tmp_path: Path) -> None:
    """With no time given, a windowed list ends its window at the time Zendesk states in its ``Date``
    header (one small request when none was seen yet), whatever the host's clock says; a snapshot's
    checkpoint is stamped with it too."""
    zendesk_time = APR + 12345  # far from the host's clock
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json={"satisfaction_ratings" if key == "satisfaction_ratings" else key: [],
                                         "meta": {"has_more": False}},
                              headers={"Date": formatdate(zendesk_time, usegmt=True)})

    settings = ClientSettings(account="acme", origin="https://acme.zendesk.com",
                              state_url=f"sqlite:///{tmp_path}/state.sqlite")  # fmt: skip
    client = ZendeskClient(settings, BearerTokenAuth("t"), http=make_http_client(5, httpx.MockTransport(handler)))
    stored = [Checkpoint("satisfaction_ratings", 0, None, MAR, None)]
    request = SweepRequest(SWEEPS["satisfaction_ratings"], ("satisfaction_ratings",), None, JAN)
    batches = list(open_stream(client, request, stored).batches)
    probe, first = seen[0].url.params, seen[1].url.params
    assert probe["page[size]"] == "1" and "end_time" not in probe  # the clock probe
    assert abs(int(first["end_time"]) - zendesk_time) <= 1
    mark = batches[-1].checkpoint
    assert mark is not None and abs((mark.position or 0) - zendesk_time) <= 1
    groups = SweepRequest(SWEEPS["groups"], ("groups",), None, JAN)
    snapshot = list(open_stream(client, groups, []).batches)
    taken = snapshot[-1].checkpoint
    assert taken is not None and abs((taken.position or 0) - zendesk_time) <= 1


def test_a_due_reread_asks_for_the_whole_list_and_says_so_to_the_warehouse(tmp_path: Path) -> None:
    """Once ``reread_every`` of Zendesk time passed since the last complete re-read, the list is read
    whole (from the start date; newest-first lists to their end); every page is marked as part of the
    re-read, and its done checkpoint comes last, so the warehouse marks what vanished."""
    now, mark = APR, MAR
    for sweep, last in (("satisfaction_ratings", now - 86400), ("ticket_skips", None)):
        stored = [Checkpoint(sweep, 0, None, mark, None)]
        if last is not None:
            stored.append(Checkpoint(f"{sweep}:reread", 0, None, last, None, True))
        batches: list[Batch] = []
        query = _first_list_query(tmp_path, sweep, stored, now, batches)
        assert "start_time" not in query or query["start_time"] == [str(JAN)]
        assert all(b.reread == Reread("created_at", JAN if last else None) for b in batches)
        assert batches[-1].checkpoint == Checkpoint(f"{sweep}:reread", 0, None, now, None, done=True)
    not_due = [Checkpoint("ticket_skips", 0, None, mark, None), Checkpoint("ticket_skips:reread", 0, None, mark, None, True)]
    batches = []
    _first_list_query(tmp_path, "ticket_skips", not_due, mark + 3600, batches)
    assert all(b.reread is None for b in batches) and not batches[-1].checkpoint.done  # type: ignore[union-attr]


def test_custom_field_definitions_are_asked_for_with_the_first_page_that_has_rows() -> None:
    asked: list[int] = []

    def fetch() -> dict[str, list[FieldDef]]:
        asked.append(1)
        return {"tickets": [FieldDef(1, "Region", "tagger")]}

    empty, full = Batch({"tickets": []}), Batch({"tickets": [{"id": 1}]})
    assert [b.field_defs for b in defining(iter([empty, empty]), fetch)] == [None, None]
    assert asked == []  # nothing new: no request for definitions
    found = FieldDef(2, "Seen in a page", "text")
    later = Batch({"tickets": [{"id": 2}]}, field_defs={"tickets": [found]})
    out = list(defining(iter([empty, later, full]), fetch))
    assert asked == [1]
    assert out[0].field_defs is None and out[2].field_defs is None
    assert out[1].field_defs == {"tickets": [FieldDef(1, "Region", "tagger"), found]}
