"""HTTP surface of the emulator: a Starlette app speaking Zendesk's `/api/v2` dialect.

Order of checks per API request: edge faults (injected, `504>N`, seeded random) → route (404) →
authentication (401) → export shutdown (403/404/410, when simulated) → rate limit (429) → role/plan
(403) → endpoint (400/404/422/200). Every response carries a `Date` header from the emulator's clock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from zendesk_assets.emulator import generate as gen
from zendesk_assets.emulator import listmode
from zendesk_assets.emulator.config import (
    DEMO_AGENT_EMAIL,
    DEMO_API_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    Fault,
)
from zendesk_assets.emulator.generate import comment_object, event_view, iso
from zendesk_assets.emulator.mutate import ADVANCE_COUNTS
from zendesk_assets.emulator.ordering import Listing, decode_export_cursor, encode_export_cursor
from zendesk_assets.emulator.protocol import (
    MAX_EXPORT_PAGE,
    ApiError,
    Ctx,
    Handler,
    paginate,
)
from zendesk_assets.emulator.state import Emulator

logger = logging.getLogger(__name__)
JSON = "application/json; charset=utf-8"
# 403 uses the object envelope observed on live accounts ({"error": {"title", "message"}}), unlike
# the string envelopes of 401/404: clients must not assume one error shape (https://developer.zendesk.com/api-reference/introduction/requests/).
FORBIDDEN = {"error": {"title": "Forbidden", "message": "You do not have access to this page. Please contact the "
                       "account owner of this help desk for further help."}}
NOT_FOUND = {"error": "InvalidEndpoint", "description": "Not found"}
RECORD_NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
BASIC_401 = {"error": "Couldn't authenticate you"}
OAUTH_401 = {"error": "invalid_token", "error_description": "The access token provided is expired, revoked, "
             "malformed or invalid for other reasons."}
# What a removed export answers (the wording is ours: Zendesk has published none).
EXPORT_REFUSAL = {"error": "APINotAvailable", "description": "The Incremental Export API is not available to this "
                  "integration. Read tickets with the List Tickets and Export Search Results endpoints instead."}
SUPPORT_TYPE_SCOPES = ("agent", "ai_agent", "all")


@dataclass(frozen=True)
class RouteSpec:
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    budget: str = "core"
    admin_only: bool = False
    enterprise_only: bool = False


# ---- export endpoints ---------------------------------------------------------------------------------
def _check_start_time(ctx: Ctx) -> int:
    start = ctx.int_param("start_time")
    if start is None:
        raise ApiError(400, {"error": "InvalidValue", "description": "start_time is required"})
    if start < 0:
        raise ApiError(400, {"error": "InvalidValue", "description": "start_time must be a positive epoch"})
    # Too-recent start_time is rejected (a 1-minute floor: https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api).
    if start > ctx.em.now() - ctx.em.config.hold_back_seconds:
        minutes = max(1, ctx.em.config.hold_back_seconds // 60)
        unit = "minute" if minutes == 1 else "minutes"
        raise ApiError(422, {"error": "InvalidValue",
                             "description": f"Too recent start_time. Use a start_time older than {minutes} {unit}"})
    return start


def _per_page(ctx: Ctx) -> int:
    per_page = ctx.int_param("per_page", MAX_EXPORT_PAGE) or MAX_EXPORT_PAGE
    return max(1, min(per_page, MAX_EXPORT_PAGE))


def _includes(ctx: Ctx) -> set[str]:
    return {x.strip() for raw in ctx.params.get("include", []) for x in raw.split(",") if x.strip()}


def cursor_export(kind: str) -> Handler:
    """`/incremental/{tickets,users}/cursor`: start_time first, then cursor only (https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api)."""

    def handler(ctx: Ctx) -> dict[str, Any]:
        em = ctx.em
        cursor = ctx.one("cursor")
        if cursor:
            key = decode_export_cursor(cursor)
            if key is None:
                raise ApiError(400, {"error": "InvalidCursor", "description": "cursor is not valid"})
        else:
            key = (_check_start_time(ctx), -1)
        per_page = _per_page(ctx)
        includes = _includes(ctx)
        items, more = em.export_page(kind, key, per_page)
        exclude_deleted = (ctx.one("exclude_deleted") or "").lower() == "true"
        scope = _support_type_scope(ctx) if kind == "tickets" else "all"
        records: list[dict[str, Any]] = []
        metric_sets: list[dict[str, Any]] = []
        for _ts, _id, index in items:
            if kind == "tickets":
                rec = em.ticket(index)
                if exclude_deleted and rec["status"] == "deleted":
                    continue
                if scope != "all" and em.is_ai_ticket(index) != (scope == "ai_agent"):
                    continue
                records.append(rec)
                if "metric_sets" in includes:
                    ms = em.metric_set(index)
                    if ms is not None:
                        metric_sets.append(ms)
            else:
                records.append(em.user(index))
        after_key = (items[-1][0], items[-1][1]) if items else key
        after = encode_export_cursor(after_key)
        query: dict[str, Any] = {"cursor": after, "per_page": per_page,
                                 "include": ",".join(sorted(includes)) or None,
                                 "exclude_deleted": ctx.one("exclude_deleted"),
                                 "support_type_scope": ctx.one("support_type_scope")}
        before = encode_export_cursor((items[0][0], items[0][1] - 1)) if items else None
        body: dict[str, Any] = {
            kind: records,
            "after_url": ctx.url(ctx.path, query),
            "after_cursor": after,
            "before_url": ctx.url(ctx.path, {**query, "cursor": before}) if before else None,
            "before_cursor": before,
            "end_of_stream": not more,
        }
        if "metric_sets" in includes and kind == "tickets":
            # Observed shape: a top-level metric_sets array keyed by ticket_id.
            body["metric_sets"] = metric_sets
        if more and kind == "tickets":
            em.prefetch("tickets", after_key, per_page)
        return body

    return handler


def time_export(kind: str) -> Handler:
    """`/incremental/{organizations,ticket_events}`: end_time = last item's time, so pages overlap."""

    def handler(ctx: Ctx) -> dict[str, Any]:
        em = ctx.em
        start = _check_start_time(ctx)
        per_page = _per_page(ctx)
        includes = _includes(ctx)
        if kind == "organizations":
            items, more = em.export_page("organizations", (start, -1), per_page)
            records = [em.organization(k) for _t, _i, k in items]
            times = [t for t, _i, _k in items]
        else:
            events, more = em.event_page((start, -1), per_page)
            with_comments = "comment_events" in includes
            scope = _support_type_scope(ctx)
            times = [ev["timestamp"] for ev in events]
            if scope != "all" and em.gen.ai_share:
                events = [ev for ev in events
                          if em.is_ai_ticket(ev["ticket_id"] - gen.TICKET_ID_BASE) == (scope == "ai_agent")]
            records = [event_view(ev, with_comments) for ev in events]
            if more and times:
                em.prefetch("ticket_events", (times[-1], -1), per_page)
        # If >= per_page records share start_time, end_time == start_time and the same page comes back
        # (the non-advancing window of time-based exports, https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api); clients must detect it.
        end_time = times[-1] if times else start
        query = {"start_time": end_time, "per_page": ctx.one("per_page"),
                 "include": ",".join(sorted(includes)) or None,
                 "support_type_scope": ctx.one("support_type_scope")}
        return {kind: records, "count": len(records), "end_time": end_time,
                "next_page": ctx.url(ctx.path, query), "end_of_stream": not more}

    return handler


