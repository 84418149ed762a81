"""Page iterators for Zendesk's three pagination styles, consumed by the sweeps.

Each style is a function ``(client, Read) -> Iterator[Page]`` (one signature for all of them; see
``Pager``): the cursor-based incremental export, the time-based incremental export and cursor
pagination of ordinary lists. They yield `Page`s, never whole lists, and each page carries the
opaque `resume` token the caller persists *after* storing the page: on a crash the sweep restarts
from the last stored page, nothing lost and nothing doubled.

- Exports: https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
  and https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
- Lists: https://developer.zendesk.com/api-reference/introduction/pagination/
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .client import PageTooSlow, ZendeskClient, parse_json_object
from .errors import (
    ZendeskExportRefusedError,
    ZendeskExportStuckError,
    ZendeskNotAvailableError,
    ZendeskPermissionError,
    ZendeskRequestError,
)

# Exports exclude the last minute and reject a start_time inside it ("Too recent start_time").
EXPORT_HOLD_BACK_SECONDS = 61
CBP_PAGE_SIZE = 100  # Zendesk's cap on page[size] for most list endpoints
MIN_EXPORT_PAGE_SIZE = 10
GROW_AFTER_SUCCESSES = 5
_META_KEYS = {
    "count",
    "end_time",
    "next_page",
    "previous_page",
    "end_of_stream",
    "after_cursor",
    "before_cursor",
    "after_url",
    "before_url",
    "meta",
    "links",
}


@dataclass
class Page:
    """One page of one stream, with what the caller needs to checkpoint after storing it."""

    records: list[dict[str, Any]]
    sideloads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resume: str | None = None
    position: int | None = None
    end_of_stream: bool = False


@dataclass(frozen=True)
class Read:
    """One paged read of one endpoint: what to ask for and where to start.

    ``start_time`` starts an export; ``resume`` continues any read from a stored `Page.resume`.
    ``order_field`` is the record field an export is ordered by (epoch or ISO 8601): it gives each
    page's position and, in the time-based export, which copy of a record is the newest.
    """

    path: str
    record_key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    start_time: int | None = None
    resume: str | None = None
    order_field: str | None = None


Pager = Callable[[ZendeskClient, Read], Iterator[Page]]


def epoch(value: Any) -> int | None:
    """Epoch seconds from Zendesk's epoch integers or ISO 8601 strings (None when neither)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    return None


def _order(record: Mapping[str, Any], read: Read) -> int | None:
    return epoch(record.get(read.order_field)) if read.order_field else None


def _sideloads(data: dict[str, Any], record_key: str) -> dict[str, list[dict[str, Any]]]:
    return {k: v for k, v in data.items() if k != record_key and k not in _META_KEYS and isinstance(v, list)}


def _clamp_start(client: ZendeskClient, start_time: int | None) -> int:
    """A start_time Zendesk accepts: no later than a minute before *its* now (its Date header). Before
    any response we cannot know its time; a start that is too recent then gets Zendesk's own 422,
    which the exports treat as caught up."""
    start = max(0, int(start_time or 0))
    now = client.clock.now()
    return start if now is None else max(0, min(start, now - EXPORT_HOLD_BACK_SECONDS))


def _too_recent(exc: ZendeskRequestError) -> bool:
    return exc.status in (400, 422) and "too recent" in str(exc).lower()


