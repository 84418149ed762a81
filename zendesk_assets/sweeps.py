"""Sweeps: read one Zendesk endpoint once and route each page to the tables it feeds.

A sweep turns the client's pages into a lazy ``SweepStream`` of batches (one per API page, with
the checkpoint that page reached). Nothing here holds more than a page; the warehouse commits
each batch with its checkpoint, and the next run plans its work from those checkpoints:

* partitioned sweeps (tickets, ticket_events) and the exports (users, organizations) keep
  half-open time windows of *change time*; a run covers the requested range by resuming windows
  that stopped part-way, sweeping the gaps between stored windows, and resuming the live edge;
* windowed lists (satisfaction_ratings, activities, ticket_skips, audit_logs) re-read from their
  high-water mark minus a look-back, because Zendesk offers no exact change feed for them;
* snapshots (groups, fields, forms, memberships) are re-read whole and rows that vanished are
  marked removed by the warehouse.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, Record, SweepStream
from zendesk_assets.collections import COLLECTIONS, Derive, Paging, Sweep, SweepKind
from zendesk_assets.windows import Window, subtract
from zendesk_assets.zendesk.client import ZendeskClient
from zendesk_assets.zendesk.errors import ZendeskExportStuckError, ZendeskRequestError
from zendesk_assets.zendesk.pagination import (
    Page,
    Pager,
    Read,
    cursor_export,
    cursor_pages,
    epoch,
    time_export,
)

# Re-read this much before a windowed list's high-water mark: ratings change after creation and
# list endpoints are eventually consistent (zendesk-api.md sections 2 and 3).
LOOKBACK_SECONDS = {
    "satisfaction_ratings": 30 * 86400,
    "audit_logs": 3600,
    "activities": 3600,
    "ticket_skips": 86400,
}
ACTIVITIES_RETENTION = 30 * 86400
PROGRESS_EVERY_SECONDS = 15.0


# How each pagination style of the registry is read.
PAGERS: Mapping[Paging, Pager] = {
    Paging.CURSOR_EXPORT: cursor_export,
    Paging.TIME_EXPORT: time_export,
    Paging.CURSOR: cursor_pages,
}


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class WorkItem:
    """One contiguous stretch to sweep: a stored window to resume, or a gap to fill."""

    window_start: int
    window_end: int | None
    resume: str | None = None
    position: int | None = None  # how far the stored window already got


def plan(requested: Window, checkpoints: Sequence[Checkpoint]) -> list[WorkItem]:
    """The work that makes ``requested`` fully stored, given the windows already stored.

    Closed windows that stopped part-way are resumed from their token; gaps between stored
    windows become new closed windows; the live window (open-ended) is resumed last, or created
    when none exists. Each stretch is swept once, so a ranged backfill costs one sweep.
    """
    items: list[WorkItem] = []
    covered: list[Window] = []
    live = max((cp for cp in checkpoints if cp.live), key=lambda cp: cp.window_start, default=None)
    for cp in checkpoints:
        if cp.live:
            continue
        if cp.done:
            covered.append(cp.window)
        elif cp.window.overlaps(requested):
            items.append(WorkItem(cp.window_start, cp.window_end, cp.resume, cp.position))
            covered.append(cp.window)
        else:
            covered.append(cp.stored())
    if live is not None:
        covered.append(live.window)
    items += [WorkItem(gap.start, gap.end) for gap in subtract([requested], covered)]
    if live is not None and requested.overlaps(Window(live.position or live.window_start)):
        items.append(WorkItem(live.window_start, None, live.resume, live.position))
    return sorted(items, key=lambda i: (i.window_end is None, i.window_start))


# --------------------------------------------------------------------------- routing


def route(
    sweep: Sweep, records: Sequence[Record], sideloads: Mapping[str, Sequence[Record]], tables: Iterable[str]
) -> dict[str, list[Record]]:
    """Rows per table from one page, for the selected tables the sweep feeds."""
    return {table: list(_derive(COLLECTIONS[table].derive, records, sideloads)) for table in tables}


def _derive(
    how: Derive, records: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]
) -> Iterator[Record]:
    if how is Derive.RECORDS:
        yield from records
    elif how is Derive.METRIC_SETS:
        yield from metric_sets(records, sideloads)
    elif how is Derive.CHILD_EVENTS:
        for event in records:
            yield from event_rows(event)
    elif how is Derive.COMMENTS:
        for event in records:
            yield from comment_rows(event)
    elif how is Derive.ATTACHMENTS:
        for event in records:
            for comment in comment_rows(event):
                for attachment in comment.get("attachments") or ():
                    if isinstance(attachment, Mapping):
                        yield {
                            **attachment,
                            "ticket_id": comment.get("ticket_id"),
                            "comment_id": comment.get("id"),
                        }


def removals(records: Sequence[Record], tables: Iterable[str]) -> dict[str, tuple[str, list[Any]]]:
    """Rows of derived tables that vanish with their parent record (see ParentRemoval)."""
    found: dict[str, tuple[str, list[Any]]] = {}
    for table in tables:
        rule = COLLECTIONS[table].removed_with_parent
        if rule is None:
            continue
        ids = [r.get("id") for r in records if r.get(rule.field) == rule.value]
        if ids:
            found[table] = (rule.column, ids)
    return found


def metric_sets(tickets: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    """Metric sets of these tickets: Zendesk shapes them either as a top-level ``metric_sets``
    side-load or as a per-ticket ``metric_set`` (zendesk-api.md section 2, CONFLICT); take both."""
    ids = {t.get("id") for t in tickets}
    seen: set[Any] = set()
    for ms in sideloads.get("metric_sets") or ():
        if ms.get("ticket_id") in ids and ms.get("id") not in seen:
            seen.add(ms.get("id"))
            yield ms
    for ticket in tickets:
        embedded = ticket.get("metric_set")
        if isinstance(embedded, Mapping) and embedded.get("id") not in seen:
            seen.add(embedded.get("id"))
            yield {"ticket_id": ticket.get("id"), **embedded}


def event_rows(event: Record) -> Iterator[Record]:
    """One ticket_events row per child event (what changed), carrying its parent's context."""
    parent = {
        "ticket_event_id": event.get("id"),
        "ticket_id": event.get("ticket_id"),
        "timestamp": event.get("timestamp"),
        "updater_id": event.get("updater_id"),
        "ticket_event_via": event.get("via"),
        "system": event.get("system"),
    }
    children = [c for c in event.get("child_events") or () if isinstance(c, Mapping)]
    if not children:  # an update with no recorded children still happened: keep it
        yield {**event, **parent}
        return
    for child in children:
        yield {
            "created_at": event.get("created_at"),
            **child,
            **parent,
            "via": child.get("via", event.get("via")),
        }