def _support_type_scope(ctx: Ctx) -> str:
    """`support_type_scope` of the ticket and ticket-event exports: "agent" (the default: tickets of
    human agents only), "ai_agent" or "all". In Zendesk's current API reference for
    /incremental/tickets(/cursor) and /incremental/ticket_events; not on the stored
    developer.zendesk.com pages, whose copies predate it (see the emulator README)."""
    scope = ctx.one("support_type_scope") or "agent"
    if scope not in SUPPORT_TYPE_SCOPES:
        raise ApiError(400, {"error": "InvalidValue",
                             "description": "support_type_scope must be one of all, agent, ai_agent"})
    return scope


# ---- list endpoints (CBP / OBP) ----------------------------------------------------------------------
def list_endpoint(name: str, key: str | None = None) -> Handler:
    def handler(ctx: Ctx) -> dict[str, Any]:
        flat = {k: (v if k == "filter[created_at][]" else v[-1]) for k, v in ctx.params.items()}
        try:
            listing = ctx.em.listing(name, flat, ctx.user_index)
        except ValueError as exc:  # a malformed start_time/end_time/since/filter value
            raise ApiError(400, {"error": "InvalidValue", "description": f"invalid filter value: {exc}"}) from None
        return paginate(ctx, listing, key or name, ctx.path)

    return handler


