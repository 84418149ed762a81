"""List-mode endpoints: what a sync can read if the incremental exports end for it.

`/tickets` (keyset cursors, sortable by `updated_at`, archived tickets left out), `/search/export`
(session cursors, archived tickets reachable, deleted ones not), `/deleted_tickets`, `/users`,
`/deleted_users`, the ticket audits, and `/ticket_forms` (offset-style envelope only).

Facts come from Zendesk's reference and from a connector vendor's recorded probes of live accounts
(estuary/connectors, source-zendesk-support-native/bruno): each handler names its source.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from zendesk_assets.emulator import generate as gen
from zendesk_assets.emulator.history import audit_view
from zendesk_assets.emulator.ordering import (
    Listing,
    SortKey,
    decode_keyset_cursor,
    encode_keyset_cursor,
    first_at_least,
)
from zendesk_assets.emulator.protocol import (
    MAX_EXPORT_PAGE,
    ApiError,
    Ctx,
    cbp_size,
    offset_page,
    paginate,
    uses_cbp,
)
from zendesk_assets.emulator.state import Emulator, _parse_iso

DELETED_TICKET_DAYS = 30  # soft-deleted tickets are listed until scrubbed, 30 days after deletion
SEARCH_CURSOR_TTL = 3600  # search export cursors expire after one hour
INVALID_SORT = {"error": "InvalidPaginationParameter", "description": "sort is not valid"}


def _bad_cursor(which: str = "page[after]") -> ApiError:
    return ApiError(400, {"error": "InvalidPaginationParameter", "description": f"{which} is not valid"})


def _take(items: Iterator[tuple[SortKey, int]], render: Callable[[int], dict[str, Any] | None],
          size: int) -> tuple[list[tuple[SortKey, dict[str, Any]]], bool]:
    """Up to `size` records in `items` order (those `render` drops are skipped), and whether more follow."""
    taken: list[tuple[SortKey, dict[str, Any]]] = []
    for sort_key, index in items:
        rec = render(index)
        if rec is None:
            continue
        if len(taken) == size:
            return taken, True
        taken.append((sort_key, rec))
    return taken, False


def _keyset_page(ctx: Ctx, key: str, order: str, items: Iterator[tuple[SortKey, int]], size: int,
                 render: Callable[[int], dict[str, Any] | None], kinds: tuple[str, ...],
                 values: Callable[[SortKey], tuple[int, ...]]) -> dict[str, Any]:
    """One forward page of a keyset-ordered list in the CBP envelope (`meta`, `links`)."""
    taken, more = _take(items, render, size)
    records = [rec for _key, rec in taken]
    keys = [key for key, _rec in taken]

    def cursor(k: SortKey) -> str:
        return encode_keyset_cursor(order, tuple(zip(kinds, values(k), strict=True)))

    after = cursor(keys[-1]) if keys else None
    before = cursor(keys[0]) if keys else None
    base_query = {k: v for k, v in ctx.params.items() if not k.startswith("page[")}
    return {
        key: records,
        "meta": {"has_more": more, "after_cursor": after, "before_cursor": before},
        "links": {"next": ctx.url(ctx.path, {**base_query, "page[size]": size, "page[after]": after})
                  if more and after else None,
                  "prev": None},
    }


# ---- /tickets -------------------------------------------------------------------------------------------
# Sorts and cursor orders observed on live accounts (bruno/Tickets/*, bruno/Keyset Cursors/*): the default
# keyset is the ticket's id ("nice_id"); `sort=updated_at` keys on (updated_at, id), `-updated_at` on
# (-updated_at, -id); a cursor of another order is a 400. `start_time` is silently ignored.
_TICKET_SORTS = {None: ("nice_id", "asc"), "id": ("nice_id", "asc"), "-id": ("-nice_id", "desc"),
                 "updated_at": ("updated_at,id", "asc"), "-updated_at": ("-updated_at,-id", "desc")}


def list_tickets(ctx: Ctx) -> dict[str, Any]:
    """`GET /tickets`: archived and deleted tickets are not listed.
    https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets"""
    em = ctx.em
    sort = ctx.one("sort")
    if sort not in _TICKET_SORTS:
        raise ApiError(400, INVALID_SORT)
    include_metrics = "metric_sets" in (ctx.one("include") or "")

    def render(i: int) -> dict[str, Any] | None:
        rec = em.ticket(i)
        return None if rec["status"] == "deleted" or em.archived(i) else rec

    if not uses_cbp(ctx) and sort is None:
        body = offset_page(ctx, Listing("tickets", em.n_tickets, render), "tickets", ctx.path)
    else:
        order, mode = _TICKET_SORTS[sort]
        size = cbp_size(ctx)
        after = _ticket_after(ctx, order, mode)
        if order.endswith("nice_id"):
            items = _by_id(em, mode, after)
            body = _keyset_page(ctx, "tickets", order, items, size, render, ("i",), lambda k: (abs(k[1]),))
        else:
            overlay = [(em.ticket_updated_ts(i), em.gen.ticket_id(i), i) for i in em.ticket_over]
            items = em.tickets_by_updated.iter(mode, after, em.ticket_over, overlay)
            body = _keyset_page(ctx, "tickets", order, items, size, render, ("d", "i"),
                                lambda k: (abs(k[0]), abs(k[1])))
    if include_metrics:
        body["metric_sets"] = [ms for t in body["tickets"]
                               if (ms := em.metric_set(t["id"] - gen.TICKET_ID_BASE)) is not None]
    return body


def _ticket_after(ctx: Ctx, order: str, mode: str) -> SortKey | None:
    raw = ctx.one("page[after]")
    if ctx.one("page[before]"):
        raise _bad_cursor("page[before]")  # backward keyset paging is not modelled
    if not raw:
        return None
    values = decode_keyset_cursor(raw, order)
    if values is None or len(values) != (1 if order.endswith("nice_id") else 2):
        raise _bad_cursor()
    if len(values) == 1:
        return (0, values[0]) if mode == "asc" else (0, -values[0])
    return (values[0], values[1]) if mode == "asc" else (-values[0], -values[1])


def _by_id(em: Emulator, mode: str, after: SortKey | None) -> Iterator[tuple[SortKey, int]]:
    """Tickets by id: the index order (ids grow with the index)."""
    base = gen.TICKET_ID_BASE
    if mode == "asc":
        i = 0 if after is None else after[1] - base + 1
        while i < em.n_tickets:
            yield (0, base + i), i
            i += 1
    else:
        i = em.n_tickets - 1 if after is None else -after[1] - base - 1
        while i >= 0:
            yield (0, -(base + i)), i
            i -= 1


# ---- /search/export ---------------------------------------------------------------------------------------
# https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/#export-search-results
# `filter[type]` required (a `type:` in the query is an error), page[size] up to 1000, results ordered by
# created_at (observed: newest first, ties by id), cursors expire after an hour, no `count`. Observed:
# archived tickets are included, deleted ones are not, `updated>=` is inclusive and `updated<` exclusive.
_SEARCH_TERM = re.compile(r"^(created|updated)(>=|<=|>|<|:)(\S+)$")
SEARCH_TYPES = ("ticket", "user", "organization", "group")


def search_export(ctx: Ctx) -> dict[str, Any]:
    em = ctx.em
    kind = ctx.one("filter[type]")
    query = ctx.one("query")
    if query is None:
        raise ApiError(400, {"error": "InvalidValue", "description": "query is required"})
    if kind not in SEARCH_TYPES:
        raise ApiError(400, {"error": "InvalidValue",
                             "description": "filter[type] is required: one of ticket, organization, user, group"})
    bounds = _parse_query(query)
    size = cbp_size(ctx, MAX_EXPORT_PAGE)
    digest = int(hashlib.sha256(f"{kind}\n{query}".encode()).hexdigest()[:8], 16)
    after: SortKey | None = None
    session = em.now()
    raw = ctx.one("page[after]")
    if raw:
        state = _decode_search_cursor(raw)
        if state is None or state["h"] != digest:
            raise _bad_cursor()
        if em.now() - state["c"] > SEARCH_CURSOR_TTL:
            raise ApiError(400, {"error": "InvalidPaginationParameter", "description": "page[after] has expired"})
        after, session = (state["k"], state["i"]), state["c"]

    def updated_ok(rec: dict[str, Any]) -> bool:
        return all(_compare(_parse_iso(rec[field]), op, value) for field, op, value in bounds)

    items, render = _search_source(em, kind, after, updated_ok)
    taken, more = _take(items, render, size)
    records = [{**rec, "result_type": kind} for _key, rec in taken]
    last = taken[-1][0] if taken else None
    after_cursor = _encode_search_cursor(last, digest, session) if last is not None else None
    base_query = {k: v for k, v in ctx.params.items() if not k.startswith("page[")}
    return {
        "results": records,
        "meta": {"has_more": more, "after_cursor": after_cursor, "before_cursor": None},
        "links": {"prev": None,
                  "next": ctx.url(ctx.path, {**base_query, "page[size]": size, "page[after]": after_cursor})
                  if more else None},
    }


def _parse_query(query: str) -> list[tuple[str, str, int]]:
    """`updated>=2024-01-01T00:00:00Z created<2024-02-01`-style terms (the subset a sync needs)."""
    terms: list[tuple[str, str, int]] = []
    for term in query.split():
        if term.lower().startswith("type:"):
            raise ApiError(400, {"error": "InvalidValue",
                                 "description": "use filter[type] instead of type: in the query of an export"})
        m = _SEARCH_TERM.match(term)
        if m is None:
            raise ApiError(400, {"error": "InvalidValue",
                                 "description": f"the emulator's search supports created/updated bounds only, "
                                                f"not {term!r}"})
        field, op, value = m.groups()
        try:
            when = _parse_iso(value if "T" in value else value + "T00:00:00Z")
        except ValueError:
            raise ApiError(400, {"error": "InvalidValue", "description": f"invalid date in {term!r}"}) from None
        terms.append(("updated_at" if field == "updated" else "created_at", op, when))
    return terms


def _compare(ts: int, op: str, value: int) -> bool:
    if op == ">=":
        return ts >= value
    if op == ">":
        return ts > value
    if op == "<=":
        return ts <= value
    if op == "<":
        return ts < value
    return value <= ts < value + 86400  # `updated:2024-01-01` matches the day


def _search_source(em: Emulator, kind: str, after: SortKey | None, ok: Callable[[dict[str, Any]], bool]
                   ) -> tuple[Iterator[tuple[SortKey, int]], Callable[[int], dict[str, Any] | None]]:
    """(created_at-descending items, renderer) for one result type; deleted records are not indexed."""
    if kind == "ticket":
        overlay = [(_parse_iso(rec["created_at"]), rec["id"], i) for i, rec in em.ticket_over.items()]

        def ticket(i: int) -> dict[str, Any] | None:
            rec = em.ticket(i)
            return rec if rec["status"] != "deleted" and ok(rec) else None

        return em.tickets_by_created.iter("desc_id_asc", after, em.ticket_over, overlay), ticket
    if kind == "user":
        records: list[tuple[SortKey, int]] = []
        for j in range(em.n_users):
            rec = em.user(j)
            records.append(((-_parse_iso(rec["created_at"]), rec["id"]), j))

        def user(j: int) -> dict[str, Any] | None:
            rec = em.user(j)
            return rec if rec["active"] and ok(rec) else None

        return _sorted_after(records, after), user
    if kind == "organization":
        orgs = [((-_parse_iso(em.organization(k)["created_at"]), em.gen.org_id(k)), k) for k in range(em.n_orgs)]

        def org(k: int) -> dict[str, Any] | None:
            rec = em.organization(k)
            return rec if rec["deleted_at"] is None and ok(rec) else None

        return _sorted_after(orgs, after), org
    groups = [((-_parse_iso(g["created_at"]), g["id"]), n) for n, g in enumerate(em.groups)]

    def group(n: int) -> dict[str, Any] | None:
        rec = em.groups[n]
        return rec if not rec["deleted"] and ok(rec) else None

    return _sorted_after(groups, after), group


def _sorted_after(items: list[tuple[SortKey, int]], after: SortKey | None) -> Iterator[tuple[SortKey, int]]:
    items.sort()
    start = 0 if after is None else bisect.bisect_right(items, (after, 1 << 62))
    return iter(items[start:])


def _encode_search_cursor(key: SortKey, digest: int, session: int) -> str:
    """Session-bound, like Zendesk's (which records the sort values, the request hash and its start)."""
    raw = orjson.dumps({"field": "created_at", "desc": True, "tieBreakField": "id", "tieBreakDesc": False,
                        "sortValues": [-key[0] * 1000, key[1]], "saltedRequestHash": digest,
                        "sessionStart": session * 1000, "version": 1})
    return base64.b64encode(raw).decode()


