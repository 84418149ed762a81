"""The collections registry: one declarative entry per Zendesk collection and per API sweep.

Everything else is derived from this module: the Dagster assets (one per collection, one
multi-asset per sweep), the warehouse DDL, the column-schema metadata shown in the UI, the
asset checks and the README's table. Column names and descriptions follow the product spec
(Segment's Zendesk source doc); columns marked "beyond the seed" in the README are extra
Zendesk properties we land because a warehouse user asks for them.

The expensive unit is an API sweep, not a table: one sweep may feed several tables (the ticket
export with ``include=metric_sets`` feeds tickets and ticket_metrics; the ticket_events export
with ``include=comment_events`` feeds ticket_events, ticket_comments and attachments). Every
behaviour that differs between collections or sweeps is a field of their entry below; the code
that reads them (``sweeps.py``, ``assets.py``, ``checks.py``, ``warehouse/``) never names one.

Adding a collection
-------------------
1. Here: a ``Collection`` entry (keyword arguments; its columns, primary key, version field) and,
   when it comes from an endpoint no sweep reads yet, a ``Sweep`` entry: its kind (partitioned
   export, incremental or snapshot), pagination, endpoint, record key, and for an incremental list
   the ``time_filter`` and ``lookback`` that window it. A table derived from another sweep's pages
   (as ticket_comments are from ticket_events) names that sweep and a ``rows`` function (see
   "How rows come out of a page" below). ``_validate`` fails at import on anything inconsistent.
2. In the emulator (``zendesk_assets/emulator/``): the records of the new collection and their
   truth, and the route when the endpoint is new, so the end-to-end test compares it cell by cell.
3. Regenerate the README table: ``python -m zendesk_assets.docs``.
Assets, asset checks, DDL, column schemas and the schedule pick the entry up by themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from zendesk_assets.audits import audit_as_event

Record = Mapping[str, Any]

HOUR = 3600
DAY = 24 * HOUR
# How far before the stored high-water mark append-only lists are re-read each run: records that show
# up with a created_at hours in the past (eventual consistency Zendesk does not document; seen up to
# ~3 h) land in the next run instead of waiting for the daily full re-read. Two schedule periods.
LATE_ARRIVALS = 6 * HOUR


class SqlType(StrEnum):
    """Portable column types; the warehouse dialect maps them to its own."""

    BIGINT = "bigint"
    INTEGER = "integer"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    TEXT = "text"
    TIMESTAMP = "timestamp"
    DATE = "date"
    JSON = "json"


BIGINT, INTEGER, DOUBLE, BOOLEAN = SqlType.BIGINT, SqlType.INTEGER, SqlType.DOUBLE, SqlType.BOOLEAN
TEXT, TIMESTAMP, DATE, JSON = SqlType.TEXT, SqlType.TIMESTAMP, SqlType.DATE, SqlType.JSON


@dataclass(frozen=True)
class Column:
    """One warehouse column and where its value sits in the (possibly derived) record."""

    name: str
    type: SqlType
    description: str
    path: tuple[str, ...] = ()

    @property
    def source(self) -> tuple[str, ...]:
        return self.path or (self.name,)


def C(name: str, type: SqlType, description: str, path: tuple[str, ...] = ()) -> Column:
    return Column(name, type, description, path)


# Columns the warehouse adds to every table. They start with an underscore (but for the
# seed's received_at) so they can never collide with a Zendesk property.
SYSTEM_COLUMNS: tuple[Column, ...] = (
    C("received_at", TIMESTAMP, "When the sync last wrote this row."),
    C("_raw", JSON, "The record exactly as Zendesk sent it, as JSON: every property, including ones without a column (a record holding a NUL character is stored as a JSON string of its JSON text: parse it once more)."),
    C("_version", BIGINT, "The record's version in epoch seconds; a row is only replaced by a version at least as new."),
    C("_removed_at", TIMESTAMP, "When the row disappeared from Zendesk: a complete re-read of its list (a snapshot, or the daily re-read of an incremental list) no longer returned it, or its parent ticket was deleted. Null while it exists; filter on `_removed_at IS NULL` for current rows."),
)


class Paging(StrEnum):
    """Zendesk's pagination styles; each has one pager in ``zendesk/pagination.py``. Lists:
    https://developer.zendesk.com/api-reference/introduction/pagination/; exports:
    https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api"""

    CURSOR_EXPORT = "cursor_export"  # /incremental/{tickets,users}/cursor: after_cursor + end_of_stream
    TIME_EXPORT = "time_export"  # /incremental/{organizations,ticket_events}: end_time + overlap
    CURSOR = "cursor"  # page[size] + links.next + meta.has_more


class SweepKind(StrEnum):
    """How a sweep keeps state between runs."""

    PARTITIONED = "partitioned"  # time windows (monthly partitions), cursor per window
    INCREMENTAL = "incremental"  # one open window resumed from stored state
    SNAPSHOT = "snapshot"  # re-read whole; rows that vanished get _removed_at


class TimeFilter(StrEnum):
    """How an incremental list endpoint is asked for one window of records [start, end)."""

    START_END_TIME = "start_end_time"  # ?start_time=&end_time= in epoch seconds
    CREATED_AT_RANGE = "created_at_range"  # ?filter[created_at][]=<ISO start>&filter[created_at][]=<ISO end>
    SINCE = "since"  # ?since=<ISO start>, no earlier than the endpoint's retention allows
    NEWEST_FIRST = "newest_first"  # no filter: sorted newest first, read until a whole page predates start
    CREATED_AT_START_END = "created_at_start_end"  # ?filter[created_at_start]=&filter[created_at_end]= epoch seconds


@dataclass(frozen=True)
class Reference:
    """A foreign key the seed implies: ``column`` holds the ``target`` of a ``table`` row."""

    column: str
    table: str
    target: str = "id"


R = Reference


@dataclass(frozen=True)
class PartitionTime:
    """Where a stored row of a partitioned table keeps the change time that puts it in a month: a
    column of its own, or of the parent row ``via`` points at (a metric set is in its ticket's
    month, an attachment in its comment's). The sweep files records by the same time, so the
    partition's row count in the warehouse and what a run wrote to that month agree."""

    column: str
    via: Reference | None = None


@dataclass(frozen=True)
class Tombstone:
    """How Zendesk marks a deleted record that its export keeps returning: ``column`` equal to
    ``value``, or, with no value, ``column`` set at all. Such rows stay, marked, in the warehouse.
    See https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
    ("Excluding deleted tickets") and the users and organizations references."""

    column: str
    value: str | bool | None = None

    def marks(self, record: Record) -> bool:
        found = record.get(self.column)
        return found is not None if self.value is None else found == self.value


@dataclass(frozen=True)
class Archive:
    """Records Zendesk moves to its archive: ``column`` equal to ``value`` for ``after`` seconds since
    ``since`` (tickets closed for 120 days: https://support.zendesk.com/hc/en-us/articles/4408887617050).
    Archived records stay in the exports but leave the lists, and some accounts' counts."""

    column: str
    value: str
    since: str
    after: int


@dataclass(frozen=True)
class CustomFieldSource:
    """Where an account's custom fields live in a record and where their definitions come from.

    Ticket custom fields arrive as ``[{id, value}]`` keyed by field id; user and organization
    fields as an object keyed by the field's ``key``. Columns are keyed by the field's id either
    way, so a renamed field never moves its data.
    """

    record_key: str
    definitions_path: str
    definitions_key: str
    keyed_by: str  # "id" or "key"
    # Definitions of these types are built-in fields the table has columns for already; they are
    # never pivoted, whatever their ``removable`` flag says (real accounts mark Type and Priority
    # removable).
    system_types: frozenset[str] = frozenset()

    def is_system(self, definition: Record) -> bool:
        return definition.get("removable") is False or definition.get("type") in self.system_types


# The ticket field types of Zendesk's built-in fields as /ticket_fields lists them (the same list a
# Zendesk help-center theme uses to tell system fields from custom ones; ``basic_priority`` is the
# priority field of plans with fewer priority values).
SYSTEM_TICKET_FIELD_TYPES = frozenset({
    "subject", "description", "status", "custom_status", "tickettype", "type", "priority", "basic_priority",
    "group", "assignee", "requester",
})  # fmt: skip
TICKET_FIELDS = CustomFieldSource("custom_fields", "/ticket_fields", "ticket_fields", "id", SYSTEM_TICKET_FIELD_TYPES)
USER_FIELDS = CustomFieldSource("user_fields", "/user_fields", "user_fields", "key")
ORGANIZATION_FIELDS = CustomFieldSource("organization_fields", "/organization_fields", "organization_fields", "key")


@dataclass(frozen=True)
class FieldNames:
    """A table whose rows name a field of another table: rows holding a custom field's id in
    ``id_column`` get, in ``name_column``, the column that field has in ``table``'s pivot, so the
    history of a field and its current value share one name. The warehouse resolves it when writing,
    from the ``_custom_fields`` dictionary (the one place a custom field is given its name)."""

    table: str
    id_column: str
    name_column: str


# --------------------------------------------------------------------------- how rows come out of a page

# A table's rows from one page of its sweep: the page's records and its side-loads.
Rows = Callable[[Sequence[Record], Mapping[str, Sequence[Record]]], Iterator[Record]]


def records(page: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    """The page's records as they are."""
    yield from page


def metric_sets(tickets: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    """Metric sets of these tickets. They arrive as a top-level ``metric_sets`` side-load, though a
    per-ticket ``metric_set`` has been reported too; take both, once each. See
    https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based."""
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
        yield {"created_at": event.get("created_at"), **child, **parent, "via": child.get("via", event.get("via"))}


def comment_rows(event: Record) -> Iterator[Record]:
    """Comment child events (side-loaded ``comment_events``) with the ticket id copied from the
    parent, since comment children lack it. See
    https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-event-export."""
    for child in event.get("child_events") or ():
        if isinstance(child, Mapping) and child.get("event_type") in ("Comment", "VoiceComment"):
            yield {
                "created_at": event.get("created_at"),
                **child,
                "ticket_id": event.get("ticket_id"),
                "ticket_event_id": event.get("id"),
            }


def child_events(events: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    for event in events:
        yield from event_rows(event)


def comments(events: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    for event in events:
        yield from comment_rows(event)


# Keys of a Create/Change child event that describe the event, not the ticket field it set.
_CHANGE_META = frozenset({
    "id", "via", "via_reference_id", "event_type", "previous_value", "added_tags", "removed_tags",
    "comment_present", "comment_public", "created_at",
})  # fmt: skip
CUSTOM_FIELD_CHANGE = "custom_ticket_fields"


def field_change_rows(event: Record) -> Iterator[Record]:
    """One row per field a Create or Change child event of this audit set, with the value before
    when Zendesk gives it. A child names the ticket attribute it set as its own key (``status``,
    ``tags``, ``assignee_id``...); a custom field as ``{"custom_ticket_fields": {"<field id>": value}}``.
    Zendesk records one field per child, so the child's id keys the row."""
    for child in event.get("child_events") or ():
        if not isinstance(child, Mapping) or child.get("event_type") not in ("Create", "Change"):
            continue
        custom = child.get(CUSTOM_FIELD_CHANGE)
        if isinstance(custom, Mapping):
            changes = [(str(k), v, k) for k, v in custom.items()]
        else:
            changes = [(k, v, None) for k, v in child.items() if k not in _CHANGE_META and k != CUSTOM_FIELD_CHANGE]
        for name, value, field_id in changes[:1]:
            yield {
                "id": child.get("id"),
                "ticket_event_id": event.get("id"),
                "ticket_id": event.get("ticket_id"),
                "field_name": name,
                "ticket_field_id": field_id,
                "value": value,
                "previous_value": child.get("previous_value"),
                "event_type": child.get("event_type"),
                "updated": event.get("created_at") or event.get("timestamp"),
                "user_id": event.get("updater_id"),
                "via": child.get("via", event.get("via")),
            }


def field_history(events: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    for event in events:
        yield from field_change_rows(event)


def survey_responses(responses: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    """New-CSAT survey responses with what an analyst asks first lifted out of their answers: the
    ticket surveyed, the rating and its category, the comment, and when it was answered and last
    edited (a response carries no time of its own; its answers do). See
    https://developer.zendesk.com/api-reference/ticketing/ticket-management/csat_survey_responses/."""
    for response in responses:
        answers = [a for a in response.get("answers") or () if isinstance(a, Mapping)]
        rating = next((a for a in answers if a.get("type") == "rating_scale"), {})
        comment = next((a for a in answers if a.get("type") == "open_ended"), {})
        subjects = [s for s in response.get("subjects") or () if isinstance(s, Mapping)]
        created = [a["created_at"] for a in answers if isinstance(a.get("created_at"), str)]
        updated = [a["updated_at"] for a in answers if isinstance(a.get("updated_at"), str)]
        yield {
            **response,
            "ticket_id": next((s.get("id") for s in subjects if s.get("type") == "ticket"), None),
            "rating": rating.get("rating"),
            "rating_category": rating.get("rating_category"),
            "comment": comment.get("value"),
            "created_at": min(created, default=None),  # ISO 8601 in one format: text order is time order
            "updated_at": max(updated, default=None),
        }


def attachments(events: Sequence[Record], sideloads: Mapping[str, Sequence[Record]]) -> Iterator[Record]:
    """Attachments of the page's comments, with the ticket and comment that carry them."""
    for comment in comments(events, sideloads):
        for attachment in comment.get("attachments") or ():
            if isinstance(attachment, Mapping):
                yield {**attachment, "ticket_id": comment.get("ticket_id"), "comment_id": comment.get("id")}


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True, kw_only=True)
class Collection:
    """One warehouse table: the seed's columns plus how the sync fills and checks it."""

    name: str
    description: str
    sweep: str  # the Sweep whose pages feed it
    columns: tuple[Column, ...]
    version: str | None  # record field giving the monotonic version (epoch or ISO 8601)
    primary_key: str = "id"
    rows: Rows = records  # how its rows come out of one page of the sweep
    opt_in: bool = False  # synced on schedule only when configured
    custom_fields: CustomFieldSource | None = None
    field_names: FieldNames | None = None  # custom field ids named as in another table's pivot
    references: tuple[Reference, ...] = ()  # foreign keys the checks verify
    count_endpoint: str | None = None  # Zendesk's count of live records, for the count_parity check
    deleted: Tombstone | None = None  # how a deleted record shows (not live for count_parity)
    archive: Archive | None = None  # when Zendesk archives a record (count_parity either way)
    # A table that takes over from this one on some accounts (new CSAT after legacy ratings): when
    # this one stays empty, the sync says whether the successor's endpoint holds the records.
    successor: str | None = None
    # Rows that vanish with their parent: when the sweep of ``table`` reads one of its records marked
    # deleted by its Tombstone, rows whose ``column`` holds its ``target`` get _removed_at (in a table
    # of another sweep too: a deleted ticket's skips leave /skips with it).
    removed_with_parent: Reference | None = None
    partition_time: PartitionTime | None = None  # partitioned sweeps: the month a stored row is in

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class ListRead:
    """How an export sweep reads its records from the lists instead (``export_mode: list``, or once
    Zendesk refuses the export): a keyset ``endpoint`` sorted by ``order_field``, resumed from its stored
    cursor (a changed record moves to the end); on the first pass the search export for the records the
    list leaves out (``search_type``: archived tickets); and every run the list of deleted records
    (``deleted``), which are whole records, or stubs whose ids get the collection's Tombstone.
    https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets,
    https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/#export-search-results"""

    endpoint: str
    params: tuple[tuple[str, str], ...]
    order_field: str
    search_type: str | None = None
    deleted: str | None = None
    deleted_key: str | None = None
    deleted_are_stubs: bool = False
    whole: bool = False  # not ordered by change time: read whole every run (no stored cursor)
    # Records that never change, listed newest first (the ticket audits): each run reads from the top
    # down to where the last complete pass began, less the sweep's look-back; a pass cut short resumes.
    newest_first: bool = False
    record_key: str | None = None  # the list's record key, when not the export's
    as_export: Callable[[Mapping[str, Any]], Record] | None = None  # a list record in the export's shape


@dataclass(frozen=True, kw_only=True)
class Sweep:
    """One read of one Zendesk endpoint; it feeds every collection whose ``sweep`` names it."""

    name: str
    kind: SweepKind
    paging: Paging
    endpoint: str
    record_key: str  # the key holding the page's records
    params: tuple[tuple[str, str], ...] = ()
    position_field: str | None = None  # record field that orders the stream (epoch or ISO)
    description: str = ""
    # Incremental lists (no export): how a window is asked for, and how far before the stored
    # high-water mark each run re-reads, for records that change or appear late.
    time_filter: TimeFilter | None = None
    lookback: int = HOUR
    retention: int | None = None  # seconds of history the endpoint keeps
    # Re-read the whole list now and then (how often is the account's ``reread_hours``, by Zendesk's
    # clock): rows that appear where no window looks (a skip whose ticket leaves the archive, a rating
    # changed long after it was created) are added, rows that vanished are marked _removed_at.
    reread: bool = False
    # Zendesk plan that includes the endpoint, when not all do: a run probes it first and stores
    # nothing (with a warning) on an account without it.
    plan: str | None = None
    # A time export cannot move past a second shared by a full page of records (a bulk import).
    # This list endpoint holds every record at its current state: read it whole once, resume after.
    full_list: str | None = None
    # An export sweep's second path, without the incremental exports (see ListRead).
    list_read: ListRead | None = None
    # Account settings (AccountConfig fields) sent as query parameters on every request of the
    # sweep. Windows read with a value other than the setting's default are stored apart.
    account_params: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(c.name for c in COLLECTIONS.values() if c.sweep == self.name)

    @property
    def partitioned(self) -> bool:
        return self.kind is SweepKind.PARTITIONED

    @property
    def export(self) -> bool:
        return self.paging in (Paging.CURSOR_EXPORT, Paging.TIME_EXPORT)


def snapshot(*, name: str, params: tuple[tuple[str, str], ...] = (), description: str = "") -> Sweep:
    """A small list read whole every run: ``GET /{name}``, its records under ``name``."""
    return Sweep(
        name=name,
        kind=SweepKind.SNAPSHOT,
        paging=Paging.CURSOR,
        endpoint=f"/{name}",
        record_key=name,
        params=params,
        description=description,
    )


_SWEEPS: tuple[Sweep, ...] = (
    Sweep(
        name="tickets",
        kind=SweepKind.PARTITIONED,
        paging=Paging.CURSOR_EXPORT,
        endpoint="/incremental/tickets/cursor",
        record_key="tickets",
        params=(("include", "metric_sets"),),
        account_params=("support_type_scope",),
        position_field="generated_timestamp",
        list_read=ListRead(
            "/tickets", (("sort", "updated_at"), ("include", "metric_sets")), "updated_at",
            search_type="ticket", deleted="/deleted_tickets", deleted_key="deleted_tickets", deleted_are_stubs=True,
        ),
        description="Cursor-based ticket export with metric sets side-loaded: tickets and ticket_metrics in one read.",
    ),
    Sweep(
        name="ticket_events",
        kind=SweepKind.PARTITIONED,
        paging=Paging.TIME_EXPORT,
        endpoint="/incremental/ticket_events",
        record_key="ticket_events",
        params=(("include", "comment_events"),),
        account_params=("support_type_scope",),
        position_field="timestamp",
        # Ticket audits hold the same updates (not those of archived tickets: see the README's list mode).
        list_read=ListRead("/ticket_audits", (), "created_at", newest_first=True, record_key="audits",
                           as_export=audit_as_event),
        description="Time-based ticket event export with comments side-loaded: events, comments and attachments.",
    ),
    Sweep(
        name="users",
        kind=SweepKind.INCREMENTAL,
        paging=Paging.CURSOR_EXPORT,
        endpoint="/incremental/users/cursor",
        record_key="users",
        position_field="updated_at",
        list_read=ListRead("/users", (("sort", "updated_at"),), "updated_at", deleted="/deleted_users",
                           deleted_key="deleted_users"),
        description="Cursor-based user export over the account's whole history.",
    ),
    Sweep(
        name="organizations",
        kind=SweepKind.INCREMENTAL,
        paging=Paging.TIME_EXPORT,
        endpoint="/incremental/organizations",
        record_key="organizations",
        position_field="updated_at",
        full_list="/organizations",
        # Live organizations only: one deleted while the exports are refused keeps its last stored values.
        list_read=ListRead("/organizations", (), "updated_at", whole=True),
        description="Time-based organization export (no cursor variant exists).",
    ),
    Sweep(
        name="satisfaction_ratings",
        kind=SweepKind.INCREMENTAL,
        paging=Paging.CURSOR,
        endpoint="/satisfaction_ratings",
        record_key="satisfaction_ratings",
        position_field="created_at",
        time_filter=TimeFilter.START_END_TIME,
        reread=True,
        lookback=30 * DAY,  # ratings change after they are created
        description="Ratings in bounded start_time/end_time windows with a look-back, since ratings change after creation.",
    ),
    Sweep(
        name="activities",
        kind=SweepKind.INCREMENTAL,
        paging=Paging.CURSOR,
        endpoint="/activities",
        record_key="activities",
        position_field="created_at",
        time_filter=TimeFilter.SINCE,
        reread=True,
        lookback=LATE_ARRIVALS,
        retention=30 * DAY,
        description="The requesting agent's activity stream; Zendesk keeps only the last 30 days.",
    ),
    Sweep(
        name="ticket_skips",
        kind=SweepKind.INCREMENTAL,
        paging=Paging.CURSOR,
        endpoint="/skips",
        record_key="skips",
        params=(("sort_order", "desc"),),
        position_field="created_at",
        time_filter=TimeFilter.NEWEST_FIRST,
        reread=True,
        lookback=DAY,
        description="Ticket skips, newest first, read until the stored high-water mark.",
    ),
    Sweep(
        name="audit_logs",
        kind=SweepKind.INCREMENTAL,
        paging=Paging.CURSOR,
        endpoint="/audit_logs",
        record_key="audit_logs",
        params=(("sort", "created_at"),),
        position_field="created_at",
        time_filter=TimeFilter.CREATED_AT_RANGE,
        reread=True,
        lookback=LATE_ARRIVALS,
        plan="Enterprise",
        description="Enterprise audit log, append-only by created_at.",
    ),
    Sweep(
        name="csat_survey_responses",
        kind=SweepKind.INCREMENTAL,
        paging=Paging.CURSOR,
        endpoint="/guide/survey_responses",
        record_key="survey_responses",
        time_filter=TimeFilter.CREATED_AT_START_END,
        lookback=8 * DAY,  # a responder may change the answers until the response expires, a week later
        plan="Professional",
        description="New-CSAT survey responses in created-at windows, re-reading the week in which answers can still change.",
    ),
    snapshot(name="groups", params=(("exclude_deleted", "false"),), description="All groups, deleted ones included."),
    snapshot(name="ticket_fields"),
    snapshot(name="ticket_forms"),
    snapshot(name="group_memberships"),
    snapshot(name="organization_memberships"),
)

SWEEPS: Mapping[str, Sweep] = {s.name: s for s in _SWEEPS}

_COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        name="groups",
        description="The agent groups of the account, one row per group keyed by `id`, deleted groups included (`deleted` is true). Tickets point here through `group_id` and agents through group_memberships. The whole list is read again every run; a group that no longer appears in it gets `_removed_at`.",
        sweep="groups",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Zendesk's numeric id of the group; the primary key."),
            C("url", TEXT, "Address of this group in Zendesk's REST API."),
            C("deleted", BOOLEAN, "True once the group was deleted in Zendesk; such groups keep their row."),
            C("name", TEXT, "Group name as agents see it."),
            C("created_at", TIMESTAMP, "When the group was created (UTC)."),
            C("updated_at", TIMESTAMP, "When the group last changed in Zendesk (UTC); the row's version."),
            C("is_public", BOOLEAN, "False for a private group, whose tickets only its members can see."),
            C("default", BOOLEAN, "True for the account's default group, where unassigned tickets go."),
            C("description", TEXT, "Free text an admin wrote about the group's purpose."),
        ),
    ),
    Collection(
        name="users",
        description="Everyone known to the account: customers (end users), agents and admins, one row per user keyed by `id`, with the account's user fields pivoted into typed columns (`_custom_fields` maps them). Read from the user export, so a deleted user keeps its row with `active = false`.",
        sweep="users",
        version="updated_at",
        custom_fields=USER_FIELDS,
        count_endpoint="/users/count",
        deleted=Tombstone("active", False),
        columns=(
            C("id", BIGINT, "Zendesk's numeric id of the user; the primary key."),
            C("url", TEXT, "The user's id again, not an API address: the product spec defines this column that way and queries written against it keep working. The API address is in `_raw`.", path=("id",)),
            C("name", TEXT, "Display name of the user."),
            C("email", TEXT, "Primary email address; null for users known only by phone or a social identity."),
            C("time_zone", TEXT, "Time zone set for the user in Zendesk, by its Zendesk name."),
            C("phone", TEXT, "Primary phone number, when one is recorded."),
            C("locale_id", BIGINT, "Numeric id of the user's language in Zendesk."),
            C("locale", TEXT, "Language tag of the user, such as en-US."),
            C("organization_id", BIGINT, "The user's default organization (organizations.id); null when none. Every organization a user belongs to is in organization_memberships."),
            C("role", TEXT, "end-user, agent or admin."),
            C("verified", BOOLEAN, "True once the user's primary identity (email address or phone) was confirmed."),
            C("external_id", TEXT, "Your own identifier for this user in another system; Zendesk matches it without regard to letter case."),
            C("alias", TEXT, "Name shown to end users in place of the agent's own."),
            C("active", BOOLEAN, "False once the user was deleted in Zendesk; deleted users keep their row."),
            C("shared", BOOLEAN, "True for a user who comes from another Zendesk account through ticket sharing."),
            C("shared_agent", BOOLEAN, "True for an agent of another Zendesk account that shares tickets with this one."),
            C("last_login_at", TIMESTAMP, "Most recent sign-in to Zendesk (UTC); null if the user never signed in."),
            C("two_factor_auth_enabled", BOOLEAN, "Whether the user signs in with a second factor."),
            C("signature", TEXT, "Text Zendesk appends to the agent's replies; end users have none."),
            C("details", TEXT, "Free-form details about the user, such as a postal address."),
            C("notes", TEXT, "Free-form notes agents keep about the user."),
            C("custom_role_id", BIGINT, "The agent's custom role on plans that have them; null otherwise."),
            C("moderator", BOOLEAN, "Whether the user may moderate community (forum) content."),
            C("ticket_restriction", TEXT, "Which tickets an agent may open: organization, groups, assigned, requested, or null when unrestricted."),
            C("only_private_comments", BOOLEAN, "True when the user may add internal notes only, never public replies."),
            C("restricted_agent", BOOLEAN, "True for an agent whose ticket access is limited; false for admins and agents who see every ticket."),
            C("suspended", BOOLEAN, "True while the user is suspended: no sign-in, and new tickets from them are held for review."),
            C("chat_only", BOOLEAN, "True for an agent who works in chat only."),
            C("created_at", TIMESTAMP, "When the user was created (UTC)."),
            C("updated_at", TIMESTAMP, "When the user last changed (UTC); the export is ordered by it and it is the row's version."),
            C("role_type", INTEGER, "Kind of agent role as a number (0 custom, 1 light agent, 2 chat agent, ...); null for end users and admins."),
            C("tags", JSON, "Tags on the user, as a JSON array of strings."),
            C("iana_time_zone", TEXT, "The user's time zone as an IANA name (e.g. Europe/Paris), unlike time_zone's display name."),
            C("default_group_id", BIGINT, "For an agent, the group new tickets they create land in by default."),
            C("photo_url", TEXT, "Where the user's profile picture can be downloaded, if one is set.", path=("photo", "content_url")),
            C("shared_phone_number", BOOLEAN, "Whether the phone number is shared with other users (so it cannot identify this one)."),
            C("report_csv", BOOLEAN, "Whether the agent may download CSV reports."),
        ),
    ),
    Collection(
        name="tickets",
        description="Every ticket at its latest state, one row per ticket keyed by `id`, with the account's ticket fields pivoted into typed columns (`_custom_fields` maps column, field id and title). Partitioned by the month of each ticket's last change (`generated_timestamp`): the schedule keeps the last `history_months` months current (12 unless configured) and older months are filled by backfilling their partitions or by `zendesk-assets sync --since`. A ticket deleted in Zendesk keeps its row with `status = 'deleted'`.",
        sweep="tickets",
        version="generated_timestamp",
        custom_fields=TICKET_FIELDS,
        count_endpoint="/tickets/count",
        deleted=Tombstone("status", "deleted"),
        archive=Archive("status", "closed", "updated_at", 120 * DAY),
        references=(
            R("requester_id", "users"),
            R("submitter_id", "users"),
            R("assignee_id", "users"),
            R("group_id", "groups"),
            R("organization_id", "organizations"),
        ),
        partition_time=PartitionTime("generated_timestamp"),
        columns=(
            C("id", BIGINT, "The ticket number agents see; the primary key."),
            C("url", TEXT, "Address of this ticket in Zendesk's REST API."),
            C("external_id", TEXT, "Your own identifier for the ticket, linking it to a record in another system."),
            C("type", TEXT, "question, incident, problem or task; null when nobody set it."),
            C("subject", TEXT, "Subject line of the ticket."),
            C("raw_subject", TEXT, "Subject before dynamic content is rendered: the placeholder when one is used, otherwise the subject itself."),
            C("description", TEXT, "Text of the first comment, the request as it arrived."),
            C("priority", TEXT, "urgent, high, normal or low; null when nobody set it."),
            C("status", TEXT, "new, open, pending, hold, solved or closed, and deleted for a ticket deleted in Zendesk (its row stays)."),
            C("recipient", TEXT, "Support address a ticket created by email was first sent to."),
            C("requester_id", BIGINT, "The user the ticket is for (users.id)."),
            C("submitter_id", BIGINT, "The user who opened the ticket (users.id) and wrote its first comment; not the requester when an agent opens it on a customer's behalf."),
            C("assignee_id", BIGINT, "Agent now responsible (users.id); null while unassigned."),
            C("organization_id", BIGINT, "Organization the ticket is filed under (organizations.id), one of the requester's."),
            C("group_id", BIGINT, "Group now responsible (groups.id)."),
            C("collaborator_ids", JSON, "JSON array of the users (users.id) copied on the ticket."),
            C("forum_topic_id", BIGINT, "Community topic the ticket was raised from; null for most tickets."),
            C("problem_id", BIGINT, "For an incident, the problem ticket (tickets.id) it is linked to."),
            C("has_incidents", BOOLEAN, "True for a problem ticket that incidents are linked to."),
            C("due_at", TIMESTAMP, "Due date of a task (UTC); null for other types."),
            C("tags", JSON, "Tags on the ticket, as a JSON array of strings."),
            C("sharing_agreement_ids", JSON, "JSON array of the ticket-sharing agreements it travels through."),
            C("created_at", TIMESTAMP, "When the ticket was created (UTC)."),
            C("updated_at", TIMESTAMP, "When a person, a trigger or an automation last changed the ticket (UTC); changes made by Zendesk alone move generated_timestamp only."),
            C("ticket_form_id", BIGINT, "Form the ticket was filed with (ticket_forms.id)."),
            C("generated_timestamp", BIGINT, "Epoch seconds of the ticket's latest change of any kind, Zendesk's own included: the export's order, the month that is its partition, and the row's version."),
            C("brand_id", BIGINT, "Brand the ticket was received under, on accounts with several brands."),
            C("custom_status_id", BIGINT, "The ticket's custom status, on accounts that use custom statuses."),
            C("follower_ids", JSON, "JSON array of the agents (users.id) following the ticket."),
            C("via", JSON, "Channel and source the ticket arrived through, as a JSON object."),
            C("satisfaction_rating", JSON, "Copy of the ticket's latest rating as a JSON object; the satisfaction_ratings table holds the ratings themselves."),
            C("is_public", BOOLEAN, "False when the ticket was opened with a private note, so the requester cannot see it yet."),
            C("allow_channelback", BOOLEAN, "Whether agents can reply through the channel the ticket came from (social or messaging)."),
            C("allow_attachments", BOOLEAN, "Whether files may be attached to the ticket's comments."),
            C("email_cc_ids", JSON, "Ids of the users copied on the ticket's email replies."),
            C("followup_ids", JSON, "Ids of the follow-up tickets opened from this closed ticket."),
            C("from_messaging_channel", BOOLEAN, "Whether the ticket started as a messaging conversation."),
        ),
    ),
    Collection(
        name="ticket_fields",
        description="The fields a ticket can carry, Zendesk's built-in ones and the account's own, one row per field keyed by `id`. Every field with `removable = true` also becomes a typed column of tickets, keyed by this id so renaming the field never moves its data. Read whole every run; a field deleted in Zendesk gets `_removed_at`.",
        sweep="ticket_fields",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Zendesk's id of the field; the primary key, and what the matching column of tickets is keyed by."),
            C("url", TEXT, "Address of this field in Zendesk's REST API."),
            C("type", TEXT, "Kind of value: checkbox, date, decimal, integer, regexp, tagger (drop-down), text, textarea, and a few more; fixed once the field exists."),
            C("slug", TEXT, "The title in lower case with underscores, as Zendesk derives it."),
            C("title", TEXT, "Name of the field as agents see it."),
            C("raw_title", TEXT, "Title before dynamic content is rendered."),
            C("description", TEXT, "Help text saying what the field is for."),
            C("raw_description", TEXT, "Help text before dynamic content is rendered."),
            C("position", INTEGER, "Where the field sits on the ticket form, lowest first; the smallest numbers belong to built-in fields."),
            C("active", BOOLEAN, "False once the field was switched off; old tickets keep their values."),
            C("required", BOOLEAN, "Whether agents must fill the field to update a ticket."),
            C("collapsed_for_agents", BOOLEAN, "Whether agents see the field only after expanding the less-used fields (older agent interface)."),
            C("regexp_for_validation", TEXT, "Pattern a value has to match; regexp fields only."),
            C("title_in_portal", TEXT, "Name of the field shown to customers in the help center."),
            C("raw_title_in_portal", TEXT, "Customer-facing title before dynamic content is rendered."),
            C("visible_in_portal", BOOLEAN, "Whether customers see the field."),
            C("editable_in_portal", BOOLEAN, "Whether customers may set the field."),
            C("required_in_portal", BOOLEAN, "Whether customers must fill the field."),
            C("tag", TEXT, "For a checkbox, the tag put on the ticket while it is ticked."),
            C("removable", BOOLEAN, "False for Zendesk's built-in fields (subject, status, ...), true for the account's own; only the latter become columns of tickets."),
            C("created_at", TIMESTAMP, "When the field was created (UTC)."),
            C("updated_at", TIMESTAMP, "When the field last changed (UTC); the row's version."),
            C("agent_description", TEXT, "Help text shown to agents next to the field (the description is shown to end users)."),
            C("custom_field_options", JSON, "The choices of a drop-down or multi-select field: id, name and tag value of each."),
            C("system_field_options", JSON, "The fixed choices of a system field such as status, type or priority."),
            C("sub_type_id", BIGINT, "Variant of a system field (for example which set of priority values it offers); 0 when none."),
        ),
    ),
    Collection(
        name="ticket_metrics",
        description="Service measures of each ticket: replies, reopens, hand-overs, time to first reply and to resolution, time spent waiting. One row per metric set keyed by `id`, `ticket_id` pointing at tickets; read in the same export as tickets and partitioned the same way. Durations are whole minutes, twice: around the clock (`_calendar`) and within the account's business hours (`_business`). When its ticket is deleted the row gets `_removed_at`.",
        sweep="tickets",
        rows=metric_sets,
        removed_with_parent=R("ticket_id", "tickets"),
        version="updated_at",
        references=(R("ticket_id", "tickets"),),
        partition_time=PartitionTime("generated_timestamp", via=R("ticket_id", "tickets")),
        columns=(
            C("id", BIGINT, "Zendesk's id of the metric set; the primary key."),
            C("ticket_id", BIGINT, "The ticket measured (tickets.id); one metric set per ticket."),
            C("group_stations", INTEGER, "How many groups the ticket has been assigned to."),
            C("assignee_stations", INTEGER, "How many different agents it has been assigned to."),
            C("reopens", INTEGER, "How many times it went from solved back to open."),
            C("replies", INTEGER, "How many public replies agents wrote."),
            C("reply_time_in_minutes_calendar", INTEGER, "Minutes from creation to the first public agent reply, counting every hour.", path=("reply_time_in_minutes", "calendar")),
            C("reply_time_in_minutes_business", INTEGER, "Minutes from creation to the first public agent reply, counting business hours only.", path=("reply_time_in_minutes", "business")),
            C("first_resolution_time_in_minutes_calendar", INTEGER, "Minutes from creation until the ticket was first solved, counting every hour.", path=("first_resolution_time_in_minutes", "calendar")),
            C("first_resolution_time_in_minutes_business", INTEGER, "Minutes from creation until the ticket was first solved, counting business hours only.", path=("first_resolution_time_in_minutes", "business")),
            C("full_resolution_time_in_minutes_calendar", INTEGER, "Minutes from creation until the ticket was last solved, counting every hour.", path=("full_resolution_time_in_minutes", "calendar")),
            C("full_resolution_time_in_minutes_business", INTEGER, "Minutes from creation until the ticket was last solved, counting business hours only.", path=("full_resolution_time_in_minutes", "business")),
            C("agent_wait_time_in_minutes_calendar", INTEGER, "Minutes the ticket sat pending, waiting on the customer, counting every hour.", path=("agent_wait_time_in_minutes", "calendar")),
            C("agent_wait_time_in_minutes_business", INTEGER, "Minutes the ticket sat pending, waiting on the customer, counting business hours only.", path=("agent_wait_time_in_minutes", "business")),
            C("requester_wait_time_in_minutes_calendar", INTEGER, "Minutes the customer waited on the support team (new, open or on hold), counting every hour.", path=("requester_wait_time_in_minutes", "calendar")),
            C("requester_wait_time_in_minutes_business", INTEGER, "Minutes the customer waited on the support team (new, open or on hold), counting business hours only.", path=("requester_wait_time_in_minutes", "business")),
            C("on_hold_time_in_minutes_calendar", INTEGER, "Minutes the ticket spent on hold, counting every hour.", path=("on_hold_time_in_minutes", "calendar")),
            C("on_hold_time_in_minutes_business", INTEGER, "Minutes the ticket spent on hold, counting business hours only.", path=("on_hold_time_in_minutes", "business")),
            C("created_at", TIMESTAMP, "When the metric set was created, with its ticket (UTC)."),
            C("updated_at", TIMESTAMP, "When any measure last changed (UTC); the row's version."),
            C("assignee_updated_at", TIMESTAMP, "Last time the assignee changed the ticket (UTC)."),
            C("requester_updated_at", TIMESTAMP, "Last time the requester changed the ticket (UTC)."),
            C("status_updated_at", TIMESTAMP, "Last time the status changed (UTC)."),
            C("initially_assigned_at", TIMESTAMP, "First time the ticket was assigned (UTC)."),
            C("assigned_at", TIMESTAMP, "Most recent assignment (UTC)."),
            C("solved_at", TIMESTAMP, "Time the ticket was solved (UTC); null while unsolved."),
            C("latest_comment_added_at", TIMESTAMP, "When the newest comment was written (UTC)."),
            C("url", TEXT, "The API address of this metric set."),
            C("custom_status_updated_at", TIMESTAMP, "When the ticket's custom status last changed."),
        ),
    ),
    Collection(
        name="ticket_events",
        description="The history of every ticket: one row per change (a field set, a comment added, a notification sent) keyed by `id`, tied to the update it belongs to (`ticket_event_id`), with who made it, when and from where. Partitioned by the month of the update's `timestamp`: the schedule keeps the last `history_months` months current (12 unless configured) and older months are partition backfills. Zendesk never edits or deletes an event, so rows only accumulate; an update that recorded no change keeps one row of its own.",
        sweep="ticket_events",
        rows=child_events,
        version="timestamp",
        references=(R("ticket_id", "tickets"),),
        partition_time=PartitionTime("timestamp"),
        columns=(
            C("id", BIGINT, "Id of the change; the primary key. For an update that recorded no change, the update's own id."),
            C("ticket_event_id", BIGINT, "Id of the ticket update this change belongs to; its changes share it."),
            C("ticket_id", BIGINT, "The ticket that changed (tickets.id)."),
            C("timestamp", TIMESTAMP, "When the update happened (UTC); its month is the row's partition."),
            C("updater_id", BIGINT, "Who made the update (users.id)."),
            C("ticket_event_via", TEXT, "Channel of the whole update, such as web, email, api or a rule."),
            C("context_client", TEXT, "Browser or app the update was sent from, when Zendesk recorded it.", path=("system", "client")),
            C("context_location", TEXT, "Place the update was sent from, as Zendesk located it (city, country), when recorded.", path=("system", "location")),
            C("context_latitude", DOUBLE, "Latitude of that place, in degrees.", path=("system", "latitude")),
            C("context_longitude", DOUBLE, "Longitude of that place, in degrees.", path=("system", "longitude")),
            C("via", TEXT, "Channel of this change; for most changes the same as ticket_event_via."),
            C("event_type", TEXT, "Kind of change: Create, Change, Comment, Notification, ...; the update's own type when it recorded no change."),
            C("created_at", TIMESTAMP, "The update's time again, as a timestamp (UTC)."),
            C("via_reference_id", BIGINT, "The rule, macro or other record that caused the change, when Zendesk names one."),
        ),
    ),
    Collection(
        name="ticket_field_history",
        description="Every value a ticket field took: one row per field set by a ticket update (status, priority, assignee, group, tags, custom fields...) keyed by `id`, with the value before it, when it changed and who changed it. Read from the same export as ticket_events at no extra cost, so it is partitioned the same way, by the month of the update; rows only accumulate. Beyond the seed.",
        sweep="ticket_events",
        rows=field_history,
        version="updated",
        field_names=FieldNames("tickets", "ticket_field_id", "field_name"),
        references=(R("ticket_id", "tickets"),),
        partition_time=PartitionTime("updated"),
        columns=(
            C("id", BIGINT, "The child event that set the field (one field per child event); the primary key."),
            C("ticket_event_id", BIGINT, "The ticket update (audit) the change belongs to."),
            C("ticket_id", BIGINT, "The ticket whose field changed."),
            C("field_name", TEXT, "The field: a tickets column name (status, priority, assignee_id, tags...) or, for a custom field, the name of its pivoted column in tickets."),
            C("ticket_field_id", BIGINT, "The custom field's id in ticket_fields; null for built-in attributes."),
            C("value", TEXT, "The value the field took; numbers, booleans and lists as JSON text."),
            C("previous_value", TEXT, "The value it had before, when Zendesk reports it (changes, not creation)."),
            C("event_type", TEXT, "Create (set when the ticket was created) or Change."),
            C("updated", TIMESTAMP, "When the update happened."),
            C("user_id", BIGINT, "Who made the update (an agent, the requester, or a rule acting for the system)."),
            C("via", TEXT, "The channel or mechanism of the update (Web form, Mail, Rule...)."),
        ),
    ),
    Collection(
        name="activities",
        description="Recent activity that concerns the agent the sync signs in as (tickets assigned to them, comments on their tickets, raised priorities), one row per activity keyed by `id`. Zendesk keeps 30 days of it, so an activity is here only if a run saw it within that time; one that disappears sooner gets `_removed_at` at the next daily complete read (`reread_hours`).",
        sweep="activities",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Zendesk's id of the activity; the primary key."),
            C("url", TEXT, "Address of this activity in Zendesk's REST API."),
            C("verb", TEXT, "What happened, for example tickets.comment, tickets.assignment or tickets.priority_increase."),
            C("title", TEXT, "One-line summary Zendesk writes for the activity."),
            C("created_at", TIMESTAMP, "When it happened (UTC)."),
            C("updated_at", TIMESTAMP, "When Zendesk last changed the record (UTC); the row's version."),
            C("user_id", BIGINT, "The agent it concerns (users.id)."),
            C("actor_id", BIGINT, "The user whose action caused it (users.id)."),
            C("object", JSON, "The record the activity is about, as Zendesk summarises it (e.g. the ticket and its subject)."),
            C("target", JSON, "The record the activity points to (e.g. the ticket to open)."),
        ),
    ),
    Collection(
        name="attachments",
        description="Files attached to ticket comments, one row per file keyed by `id`, with the ticket and the comment that carry it. Comes from the same read as ticket_events (comment changes), so it is partitioned by the month of the comment. The file itself stays in Zendesk; `content_url` points at it.",
        sweep="ticket_events",
        rows=attachments,
        version=None,
        references=(R("ticket_id", "tickets"),),
        partition_time=PartitionTime("timestamp", via=R("comment_id", "ticket_events")),
        columns=(
            C("id", BIGINT, "Zendesk's id of the attachment; the primary key."),
            C("file_name", TEXT, "Name of the file as it was uploaded."),
            C("content_url", TEXT, "Address Zendesk serves the file from."),
            C("content_type", TEXT, "MIME type of the file, such as image/png or application/pdf."),
            C("inline", BOOLEAN, "True for a file shown inside the comment's text (an inline image) rather than listed under it."),
            C("size", INTEGER, "Size of the file in bytes."),
            C("ticket_id", BIGINT, "The ticket whose comment carries the file (tickets.id)."),
            C("comment_id", BIGINT, "The comment that carries the file (ticket_comments.id)."),
            C("mapped_content_url", TEXT, "Address of the file on the account's own domain, when host mapping is set up."),
            C("thumbnails", JSON, "Smaller preview images Zendesk made of an image attachment."),
            C("width", INTEGER, "Image width in pixels; null when not an image or unknown."),
            C("height", INTEGER, "Image height in pixels; null when not an image or unknown."),
            C("malware_access_override", BOOLEAN, "Whether an admin allowed downloading the file despite a malware finding."),
            C("malware_scan_result", TEXT, 'Outcome of Zendesk\'s malware scan, e.g. "malware_not_found" or "not_scanned".'),
        ),
    ),
    Collection(
        name="organizations",
        description="The companies the account's customers belong to, one row per organization keyed by `id`, with the account's organization fields pivoted into typed columns (`_custom_fields` maps them). Read from the organization export, so a deleted organization keeps its row with `deleted_at` set.",
        sweep="organizations",
        version="updated_at",
        custom_fields=ORGANIZATION_FIELDS,
        count_endpoint="/organizations/count",
        deleted=Tombstone("deleted_at"),
        columns=(
            C("id", BIGINT, "Zendesk's numeric id of the organization; the primary key."),
            C("external_id", TEXT, "Your own identifier for the organization in another system."),
            C("url", TEXT, "Address of this organization in Zendesk's REST API."),
            C("name", TEXT, "Name of the organization, unique in the account."),
            C("details", TEXT, "Free-form details, such as an address."),
            C("notes", TEXT, "Free-form notes agents keep about the organization."),
            C("group_id", BIGINT, "Group (groups.id) that new tickets from its members go to; null when none."),
            C("shared_tickets", BOOLEAN, "Whether its members can see one another's tickets."),
            C("shared_comments", BOOLEAN, "Whether its members can comment on one another's tickets."),
            C("created_at", TIMESTAMP, "When the organization was created (UTC)."),
            C("updated_at", TIMESTAMP, "When it last changed (UTC); the export is ordered by it and it is the row's version."),
            C("deleted_at", TIMESTAMP, "When the organization was deleted in Zendesk (UTC); null while it exists."),
            C("domain_names", JSON, "Email domains whose senders join the organization, as a JSON array."),
            C("tags", JSON, "Tags on the organization, as a JSON array of strings."),
        ),
    ),
    Collection(
        name="satisfaction_ratings",
        description="Answers to the customer satisfaction survey, one row per rating keyed by `id`, with the ticket, requester, agent and group it was given for. Empty unless satisfaction ratings are switched on in Zendesk. A customer may change a rating after giving it, so each run reads the last 30 days again, and once a day (`reread_hours`) the whole list; a rating that list no longer returns gets `_removed_at`.",
        sweep="satisfaction_ratings",
        successor="csat_survey_responses",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Zendesk's id of the rating; the primary key."),
            C("url", TEXT, "Address of this rating in Zendesk's REST API."),
            C("assignee_id", BIGINT, "Agent (users.id) the ticket was assigned to when it was rated."),
            C("group_id", BIGINT, "Group (groups.id) the ticket was assigned to when it was rated."),
            C("requester_id", BIGINT, "Customer (users.id) who was asked for the rating."),
            C("ticket_id", BIGINT, "The ticket rated (tickets.id)."),
            C("score", TEXT, "offered (survey sent, no answer yet), unoffered, good or bad."),
            C("created_at", TIMESTAMP, "When the rating was created (UTC)."),
            C("updated_at", TIMESTAMP, "When it last changed (UTC); the row's version."),
            C("comment", TEXT, "What the customer wrote with the rating."),
            C("reason", TEXT, "Reason the customer picked for a bad rating."),
            C("reason_id", BIGINT, "The satisfaction reason record behind the reason text, when one was picked."),
        ),
    ),
    Collection(
        name="csat_survey_responses",
        description="Answers to the new CSAT survey, which replaces legacy satisfaction ratings on accounts that switched to it (Zendesk then keeps ratings here, not in satisfaction_ratings): one row per response keyed by `id`, with the rating, its category and the comment lifted out of the answers. A response gets `_removed_at` when its ticket is deleted (Zendesk stops listing it). Opt-in; needs Support Professional or Suite Growth and above. Beyond the seed.",
        sweep="csat_survey_responses",
        rows=survey_responses,
        version="updated_at",
        opt_in=True,
        references=(R("ticket_id", "tickets"), R("responder_id", "users")),
        removed_with_parent=R("ticket_id", "tickets"),  # Zendesk's list drops a deleted ticket's response
        columns=(
            C("id", TEXT, "The response's id (a ULID string, not a number); the primary key."),
            C("ticket_id", BIGINT, "The ticket the survey was about."),
            C("responder_id", BIGINT, "The user who answered (usually the ticket's requester)."),
            C("rating", INTEGER, "The score given on the survey's rating scale (e.g. 1 to 5)."),
            C("rating_category", TEXT, 'How Zendesk classes the score: "good", "neutral" or "bad".'),
            C("comment", TEXT, "The free-text answer, when the responder wrote one."),
            C("created_at", TIMESTAMP, "When the survey was answered."),
            C("updated_at", TIMESTAMP, "When an answer last changed (responders can edit until expires_at)."),
            C("expires_at", TIMESTAMP, "After this the responder can no longer change the answers."),
            C("survey_id", TEXT, "The CSAT survey answered.", path=("survey", "id")),
            C("survey_version", INTEGER, "The version of that survey the responder saw.", path=("survey", "version")),
            C("subject_zrns", JSON, "What the survey was about, as Zendesk resource names (zen:ticket:<id>)."),
            C("answers", JSON, "Every answer as Zendesk returned it: rating scale, open-ended or skipped."),
        ),
    ),
    Collection(
        name="ticket_comments",
        description="The conversation on every ticket, public replies and internal notes alike, one row per comment keyed by `id`, with its full text and HTML. Comes from the same read as ticket_events, so it is partitioned by the month of the comment; comments are never edited, so rows only accumulate. Off by default because bodies are large and often personal.",
        sweep="ticket_events",
        rows=comments,
        version="created_at",
        opt_in=True,
        references=(R("ticket_id", "tickets"),),
        partition_time=PartitionTime("timestamp", via=R("id", "ticket_events")),
        columns=(
            C("id", BIGINT, "Zendesk's id of the comment; the primary key."),
            C("ticket_event_id", BIGINT, "Id of the ticket update the comment was added in (ticket_events.ticket_event_id)."),
            C("ticket_id", BIGINT, "The ticket commented on (tickets.id)."),
            C("type", TEXT, "Comment, or VoiceComment for a call recording (its `_raw` has the call details)."),
            C("body", TEXT, "The comment as plain text."),
            C("public", BOOLEAN, "True for a reply the customer sees, false for an internal note."),
            C("author_id", BIGINT, "Who wrote it (users.id)."),
            C("via", JSON, "Channel the comment arrived through, as a JSON object."),
            C("created_at", TIMESTAMP, "When the comment was added (UTC); the row's version."),
            C("html_body", TEXT, "The comment as HTML."),
            C("attachments", JSON, "Files of the comment as a JSON array; the attachments table has one row per file."),
            C("plain_body", TEXT, "The comment as plain text, markup removed."),
            C("audit_id", BIGINT, "The audit (ticket update) the comment was added in."),
            C("metadata", JSON, "Where the comment came from: client, location and any custom data of the update."),
        ),
    ),
    Collection(
        name="ticket_forms",
        description="Ticket forms: named sets of ticket fields for one kind of request, one row per form keyed by `id`, listing its fields in `ticket_field_ids`. Read whole every run; a form deleted in Zendesk gets `_removed_at`.",
        sweep="ticket_forms",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Zendesk's id of the form; the primary key."),
            C("active", BOOLEAN, "Whether the form can be chosen on new tickets."),
            C("end_user_visible", BOOLEAN, "Whether customers can pick the form in the help center."),
            C("name", TEXT, "Name of the form as agents see it."),
            C("restricted_brand_ids", JSON, "JSON array of the brands (ids) the form is limited to."),
            C("ticket_field_ids", JSON, "JSON array of its fields (ticket_fields.id), in display order."),
            C("updated_at", TIMESTAMP, "When the form last changed (UTC); the row's version."),
            C("url", TEXT, "Address of this form in Zendesk's REST API."),
            C("created_at", TIMESTAMP, "When the form was created (UTC)."),
            C("display_name", TEXT, "Name of the form as customers see it."),
            C("in_all_brands", BOOLEAN, "Whether every brand of the account offers the form."),
            C("position", INTEGER, "Place of the form in the list agents choose from, lowest first."),
            C("raw_display_name", TEXT, "Customer-facing name before dynamic content is rendered."),
            C("raw_name", TEXT, "Agent-facing name before dynamic content is rendered."),
            C("default", BOOLEAN, "True for the form new tickets get unless another is chosen."),
            C("end_user_conditions", JSON, "Rules that show a field to end users only when another field has a given value."),
            C("agent_conditions", JSON, "Rules that show (or require) a field for agents depending on another field's value."),
        ),
    ),
    Collection(
        name="ticket_skips",
        description="Tickets an agent passed over without answering, one row per skip keyed by `id`, with the agent, the ticket and the reason they typed. Read newest first until the previous run's point, with a day of overlap, and read whole once a day (`reread_hours`). A skip gets `_removed_at` when its ticket is deleted or when the whole read no longer returns it.",
        sweep="ticket_skips",
        version="updated_at",
        # Observed: /skips stops listing the skips of a deleted ticket (the reference is silent).
        removed_with_parent=R("ticket_id", "tickets"),
        columns=(
            C("id", BIGINT, "Zendesk's id of the skip; the primary key."),
            C("user_id", BIGINT, "The agent who skipped (users.id)."),
            C("reason", TEXT, "What the agent wrote as the reason."),
            C("created_at", TIMESTAMP, "When the ticket was skipped (UTC)."),
            C("updated_at", TIMESTAMP, "When the skip last changed (UTC); the row's version."),
            C("ticket_id", BIGINT, "The ticket skipped (tickets.id)."),
        ),
    ),
    Collection(
        name="organization_memberships",
        description="Which users belong to which organizations, one row per membership keyed by `id`; a user belongs to several when the account allows it. Read whole every run: a membership that ends gets `_removed_at`, so `WHERE _removed_at IS NULL` gives the current ones.",
        sweep="organization_memberships",
        version="updated_at",
        references=(R("user_id", "users"), R("organization_id", "organizations")),
        columns=(
            C("id", BIGINT, "Zendesk's id of the membership; the primary key."),
            C("url", TEXT, "Address of this membership in Zendesk's REST API."),
            C("user_id", BIGINT, "The member (users.id)."),
            C("organization_id", BIGINT, "The organization (organizations.id)."),
            C("created_at", TIMESTAMP, "When the user joined the organization (UTC)."),
            C("updated_at", TIMESTAMP, "When the membership last changed (UTC); the row's version."),
            C("organization_name", TEXT, "The organization's name, copied for convenience."),
            C("default", BOOLEAN, "True for the user's default organization (new tickets get it)."),
            C("view_tickets", BOOLEAN, "Whether the user can see the organization's other tickets."),
        ),
    ),
    Collection(
        name="group_memberships",
        description="Which agents belong to which groups, one row per membership keyed by `id`; an agent may be in many groups and `default` marks the one their tickets go to first. Read whole every run: a membership that ends gets `_removed_at`, so `WHERE _removed_at IS NULL` gives the current ones.",
        sweep="group_memberships",
        version="updated_at",
        references=(R("user_id", "users"), R("group_id", "groups")),
        columns=(
            C("id", BIGINT, "Zendesk's id of the membership; the primary key."),
            C("url", TEXT, "Address of this membership in Zendesk's REST API."),
            C("created_at", TIMESTAMP, "When the agent joined the group (UTC)."),
            C("group_id", BIGINT, "The group (groups.id)."),
            C("updated_at", TIMESTAMP, "When the membership last changed (UTC); the row's version."),
            C("user_id", BIGINT, "The agent (users.id)."),
            C("default", BOOLEAN, "True for the agent's default group."),
        ),
    ),
    Collection(
        name="audit_logs",
        description="Who changed what in the account's configuration, and who signed in: one row per audit entry keyed by `id`, with the actor, the item, the action and the address it came from. Entries never change once written; the daily complete read (`reread_hours`) marks one Zendesk no longer returns with `_removed_at`. Zendesk offers audit logs on Enterprise plans only; elsewhere a run stores nothing and logs a warning.",
        sweep="audit_logs",
        version="created_at",
        opt_in=True,
        columns=(
            C("id", BIGINT, "Zendesk's id of the audit entry; the primary key."),
            C("url", TEXT, "Address of this entry in Zendesk's REST API."),
            C("created_at", TIMESTAMP, "When the action happened (UTC); entries are read in this order and it is the row's version."),
            C("actor_id", BIGINT, "The user who acted (users.id)."),
            C("source_id", BIGINT, "Id of the item acted on, of the kind source_type names."),
            C("source_type", TEXT, "Kind of item acted on, such as user, ticket_field, trigger or account_setting."),
            C("source_label", TEXT, "Name of that item when the action happened."),
            C("action", TEXT, "What was done: login, create, update, destroy, and a few more."),
            C("change_description", TEXT, "What changed, as Zendesk words it."),
            C("ip_address", TEXT, "Network address the action came from."),
            C("action_label", TEXT, "The action in the account's language."),
            C("actor_name", TEXT, "Display name of the user who acted, as Zendesk recorded it."),
        ),
    ),
)