def _ticket_or_404(ctx: Ctx) -> int:
    em = ctx.em
    try:
        i = em.ticket_index(int(ctx.match["id"]))
    except ValueError:
        i = None
    # Deleted tickets answer 404 on their child endpoints (observed by connector projects).
    if i is None or em.ticket(i)["status"] == "deleted":
        raise ApiError(404, RECORD_NOT_FOUND)
    return i


def ticket_comments(ctx: Ctx) -> dict[str, Any]:
    em = ctx.em
    i = _ticket_or_404(ctx)
    comments = [comment_object(c) for ev in em.ticket_events(i) for c in ev["child_events"]
                if c["event_type"] == "Comment"]
    comments.sort(key=lambda c: (c["created_at"], c["id"]))
    desc = (ctx.one("sort") or ctx.one("sort_order") or "").startswith("-") or ctx.one("sort_order") == "desc"
    listing = Listing(f"comments:{i}", len(comments), comments.__getitem__, desc_default=desc)
    return paginate(ctx, listing, "comments", ctx.path)


def ticket_audits_of(ctx: Ctx) -> dict[str, Any]:
    return listmode.ticket_audits_of(ctx, _ticket_or_404(ctx))


def ticket_metric(ctx: Ctx) -> dict[str, Any]:
    i = _ticket_or_404(ctx)
    ms = ctx.em.metric_set(i)
    if ms is None:
        raise ApiError(404, RECORD_NOT_FOUND)
    return {"ticket_metric": ms}


def users_me(ctx: Ctx) -> dict[str, Any]:
    if ctx.user_index == ANONYMOUS:
        return {"user": ANONYMOUS_USER}
    return {"user": ctx.em.user(ctx.user_index)}


def count_endpoint(collection: str) -> Handler:
    """Counts are exact and fresh here; real Zendesk may serve a cached value (refreshed_at says when)."""

    def handler(ctx: Ctx) -> dict[str, Any]:
        em = ctx.em
        live_tickets, live_orgs = em.gen.base_live_counts()
        if collection == "tickets":
            value = live_tickets + _live_delta(em.ticket_over, em.gen.n_tickets, em.gen.ticket_deleted,
                                               lambda rec: rec["status"] != "deleted")
            if em.config.tickets_count_excludes_archived:
                # Observed on a live account: Count Tickets leaves archived tickets out (the reference,
                # https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#count-tickets,
                # only says "an approximate count of tickets in the account").
                value -= em.archived_count()
        elif collection == "users":
            # Deleted users are counted by /deleted_users/count on Zendesk, not here.
            value = sum(1 for j in range(em.n_users) if em.user(j).get("active"))
        else:
            value = live_orgs + _live_delta(em.org_over, em.gen.n_orgs, em.gen.org_deleted,
                                            lambda rec: rec["deleted_at"] is None)
        return {"count": {"value": value, "refreshed_at": iso(em.now())}}

    return handler


def _live_delta(overlay: dict[int, dict[str, Any]], n_base: int, base_deleted: Callable[[int], bool],
                alive: Callable[[dict[str, Any]], bool]) -> int:
    """How the overlay changes the number of live records: created ones, deletions, (un)deletions."""
    delta = 0
    for index, rec in overlay.items():
        was = index < n_base and not base_deleted(index)
        delta += int(alive(rec)) - int(was)
    return delta


def _route(template: str, handler: Handler, **kw: Any) -> RouteSpec:
    regex = re.escape(template).replace(r"\{id\}", r"(?P<id>[^/]+)")
    return RouteSpec("/api/v2" + template, re.compile(f"^/api/v2{regex}(?:\\.json)?/?$"), handler, **kw)


