"""Crawl an emulator over real HTTP the way a sync would (tests compare the result with `truth()`)."""

from __future__ import annotations

from typing import Any

import httpx

from zendesk_assets.emulator.generate import COMMENT_KEYS


def walk_cursor_export(client: httpx.Client, path: str, key: str,
                       **params: Any) -> tuple[list[dict], list[dict], str]:
    """Follow after_url until end_of_stream; returns (records, side-loaded metric_sets, last cursor)."""
    records: list[dict] = []
    metric_sets: list[dict] = []
    r = client.get(path, params={"start_time": 0, **params})
    seen_cursors: set[str] = set()
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        records.extend(body[key])
        metric_sets.extend(body.get("metric_sets", []))
        cursor = body["after_cursor"]
        if body["end_of_stream"]:
            return records, metric_sets, cursor
        assert cursor not in seen_cursors, "non-advancing cursor"
        seen_cursors.add(cursor)
        r = client.get(body["after_url"])


def walk_time_export(client: httpx.Client, path: str, key: str, start_time: int = 0,
                     **params: Any) -> tuple[dict[int, dict], int]:
    """Follow next_page until end_of_stream, deduplicating the documented overlap by id."""
    out: dict[int, dict] = {}
    r = client.get(path, params={"start_time": start_time, **params})
    pages = 0
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        pages += 1
        for rec in body[key]:
            out[rec["id"]] = rec
        if body["end_of_stream"]:
            return out, body["end_time"]
        assert pages < 10_000
        r = client.get(body["next_page"])


def walk_cbp(client: httpx.Client, path: str, key: str, size: int = 100, **params: Any) -> list[dict]:
    records: list[dict] = []
    r = client.get(path, params={"page[size]": size, **params})
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        records.extend(body[key])
        if not body["meta"]["has_more"]:
            return records
        r = client.get(body["links"]["next"])


def walk_obp(client: httpx.Client, path: str, key: str, **params: Any) -> list[dict]:
    """Follow `next_page` until it is null (the offset envelope: no `meta`)."""
    records: list[dict] = []
    r = client.get(path, params=params)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        records.extend(body[key])
        if not body.get("next_page"):
            return records
        r = client.get(body["next_page"])


def comments_from_events(events: list[dict]) -> tuple[list[dict], list[dict]]:
    """ticket_comments and attachments the way a sync builds them from comment_events children."""
    comments: list[dict] = []
    attachments: list[dict] = []
    for ev in events:
        for child in ev["child_events"]:
            if child["event_type"] != "Comment":
                continue
            comments.append({**{k: child[k] for k in COMMENT_KEYS}, "ticket_id": ev["ticket_id"]})
            attachments.extend({**a, "ticket_id": ev["ticket_id"], "comment_id": child["id"]}
                               for a in child["attachments"])
    return comments, attachments


def full_crawl(client: httpx.Client) -> dict[str, list[dict]]:
    """Every one of the 16 collections, crawled over HTTP with an admin token."""
    tickets, metric_sets, _ = walk_cursor_export(client, "/incremental/tickets/cursor.json", "tickets",
                                                 include="metric_sets")
    users, _, _ = walk_cursor_export(client, "/incremental/users/cursor.json", "users")
    orgs, _ = walk_time_export(client, "/incremental/organizations.json", "organizations")
    events, _ = walk_time_export(client, "/incremental/ticket_events.json", "ticket_events",
                                 include="comment_events")
    comments, attachments = comments_from_events(list(events.values()))
    return {
        "tickets": tickets,
        "ticket_metrics": metric_sets,
        "users": users,
        "organizations": list(orgs.values()),
        "ticket_events": list(events.values()),
        "ticket_comments": comments,
        "attachments": attachments,
        "groups": walk_cbp(client, "/groups.json", "groups", exclude_deleted="false"),
        "ticket_fields": walk_cbp(client, "/ticket_fields.json", "ticket_fields"),
        "ticket_forms": walk_obp(client, "/ticket_forms.json", "ticket_forms"),
        "group_memberships": walk_cbp(client, "/group_memberships.json", "group_memberships"),
        "organization_memberships": walk_cbp(client, "/organization_memberships.json", "organization_memberships"),
        "satisfaction_ratings": walk_cbp(client, "/satisfaction_ratings.json", "satisfaction_ratings"),
        "activities": walk_cbp(client, "/activities.json", "activities"),
        "ticket_skips": walk_cbp(client, "/skips.json", "skips", sort_order="desc"),
        "audit_logs": walk_cbp(client, "/audit_logs.json", "audit_logs"),
    }


def by_id(records: list[dict]) -> dict[int, dict]:
    out = {r["id"]: r for r in records}
    assert len(out) == len(records), "duplicate ids"
    return out