def comment_rows(event: Record) -> Iterator[Record]:
    """Comment child events (side-loaded comment_events) with the ticket id copied from the
    parent, since comment children lack it (zendesk-api.md section 2)."""
    for child in event.get("child_events") or ():
        if isinstance(child, Mapping) and child.get("event_type") in ("Comment", "VoiceComment"):
            yield {
                "created_at": event.get("created_at"),
                **child,
                "ticket_id": event.get("ticket_id"),
                "ticket_event_id": event.get("id"),
            }


# --------------------------------------------------------------------------- streams


def written_tables(
    sweep: Sweep, enabled: Callable[[str], bool], selected: Iterable[str] = ()
) -> tuple[str, ...]:
    """The tables a sweep writes: every enabled one it feeds (whatever subset Dagster selected, so
    stored windows stay true for all of them), plus any explicitly selected opt-in."""
    chosen = set(selected)
    return tuple(t for t in sweep.tables if enabled(t) or t in chosen)


def state_key(sweep: Sweep, tables: Iterable[str]) -> str:
    """Stored windows hold only for the tables they were read for: when a table is enabled later
    (an opt-in such as ticket_comments), the new set gets windows of its own and re-reads history."""
    names = sorted(set(tables))
    return sweep.name if names == sorted(sweep.tables) else f"{sweep.name}[{','.join(names)}]"


@dataclass(frozen=True)
class SweepRequest:
    """What a run asks of one sweep."""

    sweep: Sweep
    tables: tuple[str, ...]  # the tables this sweep writes (see written_tables)
    window: Window | None  # partitioned: the partition range's window; else None
    start_date: int  # configured history start (epoch), for windowed lists

    @property
    def state_key(self) -> str:
        return state_key(self.sweep, self.tables)