ROUTES: tuple[RouteSpec, ...] = (
    _route("/users/me", users_me),
    _route("/tickets/count", count_endpoint("tickets")),
    _route("/users/count", count_endpoint("users")),
    _route("/organizations/count", count_endpoint("organizations")),
    _route("/incremental/tickets/cursor", cursor_export("tickets"), budget="incremental", admin_only=True),
    _route("/incremental/users/cursor", cursor_export("users"), budget="incremental", admin_only=True),
    _route("/incremental/organizations", time_export("organizations"), budget="incremental", admin_only=True),
    _route("/incremental/ticket_events", time_export("ticket_events"), budget="incremental", admin_only=True),
    _route("/tickets", listmode.list_tickets, budget="tickets-index"),
    _route("/search/export", listmode.search_export, budget="search-export"),
    _route("/deleted_tickets", listmode.deleted_tickets, budget="deleted-tickets-index"),
    _route("/users", listmode.list_users),
    _route("/deleted_users", listmode.deleted_users),
    _route("/ticket_audits", listmode.ticket_audits, admin_only=True),
    _route("/tickets/{id}/audits", ticket_audits_of),
    _route("/guide/survey_responses", list_endpoint("survey_responses"), admin_only=True, enterprise_only=True),
    _route("/groups", list_endpoint("groups")),
    _route("/organizations", list_endpoint("organizations")),
    _route("/ticket_fields", list_endpoint("ticket_fields")),
    _route("/ticket_forms", listmode.ticket_forms),
    _route("/user_fields", list_endpoint("user_fields")),
    _route("/organization_fields", list_endpoint("organization_fields")),
    _route("/group_memberships", list_endpoint("group_memberships")),
    _route("/organization_memberships", list_endpoint("organization_memberships")),
    _route("/satisfaction_ratings", list_endpoint("satisfaction_ratings"), admin_only=True),
    _route("/activities", list_endpoint("activities")),
    _route("/skips", list_endpoint("ticket_skips", "skips")),
    _route("/audit_logs", list_endpoint("audit_logs"), admin_only=True, enterprise_only=True),
    _route("/ticket_metrics", list_endpoint("ticket_metrics")),
    _route("/tickets/{id}/comments", ticket_comments),
    _route("/tickets/{id}/metrics", ticket_metric),
)


def resolve(path: str) -> tuple[RouteSpec | None, dict[str, str]]:
    for spec in ROUTES:
        m = spec.pattern.match(path)
        if m:
            return spec, m.groupdict()
    return None, {}


# ---- auth -------------------------------------------------------------------------------------------
ANONYMOUS = -1  # user index of an unauthenticated caller


def authenticate(em: Emulator, header: str | None) -> int:
    """User index behind the Authorization header, ANONYMOUS, or ApiError(401) shaped as Zendesk answers.

    Observed on live accounts: no credentials, or basic auth with a (wrong) password rather than an API
    token, make Zendesk treat the caller as anonymous (200 on /users/me, 401 elsewhere); a wrong API
    token or OAuth token is a 401 right away.
    """
    basic_401 = ApiError(401, BASIC_401, {"WWW-Authenticate": 'Basic realm="Web Password"'})
    if not header:
        return ANONYMOUS
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        token = em.tokens.get(value.strip())
        if token is None or (token.expires_at is not None and token.expires_at <= em.now()):
            raise ApiError(401, OAUTH_401, {"WWW-Authenticate": 'Bearer realm="zendesk", error="invalid_token"'})
        return token.user_index
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise basic_401 from None
        user, _, secret = decoded.partition(":")
        if not user.endswith("/token"):
            return ANONYMOUS  # e-mail + password: removed from the API, answered as anonymous
        if secret == DEMO_API_TOKEN:
            email = user[: -len("/token")].lower()
            if email == DEMO_EMAIL:
                return 0
            if email == DEMO_AGENT_EMAIL:
                return 1
        raise basic_401
    raise basic_401


ANONYMOUS_USER: dict[str, Any] = {
    "id": None, "url": None, "name": "Anonymous user", "email": "invalid@example.com", "created_at": None,
    "updated_at": None, "time_zone": "Eastern Time (US & Canada)", "iana_time_zone": "America/New_York",
    "phone": None, "locale_id": 1, "locale": "en-US", "organization_id": None, "role": "end-user",
    "verified": False, "active": True, "user_fields": {},
}


