"""The emulated account: generated base records, a small mutation overlay, and server-side state.

`Emulator` is thread-safe: HTTP handlers (event-loop thread) and tests (`advance`, `inject`, `stats`)
share one lock.
"""

from __future__ import annotations

import bisect
import fnmatch
import heapq
import math
import random
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import orjson

from zendesk_assets.emulator import catalog as cat
from zendesk_assets.emulator import generate as gen
from zendesk_assets.emulator.config import (
    COLLECTION_NAMES,
    DEMO_AGENT_OAUTH_TOKEN,
    DEMO_OAUTH_TOKEN,
    EmulatorConfig,
    Fault,
)
from zendesk_assets.emulator.generate import AI_AGENT_CHANNEL, Generator, comment_object, event_view, iso
from zendesk_assets.emulator.history import field_history_rows
from zendesk_assets.emulator.mutate import Mutator
from zendesk_assets.emulator.ordering import ExportOrder, Key, Listing, SlidingOrder, first_at_least

ACTIVITY_DAYS = 30
# Tickets closed for 120 days are archived (https://support.zendesk.com/hc/en-us/articles/4408887617050).
ARCHIVE_AFTER = 120 * 86400
UNLIMITED_DISPLAY = 100_000  # what rate-limit headers report when no limit is enforced
# Truths beyond the 16 warehouse collections (tables the product may add).
EXTRA_TRUTHS: tuple[str, ...] = ("ticket_field_history", "survey_responses")


@dataclass
class Token:
    user_index: int
    expires_at: int | None
    refresh_token: str | None = None


class Budget:
    """Sliding 60 s request window for one rate-limit budget (core or incremental exports)."""

    def __init__(self, limit: int | None, external: int = 0) -> None:
        self.limit = limit
        self.external = external
        self.hits: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - 60:
            self.hits.popleft()

    def reset_in(self, now: float) -> int:
        return max(1, math.ceil(self.hits[0] + 60 - now)) if self.hits else 60

    def take(self, now: float) -> tuple[bool, int, int, int]:
        """(allowed, limit shown, remaining, reset seconds); a rejected request consumes nothing."""
        self._trim(now)
        shown = UNLIMITED_DISPLAY if self.limit is None else self.limit
        used = len(self.hits) + self.external
        if self.limit is not None and used >= self.limit:
            return False, shown, 0, self.reset_in(now)
        self.hits.append(now)
        return True, shown, max(0, shown - used - 1), self.reset_in(now)

    def peek(self, now: float) -> tuple[int, int, int]:
        self._trim(now)
        shown = UNLIMITED_DISPLAY if self.limit is None else self.limit
        return shown, max(0, shown - len(self.hits) - self.external), self.reset_in(now)


