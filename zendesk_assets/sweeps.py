"""Sweeps: read one Zendesk endpoint once and route each page to the tables it feeds.

A sweep turns the client's pages into a lazy ``SweepStream`` of batches (one per API page, with
the checkpoint that page reached). Nothing here holds more than a page; the warehouse commits
each batch with its checkpoint, and the next run plans its work from those checkpoints. What a
sweep does follows from its registry entry (``collections.Sweep``), never from its name:

* exports (``Paging.CURSOR_EXPORT``/``TIME_EXPORT``) keep half-open windows of *change time*; a
  run covers the requested range by resuming windows that stopped part-way, sweeping the gaps
  between stored windows, and resuming the live edge;
* incremental lists re-read from their high-water mark minus the entry's ``lookback``, asked for
  by its ``time_filter``, because Zendesk offers no exact change feed for them;
* snapshots are re-read whole and rows that vanished are marked removed by the warehouse.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, Record, Reread, SweepStream
from zendesk_assets.collections import (
    COLLECTIONS,
    DAY,
    CustomFieldSource,
    Paging,
    Sweep,
    SweepKind,
    TimeFilter,
    records,
)
from zendesk_assets.windows import Window, month_key, subtract
from zendesk_assets.zendesk.client import ZendeskClient
from zendesk_assets.zendesk.errors import (
    ZendeskExportRefusedError,
    ZendeskExportStuckError,
    ZendeskRequestError,
)
from zendesk_assets.zendesk.pagination import (
    EXPORT_HOLD_BACK_SECONDS,
    Page,
    Pager,
    Read,
    cursor_export,
    cursor_pages,
    epoch,
    time_export,
)

PROGRESS_EVERY_SECONDS = 15.0
SEARCH_EXPORT_PAGE_SIZE = 1000  # the search export's cap on page[size]


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
    records: Sequence[Record], sideloads: Mapping[str, Sequence[Record]], tables: Iterable[str]
) -> dict[str, list[Record]]:
    """Rows per table from one page, for the selected tables the sweep feeds."""
    return {table: list(COLLECTIONS[table].rows(records, sideloads)) for table in tables}


def removals(records: Sequence[Record], tables: Iterable[str]) -> dict[str, tuple[str, list[Any]]]:
    """Rows that vanish with a deleted parent record of this page (``removed_with_parent``): in the
    tables this read writes, and in the tables of other sweeps (a deleted ticket's skips), which the
    warehouse marks where it holds them."""
    written = set(tables)
    found: dict[str, tuple[str, list[Any]]] = {}
    for child in COLLECTIONS.values():
        rule = child.removed_with_parent
        if rule is None or rule.table not in written:
            continue
        if child.name not in written and child.sweep == COLLECTIONS[rule.table].sweep:
            continue  # a table of this very sweep that this read does not write
        tombstone = COLLECTIONS[rule.table].deleted
        gone = [r.get(rule.target) for r in records if tombstone is not None and tombstone.marks(r)]
        if gone:
            found[child.name] = (rule.column, gone)
    return found


# --------------------------------------------------------------------------- streams


def written_tables(
    sweep: Sweep, enabled: Callable[[str], bool], selected: Iterable[str] = ()
) -> tuple[str, ...]:
    """The tables a sweep writes: every enabled one it feeds (whatever subset Dagster selected, so
    stored windows stay true for all of them), plus any explicitly selected opt-in."""
    chosen = set(selected)
    return tuple(t for t in sweep.tables if enabled(t) or t in chosen)


def state_key(sweep: Sweep, tables: Iterable[str], narrowed: Mapping[str, str] | None = None) -> str:
    """Stored windows hold only for the tables they were read for: when a table is enabled later
    (an opt-in such as ticket_comments), the new set gets windows of its own and re-reads history.
    Likewise for the query parameters an account sets away from their defaults (``narrowed``, e.g.
    ``support_type_scope=agent``): windows read with them never stand for a read without."""
    names = sorted(set(tables))
    key = sweep.name if names == sorted(sweep.tables) else f"{sweep.name}[{','.join(names)}]"
    if narrowed:
        key += "(" + ",".join(f"{k}={v}" for k, v in sorted(narrowed.items())) + ")"
    return key


def sweep_read(
    sweep: Sweep, *, params: Mapping[str, Any] | None = None, start_time: int | None = None, resume: str | None = None
) -> Read:
    """A read of the sweep's endpoint (with its own params unless given others), from where it says."""
    return Read(
        sweep.endpoint,
        sweep.record_key,
        dict(sweep.params) if params is None else params,
        start_time=start_time,
        resume=resume,
        order_field=sweep.position_field,
    )


@dataclass(frozen=True)
class SweepRequest:
    """What a run asks of one sweep."""

    sweep: Sweep
    tables: tuple[str, ...]  # the tables this sweep writes (see written_tables)
    window: Window | None  # partitioned: the partition range's window; else None
    start_date: int  # configured history start (epoch), for windowed lists
    reread_every: int | None = DAY  # seconds of Zendesk time between full re-reads (Sweep.reread); None: never
    export_mode: str = "export"  # "list": export sweeps with a ListRead read the lists instead
    params: Mapping[str, str] = field(default_factory=dict)  # the account's own query parameters
    narrowed: Mapping[str, str] = field(default_factory=dict)  # those away from their defaults

    @property
    def state_key(self) -> str:
        return state_key(self.sweep, self.tables, self.narrowed)

    @property
    def query(self) -> dict[str, Any]:
        """The sweep's query parameters and the account's."""
        return {**dict(self.sweep.params), **self.params}

    @property
    def reread_key(self) -> str:
        """Where the Zendesk time of the last complete re-read is kept (its checkpoint's position)."""
        return f"{self.state_key}:reread"

    @property
    def list_key(self) -> str:
        """Where the list path of an export sweep keeps its cursor (see ``ListRead``)."""
        return f"{self.state_key}:list"

    @property
    def state_keys(self) -> tuple[str, ...]:
        """Every key whose checkpoints ``open_stream`` needs."""
        extra: tuple[str, ...] = (self.reread_key,) if self.sweep.reread else ()
        extra += (self.list_key, self.reread_key) if self.sweep.list_read else ()
        return (self.state_key, *extra)


def open_stream(
    client: ZendeskClient,
    request: SweepRequest,
    checkpoints: Sequence[Checkpoint],
    field_defs: Mapping[str, Sequence[FieldDef]] | Callable[[], Mapping[str, Sequence[FieldDef]]] | None = None,
    log: logging.Logger | None = None,
    now: int | None = None,
) -> SweepStream:
    """A lazy stream for one sweep; nothing is requested from Zendesk until it is iterated.

    ``field_defs`` may be a function that fetches them: it is called with the first page that has
    rows, so a run with nothing new asks for no definitions (see ``defining``). ``now`` is Zendesk's
    time when the caller already knows it; by default it is read from Zendesk's responses
    (``zendesk_now``), never from the host's clock."""
    sweep = request.sweep
    log = log or logging.getLogger(__name__)
    if sweep.kind is SweepKind.SNAPSHOT:
        batches = _snapshot_batches(client, request, now)
        snapshot = frozenset(request.tables)
    elif sweep.export and sweep.list_read is not None and request.export_mode == "list":
        batches = _list_batches(client, request, checkpoints, log)
        snapshot = frozenset()
    elif sweep.export:
        window = request.window or Window(0, None)
        exports = [cp for cp in checkpoints if cp.sweep == request.state_key]
        batches = _exports_or_lists(client, request, plan(window, exports), checkpoints, log)
        snapshot = frozenset()
    else:
        batches = _windowed_list_batches(client, request, checkpoints, now)
        snapshot = frozenset()
    if callable(field_defs):
        batches, field_defs = defining(batches, field_defs), None
    return SweepStream(
        sweep=request.state_key,
        tables=request.tables,
        batches=_with_progress(batches, sweep.name, client, log),
        field_defs=dict(field_defs or {}),
        snapshot_tables=snapshot,
    )


def defining(batches: Iterable[Batch], fetch: Callable[[], Mapping[str, Sequence[FieldDef]]]) -> Iterator[Batch]:
    """Attach the custom field definitions to the first batch with rows. Definitions only name and
    type the columns of rows being written; a field added in Zendesk gets its column with the next
    row of its table, and a run that brings no rows spends no request on them."""
    pending = True
    for batch in batches:
        if pending and any(batch.rows.values()):
            pending = False
            found = {t: list(d) for t, d in fetch().items()}
            for table, defs in (batch.field_defs or {}).items():
                found.setdefault(table, []).extend(defs)
            batch = replace(batch, field_defs=found)
        yield batch


def zendesk_now(client: ZendeskClient, sweep: Sweep, path: str | None = None) -> int:
    """Zendesk's time: the ``Date`` of its latest response, or of one small request to the sweep's
    endpoint (or ``path``) when this client has none yet. Window ends and high-water marks are compared
    with timestamps Zendesk wrote, so they must come from its clock (see ``zendesk/clock.py``)."""
    now = client.clock.now()
    if now is None:
        client.get_json(path or sweep.endpoint, {**({} if path else dict(sweep.params)), "page[size]": 1})
        now = client.clock.now()
    if now is None:
        raise ZendeskRequestError(
            f"zendesk[{client.account}]: {sweep.endpoint} answered without a Date header, so Zendesk's time is "
            "unknown and no window can be ended safely; check that no proxy between us and Zendesk strips it",
            account=client.account,
            endpoint=sweep.endpoint,
        )
    return now


def _exports_or_lists(
    client: ZendeskClient,
    request: SweepRequest,
    items: Sequence[WorkItem],
    checkpoints: Sequence[Checkpoint],
    log: logging.Logger,
) -> Iterator[Batch]:
    """The export's batches; when Zendesk refuses the export outright, the lists' (logged), where the
    registry names them. What the export already stored stays: the list pass upserts over it."""
    sweep = request.sweep
    try:
        yield from _export_batches(client, request, items, log)
    except ZendeskExportRefusedError as exc:
        if sweep.list_read is None:
            raise ZendeskExportRefusedError(
                f"{exc}; {', '.join(request.tables)} can only be read from that export, so they stay as "
                "last synced; see the README (export mode) and status.zendesk.com",
                account=exc.account,
                endpoint=exc.endpoint,
            ) from None
        log.warning(
            f"progress: {sweep.name}: {exc}; switching to the lists ({sweep.list_read.endpoint} and the others "
            "the README names) for this run; set ZENDESK_EXPORT_MODE=list (export_mode: list) to go there directly"
        )
        yield from _list_batches(client, request, checkpoints, log)


def _list_batches(
    client: ZendeskClient, request: SweepRequest, checkpoints: Sequence[Checkpoint], log: logging.Logger
) -> Iterator[Batch]:
    """An export sweep read from the lists (``ListRead``): the keyset list resumed from its stored cursor,
    the search export once for what the list leaves out, then the deleted records. The list checkpoint
    is done once a first pass (search export included) completed; until then the search pass repeats.
    Every ``reread_every`` of Zendesk's time the list is read whole again: a change that did not move
    ``updated_at`` (a system update of a ticket) reaches the warehouse then."""
    sweep, tables, key = request.sweep, request.tables, request.list_key
    lr = sweep.list_read
    assert lr is not None
    if lr.newest_first:
        yield from _newest_first_batches(client, request, checkpoints, log)
        return
    stored = next((cp for cp in checkpoints if cp.sweep == key), None)
    position, resume = (stored.position, stored.resume) if stored else (None, None)
    resume = None if lr.whole else resume
    complete = bool(stored and stored.done)
    now = zendesk_now(client, sweep, lr.endpoint)
    last_whole = next((cp.position for cp in checkpoints if cp.sweep == request.reread_key), None)
    if request.reread_every is not None and now - (last_whole or 0) >= request.reread_every:
        resume = None
    whole = resume is None
    log.info(f"progress: {sweep.name}: reading {lr.endpoint} " + ("from its stored cursor" if resume else "whole"))
    for page in cursor_pages(client, Read(lr.endpoint, sweep.record_key, dict(lr.params), resume=resume)):
        stamps = [p for p in (epoch(r.get(lr.order_field)) for r in page.records) if p is not None]
        position = max([*([position] if position else []), *stamps], default=None)
        resume = None if lr.whole else page.resume or resume
        checkpoint = Checkpoint(key, 0, None, position, resume, done=complete)
        yield from _by_month(sweep, page.records, page.sideloads, tables, checkpoint)
    main = next(t for t in sweep.tables if COLLECTIONS[t].rows is records)
    archive = COLLECTIONS[main].archive
    if not complete and lr.search_type and archive is not None:
        # Archived records are not listed; they never change, so one pass finds them for good. A day's
        # margin below the archive age, by Zendesk's clock.
        bound = zendesk_now(client, sweep, lr.endpoint) - archive.after + DAY
        search = Read("/search/export", "results", {"filter[type]": lr.search_type, "query": f"updated<{iso(bound)}",
                                                      "page[size]": SEARCH_EXPORT_PAGE_SIZE})  # fmt: skip
        for page in cursor_pages(client, search):
            yield Batch(route(page.records, {}, tables))
    if lr.deleted and lr.deleted_key:
        tombstone = COLLECTIONS[main].deleted
        for page in cursor_pages(client, Read(lr.deleted, lr.deleted_key)):
            if not lr.deleted_are_stubs or tombstone is None or tombstone.value is None:
                yield Batch(route(page.records, {}, tables))
                continue
            stubs = [{"id": r.get("id"), tombstone.column: tombstone.value} for r in page.records]
            marks = {main: (tombstone.column, tombstone.value, [r["id"] for r in stubs])}
            yield Batch({}, None, None, removals(stubs, tables), marks=marks)
    # The list pass holds every record whatever its change time: say so where the freshness and partition
    # checks and the status look, the export's live window (without its cursor: were the exports back,
    # that window would be re-read once from its start).
    live = next((cp for cp in checkpoints if cp.sweep == request.state_key and cp.live), None)
    start = live.window_start if live else (request.window or Window(0, None)).start
    yield Batch({}, Checkpoint(request.state_key, start, None, position, None))
    if whole:
        yield Batch({}, Checkpoint(request.reread_key, 0, None, now, None, done=True))
    yield Batch({t: [] for t in tables}, Checkpoint(key, 0, None, position, resume, done=True))


@dataclass(frozen=True)
class _Pass:
    """A pass over a newest-first list: from ``after`` (None: the top) down to ``floor``, begun at ``top``
    (Zendesk's time); ``bottom`` is how far down the complete passes before it reached (None: none
    completed). Stored as JSON in the list checkpoint's ``resume``; ``after`` is None once it completed."""

    after: str | None
    top: int
    floor: int
    bottom: int | None

    def dumps(self) -> str:
        return json.dumps({"after": self.after, "top": self.top, "floor": self.floor, "bottom": self.bottom})

    @classmethod
    def loads(cls, raw: str | None) -> _Pass | None:
        try:
            data = json.loads(raw or "")
            bottom = data.get("bottom")
            return cls(data["after"], int(data["top"]), int(data["floor"]), None if bottom is None else int(bottom))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    def completed(self) -> _Pass:
        """This pass once done: what the complete passes cover now reaches down to its floor too."""
        return replace(self, after=None, bottom=self.floor if self.bottom is None else min(self.bottom, self.floor))


def _newest_first_batches(
    client: ZendeskClient, request: SweepRequest, checkpoints: Sequence[Checkpoint], log: logging.Logger
) -> Iterator[Batch]:
    """An export sweep read from a newest-first list of records that never change (``ListRead.newest_first``:
    the ticket audits). Each pass reads from the top down to the top of the last complete pass less the
    sweep's look-back (records that show up late); down to the requested window's start instead when the
    complete passes do not reach that far (the first pass, a backfill of older months). It never follows
    the list's tail, which Zendesk warns skips records. The list checkpoint keeps the last complete pass's
    top (``position``) and the pass (``resume``, see ``_Pass``): a run cut short finishes it first, then
    reads what appeared above it meanwhile."""
    sweep, key = request.sweep, request.list_key
    lr = sweep.list_read
    assert lr is not None
    stored = next((cp for cp in checkpoints if cp.sweep == key), None)
    high = stored.position if stored else None
    state = _Pass.loads(stored.resume) if stored else None
    if state is not None and state.after is not None:
        log.info(f"progress: {sweep.name}: resuming the {lr.endpoint} pass cut short below {iso(state.top)}")
        yield from _newest_first_pass(client, request, state, high, log)
        high, state = state.top, state.completed()
    bottom = state.bottom if state else None
    start = (request.window or Window(0, None)).start
    top = zendesk_now(client, sweep, lr.endpoint)
    floor = high - sweep.lookback if high is not None and bottom is not None and bottom <= start else start
    log.info(f"progress: {sweep.name}: reading {lr.endpoint} newest first down to {iso(floor)}")
    yield from _newest_first_pass(client, request, _Pass(None, top, floor, bottom), high, log)
    live = next((cp for cp in checkpoints if cp.sweep == request.state_key and cp.live), None)
    yield Batch({}, Checkpoint(request.state_key, live.window_start if live else start, None, top, None))


def _newest_first_pass(
    client: ZendeskClient, request: SweepRequest, run: _Pass, high: int | None, log: logging.Logger
) -> Iterator[Batch]:
    """One pass's batches, each page's checkpoint carrying where the pass got; the last one closes it. A
    stored cursor Zendesk no longer takes (400) restarts the pass from the top: records never change, so
    reading some twice is harmless to the upsert."""
    sweep, key = request.sweep, request.list_key
    lr = sweep.list_read
    assert lr is not None
    convert = lr.as_export or dict
    read = Read(lr.endpoint, lr.record_key or sweep.record_key, dict(lr.params), resume=run.after)
    try:
        for page in cursor_pages(client, read):
            records = [convert(r) for r in page.records]
            stamps = [p for p in (_position(sweep, r) for r in records) if p is not None]
            last = page.end_of_stream or bool(stamps and min(stamps) < run.floor)  # newest first: the rest is older
            kept = [r for r in records if (_position(sweep, r) or run.floor) >= run.floor]
            state = run.completed() if last else replace(run, after=page.resume)
            position = run.top if last else high
            checkpoint = Checkpoint(key, 0, None, position, state.dumps(), done=position is not None)
            yield from _by_month(sweep, kept, page.sideloads, request.tables, checkpoint)
            if last:
                return
    except ZendeskRequestError as exc:
        if run.after is None or exc.status != 400:
            raise
        log.warning(f"progress: {sweep.name}: Zendesk rejected the stored {lr.endpoint} cursor ({exc}); "
                    f"restarting that pass from the top")
        yield from _newest_first_pass(client, request, replace(run, after=None), high, log)


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
        read = sweep_read(
            sweep, params=request.query, start_time=None if item.resume else item.window_start, resume=item.resume
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
            done = item.window_end is not None and (beyond or (page.end_of_stream and _passed(client, item.window_end)))
            checkpoint = Checkpoint(
                sweep=request.state_key,
                window_start=item.window_start,
                window_end=item.window_end,
                position=item.window_end if done else position,
                resume=page.resume,
                done=done,
            )
            yield from _by_month(sweep, records, page.sideloads, request.tables, checkpoint)
            if done:
                break


def _read_export(
    client: ZendeskClient, request: SweepRequest, read: Read, fallback: int, log: logging.Logger
) -> Iterator[Page]:
    """Export pages, recovering from the two dead ends an export can reach.

    A stored cursor Zendesk no longer accepts (400) restarts once from the stored position, a
    start_time (Zendesk advises keeping one for exactly this:
    https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api);
    the re-read overlap is harmless to the monotonic upsert. And when a full page of records
    shares one second (a bulk import) a time-based export cannot advance: where the sweep names a
    ``full_list`` holding every record at its current state, read that once (the stuck second
    included) and resume the export from the next second, rather than fail or lose them.
    """
    sweep = request.sweep
    pager = PAGERS[sweep.paging]
    while True:
        try:
            yield from pager(client, read)
            return
        except ZendeskRequestError as exc:
            if read.resume is None or exc.status != 400:
                raise
            log.warning(
                f"progress: {sweep.name}: Zendesk rejected the stored cursor ({exc}); "
                f"restarting from the stored position {iso(fallback)}"
            )
            read = replace(read, start_time=fallback, resume=None)
        except ZendeskExportStuckError as exc:
            if sweep.full_list is None or exc.stuck_at is None:
                raise
            log.warning(
                f"progress: {sweep.name}: the export cannot move past {iso(exc.stuck_at)} (1,000+ {sweep.record_key} "
                f"changed in that second); reading the full {sweep.record_key} list once, then resuming after it"
            )
            for page in cursor_pages(client, Read(sweep.full_list, sweep.record_key)):
                yield Page(records=page.records, resume=None, position=None, end_of_stream=False)
            read = replace(read, start_time=exc.stuck_at + 1, resume=None)


def _passed(client: ZendeskClient, moment: int) -> bool:
    """Whether Zendesk's clock has left ``moment`` behind by more than the exports' hold-back: only
    then does an export's end_of_stream mean a closed window can get nothing more (a server that sends
    no Date leaves end_of_stream the only word)."""
    now = client.clock.now()
    return now is None or now - EXPORT_HOLD_BACK_SECONDS >= moment
def _by_month(
    sweep: Sweep,
    page: Sequence[Record],
    sideloads: Mapping[str, Sequence[Record]],
    tables: Sequence[str],
    checkpoint: Checkpoint,
) -> Iterator[Batch]:
    """One export page as batches, one per month its records fall in when the sweep is partitioned
    (so the run can report what it wrote to each partition); the page's checkpoint rides on the
    last, so the page still commits as a whole before its checkpoint moves."""
    groups: dict[str | None, list[Record]] = {}
    for record in page:
        position = _position(sweep, record) if sweep.partitioned else None
        groups.setdefault(None if position is None else month_key(position), []).append(record)
    if not groups:
        groups[None] = []
    last = len(groups) - 1
    for i, (month, chunk) in enumerate(groups.items()):
        yield Batch(
            route(chunk, sideloads, tables),
            checkpoint if i == last else None,
            None,
            removals(chunk, tables),
            partition=month,
        )


def _position(sweep: Sweep, record: Record) -> int | None:
    return epoch(record.get(sweep.position_field)) if sweep.position_field else None


def _snapshot_batches(client: ZendeskClient, request: SweepRequest, now: int | None) -> Iterator[Batch]:
    sweep = request.sweep
    # A snapshot of a custom-field definitions list (ticket fields) is the list other sweeps need too.
    source = next((c.custom_fields for c in COLLECTIONS.values()
                   if c.custom_fields and c.custom_fields.definitions_path == sweep.endpoint), None)  # fmt: skip
    definitions: list[FieldDef] = []
    for page in cursor_pages(client, sweep_read(sweep, params=request.query)):
        if source is not None:
            definitions += field_definitions(source, page.records)
        yield Batch(route(page.records, page.sideloads, request.tables))
    if source is not None and not request.query:  # the whole list, as the other sweeps would read it
        share_definitions(client, sweep.endpoint, definitions)
    # The last batch records when (by Zendesk's clock) the complete snapshot was taken (freshness,
    # and the signal that lets the warehouse mark vanished rows).
    taken = zendesk_now(client, sweep) if now is None else now
    yield Batch({t: [] for t in request.tables}, Checkpoint(request.state_key, 0, None, taken, None, done=True))


def _windowed_list_batches(
    client: ZendeskClient, request: SweepRequest, checkpoints: Sequence[Checkpoint], now: int | None
) -> Iterator[Batch]:
    sweep = request.sweep
    stored = next((cp for cp in checkpoints if cp.sweep == request.state_key and cp.window_start == 0), None)
    high_water = stored.position if stored and stored.position else None
    last_reread = next((cp.position for cp in checkpoints if cp.sweep == request.reread_key), None)
    # List filters end at Zendesk's now (never ours: a host clock ahead of Zendesk's would store a
    # high-water mark in Zendesk's future and skip what happens until then). Records that become
    # visible late are re-read by the next run's look-back, so holding the end back (as the
    # exports must) would only delay fresh rows.
    end = zendesk_now(client, sweep) if now is None else now
    due = sweep.reread and request.reread_every is not None and end - (last_reread or 0) >= request.reread_every
    full = high_water is None or due
    start = request.start_date if full or high_water is None else max(request.start_date, high_water - sweep.lookback)
    params: dict[str, Any] = request.query
    stop_before: int | None = None  # newest first: stop once a whole page predates the look-back
    scope: int | None = start  # what a complete pass asked for: where its removals may be marked
    match sweep.time_filter:
        case TimeFilter.START_END_TIME:
            params.update(start_time=start, end_time=end)
        case TimeFilter.CREATED_AT_RANGE:
            params["filter[created_at][]"] = [iso(start), iso(end)]
        case TimeFilter.SINCE:  # rows past the endpoint's retention are gone from Zendesk too
            params["since"] = iso(max(start, end - (sweep.retention or 0)))
            scope = None
        case TimeFilter.CREATED_AT_START_END:
            params.update({"filter[created_at_start]": start, "filter[created_at_end]": end})
        case TimeFilter.NEWEST_FIRST:
            stop_before = None if full else start
            scope = None
    reread = Reread(sweep.position_field, scope) if full and sweep.reread and sweep.position_field else None
    for page in cursor_pages(client, sweep_read(sweep, params=params)):
        yield Batch(route(page.records, page.sideloads, request.tables), reread=reread)
        stamps = [_position(sweep, r) for r in page.records]
        if stop_before is not None and stamps and all(t is not None and t < stop_before for t in stamps):
            break
    empty: dict[str, list[Record]] = {t: [] for t in request.tables}
    yield Batch(empty, Checkpoint(request.state_key, 0, None, end, None), reread=reread)
    if reread is not None:  # last: a done checkpoint tells the warehouse the pass is complete
        yield Batch(empty, Checkpoint(request.reread_key, 0, None, end, None, done=True), reread=reread)


def _with_progress(
    batches: Iterator[Batch], name: str, client: ZendeskClient, log: logging.Logger
) -> Iterator[Batch]:
    """Pass batches through, logging progress now and then."""
    started = last = time.monotonic()
    rows = 0
    first_position: int | None = None
    for pages, batch in enumerate(batches, 1):
        rows += sum(len(r) for r in batch.rows.values())
        cp = batch.checkpoint
        if cp is not None and cp.position and first_position is None:
            first_position = cp.window_start or cp.position
        if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
            last = time.monotonic()
            log.info(_progress_line(name, pages, rows, cp, first_position, started, client))
        yield batch


def _progress_line(
    name: str, pages: int, rows: int, cp: Checkpoint | None, first: int | None, started: float, client: ZendeskClient
) -> str:
    elapsed = time.monotonic() - started
    parts = [f"progress: {name}: {rows:,} rows in {pages:,} pages, {elapsed:,.0f} s"]
    waited = client.telemetry.wait_seconds
    if waited:
        parts.append(f"{waited:,.1f} s waiting for rate budget")
    if cp is not None and cp.position and first is not None:
        target = cp.window_end or client.clock.now() or cp.position
        parts.append(f"reached {iso(cp.position)}")
        done_span, todo_span = cp.position - first, target - cp.position
        if done_span > 0 and todo_span > 0:
            parts.append(f"ETA ~{elapsed * todo_span / done_span / 60:,.1f} min")
    return ", ".join(parts)


def pivots(tables: Iterable[str]) -> list[str]:
    """The tables whose custom-field definitions writing these tables needs: those that pivot custom
    fields, and those whose pivot names another table's field ids (``field_names``)."""
    found: dict[str, None] = {}
    for table in tables:
        coll = COLLECTIONS[table]
        if coll.custom_fields is not None:
            found[table] = None
        if coll.field_names is not None:
            found[coll.field_names.table] = None
    return list(found)


DEFINITIONS_TTL_SECONDS = 600.0  # a definitions snapshot serves the sweeps of the same sync that follow it


def field_definitions(source: CustomFieldSource, records: Iterable[Record]) -> list[FieldDef]:
    """The custom fields among a definitions list (built-in fields are columns already)."""
    return [
        FieldDef(
            id=int(f["id"]),
            title=str(f.get("title") or ""),
            type=str(f.get("type") or "text"),
            key=f.get("key"),
            active=bool(f.get("active", True)),
        )
        for f in records
        if not source.is_system(f)
    ]


def _definitions_key(client: ZendeskClient, path: str) -> str:
    return f"field_definitions:{client.account}:{path}"


def share_definitions(client: ZendeskClient, path: str, defs: Sequence[FieldDef]) -> None:
    """Keep a definitions list a snapshot just read whole, for the sweeps of this sync that need it."""
    value = json.dumps([asdict(d) for d in defs])
    client.store.put_flag(_definitions_key(client, path), value, DEFINITIONS_TTL_SECONDS)


def _shared_definitions(client: ZendeskClient, path: str) -> list[FieldDef] | None:
    found = client.store.get_flag(_definitions_key(client, path))
    if found is None:
        return None
    try:
        return [FieldDef(**d) for d in json.loads(found)]
    except (ValueError, TypeError):
        return None


def fetch_field_defs(client: ZendeskClient, tables: Iterable[str]) -> dict[str, list[FieldDef]]:
    """Custom field definitions for the tables that pivot them or name their fields: one small list
    call each, unless the snapshot of that very list was taken minutes ago (``share_definitions``:
    the ticket fields snapshot of the current-tables run serves the history run after it)."""
    defs: dict[str, list[FieldDef]] = {}
    for table in pivots(tables):
        source = COLLECTIONS[table].custom_fields
        if source is None:
            continue
        found = _shared_definitions(client, source.definitions_path)
        if found is None:
            records = [r for page in cursor_pages(client, Read(source.definitions_path, source.definitions_key))
                       for r in page.records]  # fmt: skip
            found = field_definitions(source, records)
        defs[table] = found
    return defs