# ---- responses --------------------------------------------------------------------------------------
class FaultResponse(Response):
    """Responses that break the transport: a dropped connection or a body shorter than announced."""

    def __init__(self, kind: str, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        super().__init__(body, 200, headers, JSON)
        self.kind = kind
        self.full = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_send = scope.get("emulator.raw_send")
        transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
        if self.kind == "truncate":
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.full[: len(self.full) // 2], "more_body": True})
        if transport is None:
            raise ConnectionResetError(f"emulator fault: {self.kind}")
        transport.close()
        for _ in range(3):  # let uvicorn notice the disconnect before the app returns
            await asyncio.sleep(0)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, JSON)


def _fault_response(fault: Fault) -> Response:
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    status = int(fault.kind)
    texts = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
             503: "Service Unavailable", 504: "upstream request timeout"}
    if fault.text_body:
        return Response(texts[status], status, headers, "text/plain; charset=utf-8")
    bodies = {429: {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute "
                    "exceeded"},
              500: {"error": "InternalServerError", "description": "Something went wrong"},
              502: {"error": "BadGateway", "description": "Bad gateway"},
              503: {"error": "ServiceUnavailable", "description": "Maintenance or overload; retry later"},
              504: {"error": "GatewayTimeout", "description": "upstream request timeout"}}
    return _json(status, bodies[status], headers)


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"X-Rate-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining), "ratelimit-reset": str(reset)}


async def api_endpoint(request: Request) -> Response:
    em: Emulator = request.app.state.emulator
    path = request.url.path
    spec, match = resolve(path)
    template = spec.template if spec else "unknown"
    budget = spec.budget if spec else "core"
    params = parse_qs(request.url.query, keep_blank_values=True)
    per_page = None
    if "per_page" in params:
        try:
            per_page = int(params["per_page"][-1])
        except ValueError:
            per_page = None
    if em.config.latency_ms:
        await asyncio.sleep(em.config.latency_ms / 1000)
    fault = em.next_fault(path, budget == "incremental", per_page)
    mangle: str | None = None
    if fault is not None:
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay or em.config.slow_delay)
        elif fault.kind == "drop":
            em.record(request.method, template, 0, budget)
            return FaultResponse("drop")
        elif fault.kind in ("truncate", "malformed"):
            mangle = fault.kind
        else:
            response = _fault_response(fault)
            em.record(request.method, template, response.status_code, budget)
            return response
    response = _serve(em, request, spec, match, params, path)
    if mangle is not None and response.status_code == 200:
        body = bytes(response.body)
        if mangle == "malformed":
            # A page cut mid-JSON but with a consistent Content-Length: only parsing reveals it.
            response = Response(body[: len(body) // 2], 200, {k: v for k, v in response.headers.items()
                                                               if k.lower() not in ("content-length",
                                                                                    "content-type")}, JSON)
        else:
            em.record(request.method, template, 0, budget)
            return FaultResponse("truncate", body, {k: v for k, v in response.headers.items()
                                                     if k.lower() not in ("content-length", "content-type")})
    em.record(request.method, template, response.status_code, budget)
    return response


