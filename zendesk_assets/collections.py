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
    C("received_at", TIMESTAMP, "When this row was last written by the sync."),
    C("_raw", JSON, "The full record as Zendesk returned it, so no property is ever lost (one holding a NUL "
      "character is a JSON string of its JSON text: parse it once more)."),
    C("_version", BIGINT, "Epoch seconds of the record version; older versions never replace newer ones."),
    C("_removed_at", TIMESTAMP, "When the row vanished from Zendesk: a full snapshot or re-read no longer returned it, or its parent (a ticket) was deleted; null while present."),
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
        description="When support requests arrive in Zendesk, they can be assigned to a Group. Groups serve as the core element of ticket workflow; support agents are organized into Groups and tickets can be assigned to a Group only, or to an assigned agent within a Group. A ticket can never be assigned to an agent without also being assigned to a Group.",
        sweep="groups",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Automatically assigned when creating groups."),
            C("url", TEXT, "The API url of this group."),
            C("deleted", BOOLEAN, "Deleted groups get marked as such."),
            C("name", TEXT, "The name of the group."),
            C("created_at", TIMESTAMP, "The time the group was created."),
            C("updated_at", TIMESTAMP, "The time of the last update of the group."),
            C("is_public", BOOLEAN, "False for a private group, whose tickets only its members can see."),
            C("default", BOOLEAN, "True for the account's default group, where unassigned tickets go."),
            C("description", TEXT, "Free text an admin wrote about the group's purpose."),
        ),
    ),
    Collection(
        name="users",
        description="Zendesk Support has three types of users: end-users (your customers), agents, and administrators. End-users request support through tickets. Agents work in Zendesk Support to solve tickets. Agents can be divided into multiple groups and can also belong to multiple groups. Agents don't have access to administrative configuration in Zendesk Support such as business rules or automation, but can configure their own macros and views. Administrators have all the abilities of agents, plus administrative abilities.",
        sweep="users",
        version="updated_at",
        custom_fields=USER_FIELDS,
        count_endpoint="/users/count",
        deleted=Tombstone("active", False),
        columns=(
            C("id", BIGINT, "Automatically assigned when the user is created."),
            C("url", TEXT, 'Segment sets the "url" field users see in their Warehouse to equal the "id" from Zendesk, rather than the "url" field.', path=("id",)),
            C("name", TEXT, "The name of the user."),
            C("email", TEXT, "The primary email address of this user.."),
            C("time_zone", TEXT, "The time-zone of this user."),
            C("phone", TEXT, "The primary phone number of this user."),
            C("locale_id", BIGINT, "The language identifier for this user."),
            C("locale", TEXT, "The locale for this user."),
            C("organization_id", BIGINT, "The ID of the organization this user is associated with."),
            C("role", TEXT, 'The role of the user. Possible values: "end-user", "agent", "admin".'),
            C("verified", BOOLEAN, "The user's primary identity is verified or not."),
            C("external_id", TEXT, "A unique identifier from another system. The API treats the ID as case insensitive. Example: ian1 and Ian1 are the same user."),
            C("alias", TEXT, "An alias displayed to end users."),
            C("active", BOOLEAN, "false if the user has been deleted."),
            C("shared", BOOLEAN, "If the user is shared from a different Zendesk Support instance. Ticket sharing accounts only."),
            C("shared_agent", BOOLEAN, "If the user is a shared agent from a different Zendesk Support instance. Ticket sharing accounts only."),
            C("last_login_at", TIMESTAMP, "The last time the user signed in to Zendesk Support."),
            C("two_factor_auth_enabled", BOOLEAN, "If two factor authentication is enabled."),
            C("signature", TEXT, "The user's signature. Only agents and admins can have signatures."),
            C("details", TEXT, "Any details you want to store about the user, such as an address."),
            C("notes", TEXT, "Any notes you want to store about the user."),
            C("custom_role_id", BIGINT, "A custom role if the user is an agent on the Enterprise plan."),
            C("moderator", BOOLEAN, "Designates whether the user has forum moderation capabilities."),
            C("ticket_restriction", TEXT, 'Specifies which tickets the user has access to. Possible values are: "organization", "groups", "assigned", "requested", null.'),
            C("only_private_comments", BOOLEAN, "true if the user can only create private comments."),
            C("restricted_agent", BOOLEAN, "If the agent has any restrictions; false for admins and unrestricted agents, true for other agents."),
            C("suspended", BOOLEAN, "If the agent is suspended. Tickets from suspended users are also suspended, and these users cannot sign in to the end user portal."),
            C("chat_only", BOOLEAN, "Whether or not the user is a chat-only agent."),
            C("created_at", TIMESTAMP, "The time the user was created."),
            C("updated_at", TIMESTAMP, 'The time of the last update of the user (the seed lists this row as a second "suspended").'),
            C("role_type", INTEGER, "Zendesk role type (0 custom agent, 1 light agent, 2 chat agent, ... ); null for end users and admins."),
            C("tags", JSON, "Tags applied to the user."),
            C("iana_time_zone", TEXT, "The user's time zone as an IANA name (e.g. Europe/Paris), unlike time_zone's display name."),
            C("default_group_id", BIGINT, "For an agent, the group new tickets they create land in by default."),
            C("photo_url", TEXT, "Where the user's profile picture can be downloaded, if one is set.", path=("photo", "content_url")),
            C("shared_phone_number", BOOLEAN, "Whether the phone number is shared with other users (so it cannot identify this one)."),
            C("report_csv", BOOLEAN, "Whether the agent may download CSV reports."),
        ),
    ),
    Collection(
        name="tickets",
        description="Tickets are the means through which your End-users (customers) communicate with Agents in Zendesk. **Note**: Segment pulls all tickets updated (or created) in the last year to start by default. If you need more, reach out to Segment support. Support can do a run to pull further back in history.",
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
        columns=(
            C("id", BIGINT, "Automatically assigned when the ticket is created."),
            C("url", TEXT, "The API url of this ticket."),
            C("external_id", TEXT, "An ID you can use to link Zendesk Support tickets to local records."),
            C("type", TEXT, 'The type of this ticket. Possible values: "problem", "incident", "question" or "task".'),
            C("subject", TEXT, "The value of the subject field for this ticket."),
            C("raw_subject", TEXT, 'The dynamic content placeholder, if present, or the "subject" value, if not.'),
            C("description", TEXT, "The first comment on the ticket."),
            C("priority", TEXT, 'The urgency with which the ticket should be addressed. Possible values: "urgent", "high", "normal", "low".'),
            C("status", TEXT, 'The state of the ticket. Possible values: "new", "open", "pending", "hold", "solved", "closed".'),
            C("recipient", TEXT, "The original recipient e-mail address of the ticket."),
            C("requester_id", BIGINT, "The user who requested this ticket."),
            C("submitter_id", BIGINT, "The user who submitted the ticket. The submitter always becomes the author of the first comment on the ticket."),
            C("assignee_id", BIGINT, "The agent currently assigned to the ticket."),
            C("organization_id", BIGINT, "The organization of the requester. You can only specify the ID of an organization associated with the requester."),
            C("group_id", BIGINT, "The group this ticket is assigned to."),
            C("collaborator_ids", JSON, "The IDs of users currently cc'ed on the ticket."),
            C("forum_topic_id", BIGINT, "The topic this ticket originated from, if any."),
            C("problem_id", BIGINT, 'For tickets of type "incident", the ID of the problem the incident is linked to.'),
            C("has_incidents", BOOLEAN, "Is true of this ticket has been marked as a problem, false otherwise."),
            C("due_at", TIMESTAMP, 'If this is a ticket of type "task" it has a due date. Due date format uses ISO 8601 format.'),
            C("tags", JSON, "The array of tags applied to this ticket."),
            C("sharing_agreement_ids", JSON, "The IDs of the sharing agreements used for this ticket."),
            C("created_at", TIMESTAMP, "When this record was created."),
            C("updated_at", TIMESTAMP, "When this record last got updated."),
            C("ticket_form_id", BIGINT, "The ID of the ticket form to render for the ticket (Enterprise only)."),
            C("generated_timestamp", BIGINT, "Epoch seconds of the last change of any kind, including system-only updates; the export cursor field."),
            C("brand_id", BIGINT, "The brand this ticket belongs to."),
            C("custom_status_id", BIGINT, "The custom ticket status, when custom statuses are enabled."),
            C("follower_ids", JSON, "The IDs of agents following the ticket."),
            C("via", JSON, "How the ticket was created: channel and source."),
            C("satisfaction_rating", JSON, "Embedded snapshot of the satisfaction rating; satisfaction_ratings holds the authoritative records."),
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
        description="Customize fields on the ticket form.",
        sweep="ticket_fields",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Automatically assigned upon creation."),
            C("url", TEXT, "The URL for this resource."),
            C("type", TEXT, 'The type of the ticket field: "checkbox", "date", "decimal", "integer", "regexp", "tagger", "text", or "textarea". *Type is not editable once created.'),
            C("slug", TEXT, "The title of the ticket field separated by _."),
            C("title", TEXT, "The title of the ticket field."),
            C("raw_title", TEXT, 'The dynamic content placeholder, if present, or the "title" value, if not.'),
            C("description", TEXT, "The description of the purpose of this ticket field, shown to users."),
            C("raw_description", TEXT, 'The dynamic content placeholder, if present, or the "description" value, if not.'),
            C("position", INTEGER, "A relative position for the ticket fields that determines the order of ticket fields on a ticket. Note that positions 0 to 7 are reserved for system fields."),
            C("active", BOOLEAN, "Whether this field is available."),
            C("required", BOOLEAN, "If it's required for this field to have a value when updated by agents."),
            C("collapsed_for_agents", BOOLEAN, "If this field should be shown to agents by default or be hidden alongside infrequently used fields. Classic interface only."),
            C("regexp_for_validation", TEXT, "Regular expression field only. The validation pattern for a field value to be deemed valid."),
            C("title_in_portal", TEXT, "The title of the ticket field when shown to end users."),
            C("raw_title_in_portal", TEXT, 'The dynamic content placeholder, if present, or the "title_in_portal" value, if not.'),
            C("visible_in_portal", BOOLEAN, "Whether this field is available to end users."),
            C("editable_in_portal", BOOLEAN, "Whether this field is editable by end users."),
            C("required_in_portal", BOOLEAN, "If it's required for this field to have a value when updated by end users."),
            C("tag", TEXT, "A tag value to set for checkbox fields when checked."),
            C("removable", BOOLEAN, "If this field is not a system basic field that must be present for all tickets on the account."),
            C("created_at", TIMESTAMP, "The time the ticket field was created."),
            C("updated_at", TIMESTAMP, "The time of the last update of the ticket field."),
            C("agent_description", TEXT, "Help text shown to agents next to the field (the description is shown to end users)."),
            C("custom_field_options", JSON, "The choices of a drop-down or multi-select field: id, name and tag value of each."),
            C("system_field_options", JSON, "The fixed choices of a system field such as status, type or priority."),
            C("sub_type_id", BIGINT, "Variant of a system field (for example which set of priority values it offers); 0 when none."),
        ),
    ),
    Collection(
        name="ticket_metrics",
        description="All kinds of aggregate metrics about a ticket",
        sweep="tickets",
        rows=metric_sets,
        removed_with_parent=R("ticket_id", "tickets"),
        version="updated_at",
        references=(R("ticket_id", "tickets"),),
        columns=(
            C("id", BIGINT, "Automatically assigned."),
            C("ticket_id", BIGINT, "ID of the associated ticket."),
            C("group_stations", INTEGER, "Number of groups this ticket passed through."),
            C("assignee_stations", INTEGER, "Number of assignees this ticket had."),
            C("reopens", INTEGER, "Total number of times the ticket was reopened."),
            C("replies", INTEGER, "Total number of times ticket was replied to."),
            C("reply_time_in_minutes_calendar", INTEGER, "Number of minutes to the first reply outside of business hours.", path=("reply_time_in_minutes", "calendar")),
            C("reply_time_in_minutes_business", INTEGER, "Number of minutes to the first reply during business hours.", path=("reply_time_in_minutes", "business")),
            C("first_resolution_time_in_minutes_calendar", INTEGER, "Number of minutes to the first resolution time outside of business hours.", path=("first_resolution_time_in_minutes", "calendar")),
            C("first_resolution_time_in_minutes_business", INTEGER, "Number of minutes to the first resolution time during business hours.", path=("first_resolution_time_in_minutes", "business")),
            C("full_resolution_time_in_minutes_calendar", INTEGER, "Number of minutes to the full resolution outside of business hours.", path=("full_resolution_time_in_minutes", "calendar")),
            C("full_resolution_time_in_minutes_business", INTEGER, "Number of minutes to the full resolution during business hours.", path=("full_resolution_time_in_minutes", "business")),
            C("agent_wait_time_in_minutes_calendar", INTEGER, "Number of minutes the agent spent waiting outside of business hours.", path=("agent_wait_time_in_minutes", "calendar")),
            C("agent_wait_time_in_minutes_business", INTEGER, "Number of minutes the agent spent waiting during business hours.", path=("agent_wait_time_in_minutes", "business")),
            C("requester_wait_time_in_minutes_calendar", INTEGER, "Number of minutes the requester spent waiting outside of business hours.", path=("requester_wait_time_in_minutes", "calendar")),
            C("requester_wait_time_in_minutes_business", INTEGER, "Number of minutes the requester spent waiting during business hours.", path=("requester_wait_time_in_minutes", "business")),
            C("on_hold_time_in_minutes_calendar", INTEGER, "Number of minutes the ticket was on hold outside of business hours.", path=("on_hold_time_in_minutes", "calendar")),
            C("on_hold_time_in_minutes_business", INTEGER, "Number of minutes the ticket was on hold during business hours.", path=("on_hold_time_in_minutes", "business")),
            C("created_at", TIMESTAMP, "When this record was created."),
            C("updated_at", TIMESTAMP, "When this record last got updated."),
            C("assignee_updated_at", TIMESTAMP, "When the assignee last updated the ticket."),
            C("requester_updated_at", TIMESTAMP, "When the requester last updated the ticket."),
            C("status_updated_at", TIMESTAMP, "When the status was last updated."),
            C("initially_assigned_at", TIMESTAMP, "When the ticket was initially assigned."),
            C("assigned_at", TIMESTAMP, "When the ticket was last assigned."),
            C("solved_at", TIMESTAMP, "When the ticket was solved."),
            C("latest_comment_added_at", TIMESTAMP, "When the latest comment was added."),
            C("url", TEXT, "The API address of this metric set."),
            C("custom_status_updated_at", TIMESTAMP, "When the ticket's custom status last changed."),
        ),
    ),
    Collection(
        name="ticket_events",
        description="Returns a stream of changes that occurred on tickets. Each event is tied to an update on a ticket and contains all the fields that were updated in that change. **Note**: Segment pulls one year of ticket events to start by default. If you need more, reach out to [Segment support](https://segment.com/help/contact/). Support can do a run to pull further back in history.",
        sweep="ticket_events",
        rows=child_events,
        version="timestamp",
        references=(R("ticket_id", "tickets"),),
        columns=(
            C("id", BIGINT, "Automatically assigned."),
            C("ticket_event_id", BIGINT, "Automatically assigned when the ticket is updated."),
            C("ticket_id", BIGINT, "The ID of the associated ticket."),
            C("timestamp", TIMESTAMP, "The time when the ticket was updated."),
            C("updater_id", BIGINT, "The ID of the user who updated the ticket."),
            C("ticket_event_via", TEXT, "How the event was created."),
            C("context_client", TEXT, 'This refers to the "client" used to submit this ticket change (for example, browser name and type).', path=("system", "client")),
            C("context_location", TEXT, "The plain text name of where the request was made, if available (for example, country, city).", path=("system", "location")),
            C("context_latitude", DOUBLE, "Latitude of the location where the ticket was changed.", path=("system", "latitude")),
            C("context_longitude", DOUBLE, "Longitude of the location where the ticket was changed.", path=("system", "longitude")),
            C("via", TEXT, "How the event was created."),
            C("event_type", TEXT, "The child event type: Create, Change, Comment, ... (the parent audit when it has no children)."),
            C("created_at", TIMESTAMP, "When the ticket update happened (ISO form of timestamp)."),
            C("via_reference_id", BIGINT, "The rule, macro or other record that caused the change, when Zendesk names one."),
        ),
    ),
    Collection(
        name="ticket_field_history",
        description="Every value a ticket field took: one row per field set by a ticket update (status, priority, assignee, group, tags, custom fields...), with the value before it, when it changed and who changed it. Read from the same ticket_events export as ticket_events, at no extra cost. Beyond the seed.",
        sweep="ticket_events",
        rows=field_history,
        version="updated",
        field_names=FieldNames("tickets", "ticket_field_id", "field_name"),
        references=(R("ticket_id", "tickets"),),
        columns=(
            C("id", BIGINT, "The child event that set the field (one field per child event)."),
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
        description="The activity stream is a per agent event stream. It will give access to the most recent events that relate to the agent polling the API.",
        sweep="activities",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Automatically assigned upon creation."),
            C("url", TEXT, "The API url of this activity."),
            C("verb", TEXT, "The type of activity. Can be tickets.assignment, tickets.comment, or tickets.priority_increase."),
            C("title", TEXT, "Description of this activity."),
            C("created_at", TIMESTAMP, "When this record was created."),
            C("updated_at", TIMESTAMP, "When this record last got updated."),
            C("user_id", BIGINT, "The agent the activity is about."),
            C("actor_id", BIGINT, "The user who caused the activity."),
            C("object", JSON, "The record the activity is about, as Zendesk summarises it (e.g. the ticket and its subject)."),
            C("target", JSON, "The record the activity points to (e.g. the ticket to open)."),
        ),
    ),
    Collection(
        name="attachments",
        description="This API is for attachments in tickets and forum posts in the Web portal.",
        sweep="ticket_events",
        rows=attachments,
        version=None,
        references=(R("ticket_id", "tickets"),),
        columns=(
            C("id", BIGINT, "Automatically assigned upon creation."),
            C("file_name", TEXT, "The name of the image file."),
            C("content_url", TEXT, "A full URL where the attachment image file can be downloaded."),
            C("content_type", TEXT, "The content type of the image. Example value: image/png."),
            C("inline", BOOLEAN, "If true, the attachment is excluded from the attachment list and the attachment's URL can be referenced within the comment of a ticket. Default is false."),
            C("size", INTEGER, "The size of the image file in bytes."),
            C("ticket_id", BIGINT, "The ticket whose comment carries the attachment."),
            C("comment_id", BIGINT, "The comment that carries the attachment."),
            C("mapped_content_url", TEXT, "The URL of the attachment on a host-mapped domain, when one is configured."),
            C("thumbnails", JSON, "Smaller preview images Zendesk made of an image attachment."),
            C("width", INTEGER, "Image width in pixels; null when not an image or unknown."),
            C("height", INTEGER, "Image height in pixels; null when not an image or unknown."),
            C("malware_access_override", BOOLEAN, "Whether an admin allowed downloading the file despite a malware finding."),
            C("malware_scan_result", TEXT, 'Outcome of Zendesk\'s malware scan, e.g. "malware_not_found" or "not_scanned".'),
        ),
    ),
    Collection(
        name="organizations",
        description="Just as agents can be segmented into groups in Zendesk, your customers (end-users) can be segmented into organizations.",
        sweep="organizations",
        version="updated_at",
        custom_fields=ORGANIZATION_FIELDS,
        count_endpoint="/organizations/count",
        deleted=Tombstone("deleted_at"),
        columns=(
            C("id", BIGINT, "Automatically assigned when the organization is created."),
            C("external_id", TEXT, "A unique external ID to associate organizations to an external record."),
            C("url", TEXT, "The API url of this organization."),
            C("name", TEXT, "A unique name for the organization."),
            C("details", TEXT, "This includes any details about the organization, such as the address."),
            C("notes", TEXT, "Any notes you have about the organization."),
            C("group_id", BIGINT, "New tickets from users in this organization are automatically put in this group."),
            C("shared_tickets", BOOLEAN, "End users in this organization are able to see each other's tickets."),
            C("shared_comments", BOOLEAN, "End users in this organization are able to see each other's comments on tickets."),
            C("created_at", TIMESTAMP, "The time the organization was created."),
            C("updated_at", TIMESTAMP, "The time of the last update of the organization."),
            C("deleted_at", TIMESTAMP, "When the organization was deleted; null while it exists."),
            C("domain_names", JSON, "Domain names associated with the organization."),
            C("tags", JSON, "Tags applied to the organization."),
        ),
    ),
    Collection(
        name="satisfaction_ratings",
        description="If you have enabled satisfaction ratings for your account, this end point allows you to quickly retrieve all ratings.",
        sweep="satisfaction_ratings",
        successor="csat_survey_responses",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Automatically assigned when the organization is created."),
            C("url", TEXT, "The API url of this rating."),
            C("assignee_id", BIGINT, "The ID of agent assigned to at the time of rating."),
            C("group_id", BIGINT, "The ID of group assigned to at the time of rating."),
            C("requester_id", BIGINT, "The ID of ticket requester submitting the rating."),
            C("ticket_id", BIGINT, "The ID of ticket being rated."),
            C("score", TEXT, 'The rating: "offered", "unoffered", "good" or "bad".'),
            C("created_at", TIMESTAMP, "The time the satisfaction rating got created."),
            C("updated_at", TIMESTAMP, "The time the satisfaction rating got updated."),
            C("comment", TEXT, "The comment left with the rating."),
            C("reason", TEXT, "The reason given for a bad rating."),
            C("reason_id", BIGINT, "The satisfaction reason record behind the reason text, when one was picked."),
        ),
    ),
    Collection(
        name="csat_survey_responses",
        description="Answers to the new CSAT survey, which replaces legacy satisfaction ratings on accounts that switched to it (Zendesk then keeps ratings here, not in satisfaction_ratings): one row per response, with the rating, its category and the comment lifted out of the answers. Opt-in; needs Support Professional or Suite Growth and above. Beyond the seed.",
        sweep="csat_survey_responses",
        rows=survey_responses,
        version="updated_at",
        opt_in=True,
        references=(R("ticket_id", "tickets"), R("responder_id", "users")),
        removed_with_parent=R("ticket_id", "tickets"),  # Zendesk's list drops a deleted ticket's response
        columns=(
            C("id", TEXT, "The response's id (a ULID string, not a number)."),
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
        description="Ticket comments represent the conversation between requesters, collaborators, and agents. It includes the full body of each comment, public and private. **Note**: This collection is not included by default. To request it, [contact Segment support](https://segment.com/help/contact/).",
        sweep="ticket_events",
        rows=comments,
        version="created_at",
        opt_in=True,
        references=(R("ticket_id", "tickets"),),
        columns=(
            C("id", BIGINT, "Automatically assigned when the comment is created."),
            C("ticket_event_id", BIGINT, "Automatically assigned when the comment is created."),
            C("ticket_id", BIGINT, "The ID of ticket being commented."),
            C("type", TEXT, "Comment or VoiceComment. The JSON object for voice comments is different."),
            C("body", TEXT, "The comment string."),
            C("public", BOOLEAN, "true if a public comment; false if an internal note. The initial value set on ticket creation persists for any additional comment unless you change it."),
            C("author_id", BIGINT, "The ID of the comment author."),
            C("via", JSON, "How the comment was created."),
            C("created_at", TIMESTAMP, "The time the comment was created."),
            C("html_body", TEXT, "The comment formatted as HTML."),
            C("attachments", JSON, "Attachments of the comment; also flattened into the attachments table."),
            C("plain_body", TEXT, "The comment as plain text, markup removed."),
            C("audit_id", BIGINT, "The audit (ticket update) the comment was added in."),
            C("metadata", JSON, "Where the comment came from: client, location and any custom data of the update."),
        ),
    ),
    Collection(
        name="ticket_forms",
        description="Ticket forms allow an admin to define a subset of ticket fields for display to both agents and end users.",
        sweep="ticket_forms",
        version="updated_at",
        columns=(
            C("id", BIGINT, "Automatically assigned when creating groups."),
            C("active", BOOLEAN, "Shows if the form is set as active."),
            C("end_user_visible", BOOLEAN, "This shows if the form is visible to the end user."),
            C("name", TEXT, "The name of the form."),
            C("restricted_brand_ids", JSON, "The IDs of all brands that this ticket form is restricted to."),
            C("ticket_field_ids", JSON, "The IDs of all ticket fields which are in this ticket form."),
            C("updated_at", TIMESTAMP, "The time of the last update of the ticket form."),
            C("url", TEXT, "The API url of this ticket."),
            C("created_at", TIMESTAMP, "The time the ticket form was created."),
            C("display_name", TEXT, "The name of the form that displays to the end user."),
            C("in_all_brands", BOOLEAN, "This shows if the form is available for use in all brands on this account."),
            C("position", INTEGER, "The position of this form among other forms in the account (for example, dropdown)"),
            C("raw_display_name", TEXT, 'The dynamic content placeholder (if available,) or the "display_name" value, if the dynamic content placeholder is unavailable.'),
            C("raw_name", TEXT, 'The dynamic content placeholder (if available,) or the "name" value, if the dynamic content placeholder is unavailable.'),
            C("default", BOOLEAN, "This shows if this form is the default form for this account."),
            C("end_user_conditions", JSON, "Rules that show a field to end users only when another field has a given value."),
            C("agent_conditions", JSON, "Rules that show (or require) a field for agents depending on another field's value."),
        ),
    ),
    Collection(
        name="ticket_skips",
        description="A skip is a record of when an agent skips over a ticket without responding to the end user.",
        sweep="ticket_skips",
        version="updated_at",
        # Observed: /skips stops listing the skips of a deleted ticket (the reference is silent).
        removed_with_parent=R("ticket_id", "tickets"),
        columns=(
            C("id", BIGINT, "Automatically assigned when creating groups."),
            C("user_id", BIGINT, "The ID of the skipping agent."),
            C("reason", TEXT, "The reason for skipping the ticket."),
            C("created_at", TIMESTAMP, "The time the skip was created."),
            C("updated_at", TIMESTAMP, "The time the skip was last updated."),
            C("ticket_id", BIGINT, "The ticket that was skipped."),
        ),
    ),
    Collection(
        name="organization_memberships",
        description="A membership links a user to an organization. Organizations can have many users. Users can be in many organizations if the account supports multiple organizations. You can use the API to list users in an organization, and reassign organization members.",
        sweep="organization_memberships",
        version="updated_at",
        references=(R("user_id", "users"), R("organization_id", "organizations")),
        columns=(
            C("id", BIGINT, "This is automatically assigned when creating groups."),
            C("url", TEXT, "The API url of this ticket."),
            C("user_id", BIGINT, "The ID of the user who has this organization membership."),
            C("organization_id", BIGINT, "The ID of the organization associated with this user."),
            C("created_at", TIMESTAMP, "When this record was created."),
            C("updated_at", TIMESTAMP, "When this record was last updated."),
            C("organization_name", TEXT, "The name of the organization associated with this user."),
            C("default", BOOLEAN, "True for the user's default organization (new tickets get it)."),
            C("view_tickets", BOOLEAN, "Whether the user can see the organization's other tickets."),
        ),
    ),
    Collection(
        name="group_memberships",
        description="A membership links an agent to a group. Groups can have many agents, as agents can be in many groups. You can use the API to list what agents are in which groups, and reassign group members.",
        sweep="group_memberships",
        version="updated_at",
        references=(R("user_id", "users"), R("group_id", "groups")),
        columns=(
            C("id", BIGINT, "Automatically assigned when creating groups."),
            C("url", TEXT, "The API url of this group."),
            C("created_at", TIMESTAMP, "The time the group was created."),
            C("group_id", BIGINT, "The ID of the group assigned to at the time of rating."),
            C("updated_at", TIMESTAMP, "The time of the last update of the group."),
            C("user_id", BIGINT, "The ID of an agent."),
            C("default", BOOLEAN, "Whether this is the user's default group."),
        ),
    ),
    Collection(
        name="audit_logs",
        description="The audit log shows various changes in your instance of Zendesk since the account was created.  **Note**: This collection is not included by default. To request it, [contact Segment support](https://segment.com/help/contact/).",
        sweep="audit_logs",
        version="created_at",
        opt_in=True,
        columns=(
            C("id", BIGINT, "Automatically assigned when creating groups."),
            C("url", TEXT, "The API url of this ticket."),
            C("created_at", TIMESTAMP, "The time the audit got created."),
            C("actor_id", BIGINT, "The ID of the user creating the ticket"),
            C("source_id", BIGINT, "The ID of the item being audited."),
            C("source_type", TEXT, "The item type being audited."),
            C("source_label", TEXT, "The name of the item being audited."),
            C("action", TEXT, 'The action a user performed. Either "login", "create", "update", or "destroy".'),
            C("change_description", TEXT, "The description of the change that occurred."),
            C("ip_address", TEXT, "The IP address of the user performing the audit."),
            C("action_label", TEXT, "A localized string of action field."),
            C("actor_name", TEXT, "The name of the user who performed the action, as it was then."),
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
        if c.removed_with_parent:
            parent = by_name[c.removed_with_parent.table]
            assert parent.deleted and parent.rows is records, (
                f"{c.name}: rows vanish with a parent that a sweep feeds as records, with a Tombstone"
            )


validate(_SWEEPS, _COLLECTIONS)