class PageSizer:
    """per_page for export pages: halved on 504/timeout (a heavy page, not load, is the usual cause:
    retrying the same size keeps timing out), grown back after a run of successes."""

    def __init__(self, client: ZendeskClient, maximum: int) -> None:
        self.client = client
        self.maximum = maximum
        self.size = maximum
        self.successes = 0

    def shrink(self, reason: str, endpoint: str) -> None:
        if self.size <= MIN_EXPORT_PAGE_SIZE:
            raise ZendeskRequestError(
                f"zendesk[{self.client.account}]: {endpoint} still times out ({reason}) with per_page="
                f"{self.size}; Zendesk may be degraded, retry the run later",
                account=self.client.account,
                endpoint=endpoint,
            )
        old = self.size
        self.size = max(MIN_EXPORT_PAGE_SIZE, self.size // 2)
        self.successes = 0
        self.client.telemetry.add("page_size_reductions")
        self.client.log.warning(
            "zendesk[%s]: %s on %s with per_page=%d; retrying with per_page=%d",
            self.client.account,
            reason,
            endpoint,
            old,
            self.size,
        )

    def success(self) -> None:
        self.successes += 1
        if self.size < self.maximum and self.successes >= GROW_AFTER_SUCCESSES:
            self.size = min(self.maximum, self.size * 2)
            self.successes = 0


# How an export that is switched off answers: Zendesk has announced no shape (a connector vendor's
# note says the exports end for third parties in December 2026), so an explicit statement that the
# API is not (or no longer) available is required, never a status alone: a 404 from a wrong path or
# a 403 for a missing role is not a shutdown, and transient errors never get here.
_REFUSAL = re.compile(r"apinotavailable|\b(?:no longer|not) available\b", re.IGNORECASE)
REFUSAL_STATUSES = (403, 404, 410)


def _refused(exc: Exception) -> bool:
    if isinstance(exc, ZendeskNotAvailableError | ZendeskPermissionError):
        return "do not have access" not in str(exc).lower() and bool(_REFUSAL.search(str(exc)))
    if isinstance(exc, ZendeskRequestError):
        return exc.status in REFUSAL_STATUSES and bool(_REFUSAL.search(str(exc)))
    return False


def _export_get(client: ZendeskClient, path: str, params: dict[str, Any], sizer: PageSizer) -> dict[str, Any]:
    """One export page; we build each URL from the cursor/end_time ourselves, so the per_page Zendesk
    echoes in next_page/after_url never undoes a reduction. An explicit refusal of the export raises
    ``ZendeskExportRefusedError``."""
    while True:
        try:
            data = client.send(
                "GET",
                path,
                params={**params, "per_page": sizer.size},
                budget="incremental",
                shrinkable=True,
                parse=parse_json_object,
            )
        except PageTooSlow as exc:
            sizer.shrink(exc.reason, client.endpoint_of(client.url_for(path)))
            continue
        except (ZendeskNotAvailableError, ZendeskPermissionError, ZendeskRequestError) as exc:
            if not _refused(exc):
                raise
            raise ZendeskExportRefusedError(
                f"zendesk[{client.account}]: Zendesk refuses the incremental export {path} ({exc})",
                account=client.account,
                endpoint=path,
            ) from None
        sizer.success()
        return data


def cursor_export(client: ZendeskClient, read: Read) -> Iterator[Page]:
    """Cursor-based export (`/incremental/{tickets,users}/cursor`): first `start_time`, then `cursor`
    only, until `end_of_stream`."""
    path, key = read.path, read.record_key
    sizer = PageSizer(client, client.settings.export_page_size)
    cursor = read.resume
    position = None if cursor else read.start_time
    while True:
        params = {"cursor": cursor} if cursor else {"start_time": _clamp_start(client, read.start_time)}
        try:
            data = _export_get(client, path, {**params, **read.params}, sizer)
        except ZendeskRequestError as exc:
            if cursor is None and _too_recent(exc):
                yield Page([], {}, None, _clamp_start(client, read.start_time), True)
                return
            raise
        records = data.get(key) or []
        for record in records:
            got = _order(record, read)
            if got is not None and (position is None or got > position):
                position = got
        end = bool(data.get("end_of_stream"))
        after = data.get("after_cursor")
        client.telemetry.add("pages")
        client.telemetry.add("rows", len(records))
        if not end and (not after or after == cursor):
            # Without this check a cursor that does not advance would be requested forever.
            raise ZendeskExportStuckError(
                f"zendesk[{client.account}]: {path} returned the same cursor again without end_of_stream; "
                "the export cannot advance. Retry later; if it persists, restart this stream from a "
                "start_time (its stored position) instead of the cursor",
                account=client.account,
                endpoint=path,
            )
        yield Page(records, _sideloads(data, key), after or cursor, position, end)
        if end:
            return
        cursor = after


def time_export(client: ZendeskClient, read: Read) -> Iterator[Page]:
    """Time-based export (`/incremental/{organizations,ticket_events}?start_time=`): follow `end_time`
    until `end_of_stream`, deduplicating the overlap (each page re-returns the records of its `end_time`
    second; the newest copy of an id wins)."""
    path, key = read.path, read.record_key
    sizer = PageSizer(client, client.settings.export_page_size)
    start = _clamp_start(client, int(read.resume) if read.resume is not None else read.start_time)
    seen: dict[Any, int] = {}  # id -> version, for records that the next page may return again
    while True:
        try:
            data = _export_get(client, path, {"start_time": start, **read.params}, sizer)
        except ZendeskRequestError as exc:
            if _too_recent(exc):  # a start_time inside the last minute: nothing new yet, caught up
                yield Page([], {}, str(start), start, True)
                return
            raise
        raw = data.get(key) or []
        end = bool(data.get("end_of_stream"))
        end_time = data.get("end_time")
        if end_time is None:
            end_time = _end_time_from_next(data.get("next_page"))
        newest: dict[Any, tuple[int, dict[str, Any]]] = {}
        order: list[Any] = []
        for record in raw:
            rid = record.get("id")
            version = _order(record, read) or 0
            if rid in newest:
                if version >= newest[rid][0]:
                    newest[rid] = (version, record)
                continue
            order.append(rid)
            newest[rid] = (version, record)
        records = [newest[rid][1] for rid in order if rid not in seen or newest[rid][0] > seen[rid]]
        client.telemetry.add("pages")
        client.telemetry.add("rows", len(records))
        if not end and (end_time is None or int(end_time) <= start):
            shared = len(raw) >= sizer.size
            raise ZendeskExportStuckError(
                f"zendesk[{client.account}]: {path} returned start_time={start} again"
                + (
                    f" with {len(raw)} records (>= per_page={sizer.size}) sharing one second, the time-based "
                    "export's known trap (a bulk update)"
                    if shared
                    else " without end_of_stream"
                )
                + "; it cannot advance. For tickets/users use the cursor export; otherwise contact Zendesk "
                "support or skip past this second by restarting from start_time+1 (losing those records)",
                account=client.account,
                endpoint=path,
                stuck_at=start,
            )
        next_start = int(end_time) if end_time is not None else start
        seen = {rid: v for rid, v in seen.items() if v >= next_start}
        for rid in order:
            version = newest[rid][0]
            if version >= next_start and version >= seen.get(rid, -1):
                seen[rid] = version
        yield Page(records, _sideloads(data, key), str(next_start), next_start, end)
        if end:
            return
        start = next_start


def _end_time_from_next(next_page: Any) -> int | None:
    if not isinstance(next_page, str):
        return None
    values = parse_qs(urlsplit(next_page).query).get("start_time")
    return int(values[0]) if values else None


def cursor_pages(client: ZendeskClient, read: Read) -> Iterator[Page]:
    """A list endpoint's pages. We ask for cursor pages (`page[size]=100`) and follow whatever the
    answer offers: `links.next` (host-checked) or `meta.after_cursor` (sent as `page[after]`) until
    `meta.has_more` is false; the ticket audits' top-level `after_url`/`after_cursor`; and, from lists
    that answer in the offset envelope whatever is asked (`/ticket_forms`), the `next_page` URL until it
    is null. `resume` is a page's cursor or next URL. See
    https://developer.zendesk.com/api-reference/introduction/pagination/."""
    path, record_key, resume = read.path, read.record_key, read.resume
    base = {"page[size]": CBP_PAGE_SIZE, **read.params}
    url: str = path
    query: dict[str, Any] | None = base
    if resume and resume.startswith(("http://", "https://")):
        url, query = resume, None
    elif resume:
        query = {**base, "page[after]": resume}
    previous: str | None = None
    while True:
        data = client.get_json(url, query)
        records = data.get(record_key) or []
        client.telemetry.add("pages")
        client.telemetry.add("rows", len(records))
        token = _next_token(client, path, data, bool(records))
        if token is not None and token == previous:
            raise ZendeskExportStuckError(
                f"zendesk[{client.account}]: {path} returned the same cursor twice; stopping instead of looping",
                account=client.account,
                endpoint=path,
            )
        meta: Mapping[str, Any] = data.get("meta") or {}
        # Resume from the cursor when there is one (a keyset list resumes after its last record, even
        # on its last page); the next link is what is followed, host-checked.
        after = (meta.get("after_cursor") or data.get("after_cursor")) if records else None
        yield Page(records, _sideloads(data, record_key), after or token or resume, None, token is None)
        if token is None:
            return
        previous = resume = token
        if token.startswith(("http://", "https://")):
            url, query = client.url_for(token), None
        else:
            url, query = path, {**base, "page[after]": token}


def _next_token(client: ZendeskClient, path: str, data: Mapping[str, Any], any_records: bool) -> str | None:
    """Where the next page is (a URL or a cursor), or None at the end of the list.

    Cursor pagination says whether there is more (`meta.has_more`); when a response does not, a
    next link or cursor is followed as long as pages bring records (the offset envelope's
    `next_page` is null on its last page)."""
    meta: Mapping[str, Any] = data.get("meta") or {}
    links: Mapping[str, Any] = data.get("links") or {}
    after = meta.get("after_cursor") or data.get("after_cursor")
    next_url = links.get("next") or data.get("after_url") or data.get("next_page")
    token = next((t for t in (next_url, after) if isinstance(t, str) and t), None)
    if "has_more" in meta:
        if not meta.get("has_more"):
            return None
        if token is None:
            raise ZendeskRequestError(
                f"zendesk[{client.account}]: {path} says has_more but gives no next cursor",
                account=client.account,
                endpoint=path,
            )
        return token
    return token if any_records else None