def _decode_search_cursor(token: str) -> dict[str, int] | None:
    try:
        data = orjson.loads(base64.b64decode(token + "=" * (-len(token) % 4), validate=True))
        values = data["sortValues"]
        return {"k": -int(values[0]) // 1000, "i": int(values[1]), "h": int(data["saltedRequestHash"]),
                "c": int(data["sessionStart"]) // 1000}
    except (ValueError, KeyError, TypeError, IndexError, orjson.JSONDecodeError):
        return None


# ---- deleted tickets and users --------------------------------------------------------------------------------
def deleted_tickets(ctx: Ctx) -> dict[str, Any]:
    """`GET /deleted_tickets`: tickets deleted in the last 30 days (not yet scrubbed), oldest first by
    default; own rate bucket of 10 per minute.
    https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-deleted-tickets
    Observed: `sort=deleted_at` orders by deletion time (bruno/Deleted/*)."""
    em = ctx.em
    sort = ctx.one("sort") or ctx.one("sort_by")
    desc = (sort or "").startswith("-") or ctx.one("sort_order") == "desc"
    field = (sort or "id").lstrip("-")
    if field not in ("id", "deleted_at", "updated_at", "nice_id"):
        raise ApiError(400, INVALID_SORT)
    rows = _deleted_ticket_rows(em)
    if field in ("deleted_at", "updated_at"):
        rows.sort(key=lambda r: (_parse_iso(r["deleted_at"]), r["id"]))
    if desc:
        rows.reverse()
    listing = Listing(f"deleted_tickets:{field}:{desc}", len(rows), rows.__getitem__)
    return paginate(ctx, listing, "deleted_tickets", ctx.path)


def _deleted_ticket_rows(em: Emulator) -> list[dict[str, Any]]:
    g = em.gen
    floor = em.now() - DELETED_TICKET_DAYS * 86400
    found: list[int] = []
    i = first_at_least(g.n_tickets, g.ticket_gts, floor)
    while i < g.n_tickets:
        if i not in em.ticket_over and g.ticket_deleted(i) and g.timeline(i)[1] >= floor:
            found.append(i)
        i += 1
    found.extend(i for i, rec in em.ticket_over.items()
                 if rec["status"] == "deleted" and _parse_iso(rec["updated_at"]) >= floor)
    return [_deleted_ticket(em, i) for i in sorted(found)]


def _deleted_ticket(em: Emulator, i: int) -> dict[str, Any]:
    rec = em.ticket(i)
    previous, actor = "open", em.gen.user_id(0)
    for ev in reversed(em.ticket_events(i)):
        for child in ev["child_events"]:
            if child.get("status") == "deleted" and child["event_type"] == "Change":
                previous, actor = child.get("previous_value") or "open", ev["updater_id"]
                break
        else:
            continue
        break
    j = em.user_index_of(actor) or 0
    return {"id": rec["id"], "subject": rec["subject"], "description": rec["description"],
            "actor": {"id": actor, "name": em.user(j)["name"]}, "previous_state": previous,
            "deleted_at": rec["updated_at"]}


def list_users(ctx: Ctx) -> dict[str, Any]:
    """`GET /users`: live users (deleted ones are at /deleted_users), by id or, observed,
    `sort=updated_at` keyed on (updated_at, id). https://developer.zendesk.com/api-reference/ticketing/users/users/"""
    em = ctx.em
    sort = ctx.one("sort")
    if sort not in (None, "id", "-id", "updated_at", "-updated_at"):
        raise ApiError(400, INVALID_SORT)

    def render(j: int) -> dict[str, Any] | None:
        rec = em.user(j)
        return rec if rec["active"] else None

    if sort in (None, "id", "-id"):
        desc = sort == "-id"
        return paginate(ctx, Listing(f"users:{desc}", em.n_users, render, desc_default=desc), "users", ctx.path)
    mode = "asc" if sort == "updated_at" else "desc"
    order = "updated_at,id" if mode == "asc" else "-updated_at,-id"
    after = _ticket_after(ctx, order, mode)
    overlay = [(_parse_iso(rec["updated_at"]), rec["id"], j) for j, rec in em.user_over.items()]
    items = em.users_by_updated.iter(mode, after, em.user_over, overlay)
    return _keyset_page(ctx, "users", order, items, cbp_size(ctx), render, ("d", "i"),
                        lambda k: (abs(k[0]), abs(k[1])))


def deleted_users(ctx: Ctx) -> dict[str, Any]:
    """`GET /deleted_users`: deleted users (`active: false`, `email: null`, updated_at = deletion time);
    observed: only `sort=id`/`-id` are accepted, others are 400 "sort is not valid".
    https://developer.zendesk.com/api-reference/ticketing/users/users/#list-deleted-users"""
    em = ctx.em
    sort = ctx.one("sort")
    if sort not in (None, "id", "-id"):
        raise ApiError(400, INVALID_SORT)
    desc = sort == "-id"

    def render(j: int) -> dict[str, Any] | None:
        rec = em.user(j)
        return None if rec["active"] else rec

    return paginate(ctx, Listing(f"deleted_users:{desc}", em.n_users, render, desc_default=desc),
                    "deleted_users", ctx.path)


# ---- ticket audits --------------------------------------------------------------------------------------------
def ticket_audits(ctx: Ctx) -> dict[str, Any]:
    """`GET /ticket_audits` (admins, CBP up to 100): audits of all tickets but archived ones, newest
    first. https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/#list-all-ticket-audits
    The reference names `after_cursor`/`after_url`/`before_cursor`/`before_url` on the response and
    `meta` cursors in its parameters: both are sent."""
    em = ctx.em
    size = cbp_size(ctx)
    before: tuple[int, int] = (1 << 62, 0)
    raw = ctx.one("page[after]")
    if raw:
        values = decode_keyset_cursor(raw, "-created_at,-id")
        if values is None or len(values) != 2:
            raise _bad_cursor()
        before = (values[0], values[1])
    page = em.audits_before(before, size + 1)
    more = len(page) > size
    page = page[:size]
    audits = [audit_view(ev) for ev in page]
    after = (encode_keyset_cursor("-created_at,-id", (("d", page[-1]["timestamp"]), ("i", page[-1]["id"])))
             if page else None)
    first = (encode_keyset_cursor("-created_at,-id", (("d", page[0]["timestamp"]), ("i", page[0]["id"])))
             if page else None)
    base_query = {k: v for k, v in ctx.params.items() if not k.startswith("page[")}
    next_url = ctx.url(ctx.path, {**base_query, "page[size]": size, "page[after]": after}) if more else None
    return {"audits": audits, "after_cursor": after if more else None, "after_url": next_url,
            "before_cursor": first, "before_url": None,
            "meta": {"has_more": more, "after_cursor": after, "before_cursor": first},
            "links": {"next": next_url, "prev": None}}


def ticket_audits_of(ctx: Ctx, i: int) -> dict[str, Any]:
    """`GET /tickets/{id}/audits` (agents): oldest first, CBP or offset; an archived ticket's audits come
    in one page (they "do not support pagination").
    https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/#list-audits-for-a-ticket"""
    em = ctx.em
    audits = [audit_view(ev) for ev in em.ticket_events(i)]
    if em.archived(i):
        return {"audits": audits, "next_page": None, "previous_page": None, "count": len(audits)}
    listing = Listing(f"audits:{i}", len(audits), audits.__getitem__)
    return paginate(ctx, listing, "audits", ctx.path)


# ---- ticket forms ---------------------------------------------------------------------------------------------
def ticket_forms(ctx: Ctx) -> dict[str, Any]:
    """`GET /ticket_forms`: the offset envelope (`next_page`, `previous_page`, `count`) and no `meta`,
    whatever cursor parameters are sent, as recorded from a live account (airbytehq/airbyte
    source-zendesk-support unit_tests/resource/http/response/ticket_forms.json); `active` and
    `end_user_visible` filter. https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_forms/"""
    em = ctx.em
    active, visible = ctx.one("active"), ctx.one("end_user_visible")
    forms = [f for f in em.ticket_forms
             if (active is None or f["active"] == (active.lower() == "true"))
             and (visible is None or f["end_user_visible"] == (visible.lower() == "true"))]
    return offset_page(ctx, Listing("ticket_forms", len(forms), forms.__getitem__), "ticket_forms", ctx.path)