# In the seed's order, which is also the order of the README table.
COLLECTIONS: Mapping[str, Collection] = {c.name: c for c in _COLLECTIONS}
OPT_IN: frozenset[str] = frozenset(c.name for c in _COLLECTIONS if c.opt_in)


def collection(name: str) -> Collection:
    """Look a collection up with an error that lists the valid names."""
    try:
        return COLLECTIONS[name]
    except KeyError:
        raise KeyError(f"unknown Zendesk collection {name!r}; known: {', '.join(COLLECTIONS)}") from None


def validate(sweeps: Sequence[Sweep], collections: Sequence[Collection]) -> None:
    """Fail if a registry contradicts itself; run on this one at import, so a typo never reaches a
    warehouse."""
    by_name = {c.name: c for c in collections}
    sweep_names = {s.name for s in sweeps}
    fed = {c.sweep for c in collections}
    system = {s.name for s in SYSTEM_COLUMNS}
    for s in sweeps:
        assert s.name in fed, f"sweep {s.name} feeds no collection"
        assert not s.export or s.position_field, f"{s.name}: an export needs the position_field it is ordered by"
        windowed = s.kind is SweepKind.INCREMENTAL and not s.export
        assert windowed == (s.time_filter is not None), f"{s.name}: only incremental lists take a time_filter"
        assert s.time_filter is not TimeFilter.SINCE or s.retention, f"{s.name}: a since-filter needs retention"
        assert s.full_list is None or s.paging is Paging.TIME_EXPORT, f"{s.name}: full_list backs a time export"
        assert not s.reread or windowed, f"{s.name}: only incremental lists are re-read whole"
        assert s.list_read is None or s.export, f"{s.name}: a list_read replaces an export"
    for c in collections:
        assert c.sweep in sweep_names, f"{c.name}: unknown sweep {c.sweep}"
        columns = c.column_names
        assert len(set(columns)) == len(columns), f"{c.name}: duplicate columns"
        assert c.primary_key in columns, f"{c.name}: primary key {c.primary_key} is not a column"
        assert not system & set(columns), f"{c.name}: clashes with a system column"
        assert c.deleted is None or c.deleted.column in columns, f"{c.name}: {c.deleted} names no column"
        assert c.archive is None or {c.archive.column, c.archive.since} <= set(columns), f"{c.name}: {c.archive}"
        assert c.successor is None or c.successor in by_name, f"{c.name}: unknown successor {c.successor}"
        refs = (*c.references, *([c.removed_with_parent] if c.removed_with_parent else []))
        for ref in refs:
            target = by_name.get(ref.table)
            assert ref.column in columns and target and ref.target in target.column_names, f"{c.name}: {ref}"
        if c.field_names:
            target = by_name.get(c.field_names.table)
            assert target and target.custom_fields, f"{c.name}: {c.field_names.table} pivots no custom fields"
            assert {c.field_names.id_column, c.field_names.name_column} <= set(columns), f"{c.name}: {c.field_names}"
        sweep = next((s for s in sweeps if s.name == c.sweep), None)
        if sweep is not None and sweep.reread:
            assert sweep.position_field in columns, f"{c.name}: a re-read scopes removals by {sweep.position_field}"
        partitioned = next(s for s in sweeps if s.name == c.sweep).kind is SweepKind.PARTITIONED
        assert partitioned == (c.partition_time is not None), f"{c.name}: partition_time iff its sweep is partitioned"
        if c.partition_time is not None:
            via = c.partition_time.via
            holder = by_name[via.table] if via else c
            assert c.partition_time.column in holder.column_names, f"{c.name}: {c.partition_time} names no column"
            assert via is None or (via.column in columns and by_name[via.table].sweep == c.sweep), (
                f"{c.name}: partition_time goes through a parent its own sweep feeds"
            )
        if c.removed_with_parent:
            parent = by_name[c.removed_with_parent.table]
            assert parent.deleted and parent.rows is records, (
                f"{c.name}: rows vanish with a parent that a sweep feeds as records, with a Tombstone"
            )


validate(_SWEEPS, _COLLECTIONS)