def open_stream(
    client: ZendeskClient,
    request: SweepRequest,
    checkpoints: Sequence[Checkpoint],
    field_defs: Mapping[str, Sequence[FieldDef]] | None = None,
    log: logging.Logger | None = None,
    now: int | None = None,
) -> SweepStream:
    """A lazy stream for one sweep; nothing is requested from Zendesk until it is iterated."""
    sweep = request.sweep
    log = log or logging.getLogger(__name__)
    now = int(time.time()) if now is None else now
    if sweep.kind is SweepKind.SNAPSHOT:
        batches = _snapshot_batches(client, request, now)
        snapshot = frozenset(request.tables)
    elif sweep.paging in (Paging.CURSOR_EXPORT, Paging.TIME_EXPORT):
        window = request.window or Window(0, None)
        batches = _export_batches(client, request, plan(window, checkpoints), log)
        snapshot = frozenset()
    else:
        batches = _windowed_list_batches(client, request, checkpoints, now)
        snapshot = frozenset()
    telemetry: dict[str, float | int] = {}
    stream = SweepStream(
        sweep=request.state_key,
        tables=request.tables,
        batches=_with_progress(batches, sweep.name, client, telemetry, log),
        field_defs=dict(field_defs or {}),
        snapshot_tables=snapshot,
        telemetry=telemetry,
    )
    return stream


def _export_batches(
    client: ZendeskClient, request: SweepRequest, items: Sequence[WorkItem], log: logging.Logger
) -> Iterator[Batch]:
    sweep = request.sweep
    if not items:
        log.info(f"progress: {sweep.name}: the requested range is already stored; nothing to read")
    for item in items:
        end = iso(item.window_end) if item.window_end else "the live edge"
        how = "resuming the stored cursor" if item.resume else "from its start"
        log.info(f"progress: {sweep.name}: window {iso(item.window_start)} -> {end}, {how}")
        read = Read(
            sweep.endpoint,
            sweep.record_key,
            dict(sweep.params),
            start_time=None if item.resume else item.window_start,
            resume=item.resume,
            order_field=sweep.position_field,
        )
        position = item.position or item.window_start
        for page in _read_export(client, request, read, position, log):
            records = page.records
            beyond = False
            if item.window_end is not None:
                kept = [r for r in records if (_position(sweep, r) or 0) < item.window_end]
                beyond = len(kept) < len(records) or (page.position or 0) >= item.window_end
                records = kept
            seen = [p for p in (_position(sweep, r) for r in records) if p is not None]
            position = max([position, *seen, *([page.position] if page.position and not beyond else [])])
            done = item.window_end is not None and (beyond or page.end_of_stream)
            checkpoint = Checkpoint(
                sweep=request.state_key,
                window_start=item.window_start,
                window_end=item.window_end,
                position=item.window_end if done else position,
                resume=page.resume,
                done=done,
            )
            yield Batch(
                route(sweep, records, page.sideloads, request.tables),
                checkpoint,
                None,
                removals(records, request.tables),
            )
            if done:
                break


def _read_export(
    client: ZendeskClient, request: SweepRequest, read: Read, fallback: int, log: logging.Logger
) -> Iterator[Page]:
    """Export pages, recovering from the two dead ends an export can reach.

    A stored cursor Zendesk no longer accepts (400) restarts once from the stored position, a
    start_time (zendesk-api.md section 3 advises keeping one for exactly this); the re-read
    overlap is harmless to the monotonic upsert. And when 1,000+ organizations share one second
    (a bulk import) the time-based export cannot advance, and organizations have no cursor export:
    rather than fail or lose them, read the full organization list once (every organization at
    its current state, so that second included) and resume the export from the next second.
    """
    pager = PAGERS[request.sweep.paging]
    while True:
        try:
            yield from pager(client, read)
            return
        except ZendeskRequestError as exc:
            if read.resume is None or exc.status != 400:
                raise
            log.warning(
                f"progress: {request.sweep.name}: Zendesk rejected the stored cursor ({exc}); "
                f"restarting from the stored position {iso(fallback)}"
            )
            read = replace(read, start_time=fallback, resume=None)
        except ZendeskExportStuckError as exc:
            if request.sweep.name != "organizations" or exc.stuck_at is None:
                raise
            log.warning(
                f"progress: organizations: the export cannot move past {iso(exc.stuck_at)} (1,000+ organizations "
                "changed in that second); reading the full organization list once, then resuming after it"
            )
            for page in cursor_pages(client, Read("/organizations", "organizations")):
                yield Page(records=page.records, resume=None, position=None, end_of_stream=False)
            read = replace(read, start_time=exc.stuck_at + 1, resume=None)


def _position(sweep: Sweep, record: Record) -> int | None:
    return epoch(record.get(sweep.position_field)) if sweep.position_field else None


def _snapshot_batches(client: ZendeskClient, request: SweepRequest, now: int) -> Iterator[Batch]:
    sweep = request.sweep
    for page in cursor_pages(client, Read(sweep.endpoint, sweep.record_key, dict(sweep.params))):
        yield Batch(route(sweep, page.records, page.sideloads, request.tables))
    # The last batch records when the complete snapshot was taken (freshness, and the signal
    # that lets the warehouse mark vanished rows).
    yield Batch({t: [] for t in request.tables}, Checkpoint(request.state_key, 0, None, now, None, done=True))