def _serve(em: Emulator, request: Request, spec: RouteSpec | None, match: dict[str, str],
           params: dict[str, list[str]], path: str) -> Response:
    if spec is None or request.method not in ("GET", "HEAD"):
        return _json(404, NOT_FOUND)
    now = time.time()
    headers: dict[str, str] = {"X-Request-Id": f"emu-{em.request_counter}", "X-Zendesk-Origin-Server": "emulator"}
    try:
        with em.lock:
            user_index = authenticate(em, request.headers.get("authorization"))
            if user_index == ANONYMOUS and spec.handler is not users_me:
                raise ApiError(401, BASIC_401, {"WWW-Authenticate": 'Basic realm="Web Password"'})
            if spec.budget == "incremental" and (refusal := em.exports_refusal()) is not None:
                return _json(refusal, EXPORT_REFUSAL, headers)
            if spec.budget == "incremental":
                allowed, limit, remaining, reset = em.incremental.take(now)
                headers["zendesk-ratelimit-incremental-exports"] = (
                    f"total={limit}; remaining={remaining}; resets={reset}")
                headers.update(_rate_headers(*em.core.peek(now)))
            else:
                bucket = em.buckets.get(spec.budget)
                allowed = True
                if bucket is not None:
                    # An endpoint bucket on top of the account-wide one (observed: tickets-index total
                    # 100000, deleted-tickets-index total 10; search export is documented at 100/min and
                    # sends no bucket header).
                    allowed, limit, remaining, reset = bucket.take(now)
                    if spec.budget != "search-export":
                        headers[f"zendesk-ratelimit-{spec.budget}"] = (
                            f"total={limit}; remaining={remaining}; resets={reset}")
                if allowed:
                    allowed, limit, remaining, reset = em.core.take(now)
                    headers.update(_rate_headers(limit, remaining, reset))
                else:
                    headers.update(_rate_headers(*em.core.peek(now)))
            if not allowed:
                headers["Retry-After"] = str(reset)
                return _json(429, {"error": "APIRateLimitExceeded",
                                   "description": "Number of allowed API requests per minute exceeded"}, headers)
            role = "end-user" if user_index == ANONYMOUS else em.user(user_index)["role"]
            if spec.admin_only and role != "admin":
                return _json(403, FORBIDDEN, headers)
            if spec.enterprise_only and em.config.plan != "enterprise":
                return _json(403, FORBIDDEN, headers)
            base = f"{request.url.scheme}://{request.url.netloc}"
            ctx = Ctx(em, params, user_index, base, path, match)
            body = spec.handler(ctx)
        return _json(200, body, headers)
    except ApiError as exc:
        return _json(exc.status, exc.body, {**headers, **exc.headers})
    except Exception as exc:  # an emulator bug: say so loudly instead of a bare 500
        logger.exception("Zendesk emulator failed on %s", path)
        return _json(500, {"error": "EmulatorBug", "description": f"{type(exc).__name__}: {exc} (see the emulator "
                           "log; this is a bug in zendesk_assets.emulator, not in the client)"}, headers)


# ---- OAuth and control endpoints --------------------------------------------------------------------
async def oauth_tokens(request: Request) -> Response:
    """`POST /oauth/tokens`: client_credentials and rotating refresh_token grants (https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/)."""
    em: Emulator = request.app.state.emulator
    raw = await request.body()
    data: dict[str, Any]
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError:
            return _json(400, {"error": "invalid_request", "error_description": "Body is not valid JSON"})
    else:
        data = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
    client_id, client_secret = data.get("client_id"), data.get("client_secret")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic ") and not client_id:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
    grant = data.get("grant_type")
    expires_in = data.get("expires_in")
    try:
        expires = int(expires_in) if expires_in not in (None, "") else None
    except (TypeError, ValueError):
        return _json(400, {"error": "invalid_request", "error_description": "expires_in must be an integer"})
    with em.lock:
        if client_id != DEMO_CLIENT_ID or client_secret != DEMO_CLIENT_SECRET:
            return _json(401, {"error": "invalid_client", "error_description": "Client authentication failed due "
                               "to unknown client, no client authentication included, or unsupported method."})
        if grant == "client_credentials":
            return _json(200, em.issue_token(0, expires))
        if grant == "refresh_token":
            result = em.rotate_refresh(str(data.get("refresh_token") or ""), expires)
            if result is None:
                return _json(400, {"error": "invalid_grant", "error_description": "The provided authorization grant "
                                   "is invalid, expired, revoked, or was issued to another client."})
            return _json(200, result)
    return _json(400, {"error": "unsupported_grant_type", "error_description": "The authorization grant type is "
                       "not supported by the authorization server."})


async def control_stats(request: Request) -> Response:
    em: Emulator = request.app.state.emulator
    stats = em.stats()
    rows = [{"method": m, "route": r, "status": s, "count": n} for (m, r, s), n in stats["requests"].items()]
    return _json(200, {"requests": rows, "by_budget": stats["by_budget"], "rate_limited": stats["rate_limited"]})


async def control_truth(request: Request) -> Response:
    em: Emulator = request.app.state.emulator
    return _json(200, {"counts": em.counts(), "now": em.now()})