class Emulator:
    """A generated Zendesk account plus server-side state (tokens, rate limits, faults, stats)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.gen = Generator(config)
        self.lock = threading.RLock()
        g = self.gen
        # --- overlay of mutations -----------------------------------------------------------------
        self.n_tickets = g.n_tickets
        self.n_users = g.n_users
        self.n_orgs = g.n_orgs
        self.ticket_over: dict[int, dict[str, Any]] = {}
        self.metric_over: dict[int, dict[str, Any] | None] = {}
        self.rating_over: dict[int, dict[str, Any]] = {}
        self.user_over: dict[int, dict[str, Any]] = {}
        self.org_over: dict[int, dict[str, Any]] = {}
        self.events_over: dict[int, list[dict[str, Any]]] = {}  # ticket index -> new audits
        self.event_overlay: list[tuple[int, int, int, int]] = []  # sorted (ts, audit id, ticket index, n)
        self.gm_removed: set[int] = set()
        self.gm_created: list[dict[str, Any]] = []
        self.om_removed: set[int] = set()
        self.audit_logs_created: list[dict[str, Any]] = []
        self.activities_created: list[dict[str, Any]] = []
        self.skips_created: list[tuple[int, int, int, str]] = []  # (ticket index, agent, created, reason)
        self.survey_over: dict[int, dict[str, Any]] = {}
        self.unarchived: set[int] = set()
        self._skip_index: dict[int, list[int]] | None = None
        self._archived_cache: tuple[tuple[int, int, int], int] | None = None
        self.mutations = 0
        self.overlay_audit_serial = 0
        self.ticket_order = ExportOrder(g.n_tickets, lambda i: (g.ticket_gts(i), g.ticket_id(i)))
        self.user_order = ExportOrder(g.n_users, lambda j: (g.user_updated(j), g.user_id(j)))
        self.org_order = ExportOrder(g.n_orgs, lambda k: (g.org_updated(k), g.org_id(k)))
        # List-mode orders: a base ticket's updated_at lies within an hour below its generated_timestamp,
        # its created_at within MAX_TICKET_SPAN; a base user's updated_at grows with its index.
        self.tickets_by_updated = SlidingOrder(g.n_tickets, g.ticket_gts, lambda i: g.timeline(i)[1], g.ticket_id,
                                               3600)
        self.tickets_by_created = SlidingOrder(g.n_tickets, g.ticket_gts, lambda i: g.timeline(i)[0],
                                               g.ticket_id, gen.MAX_TICKET_SPAN)
        self.users_by_updated = SlidingOrder(g.n_users, g.user_updated, g.user_updated, g.user_id, 0)
        created = iso(g.account_created)
        self.ticket_fields = cat.static_ticket_fields(config.subdomain, created)
        self.user_fields = cat.static_user_like_fields("user_fields", config.subdomain, created,
                                                       gen.USER_FIELD_ID_BASE)
        self.organization_fields = cat.static_user_like_fields("organization_fields", config.subdomain, created,
                                                               gen.ORG_FIELD_ID_BASE)
        field_ids = [f["id"] for f in self.ticket_fields]
        self.ticket_forms = [g.ticket_form(f, field_ids) for f in range(config.ticket_forms)]
        self.groups = [g.group(k) for k in range(g.n_groups)]
        # --- server-side state ------------------------------------------------------------------------
        self.tokens: dict[str, Token] = {
            DEMO_OAUTH_TOKEN: Token(0, None),
            DEMO_AGENT_OAUTH_TOKEN: Token(1, None),
        }
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> access token it was issued with
        self.core = Budget(config.core_rpm, config.external_rpm)
        self.incremental = Budget(config.incremental_rpm)
        # Endpoint buckets that also count against the core budget; enforced when the core one is.
        limited = config.core_rpm is not None
        self.buckets: dict[str, Budget] = {
            "tickets-index": Budget(100_000 if limited else None),
            "search-export": Budget(100 if limited else None),
            "deleted-tickets-index": Budget(10 if limited else None),
        }
        self.clock_offset = config.clock_offset_seconds
        self.exports_shutdown_at = config.exports_shutdown_at
        self.exports_refusal_status = config.exports_refusal_status
        self.request_counter = 0
        self.injected: list[tuple[str, Fault, list[int]]] = []
        self._stats: Counter[tuple[str, str, int]] = Counter()
        self._by_budget: Counter[str] = Counter()
        self._rate_limited = 0
        self._log: deque[tuple[float, str, str, int]] = deque(maxlen=1_000_000)  # bounded for long demos
        self._prefetching = threading.Lock()

    # ---- clock ---------------------------------------------------------------------------------------
    def now(self) -> int:
        """The emulator's clock: the host's plus `clock_offset` (a remote server's clock is its own)."""
        return int(time.time()) + self.clock_offset

    def set_clock_offset(self, seconds: int) -> None:
        with self.lock:
            self.clock_offset = int(seconds)

    # ---- export shutdown -------------------------------------------------------------------------------
    def shutdown_exports(self, at: int | None = None, status: int | None = None) -> None:
        """From emulator time `at` (default: now) the incremental exports answer an explicit refusal."""
        with self.lock:
            self.exports_shutdown_at = self.now() if at is None else int(at)
            if status is not None:
                if status not in (403, 404, 410):
                    raise ValueError("shutdown_exports: status must be 403, 404 or 410")
                self.exports_refusal_status = status

    def restore_exports(self) -> None:
        with self.lock:
            self.exports_shutdown_at = None

    def exports_refusal(self) -> int | None:
        """The status export endpoints answer now, or None while they still work."""
        at = self.exports_shutdown_at
        return self.exports_refusal_status if at is not None and self.now() >= at else None

    def visible_until(self) -> int:
        """Exports exclude changes from the last hold_back seconds (Zendesk: the last minute,
        https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api). The current
        second is never exported even with hold_back 0, because it may still gain records."""
        return self.now() - max(self.config.hold_back_seconds, 1)

    # ---- current records ---------------------------------------------------------------------------
    def ticket(self, i: int) -> dict[str, Any]:
        rec = self.ticket_over.get(i)
        return rec if rec is not None else self.gen.ticket(i)

    def metric_set(self, i: int) -> dict[str, Any] | None:
        if i in self.metric_over:
            return self.metric_over[i]
        return self.gen.metric_set(i) if i < self.gen.n_tickets else None

    def rating(self, i: int) -> dict[str, Any] | None:
        rec = self.rating_over.get(i)
        if rec is not None:
            return rec
        return self.gen.satisfaction_rating(i) if i < self.gen.n_tickets else None

    def user(self, j: int) -> dict[str, Any]:
        rec = self.user_over.get(j)
        return rec if rec is not None else self.gen.user(j)

    def organization(self, k: int) -> dict[str, Any]:
        rec = self.org_over.get(k)
        return rec if rec is not None else self.gen.organization(k)

    def ticket_events(self, i: int) -> list[dict[str, Any]]:
        base = list(self.gen.events(i)) if i < self.gen.n_tickets else []
        return base + self.events_over.get(i, [])

    def ticket_updated_ts(self, i: int) -> int:
        rec = self.ticket_over.get(i)
        return self.gen.timeline(i)[1] if rec is None else _parse_iso(rec["updated_at"])

    def archived(self, i: int) -> bool:
        """Closed for 120 days by the emulator's clock, and not taken out of the archive since."""
        if i in self.unarchived or self.ticket(i)["status"] != "closed":
            return False
        return self.now() - self.ticket_updated_ts(i) >= ARCHIVE_AFTER

    def archived_count(self) -> int:
        """Archived tickets now (cached per emulator hour and overlay state: a full scan)."""
        key = (self.now() // 3600, self.mutations, len(self.unarchived))
        if self._archived_cache is None or self._archived_cache[0] != key:
            self._archived_cache = (key, sum(1 for i in range(self.n_tickets) if self.archived(i)))
        return self._archived_cache[1]

    def is_ai_ticket(self, i: int) -> bool:
        """Handled by an AI agent alone; once an agent is assigned (escalation) it is a regular ticket:
        https://support.zendesk.com/hc/en-us/articles/9204149016346"""
        if not self.gen.ai_share:
            return False
        rec = self.ticket(i)
        return rec["via"]["channel"] == AI_AGENT_CHANNEL and rec["assignee_id"] is None

    def ticket_index(self, ticket_id: int) -> int | None:
        i = ticket_id - gen.TICKET_ID_BASE
        return i if 0 <= i < self.n_tickets else None

    def user_index_of(self, user_id: int) -> int | None:
        j = Generator.index_of(user_id, gen.USER_ID_BASE, gen.USER_STRIDE)
        return j if j is not None and j < self.n_users else None

    def org_membership(self, j: int) -> dict[str, Any] | None:
        if j in self.om_removed:
            return None
        u = self.user(j)
        org_id = u["organization_id"]
        if org_id is None:
            return None
        k = Generator.index_of(org_id, gen.ORG_ID_BASE, gen.ORG_STRIDE)
        assert k is not None
        mid = gen.ORG_MEMBERSHIP_ID_BASE + j
        return {
            "url": f"{self.gen.api}/organization_memberships/{mid}.json",
            "id": mid,
            "user_id": u["id"],
            "organization_id": org_id,
            "default": True,
            "organization_name": self.organization(k)["name"],
            "view_tickets": True,
            "created_at": u["created_at"],
            "updated_at": u["created_at"],
        }

    def group_membership(self, m: int) -> dict[str, Any] | None:
        base = 2 * self.gen.n_agents
        if m < base:
            return None if m in self.gm_removed else self.gen.group_membership(m)
        k = m - base
        if k < len(self.gm_created) and m not in self.gm_removed:
            return self.gm_created[k]
        return None

    def skip_parts(self, s: int) -> tuple[int, int, int, str]:
        n = self.config.ticket_skips
        return self.gen.skip_parts(s) if s < n else self.skips_created[s - n]

    def skip_visible(self, s: int) -> bool:
        """/skips leaves out archived tickets (documented) and skips of deleted tickets vanish, when
        `skips_hide_archived_and_deleted` is on: https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_skips/"""
        if not self.config.skips_hide_archived_and_deleted:
            return True
        ticket = self.skip_parts(s)[0]
        return self.ticket(ticket)["status"] != "deleted" and not self.archived(ticket)

    def skip(self, s: int) -> dict[str, Any]:
        ticket, agent, created, reason = self.skip_parts(s)
        sid = gen.SKIP_ID_BASE + s
        return {"id": sid, "ticket_id": self.gen.ticket_id(ticket), "user_id": self.gen.user_id(agent),
                "reason": reason, "created_at": iso(created), "updated_at": iso(created),
                "ticket": self.ticket(ticket)}

    def skips_of(self, i: int) -> list[int]:
        """Skip positions of ticket index i (a lazily built reverse index)."""
        if self._skip_index is None:
            index: dict[int, list[int]] = {}
            for s in range(self.config.ticket_skips + len(self.skips_created)):
                index.setdefault(self.skip_parts(s)[0], []).append(s)
            self._skip_index = index
        return self._skip_index.get(i, [])

    def forget_skip_index(self) -> None:
        self._skip_index = None

    def activity(self, a: int) -> dict[str, Any]:
        n = self.config.activities
        return self.gen.activity(a) if a < n else self.activities_created[a - n]

    def survey_response(self, i: int) -> dict[str, Any] | None:
        """The new-CSAT survey response of ticket i (accounts on the new CSAT only)."""
        if not self.config.new_csat:
            return None
        rec = self.survey_over.get(i)
        if rec is not None:
            return rec
        rating = self.rating(i)
        if rating is None or self.ticket(i)["status"] == "deleted":
            return None
        return self.gen.survey_response(i, rating)

    def audit_log(self, a: int) -> dict[str, Any]:
        n = self.config.audit_logs
        return self.gen.audit_log(a) if a < n else self.audit_logs_created[a - n]

    # ---- listings (CBP/OBP endpoints) -----------------------------------------------------------------
    def listing(self, name: str, params: dict[str, Any], user_index: int) -> Listing:
        """The positional listing behind a list endpoint, with its filters applied."""
        g = self.gen
        if name == "groups":
            keep_deleted = str(params.get("exclude_deleted", "true")).lower() == "false"
            return Listing("groups", len(self.groups),
                           lambda p: self.groups[p] if keep_deleted or not self.groups[p]["deleted"] else None)
        simple = {"ticket_fields": self.ticket_fields, "ticket_forms": self.ticket_forms,
                  "user_fields": self.user_fields, "organization_fields": self.organization_fields}
        if name in simple:
            records = simple[name]
            return Listing(name, len(records), records.__getitem__)
        if name == "organizations":
            # GET /organizations lists live organizations; deleted ones show only in the export.
            def live_org(k: int) -> dict[str, Any] | None:
                org = self.organization(k)
                return None if org["deleted_at"] else org

            return Listing(name, self.n_orgs, live_org)
        if name == "group_memberships":
            return Listing(name, 2 * g.n_agents + len(self.gm_created), self.group_membership)
        if name == "organization_memberships":
            return Listing(name, self.n_users, self.org_membership)
        if name == "ticket_metrics":
            # Newest-created first and sort ignored, as observed on Zendesk; archived
            # tickets are left out (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/).
            return Listing(name, self.n_tickets, lambda i: None if self.archived(i) else self.metric_set(i),
                           desc_default=True)
        if name == "satisfaction_ratings":
            return self._ratings_listing(params)
        if name == "survey_responses":
            return self._survey_listing(params)
        if name == "ticket_skips":
            n = self.config.ticket_skips
            order = _merged_positions(n, lambda s: self.gen.skip_parts(s)[2],
                                      [(c[2], n + k) for k, c in enumerate(self.skips_created)])

            def get_skip(pos: int) -> dict[str, Any] | None:
                s = pos if order is None else order[pos]
                return self.skip(s) if self.skip_visible(s) else None

            return Listing("skips", n + len(self.skips_created), get_skip,
                           desc_default=str(params.get("sort_order", "")).lower() == "desc")
        if name == "audit_logs":
            return self._audit_listing(params)
        if name == "activities":
            return self._activities_listing(params, user_index)
        raise KeyError(name)

    def _ratings_listing(self, params: dict[str, Any]) -> Listing:
        start = _int_or_none(params.get("start_time"))
        end = _int_or_none(params.get("end_time"))
        score = params.get("score")
        lo, hi = 0, None
        g = self.gen
        if start is not None:
            lo = first_at_least(g.n_tickets, g.ticket_gts, start - 3601)
        if end is not None:
            hi_base = first_at_least(g.n_tickets, g.ticket_gts, end + 1)
            hi = hi_base if not self.rating_over else None

        legacy_off = self.config.csat == "new_only"

        def get(i: int) -> dict[str, Any] | None:
            rec = None if legacy_off else self.rating(i)
            if rec is None:
                return None
            ts = _parse_iso(rec["created_at"])
            if (start is not None and ts < start) or (end is not None and ts > end):
                return None
            if score and not _score_matches(score, rec):
                return None
            return rec

        return Listing("satisfaction_ratings", self.n_tickets, get, lo=lo, hi=hi)

    def _audit_listing(self, params: dict[str, Any]) -> Listing:
        window = params.get("filter[created_at][]") or []
        start = _parse_iso(window[0]) if len(window) >= 1 else None
        end = _parse_iso(window[1]) if len(window) >= 2 else None
        sort = params.get("sort") or "-created_at"
        n = self.config.audit_logs
        total = n + len(self.audit_logs_created)
        # Late records (created_at in the past) sort by created_at among the others.
        order = _merged_positions(n, self.gen.audit_log_created,
                                  [(_parse_iso(r["created_at"]), n + k) for k, r in enumerate(self.audit_logs_created)])

        def get(pos: int) -> dict[str, Any] | None:
            rec = self.audit_log(pos if order is None else order[pos])
            ts = _parse_iso(rec["created_at"])
            if (start is not None and ts < start) or (end is not None and ts > end):
                return None
            return rec

        return Listing("audit_logs", total, get, desc_default=sort.startswith("-"))

    def _activities_listing(self, params: dict[str, Any], user_index: int) -> Listing:
        since_raw = params.get("since")
        since = _parse_iso(since_raw) if since_raw else None
        floor = self.now() - ACTIVITY_DAYS * 86400  # only the last 30 days exist (https://developer.zendesk.com/api-reference/ticketing/tickets/activity_stream/)
        me = self.gen.user_id(user_index)
        n = self.config.activities
        order = _merged_positions(n, self.gen.activity_created,
                                  [(_parse_iso(r["created_at"]), n + k) for k, r in enumerate(self.activities_created)])

        def get(pos: int) -> dict[str, Any] | None:
            rec = self.activity(pos if order is None else order[pos])
            ts = _parse_iso(rec["created_at"])
            if ts < floor or (since is not None and ts < since) or rec["user_id"] != me:
                return None
            return rec

        return Listing("activities", n + len(self.activities_created), get)

    def _survey_listing(self, params: dict[str, Any]) -> Listing:
        """New-CSAT responses, oldest first, with the documented filters:
        https://developer.zendesk.com/api-reference/ticketing/ticket-management/csat_survey_responses/"""
        start = _int_or_none(params.get("filter[created_at_start]"))
        end = _int_or_none(params.get("filter[created_at_end]"))
        zrns = {z.strip() for z in str(params.get("filter[subject_zrns]") or "").split(",") if z.strip()}
        responders = {int(x) for x in str(params.get("filter[responder_ids]") or "").split(",") if x.strip()}
        n = self.n_tickets if self.config.new_csat else 0

        def get(i: int) -> dict[str, Any] | None:
            rec = self.survey_response(i)
            if rec is None:
                return None
            ts = _parse_iso(rec["answers"][0]["created_at"])
            if (start is not None and ts < start) or (end is not None and ts > end):
                return None
            if zrns and not zrns & set(rec["subject_zrns"]):
                return None
            if responders and rec["responder_id"] not in responders:
                return None
            return rec

        return Listing("survey_responses", n, get)

    # ---- exports ------------------------------------------------------------------------------------
    def export_page(self, kind: str, after: Key, per_page: int) -> tuple[list[tuple[int, int, int]], bool]:
        """Up to per_page (ts, id, index) after `after` for tickets/users/organizations, and whether more exist."""
        order = {"tickets": self.ticket_order, "users": self.user_order, "organizations": self.org_order}[kind]
        items: list[tuple[int, int, int]] = []
        for item in order.iter_after(after, self.visible_until()):
            if len(items) == per_page:
                return items, True
            items.append(item)
        return items, False

    def event_page(self, after: Key, per_page: int, until: int | None = None) -> tuple[list[dict[str, Any]], bool]:
        """ticket_events after `after` (by timestamp, id), full comment_events form."""
        until = self.visible_until() if until is None else until
        need = per_page + 1
        base = self._base_events_after(after, until, need)
        over: list[tuple[int, int, int, int]] = []
        j = bisect.bisect_right(self.event_overlay, (after[0], after[1], 1 << 62, 0))
        while j < len(self.event_overlay) and len(over) < need:
            ts, eid, i, n = self.event_overlay[j]
            if ts > until:
                break
            over.append((ts, eid, i, n))
            j += 1
        merged = sorted([(ts, eid, i, k, False) for ts, eid, i, k in base] +
                        [(ts, eid, i, n, True) for ts, eid, i, n in over])[:need]
        records = []
        for _ts, _eid, i, k, is_over in merged[:per_page]:
            records.append(self.events_over[i][k] if is_over else self.gen.events(i)[k])
        return records, len(merged) > per_page

    def _base_events_after(self, after: Key, until: int, need: int) -> list[tuple[int, int, int, int]]:
        """Scan base tickets by generated_timestamp: a ticket's audits lie within MAX_TICKET_SPAN before it."""
        g = self.gen
        i = first_at_least(g.n_tickets, g.ticket_gts, after[0])
        heap: list[tuple[int, int, int, int]] = []  # max-heap via negation: (-ts, -eid, i, k)
        stride = gen.TICKET_EVENT_SLOTS * gen.EVENT_STRIDE
        while i < g.n_tickets:
            floor = g.ticket_gts(i) - gen.MAX_TICKET_SPAN
            if floor > until or (len(heap) >= need and floor > -heap[0][0]):
                break
            _c, _u, _g, times = g.timeline(i)
            for k, ts in enumerate(times):
                if ts > until:
                    break
                eid = gen.AUDIT_ID_BASE + i * stride + k * gen.EVENT_STRIDE
                if (ts, eid) <= after:
                    continue
                item = (-ts, -eid, i, k)
                if len(heap) < need:
                    heapq.heappush(heap, item)
                elif item > heap[0]:
                    heapq.heapreplace(heap, item)
            i += 1
        return sorted((-a, -b, c, d) for a, b, c, d in heap)

    def audits_before(self, before: Key, need: int) -> list[dict[str, Any]]:
        """Up to `need` stored audits with (timestamp, id) < before, newest first, leaving out those
        of archived and deleted tickets (the /ticket_audits list)."""
        g = self.gen
        skip: dict[int, bool] = {}

        def hidden(i: int) -> bool:
            if i not in skip:
                skip[i] = self.ticket(i)["status"] == "deleted" or self.archived(i)
            return skip[i]

        # Base audits of ticket i lie within MAX_TICKET_SPAN + 1 h below its generated_timestamp.
        heap: list[tuple[int, int, int, int]] = []  # min-heap of the largest keys below `before`
        stride = gen.TICKET_EVENT_SLOTS * gen.EVENT_STRIDE
        i = first_at_least(g.n_tickets, g.ticket_gts, before[0] + gen.MAX_TICKET_SPAN + 3602) - 1
        while i >= 0:
            if len(heap) >= need and g.ticket_gts(i) < heap[0][0]:
                break
            if not hidden(i):
                for k, ts in enumerate(g.timeline(i)[3]):
                    eid = gen.AUDIT_ID_BASE + i * stride + k * gen.EVENT_STRIDE
                    if (ts, eid) >= before:
                        continue
                    item = (ts, eid, i, k)
                    if len(heap) < need:
                        heapq.heappush(heap, item)
                    elif item > heap[0]:
                        heapq.heapreplace(heap, item)
            i -= 1
        base = sorted(heap, reverse=True)
        over: list[tuple[int, int, int, int]] = []
        j = bisect.bisect_left(self.event_overlay, (before[0], before[1], -1, -1)) - 1
        while j >= 0 and len(over) < need:
            ts, eid, i, n = self.event_overlay[j]
            if not hidden(i):
                over.append((ts, eid, i, n))
            j -= 1
        merged = sorted([(ts, eid, i, k, False) for ts, eid, i, k in base] +
                        [(ts, eid, i, n, True) for ts, eid, i, n in over], reverse=True)[:need]
        return [self.events_over[i][k] if is_over else g.events(i)[k] for _ts, _eid, i, k, is_over in merged]

    # ---- prefetch -----------------------------------------------------------------------------------
    def prefetch(self, kind: str, after: Key, per_page: int) -> None:
        """Generate the next export page in the background while the client digests this one.

        Base records are pure functions, so warming the generator's LRU caches needs no lock; only
        the position lookup reads the overlay (under the lock, cheap). One prefetch at a time.
        """
        if self._prefetching.locked():
            return
        g = self.gen
        targets: list[int] = []
        if kind == "tickets":
            with self.lock:
                items, _more = self.export_page(kind, after, per_page)
                targets = [i for _ts, _id, i in items if i < g.n_tickets and i not in self.ticket_over]
        until = self.visible_until()

        def work() -> None:
            with self._prefetching:
                if kind == "tickets":
                    for i in targets:
                        g.ticket(i)
                        g.metric_set(i)
                else:  # the base-event scan reads only pure generator functions: no lock needed
                    for _ts, _eid, i, _k in self._base_events_after(after, until, per_page):
                        g.events(i)

        threading.Thread(target=work, name="zendesk-emulator-prefetch", daemon=True).start()

    # ---- truth ----------------------------------------------------------------------------------------
    def truth(self, collection: str, since: int | None = None) -> list[dict[str, Any]]:
        """Latest state of a collection, API-shaped, ignoring hold-back; `since` filters partitioned ones.

        Besides the 16 collections: "ticket_field_history" (one row per field a Create/Change child
        event set, per audit) and "survey_responses" (new CSAT). Records are what a complete sync
        should hold now, whatever an endpoint hides (AI-agent tickets without `support_type_scope`,
        hold-back); see `removed()` for rows a warehouse that saw them should mark removed."""
        if collection not in COLLECTION_NAMES and collection not in EXTRA_TRUTHS:
            raise ValueError(f"unknown collection {collection!r}; expected one of {COLLECTION_NAMES + EXTRA_TRUTHS}")
        with self.lock:
            records = self._truth(collection, since)
        # A JSON round trip: callers get exactly what a crawl parses, and can never mutate the
        # emulator's cached records.
        copied: list[dict[str, Any]] = orjson.loads(orjson.dumps(records))
        return copied

    def _truth(self, collection: str, since: int | None) -> list[dict[str, Any]]:
        lo = since if since is not None else -(1 << 62)
        start: Key = (lo, -1)
        everything = 1 << 62
        if collection in ("tickets", "ticket_metrics"):
            out = []
            for _ts, _id, i in self.ticket_order.iter_after(start, everything):
                if collection == "tickets":
                    out.append(self.ticket(i))
                else:
                    ms = self.metric_set(i)
                    if ms is not None:
                        out.append(ms)
            return out
        if collection == "users":
            return [self.user(j) for _t, _i, j in self.user_order.iter_after((-(1 << 62), -1), everything)]
        if collection == "organizations":
            return [self.organization(k) for _t, _i, k in self.org_order.iter_after((-(1 << 62), -1), everything)]
        if collection in ("ticket_events", "ticket_comments", "attachments", "ticket_field_history"):
            out = []
            after = start
            while True:
                page, more = self.event_page(after, 5000, until=everything)
                for ev in page:
                    if collection == "ticket_events":
                        out.append(event_view(ev, True))
                        continue
                    if collection == "ticket_field_history":
                        out.extend(field_history_rows(ev))
                        continue
                    for child in ev["child_events"]:
                        if child["event_type"] != "Comment":
                            continue
                        if collection == "ticket_comments":
                            out.append({**comment_object(child), "ticket_id": ev["ticket_id"]})
                        else:
                            out.extend({**a, "ticket_id": ev["ticket_id"], "comment_id": child["id"]}
                                       for a in child["attachments"])
                if not more or not page:
                    return out
                after = (page[-1]["timestamp"], page[-1]["id"])
        listing_name = {"ticket_skips": "ticket_skips"}.get(collection, collection)
        params: dict[str, Any] = {"exclude_deleted": "false"}
        listing = self.listing(listing_name, params, 0)
        return [rec for _pos, rec in listing.scan(None, False)]

    def removed(self, collection: str) -> list[int]:
        """Ids of rows that are gone from Zendesk and that a warehouse which saw them should mark removed:
        skips of deleted tickets (with `skips_hide_archived_and_deleted`), metric sets of tickets deleted
        since, group and organization memberships removed since."""
        with self.lock:
            if collection == "ticket_skips":
                if not self.config.skips_hide_archived_and_deleted:
                    return []
                total = self.config.ticket_skips + len(self.skips_created)
                return [gen.SKIP_ID_BASE + s for s in range(total)
                        if self.ticket(self.skip_parts(s)[0])["status"] == "deleted"]
            if collection == "ticket_metrics":
                return sorted(gen.METRIC_ID_BASE + i for i, ms in self.metric_over.items() if ms is None)
            if collection == "group_memberships":
                return sorted(gen.GROUP_MEMBERSHIP_ID_BASE + m if m < 2 * self.gen.n_agents
                              else self.gm_created[m - 2 * self.gen.n_agents]["id"] for m in self.gm_removed)
            if collection == "organization_memberships":
                return sorted(gen.ORG_MEMBERSHIP_ID_BASE + j for j in self.om_removed)
            return []

    # ---- mutation clock -------------------------------------------------------------------------------
    def advance(self, *, updates: int = 0, deletes: int = 0, creations: int = 0, system_updates: int = 0,
                unarchive: int = 0, late_skips: int = 0, rating_updates: int = 0, late_audit_logs: int = 0,
                late_activities: int = 0) -> dict[str, Any]:
        """Apply changes stamped at now(); returns ids touched per collection and action.

        Beyond updates/deletes/creations/system-only updates: `unarchive` takes archived tickets out of
        the archive, `late_skips`, `late_audit_logs` and `late_activities` add records whose created_at
        lies up to hours in the past, `rating_updates` changes existing ratings (updated_at moves)."""
        with self.lock:
            self.mutations += 1
            r = random.Random(hash((self.config.seed, 16, self.mutations)))
            counts = {"updates": updates, "deletes": deletes, "creations": creations,
                      "system_updates": system_updates, "unarchive": unarchive, "late_skips": late_skips,
                      "rating_updates": rating_updates, "late_audit_logs": late_audit_logs,
                      "late_activities": late_activities}
            return Mutator(self, r, self.now()).run(counts)

    # ---- auth -----------------------------------------------------------------------------------------
    def add_oauth_token(self, token: str, user_id: int, expires_at: int | None = None) -> None:
        with self.lock:
            j = self.user_index_of(user_id)
            if j is None:
                raise ValueError(f"user {user_id} does not exist in this emulated account")
            self.tokens[token] = Token(j, expires_at)

    def revoke_all_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.refresh_tokens.clear()

    def issue_token(self, user_index: int, expires_in: int | None) -> dict[str, Any]:
        ttl = expires_in or self.config.access_token_ttl
        access = "emu-at-" + secrets.token_urlsafe(24)
        refresh = "emu-rt-" + secrets.token_urlsafe(24)
        self.tokens[access] = Token(user_index, self.now() + ttl, refresh)
        self.refresh_tokens[refresh] = access
        return {"access_token": access, "token_type": "bearer", "scope": "read", "expires_in": ttl,
                "refresh_token": refresh, "refresh_token_expires_in": 30 * 86400}

    def rotate_refresh(self, refresh: str, expires_in: int | None) -> dict[str, Any] | None:
        """Refresh rotates: the old refresh AND access tokens stop working (https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/)."""
        access = self.refresh_tokens.pop(refresh, None)
        if access is None:
            return None
        old = self.tokens.pop(access, None)
        user_index = old.user_index if old is not None else 0
        return self.issue_token(user_index, expires_in)

    # ---- faults ---------------------------------------------------------------------------------------
    def inject(self, path_glob: str, fault: Fault, count: int = 1) -> None:
        with self.lock:
            self.injected.append((path_glob, fault, [count]))

    def next_fault(self, path: str, is_export: bool, per_page: int | None) -> Fault | None:
        """The fault for this request: injected first, then `504>N`, then the seeded random spec."""
        with self.lock:
            self.request_counter += 1
            n = self.request_counter
            bare = path[:-5] if path.endswith(".json") else path
            for entry in self.injected:
                glob, fault, left = entry
                if left[0] > 0 and (fnmatch.fnmatchcase(path, glob) or fnmatch.fnmatchcase(bare, glob)):
                    left[0] -= 1
                    if left[0] == 0:
                        self.injected.remove(entry)
                    return fault
            spec = self.config.fault_spec
            if is_export and spec.timeout_above_per_page is not None and per_page is not None \
                    and per_page > spec.timeout_above_per_page:
                return Fault("504")
            if not spec.probabilities:
                return None
            u = gen.mix(self.config.seed, 0xFA, n) / 2.0**64
            acc = 0.0
            for kind, p in spec.probabilities:
                acc += p
                if u < acc:
                    return self._random_fault(kind, n)
            return None

    def _random_fault(self, kind: str, n: int) -> Fault:
        coin = gen.mix(self.config.seed, 0xFB, n)
        retry = self.config.fault_retry_after
        if kind == "429":
            return Fault("429", retry_after=retry, text_body=coin % 3 == 0)
        if kind == "503":
            return Fault("503", retry_after=retry)
        if kind == "slow":
            return Fault("slow", delay=self.config.slow_delay)
        return Fault(kind, text_body=kind in ("502", "504") or coin % 2 == 0)

    # ---- stats ----------------------------------------------------------------------------------------
    def record(self, method: str, template: str, status: int, budget: str) -> None:
        with self.lock:
            self._stats[(method, template, status)] += 1
            self._by_budget[budget] += 1
            if status == 429:
                self._rate_limited += 1
            self._log.append((time.time(), budget, template, status))

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"requests": dict(self._stats), "by_budget": {"core": self._by_budget["core"],
                    "incremental": self._by_budget["incremental"]}, "rate_limited": self._rate_limited}

    def request_log(self) -> list[tuple[float, str, str, int]]:
        with self.lock:
            return list(self._log)

    def reset_stats(self) -> None:
        with self.lock:
            self._stats.clear()
            self._by_budget.clear()
            self._rate_limited = 0
            self._log.clear()

    def counts(self) -> dict[str, int]:
        """Per-collection record counts of the truth (for the control endpoint)."""
        return {name: len(self.truth(name)) for name in COLLECTION_NAMES}


def _merged_positions(n_base: int, base_ts: Any, extra: list[tuple[int, int]]) -> list[int] | None:
    """Listing positions in time order when records were added out of order (late arrivals): base
    positions 0..n_base-1 are already in time order; `extra` holds (time, position) of the others."""
    if not extra:
        return None
    base = ((base_ts(b), b) for b in range(n_base))
    return [pos for _ts, pos in heapq.merge(base, sorted(extra))]


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def _parse_iso(value: str) -> int:
    """Epoch seconds of an ISO 8601 UTC timestamp (accepts Z or +00:00, date-only)."""
    from datetime import datetime

    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _score_matches(score: str, rec: dict[str, Any]) -> bool:
    s, has_comment = rec["score"], bool(rec.get("comment"))
    table = {
        "offered": s == "offered", "unoffered": s == "unoffered",
        "received": s in ("good", "bad"), "received_with_comment": s in ("good", "bad") and has_comment,
        "received_without_comment": s in ("good", "bad") and not has_comment,
        "good": s == "good", "good_with_comment": s == "good" and has_comment,
        "good_without_comment": s == "good" and not has_comment,
        "bad": s == "bad", "bad_with_comment": s == "bad" and has_comment,
        "bad_without_comment": s == "bad" and not has_comment,
    }
    return table.get(score, True)