def _windowed_list_batches(
    client: ZendeskClient, request: SweepRequest, checkpoints: Sequence[Checkpoint], now: int
) -> Iterator[Batch]:
    sweep = request.sweep
    stored = next((cp for cp in checkpoints if cp.window_start == 0), None)
    high_water = stored.position if stored and stored.position else None
    lookback = LOOKBACK_SECONDS.get(sweep.name, 3600)
    start = max(request.start_date, high_water - lookback) if high_water else request.start_date
    # List filters end at now: records that become visible late are re-read by the next run's
    # look-back, so holding the end back (as the exports must) would only delay fresh rows.
    end = now
    params: dict[str, Any] = dict(sweep.params)
    stop_before: int | None = None
    if sweep.name == "satisfaction_ratings":
        params.update(start_time=start, end_time=end)
    elif sweep.name == "audit_logs":
        params["filter[created_at][]"] = [iso(start), iso(end)]
    elif sweep.name == "activities":
        params["since"] = iso(max(start, now - ACTIVITIES_RETENTION))
    elif sweep.name == "ticket_skips" and high_water:
        stop_before = start  # newest first: stop once a whole page predates the look-back
    for page in cursor_pages(client, Read(sweep.endpoint, sweep.record_key, params)):
        yield Batch(route(sweep, page.records, page.sideloads, request.tables))
        created = [epoch(r.get("created_at")) for r in page.records]
        if stop_before is not None and created and all(c is not None and c < stop_before for c in created):
            break
    yield Batch({t: [] for t in request.tables}, Checkpoint(request.state_key, 0, None, end, None))


def _with_progress(
    batches: Iterator[Batch], name: str, client: Any, telemetry: dict[str, float | int], log: logging.Logger
) -> Iterator[Batch]:
    """Pass batches through, logging progress now and then, and fill the stream's telemetry."""
    started = last = time.monotonic()
    pages = rows = 0
    first_position: int | None = None
    try:
        for batch in batches:
            pages += 1
            rows += sum(len(r) for r in batch.rows.values())
            cp = batch.checkpoint
            if cp is not None and cp.position and first_position is None:
                first_position = cp.window_start or cp.position
            if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
                last = time.monotonic()
                log.info(_progress_line(name, pages, rows, cp, first_position, started, client))
            yield batch
    finally:
        if hasattr(client, "telemetry"):
            telemetry.update(client.telemetry.as_metadata())
        telemetry.setdefault("pages", pages)
        telemetry.setdefault("rows", rows)
        telemetry["seconds"] = round(time.monotonic() - started, 3)


def _progress_line(
    name: str, pages: int, rows: int, cp: Checkpoint | None, first: int | None, started: float, client: Any
) -> str:
    elapsed = time.monotonic() - started
    parts = [f"progress: {name}: {rows:,} rows in {pages:,} pages, {elapsed:,.0f} s"]
    waited = getattr(getattr(client, "telemetry", None), "wait_seconds", None)
    if waited:
        parts.append(f"{waited:,.1f} s waiting for rate budget")
    if cp is not None and cp.position and first is not None:
        target = cp.window_end or int(time.time())
        parts.append(f"reached {iso(cp.position)}")
        done_span, todo_span = cp.position - first, target - cp.position
        if done_span > 0 and todo_span > 0:
            parts.append(f"ETA ~{elapsed * todo_span / done_span / 60:,.1f} min")
    return ", ".join(parts)


def fetch_field_defs(client: ZendeskClient, tables: Iterable[str]) -> dict[str, list[FieldDef]]:
    """Custom field definitions for the tables that pivot them (one small list call each)."""
    defs: dict[str, list[FieldDef]] = {}
    for table in tables:
        source = COLLECTIONS[table].custom_fields
        if source is None:
            continue
        found: list[FieldDef] = []
        for page in cursor_pages(client, Read(source.definitions_path, source.definitions_key)):
            for f in page.records:
                if (
                    f.get("removable") is False
                ):  # system ticket fields (subject, status...) are columns already
                    continue
                found.append(
                    FieldDef(
                        id=int(f["id"]),
                        title=str(f.get("title") or ""),
                        type=str(f.get("type") or "text"),
                        key=f.get("key"),
                        active=bool(f.get("active", True)),
                    )
                )
        defs[table] = found
    return defs