async def control_advance(request: Request) -> Response:
    em: Emulator = request.app.state.emulator
    try:
        body = orjson.loads(await request.body() or b"{}")
        allowed = set(ADVANCE_COUNTS)
        if not isinstance(body, dict) or set(body) - allowed:
            raise ValueError(f"body must be a JSON object with keys among {sorted(allowed)}")
        summary = em.advance(**{k: int(v) for k, v in body.items()})
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        return _json(400, {"error": "InvalidValue", "description": str(exc)})
    return _json(200, {"summary": summary, "now": em.now()})


async def control_clock(request: Request) -> Response:
    """`POST /__emulator__/clock` with `{"offset": seconds}`: move the emulator's clock against the host's."""
    em: Emulator = request.app.state.emulator
    try:
        body = orjson.loads(await request.body() or b"{}")
        if not isinstance(body, dict) or set(body) != {"offset"}:
            raise ValueError('body must be {"offset": seconds}')
        em.set_clock_offset(int(body["offset"]))
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        return _json(400, {"error": "InvalidValue", "description": str(exc)})
    return _json(200, {"offset": em.clock_offset, "now": em.now()})


async def control_shutdown_exports(request: Request) -> Response:
    """`POST /__emulator__/shutdown_exports` with `{"at": epoch|null, "status": 403|404|410}`, or
    `{"restore": true}`: simulate Zendesk ending the incremental exports for this integration."""
    em: Emulator = request.app.state.emulator
    try:
        body = orjson.loads(await request.body() or b"{}")
        if not isinstance(body, dict) or set(body) - {"at", "status", "restore"}:
            raise ValueError("body keys: at, status, restore")
        if body.get("restore"):
            em.restore_exports()
        else:
            at, status = body.get("at"), body.get("status")
            em.shutdown_exports(None if at is None else int(at), None if status is None else int(status))
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        return _json(400, {"error": "InvalidValue", "description": str(exc)})
    return _json(200, {"exports_shutdown_at": em.exports_shutdown_at, "status": em.exports_refusal_status})


async def control_inject(request: Request) -> Response:
    """`POST /__emulator__/inject {"path": "/api/v2/ticket_forms*", "fault": "503", "count": 100}`: play a
    fault on matching requests (the CLI's way to stage an outage of one endpoint)."""
    em: Emulator = request.app.state.emulator
    try:
        body = orjson.loads(await request.body() or b"{}")
        allowed = {"path", "fault", "count", "retry_after"}
        if not isinstance(body, dict) or set(body) - allowed or "path" not in body or "fault" not in body:
            raise ValueError("body must be a JSON object with path, fault and optionally count, retry_after")
        retry = body.get("retry_after")
        fault = Fault(str(body["fault"]), retry_after=None if retry is None else int(retry))
        em.inject(str(body["path"]), fault, count=int(body.get("count", 1)))
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        return _json(400, {"error": "InvalidValue", "description": str(exc)})
    return _json(200, {"injected": body})


async def not_found(request: Request) -> Response:
    return _json(404, NOT_FOUND)


class EmulatorApp(Starlette):
    """Starlette app that keeps uvicorn's raw `send`, so faults can drop the real connection, and stamps
    every response with a `Date` header from the emulator's clock (uvicorn's own is turned off)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope["emulator.raw_send"] = send
        em: Emulator = self.state.emulator

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", formatdate(em.now(), usegmt=True).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, dated)


def create_app(emulator: Emulator) -> Starlette:
    app = EmulatorApp(routes=[
        Route("/oauth/tokens", oauth_tokens, methods=["POST"]),
        Route("/__emulator__/stats", control_stats, methods=["GET"]),
        Route("/__emulator__/truth", control_truth, methods=["GET"]),
        Route("/__emulator__/advance", control_advance, methods=["POST"]),
        Route("/__emulator__/clock", control_clock, methods=["POST"]),
        Route("/__emulator__/shutdown_exports", control_shutdown_exports, methods=["POST"]),
        Route("/__emulator__/inject", control_inject, methods=["POST"]),
        Route("/api/v2/{rest:path}", api_endpoint, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/{rest:path}", not_found, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
    ])
    app.state.emulator = emulator
    return app

