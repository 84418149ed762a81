"""Deterministic base records of a generated Zendesk account.

Every base record is a pure function of (seed, index, anchor): nothing is stored per record, so a
million-ticket account costs O(1) memory (plus small LRU caches). Mutations live in `state.py`.
Each record draws from `Draws`: a window into a per-seed table of floats picked by a hash of
(seed, kind, index). Seeding a `random.Random` per record cost more than building the record.
The hot builders (timeline, ticket, metric set, audits) skip the `Draws` object and read draw n as
`table[offset + n]`: identical values as long as a record takes fewer draws than its window (each
says its bound). `zendesk_assets_tests/test_emulator_golden.py` pins the output byte for byte.
"""

from __future__ import annotations

import html
import itertools
import random
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from zendesk_assets.emulator import catalog as cat
from zendesk_assets.emulator.config import EmulatorConfig

# 64-bit ids: tickets, audits, comments and attachments sit far above 2**53 (Zendesk ids are int64, and
# float64/JSON-number consumers silently corrupt such values). Other ids look like ordinary Zendesk ids.
TICKET_ID_BASE = 2**60
AUDIT_ID_BASE = 2**60 + 2**56
OVERLAY_AUDIT_BASE = AUDIT_ID_BASE + 2**52
ATTACHMENT_ID_BASE = 2**59
USER_ID_BASE = 48_000_000_000_000
ORG_ID_BASE = 36_000_000_000_000
GROUP_ID_BASE = 27_000_000_000_000
METRIC_ID_BASE = 33_000_000_000_000
RATING_ID_BASE = 15_000_000_000_000
GROUP_MEMBERSHIP_ID_BASE = 14_000_000_000_000
ORG_MEMBERSHIP_ID_BASE = 17_000_000_000_000
SKIP_ID_BASE = 19_000_000_000_000
AUDIT_LOG_ID_BASE = 21_000_000_000_000
ACTIVITY_ID_BASE = 23_000_000_000_000
FORM_ID_BASE = 25_000_000_000
CUSTOM_STATUS_ID_BASE = 31_000_000_000
USER_FIELD_ID_BASE = 26_000_000_000
ORG_FIELD_ID_BASE = 28_000_000_000
USER_STRIDE = 7
ORG_STRIDE = 11
GROUP_STRIDE = 3
EVENT_STRIDE = 16  # child ids of an audit are audit_id + 1 .. audit_id + 15
TICKET_EVENT_SLOTS = 16  # base audits per ticket are < 16

MAX_TICKET_SPAN = 3 * 86400  # created -> generated_timestamp; bounds the ticket_events scan window
BASE_EVENTS_MAX = 5  # _timeline spells out the 0..3 middle audit times
ACTIVITY_WINDOW = 45 * 86400

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
CUSTOM_STATUS_IDS = {s: CUSTOM_STATUS_ID_BASE + n for n, s in enumerate(STATUSES)}
CUSTOM_STATUS_IDS["deleted"] = CUSTOM_STATUS_ID_BASE + 5
PRIORITIES = ("low", "normal", "normal", "high", "urgent", None)
TYPES = ("question", "incident", "problem", "task", None)
COMMENT_KEYS = ("id", "type", "author_id", "body", "html_body", "plain_body", "public", "attachments",
                "audit_id", "via", "created_at", "metadata")

_K_TICKET, _K_TIMELINE, _K_EVENTS, _K_USER, _K_ORG, _K_USER_ORG = 1, 2, 3, 4, 5, 6
_K_METRIC, _K_RATING, _K_GROUP, _K_SPARE, _K_SKIP, _K_AUDIT, _K_ACTIVITY, _K_FORM = 7, 8, 9, 10, 11, 12, 13, 14
_K_GM, _K_MUTATE, _K_DELETED, _K_AI, _K_EXTRA = 15, 16, 17, 18, 19
_MASK = (1 << 64) - 1


def iso(ts: int) -> str:
    """Zendesk timestamps in bodies: ISO 8601 UTC with a Z suffix (hot path: two lookups, one concat)."""
    return _day(ts // 86400) + _TIME_OF_DAY[ts % 86400]


_TIME_OF_DAY = [f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]


@lru_cache(maxsize=65536)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


def _sentences(t: list[float], p: int, n: int) -> str:
    """`comment_body`'s 1-3 sentences picked by draws t[p], t[p+1], ... (no comprehension frame)."""
    if n == 1:
        return _SENTENCES[int(t[p] * 12)]
    if n == 2:
        return _SENTENCES[int(t[p] * 12)] + " " + _SENTENCES[int(t[p + 1] * 12)]
    return " ".join((_SENTENCES[int(t[p] * 12)], _SENTENCES[int(t[p + 1] * 12)], _SENTENCES[int(t[p + 2] * 12)]))


@lru_cache(maxsize=8192)
def _html_body(body: str) -> str:
    """A comment's html_body. Bodies repeat (a few sentences from a small vocabulary), so escape once."""
    return f'<div class="zd-comment" dir="auto"><p>{html.escape(body)}</p></div>'


class RandomLike(Protocol):
    def random(self) -> float: ...


class Draws:
    """A per-record random stream: consecutive floats from the seed's table, starting at a hashed offset.

    `random` is the C-level `__next__` of a cycling window, so a draw costs no Python frame.
    """

    __slots__ = ("random",)

    def __init__(self, table: list[float], key: tuple[int, ...], window: int) -> None:
        offset = hash(key) & (_TABLE_SIZE - 1)
        self.random = itertools.cycle(table[offset: offset + window]).__next__


_TABLE_SIZE = 1 << 16
_TABLE_MASK = _TABLE_SIZE - 1
# Hot-path lookup tables (the generator inlines the catalog choices; lengths are hard-coded there).
_SUBJECTS = tuple(tuple(t.format(thing=thing) for thing in cat.THINGS) for t in cat.SUBJECT_TEMPLATES)
_VIA_CHANNELS = cat.VIA_CHANNELS
# (first name, e-mail local part) pairs: the local part is the name's ASCII letters and digits.
_FIRST_NAMES = tuple((first, "".join(ch for ch in first.lower() if ch.isascii() and ch.isalnum()) or "user")
                     for first in cat.FIRST_NAMES)
_TAGS = cat.TAGS
_SENTENCES = cat.SENTENCES
_LOCATIONS = cat.LOCATIONS
_CLIENTS = cat.CLIENTS
_FILE_TYPES = cat.FILE_TYPES
assert len(_FILE_TYPES) == 5
_IPS = tuple(f"203.0.113.{n + 1}" for n in range(254))
assert (len(_LOCATIONS), len(_CLIENTS)) == (5, 4)
assert (len(_SUBJECTS), len(cat.THINGS), len(_VIA_CHANNELS), len(_TAGS), len(_SENTENCES)) == (14, 13, 7, 15, 12)
assert (len(STATUSES), len(TYPES), len(PRIORITIES)) == (6, 5, 6)
_MAX_WINDOW = 512


def mix(*parts: int) -> int:
    """splitmix64 over the parts: a cheap deterministic hash for single draws without a Random."""
    x = 0
    for p in parts:
        x = (x ^ (p & _MASK)) + 0x9E3779B97F4A7C15 & _MASK
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
        x ^= x >> 31
    return x


def _long_text(seed: int) -> str:
    """A body above 64 KB: trips TEXT/VARCHAR limits and naive buffers downstream."""
    r = random.Random(seed)
    parts = []
    size = 0
    while size < 70_000:
        s = cat.SENTENCES[int(r.random() * len(cat.SENTENCES))]
        parts.append(s)
        size += len(s.encode()) + 1
    return "LONG LOG PASTE ⬇️\n" + "\n".join(parts)


class Generator:
    """Pure functions from (config, index) to API-shaped base records."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.subdomain = config.subdomain
        self.api = f"https://{config.subdomain}.zendesk.com/api/v2"
        self.anchor = config.anchor_time
        self.t_end = self.anchor - 3600
        self.t_start = self.t_end - config.history_days * 86400
        self.t_span = self.t_end - self.t_start
        self.n_tickets = config.tickets
        self.n_users = config.users
        self.n_orgs = config.organizations
        self.n_groups = config.groups
        self.n_agents = max(2, min(self.n_users - 2, self.n_users // 12))
        self.deleted_groups = {self.n_groups - 1} | ({self.n_groups - 2} if self.n_groups >= 8 else set())
        self.n_live_groups = self.n_groups - len(self.deleted_groups)
        self.bulk_orgs = min(self.n_orgs, max(2, self.n_orgs // 8))
        self.long_text = _long_text(self.seed)
        self.support_address = f"support@{config.subdomain}.zendesk.com"
        self.satisfaction_rate = config.satisfaction_rate
        self.n_forms = max(1, config.ticket_forms)
        self.ai_share = config.ai_agent_share
        self.ai_cut = int(config.ai_agent_share * 10_000)
        self.nul_every = config.nul_every
        self.account_created = self.t_start - 400 * 86400
        table_rng = random.Random(self.seed)
        self.table = [table_rng.random() for _ in range(_TABLE_SIZE + _MAX_WINDOW)]
        self.field_pools = self._field_pools()
        self._live_counts: tuple[int, int] | None = None
        self.field_combos = self._field_combos()
        self.ticket = lru_cache(maxsize=8192)(self._ticket)
        self.timeline = lru_cache(maxsize=65536)(self._timeline)
        self.events = lru_cache(maxsize=2048)(self._events)
        self.metric_set = lru_cache(maxsize=4096)(self._metric_set)
        self.user = lru_cache(maxsize=8192)(self._user)
        self.organization = lru_cache(maxsize=4096)(self._organization)

    def nul(self, i: int) -> bool:
        """Ticket ``i`` carries NUL characters (``nul_every``): text no PostgreSQL column can hold."""
        return self.nul_every > 0 and i % self.nul_every == 1

    def rng(self, kind: int, index: int, extra: int = 0, window: int = 96) -> Draws:
        # Tuple hashes of ints are deterministic across processes (no PYTHONHASHSEED salt) and fast.
        return Draws(self.table, (self.seed, kind, index, extra), window)

    def hashed(self, kind: int, index: int) -> int:
        return hash((self.seed, kind, index)) & _MASK

    # ---- ids -------------------------------------------------------------------------------------
    @staticmethod
    def ticket_id(i: int) -> int:
        return TICKET_ID_BASE + i

    @staticmethod
    def user_id(j: int) -> int:
        return USER_ID_BASE + USER_STRIDE * j

    @staticmethod
    def org_id(k: int) -> int:
        return ORG_ID_BASE + ORG_STRIDE * k

    @staticmethod
    def group_id(g: int) -> int:
        return GROUP_ID_BASE + GROUP_STRIDE * g

    @staticmethod
    def index_of(record_id: int, base: int, stride: int = 1) -> int | None:
        offset = record_id - base
        if offset < 0 or offset % stride:
            return None
        return offset // stride

    # ---- tickets ---------------------------------------------------------------------------------
    def ticket_gts(self, i: int) -> int:
        """Base generated_timestamp: non-decreasing in i, so an export position is a binary search."""
        return self.t_start + (i * self.t_span) // self.n_tickets

    def _timeline(self, i: int) -> tuple[int, int, int, tuple[int, ...]]:
        """(created, updated, generated_timestamp, audit times) of base ticket i.

        Hot: the ticket_events scan calls this for every ticket of a 3-day window. It reads the
        record's draws straight from the table (a record never uses more than 8 of its 96-draw window,
        so no cycling happens and the values equal those of `rng(_K_TIMELINE, i)`).
        """
        t = self.table
        o = hash((self.seed, _K_TIMELINE, i, 0)) & _TABLE_MASK
        gts = self.t_start + (i * self.t_span) // self.n_tickets
        # ~4% got a system-only update (automation/SLA) after their last audit: generated_timestamp
        # moves, updated_at does not (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/).
        if t[o] < 0.04:
            updated = gts - (1 + int(t[o + 1] * 3600))
            o += 2
        else:
            updated = gts
            o += 1
        k = 1 + int(t[o] * BASE_EVENTS_MAX)
        if k == 1:
            return updated, updated, gts, (updated,)
        x = t[o + 1]
        if x < 0.4:
            span = 60 + int(t[o + 2] * 3540)
        elif x < 0.8:
            span = 3600 + int(t[o + 2] * 82800)
        else:
            span = 86400 + int(t[o + 2] * (MAX_TICKET_SPAN - 86400 - 7200))
        created = updated - span
        if k == 2:
            return created, updated, gts, (created, updated)
        base, width = created + 1, span - 1
        a = base + int(t[o + 3] * width)
        if k == 3:
            return created, updated, gts, (created, a, updated)
        b = base + int(t[o + 4] * width)
        if k == 4:
            return created, updated, gts, (created, *sorted((a, b)), updated)
        return created, updated, gts, (created, *sorted((a, b, base + int(t[o + 5] * width))), updated)

    def user_ref(self, j: int) -> tuple[str, str | None]:
        """(name, email) of user j without building the whole record."""
        if j == 0:
            return "Demo Admin", "admin@demo.example.com"
        if j == 1:
            return "Demo Agent", "agent@demo.example.com"
        # Three draws of rng(_K_USER, j), read straight from the table (hot: users and email tickets).
        t = self.table
        o = hash((self.seed, _K_USER, j, 0)) & _TABLE_MASK
        first, local = _FIRST_NAMES[int(t[o] * len(_FIRST_NAMES))]
        last = cat.LAST_NAMES[int(t[o + 1] * len(cat.LAST_NAMES))]
        tld = cat.TLDS[int(t[o + 2] * len(cat.TLDS))]
        return f"{first} {last}", f"{local}.{j}@example-{j % 97}.{tld}"

    def user_org_index(self, j: int) -> int | None:
        """End-users belong to an organization 75% of the time; agents never do."""
        if j < self.n_agents:
            return None
        h = self.hashed(_K_USER_ORG, j)
        if h % 100 >= 75:
            return None
        return (h >> 8) % self.n_orgs

    def random_end_user(self, r: RandomLike) -> int:
        return self.n_agents + int(r.random() * (self.n_users - self.n_agents))

    def random_agent(self, r: RandomLike) -> int:
        return int(r.random() * self.n_agents)

    def random_live_group(self, r: RandomLike) -> int:
        return int(r.random() * self.n_live_groups)

    def comment_body(self, i: int, k: int, r: RandomLike) -> str:
        if k == 0 and i % 500 == 3:
            return f"Ticket {i}: " + self.long_text
        n = 1 + int(r.random() * 3)
        return " ".join(cat.SENTENCES[int(r.random() * len(cat.SENTENCES))] for _ in range(n))

    def subject(self, r: RandomLike) -> str:
        template = cat.SUBJECT_TEMPLATES[int(r.random() * len(cat.SUBJECT_TEMPLATES))]
        return template.format(thing=cat.THINGS[int(r.random() * len(cat.THINGS))])

    def _field_pools(self) -> list[tuple[int, tuple[Any, ...]]]:
        """Per custom field, a pool of 64 possible values: one draw per field instead of a computation."""
        r = random.Random(hash((self.seed, 99)))
        pools = []
        for k, (field_type, _title) in enumerate(cat.CUSTOM_TICKET_FIELDS):
            values = tuple([None] * 19 + [self._field_value(r, field_type, k, self.t_start) for _ in range(45)])
            pools.append((cat.custom_field_id(k), values))
        return pools

    def custom_field_values(self, r: RandomLike) -> list[dict[str, Any]]:
        """One of 4096 pre-built value combinations; never mutate it (the overlay deep-copies)."""
        return self.field_combos[int(r.random() * len(self.field_combos))]

    def _field_combos(self) -> list[list[dict[str, Any]]]:
        r = random.Random(hash((self.seed, 98)))
        return [[{"id": fid, "value": pool[int(r.random() * 64)]} for fid, pool in self.field_pools]
                for _ in range(4096)]

    def _field_value(self, r: RandomLike, field_type: str, position: int, created: int) -> Any:
        x = r.random()
        if field_type == "checkbox":
            return x < 0.5
        if field_type == "date":
            day = time.strftime("%Y-%m-%d", time.gmtime(created + int(x * 700) * 86400))
            # Zendesk returns custom dates in mixed forms: parse leniently.
            return f"{day}T00:00:00Z" if r.random() < 0.5 else f"{day}T00:00:00+00:00"
        if field_type == "decimal":
            return f"{x * 10000:.2f}"
        if field_type == "integer":
            return int(x * 500)
        if field_type == "regexp":
            return f"ORD-{int(x * 1_000_000):06d}"
        if field_type == "tagger":
            options = cat.ticket_field_options(position)
            return options[int(x * len(options))][1]
        if field_type == "multiselect":
            options = cat.ticket_field_options(position)
            return [v for n, (_name, v) in enumerate(options) if (int(x * 8) >> n) & 1]
        if field_type == "text":
            return cat.THINGS[int(x * len(cat.THINGS))]
        if field_type == "textarea":
            return "First line\nSecond line — ünïcødé ✅"
        if field_type == "lookup":
            return self.user_id(int(x * self.n_agents))
        if field_type == "partialcreditcard":
            return f"XXXXXXXXXXXX{int(x * 10000):04d}"
        return None

    def via(self, channel: str, requester: int) -> dict[str, Any]:
        if channel == "email":
            name, email = self.user_ref(requester)
            return {"channel": "email", "source": {
                "from": {"address": email, "name": name},
                "to": {"address": self.support_address, "name": "Support"}, "rel": None}}
        if channel == "api":
            return {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
        return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}

    def ticket_deleted(self, i: int) -> bool:
        """~1.5% of base tickets are deleted, and some in every account (a cheap test, for counts)."""
        return self.hashed(_K_DELETED, i) % 1000 < 15 or i % 997 == 7

    def org_deleted(self, k: int) -> bool:
        """~5% of organizations are deleted, at least one in every account; never the bulk import."""
        return k >= self.bulk_orgs and (self.hashed(_K_DELETED, -1 - k) % 100 < 5 or k == self.bulk_orgs)

    def base_live_counts(self) -> tuple[int, int]:
        """(non-deleted base tickets, non-deleted base organizations), computed once."""
        if self._live_counts is None:
            tickets = self.n_tickets - sum(1 for i in range(self.n_tickets) if self.ticket_deleted(i))
            orgs = self.n_orgs - sum(1 for k in range(self.n_orgs) if self.org_deleted(k))
            self._live_counts = (tickets, orgs)
        return self._live_counts

    def _ticket(self, i: int) -> dict[str, Any]:
        """Base ticket i. Hot (every export page), so the helpers (`random_end_user`, `subject`,
        `rating_info`, `comment_body`, ...) are inlined and the draws are read by index: draw n of
        `rng(_K_TICKET, i)` is `t[o + n]` while n < 96, and a ticket takes at most 32 draws. The draws
        are consumed in exactly the helpers' order, so records stay byte-identical (test_emulator_golden)."""
        created, updated, gts, _times = self.timeline(i)
        t = self.table
        p = hash((self.seed, _K_TICKET, i, 0)) & _TABLE_MASK  # position of the next draw
        x = t[p]
        p += 1
        if self.anchor - updated <= 30 * 86400:
            status = STATUSES[int(x * 6)]
        elif x < 0.8:
            status = "closed"
        elif x < 0.95:
            status = "solved"
        else:
            status = STATUSES[int(t[p] * 4)]
            p += 1
        if (hash((self.seed, _K_DELETED, i)) & _MASK) % 1000 < 15 or i % 997 == 7:  # ticket_deleted(i)
            status = "deleted"
        n_agents = self.n_agents
        end_users = self.n_users - n_agents
        requester = n_agents + int(t[p] * end_users)
        p += 1
        assignee: int | None = None
        if status == "new":
            p += 1
            if t[p - 1] >= 0.7:
                assignee = int(t[p] * n_agents)
                p += 1
        else:
            assignee = int(t[p] * n_agents)
            p += 1
        group = int(t[p] * self.n_live_groups)
        ticket_type = TYPES[int(t[p + 1] * 5)]
        channel = _VIA_CHANNELS[int(t[p + 2] * 7)]
        p += 3
        h = hash((self.seed, _K_USER_ORG, requester)) & _MASK  # user_org_index: requester is an end-user
        org_id = None if h % 100 >= 75 else ORG_ID_BASE + ORG_STRIDE * ((h >> 8) % self.n_orgs)
        if t[p] > 0.01:
            subject = _SUBJECTS[int(t[p + 1] * 14)][int(t[p + 2] * 13)]
            p += 3
        else:
            subject = ""
            p += 1
        # Small fixed-size cases are spelled out: a comprehension costs a function frame in 3.11.
        n = int(t[p] * 4)
        if n == 0:
            tags = []
        elif n == 1:
            tags = [_TAGS[int(t[p + 1] * 15)]]
        else:
            tags = sorted({_TAGS[int(v * 15)] for v in t[p + 1: p + 1 + n]})
        p += 1 + n
        n = int(t[p] * 3)
        if n == 0:
            collaborators, followers = [], []
        elif n == 1:
            c1 = USER_ID_BASE + USER_STRIDE * (n_agents + int(t[p + 1] * end_users))
            collaborators, followers = [c1], [c1]
        else:
            c1 = USER_ID_BASE + USER_STRIDE * (n_agents + int(t[p + 1] * end_users))
            c2 = USER_ID_BASE + USER_STRIDE * (n_agents + int(t[p + 2] * end_users))
            collaborators, followers = [c1, c2], [c1, c2]
        p += 1 + n
        custom = self.field_combos[int(t[p] * 4096)]
        p += 1
        problem_id = None
        if ticket_type == "incident" and i > 0:
            if t[p] < 0.5:
                problem_id = TICKET_ID_BASE + max(0, i - 1 - int(t[p + 1] * 50))
                p += 1
            p += 1
        satisfaction = None
        if (status == "solved" or status == "closed") and assignee is not None and t[p] < self.satisfaction_rate:
            good = t[p + 1] < 0.8
            comment = None if t[p + 2] < 0.5 else ("Great support! 🎉" if good else "Took forever…")
            satisfaction = {"id": RATING_ID_BASE + i, "score": "good" if good else "bad", "comment": comment,
                            "reason": _GOOD_REASON if good else _BAD_REASON,
                            "reason_id": None if good else BAD_REASON_ID}
            p += 2
        p += 1  # rating_info always takes its first draw
        tid = TICKET_ID_BASE + i
        external_id = f"ext-{i}" if t[p] < 0.3 else None
        p += 1
        if i % 500 == 3:
            description = f"Ticket {i}: " + self.long_text
        else:
            n = 1 + int(t[p] * 3)
            description = _sentences(t, p + 1, n)
            p += 1 + n
        if self.nul(i):
            description = f"\x00{description[:9]}\x00{description[9:]}\x00"
        priority = PRIORITIES[int(t[p] * 6)]
        p += 1
        has_incidents = False
        if ticket_type == "problem":
            has_incidents = t[p] < 0.3
            p += 1
        form_id = FORM_ID_BASE + int(t[p] * self.n_forms)
        requester_id = USER_ID_BASE + USER_STRIDE * requester
        # Draw-free extras (hashes of the index, so the draws above keep their values).
        extra = hash((self.seed, _K_EXTRA, i)) & _MASK
        is_public = extra % 100 >= 3  # ~3% were opened with a private note (e.g. by an agent for a customer)
        followup_ids = ([TICKET_ID_BASE + i + 1 + (extra >> 8) % 40] if status == "closed" and extra % 53 == 1
                        and i + 41 < self.n_tickets else [])
        record = {
            "url": f"{self.api}/tickets/{tid}.json",
            "id": tid,
            "external_id": external_id,
            "via": self.via(channel, requester) if channel == "email" else
            {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": _day(created // 86400) + _TIME_OF_DAY[created % 86400],  # iso(), inlined
            "updated_at": _day(updated // 86400) + _TIME_OF_DAY[updated % 86400],
            "generated_timestamp": gts,
            "type": ticket_type,
            "subject": subject,
            "raw_subject": subject,
            "description": description,
            "priority": priority,
            "status": status,
            "recipient": self.support_address if channel == "email" else None,
            "requester_id": requester_id,
            "submitter_id": requester_id,
            "assignee_id": None if assignee is None else USER_ID_BASE + USER_STRIDE * assignee,
            "organization_id": org_id,
            "group_id": GROUP_ID_BASE + GROUP_STRIDE * group,
            "collaborator_ids": collaborators,
            "follower_ids": followers,
            "email_cc_ids": collaborators if channel == "email" else [],
            "forum_topic_id": None,
            "problem_id": problem_id,
            "has_incidents": has_incidents,
            "is_public": is_public,
            "due_at": iso(created + 3 * 86400) if ticket_type == "task" else None,
            "tags": tags,
            "custom_fields": custom,
            "fields": custom,  # the older duplicate of custom_fields (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/)
            "satisfaction_rating": satisfaction,
            "sharing_agreement_ids": [],
            "custom_status_id": CUSTOM_STATUS_IDS[status],
            "followup_ids": followup_ids,
            "ticket_form_id": form_id,
            "brand_id": 360_000_000_001,
            "allow_channelback": channel == "chat",
            "allow_attachments": True,
            "from_messaging_channel": channel == "chat",
        }
        if self.ai_share and status != "deleted" and (hash((self.seed, _K_AI, i)) & _MASK) % 10_000 < self.ai_cut:
            _make_ai_agent_ticket(record)
        if self.nul(i):
            record["tags"] = [*tags, "nul\x00tag"]
        return record


    def rating_info(self, r: RandomLike, status: str, assignee: int | None) -> tuple[str, str | None, str] | None:
        """(score, comment, reason) when a ticket carries a satisfaction rating."""
        x = r.random()
        if status not in ("solved", "closed") or assignee is None or x >= self.config.satisfaction_rate:
            return None
        good = r.random() < 0.8
        comment = None if r.random() < 0.5 else ("Great support! 🎉" if good else "Took forever…")
        return ("good" if good else "bad", comment, _GOOD_REASON if good else _BAD_REASON)

    def satisfaction_rating(self, i: int) -> dict[str, Any] | None:
        """The rating of base ticket i (its embedded snapshot is the ticket's satisfaction_rating)."""
        t = self.ticket(i)
        embedded = t["satisfaction_rating"]
        if embedded is None:
            return None
        _created, updated, _gts, _times = self.timeline(i)
        rid = embedded["id"]
        return {
            "url": f"{self.api}/satisfaction_ratings/{rid}.json",
            "id": rid,
            "assignee_id": t["assignee_id"],
            "group_id": t["group_id"],
            "requester_id": t["requester_id"],
            "ticket_id": t["id"],
            "score": embedded["score"],
            "comment": embedded["comment"],
            "reason": embedded["reason"],
            "reason_id": embedded["reason_id"],
            "created_at": iso(updated),
            "updated_at": iso(updated),
        }

    def survey_response(self, i: int, rating: dict[str, Any]) -> dict[str, Any]:
        """The new-CSAT survey response behind ticket i's rating, in the documented shape:
        https://developer.zendesk.com/api-reference/ticketing/ticket-management/csat_survey_responses/

        On a 5-point scale Zendesk counts 4-5 as a good legacy score and 1-3 as a bad one."""
        tid = rating["ticket_id"]
        h = self.hashed(_K_EXTRA, -1 - i)
        value = 4 + h % 2 if rating["score"] == "good" else 1 + h % 3
        category = "good" if value >= 4 else "neutral" if value == 3 else "bad"
        created = int(datetime_epoch(rating["created_at"]))
        stamp = _ms_iso(created)
        updated = _ms_iso(int(datetime_epoch(rating["updated_at"])))
        comment = rating["comment"]
        answers: list[dict[str, Any]] = [
            {"type": "rating_scale", "question": _CSAT_QUESTION, "rating": value, "rating_category": category,
             "created_at": stamp, "updated_at": updated},
            {"type": "open_ended", "question": _COMMENT_QUESTION, "value": comment, "created_at": stamp,
             "updated_at": updated} if comment else
            {"type": "skipped", "question": _COMMENT_QUESTION, "created_at": stamp, "updated_at": updated},
        ]
        zrn = f"zen:ticket:{tid}"
        return {
            "id": _ulid(created * 1000, h),
            "expires_at": _ms_iso(created + 7 * 86400),
            "responder_id": rating["requester_id"],
            "subject_zrns": [zrn],
            "subjects": [{"id": str(tid), "type": "ticket", "zrn": zrn}],
            "survey": {"id": CSAT_SURVEY_ID, "version": 3, "state": "enabled"},
            "answers": answers,
        }

    # ---- events, comments, attachments ------------------------------------------------------------
    def attachment(self, comment_id: int, a: int, r: RandomLike) -> dict[str, Any]:
        name, ctype = cat.FILE_TYPES[int(r.random() * len(cat.FILE_TYPES))]
        size = 100 + int(r.random() * 5_000_000)
        image = ctype.startswith("image/")
        return self._attachment_record(comment_id, a, name, ctype, size, image and r.random() < 0.3)

    def _attachment_record(self, comment_id: int, a: int, name: str, ctype: str, size: int,
                           inline: bool) -> dict[str, Any]:
        aid = ATTACHMENT_ID_BASE + (comment_id - AUDIT_ID_BASE) * 4 + a
        token = f"{self.hashed(_K_SPARE, aid):016x}"
        content_url = f"https://{self.subdomain}.zendesk.com/attachments/token/{token}/?name={name}"
        image = ctype.startswith("image/")
        thumbnails = []
        if image:
            tid = aid + (1 << 58)
            thumb_url = f"https://{self.subdomain}.zendesk.com/attachments/token/{token}t/?name=thumb_{name}"
            thumbnails = [{"url": f"{self.api}/attachments/{tid}.json", "id": tid, "file_name": f"thumb_{name}",
                           "content_url": thumb_url, "mapped_content_url": thumb_url, "content_type": ctype,
                           "size": 1 + size // 40, "width": 80, "height": 60, "inline": False, "deleted": False}]
        return {
            "url": f"{self.api}/attachments/{aid}.json",
            "id": aid,
            "file_name": name,
            "content_url": content_url,
            "mapped_content_url": content_url,
            "content_type": ctype,
            "size": size,
            "width": 800 if image else None,
            "height": 600 if image else None,
            "inline": inline,
            "deleted": False,
            "malware_access_override": False,
            # Zendesk scans attachments for malware; text files here were never scanned.
            "malware_scan_result": "not_scanned" if ctype == "text/plain" else "malware_not_found",
            "thumbnails": thumbnails,
        }

    def comment_child(self, child_id: int, audit_id: int, ts: int, author: int, body: str, public: bool,
                      via_obj: Any, r: RandomLike, with_attachments: bool = True,
                      created_at: str | None = None) -> dict:
        """A Comment child event in its `include=comment_events` form (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/)."""
        attachments = []
        if with_attachments and r.random() < 0.3:
            attachments = [self.attachment(child_id, a, r) for a in range(1 + int(r.random() * 2))]
        return _comment_child(
            child_id, via_obj, public, author, body, attachments, audit_id, iso(ts) if created_at is None else created_at
        )

    def comment_via(self, r: RandomLike, base: dict[str, Any]) -> Any:
        # Comment children carry a `via` object, occasionally a non-object (reported by connector projects).
        x = r.random()
        if x < 0.02:
            return None
        if x < 0.03:
            return "voicemail"
        return base

    def system_context(self, r: RandomLike) -> dict[str, Any]:
        loc, lat, lon = cat.LOCATIONS[int(r.random() * len(cat.LOCATIONS))]
        return {"client": cat.CLIENTS[int(r.random() * len(cat.CLIENTS))],
                "ip_address": f"203.0.113.{int(r.random() * 254) + 1}",
                "location": loc, "latitude": lat, "longitude": lon}

    def _events(self, i: int) -> tuple[dict[str, Any], ...]:
        """Audits of base ticket i (full comment_events form); they never change after generation.

        The history is consistent: every Change child carries `previous_value`, the value the field
        held before (the Create child's, or an earlier Change's), and no Change repeats a value. The
        last audit leaves the ticket as its record shows it. Hot (a ticket_events page builds ~600
        tickets' audits): `comment_child`, `comment_body`, `comment_via` and `system_context` are
        inlined with draws read by index (test_emulator_golden pins the bytes).
        """
        tk = self.ticket(i)
        _created, _updated, _gts, times = self.timeline(i)
        # Draw n of rng(_K_EVENTS, i) is t[p + n] (no cycling: at most 104 draws, 11 for the first audit
        # and 23 for each later one, within a 512 window).
        t = self.table
        p = hash((self.seed, _K_EVENTS, i, 0)) & _TABLE_MASK
        tid = tk["id"]
        requester = (tk["requester_id"] - USER_ID_BASE) // USER_STRIDE  # base tickets hold valid user ids
        assignee_id = tk["assignee_id"]
        assignee = (assignee_id - USER_ID_BASE) // USER_STRIDE if assignee_id else None
        channel = tk["via"]["channel"]
        events: list[dict[str, Any]] = []
        final_status = tk["status"]
        last_k = len(times) - 1
        tags = tk["tags"]
        priority = tk["priority"]
        status = "new"
        create_priority: dict[str, Any] = {}
        create_tags: dict[str, Any] = {}
        priority_changed = tags_changed = False
        for k, ts in enumerate(times):
            audit_id = AUDIT_ID_BASE + (i * TICKET_EVENT_SLOTS + k) * EVENT_STRIDE
            created_at = _day(ts // 86400) + _TIME_OF_DAY[ts % 86400]  # iso(ts), inlined
            first = k == 0
            if first or assignee is None:
                updater = requester
            else:
                updater = requester if t[p] < 0.4 else assignee
                p += 1
            via_string = cat.EVENT_VIA[channel] if first else ("Web form" if updater == assignee else "Mail")
            children: list[dict[str, Any]]
            n = 1
            comment: dict[str, Any] | None = None

            if first:
                # A ticket with one audit was created in its final state (e.g. solved through the API).
                if last_k == 0 and final_status != "deleted":
                    status = final_status
                create_priority = {"id": audit_id + 2, "via": via_string, "via_reference_id": None,
                                   "priority": priority, "event_type": "Create"}
                create_tags = {"id": audit_id + 7, "via": via_string, "via_reference_id": None, "tags": tags,
                               "event_type": "Create"}
                children = [
                    {"id": audit_id + 1, "via": via_string, "via_reference_id": None, "status": status,
                     "event_type": "Create"},
                    create_priority,
                    {"id": audit_id + 3, "via": via_string, "via_reference_id": None, "type": tk["type"],
                     "event_type": "Create"},
                    {"id": audit_id + 4, "via": via_string, "via_reference_id": None, "subject": tk["subject"],
                     "event_type": "Create"},
                    {"id": audit_id + 5, "via": via_string, "via_reference_id": None,
                     "requester_id": tk["requester_id"], "event_type": "Create"},
                    {"id": audit_id + 6, "via": via_string, "via_reference_id": None, "group_id": tk["group_id"],
                     "event_type": "Create"},
                    create_tags,
                ]
                n = 8
                if assignee_id is not None and last_k == 0:
                    children.append({"id": audit_id + 8, "via": via_string, "via_reference_id": None,
                                     "assignee_id": assignee_id, "event_type": "Create"})
                    n = 9
                p = self._comment_at(children, audit_id + n, audit_id, created_at, requester, tk["description"],
                                     tk["is_public"], tk["via"], p)
                comment = children[-1]
            else:
                children = []
                if k == last_k:
                    new_status = final_status
                else:
                    new_status = "open" if t[p] < 0.6 else "pending"
                    p += 1
                if new_status != status:
                    children.append({"id": audit_id + n, "via": via_string, "via_reference_id": None,
                                     "status": new_status, "previous_value": status, "event_type": "Change"})
                    status = new_status
                    n += 1
                if k == 1 and assignee_id is not None:
                    children.append({"id": audit_id + n, "via": via_string, "via_reference_id": None,
                                     "assignee_id": assignee_id, "previous_value": None, "event_type": "Change"})
                    n += 1
                p += 4  # priority, tags, custom field and comment coins
                if t[p - 4] < 0.3 and not priority_changed:
                    # The ticket was created with another priority; this audit set the final one.
                    before = _OTHER_PRIORITY[priority]
                    create_priority["priority"] = before
                    children.append({"id": audit_id + n, "via": via_string, "via_reference_id": None,
                                     "priority": priority, "previous_value": before, "event_type": "Change"})
                    priority_changed = True
                    n += 1
                if t[p - 3] < 0.2 and tags and not tags_changed:
                    before_tags = tags[1:]
                    create_tags["tags"] = before_tags
                    children.append({"id": audit_id + n, "via": via_string, "via_reference_id": None,
                                     "tags": tags, "added_tags": [tags[0]], "removed_tags": [],
                                     "previous_value": before_tags, "event_type": "Change"})
                    tags_changed = True
                    n += 1
                x = t[p - 2]
                if x < 0.25 and k == last_k:
                    position = int(x * 64)  # 0..15: one custom field, changed in the last audit only
                    if position not in cat.INACTIVE_FIELD_POSITIONS:
                        fid, pool = self.field_pools[position]
                        value = tk["custom_fields"][position]["value"]
                        before_value = pool[19 + i % 45]
                        if before_value == value:
                            before_value = None
                        if before_value != value:
                            # Custom fields change under `custom_ticket_fields`, keyed by field id.
                            children.append({"id": audit_id + n, "via": via_string, "via_reference_id": None,
                                             "custom_ticket_fields": {str(fid): value},
                                             "previous_value": before_value, "event_type": "Change"})
                            n += 1
                if t[p - 1] < 0.6:
                    author = updater
                    public = t[p] < 0.75
                    m = 1 + int(t[p + 1] * 3)  # comment_body (k > 0: never the long text)
                    body = _sentences(t, p + 2, m)
                    if self.nul(i):
                        body = f"{body[:4]}\x00{body[4:]}"
                    p += 2 + m
                    x = t[p]  # comment_via: 2% null, 1% a bare string
                    p += 1
                    via_obj: Any = None if x < 0.02 else "voicemail" if x < 0.03 else {
                        "channel": "web" if author == assignee else channel,
                        "source": {"from": {}, "to": {}, "rel": None}}
                    p = self._comment_at(children, audit_id + n, audit_id, created_at, author, body, public,
                                         via_obj, p)
                    comment = children[-1]
                    n += 1
            loc, lat, lon = _LOCATIONS[int(t[p] * 5)]  # system_context
            client, ip = _CLIENTS[int(t[p + 1] * 4)], _IPS[int(t[p + 2] * 254)]
            p += 3
            system = {"client": client, "ip_address": ip, "location": loc, "latitude": lat, "longitude": lon}
            if comment is not None:
                comment["metadata"] = {"system": system, "custom": {}}
            events.append({
                "id": audit_id,
                "ticket_id": tid,
                "timestamp": ts,
                "created_at": created_at,
                "updater_id": USER_ID_BASE + USER_STRIDE * updater,
                "via": via_string,
                "via_reference_id": None,
                "system": system,
                "event_type": "Audit",
                "child_events": children,
            })
        return tuple(events)

    def _comment_at(self, children: list[dict[str, Any]], child_id: int, audit_id: int, created_at: str,
                    author: int, body: str, public: bool, via_obj: Any, p: int) -> int:
        """`comment_child` for `_events`: appends the child, reading draws from table position p;
        returns the next position (same draws, same order as `comment_child` + `attachment`)."""
        t = self.table
        attachments = []
        p += 1
        if t[p - 1] < 0.3:
            count = 1 + int(t[p] * 2)
            p += 1
            for a in range(count):
                name, ctype = _FILE_TYPES[int(t[p] * 5)]
                size = 100 + int(t[p + 1] * 5_000_000)
                p += 2
                inline = False
                if ctype.startswith("image/"):
                    inline = t[p] < 0.3
                    p += 1
                attachments.append(self._attachment_record(child_id, a, name, ctype, size, inline))
        children.append(
            _comment_child(child_id, via_obj, public, author, body, attachments, audit_id, created_at)
        )
        return p

    def _metric_set(self, i: int) -> dict[str, Any] | None:
        t = self.ticket(i)
        if t["status"] == "deleted":
            return None
        created, updated, _gts, times = self.timeline(i)
        # rng(_K_METRIC, i) without the Draws object: a metric set takes at most 6 draws.
        o = hash((self.seed, _K_METRIC, i, 0)) & _TABLE_MASK
        return self._metric_record(i, t, created, updated, len(times), iter(self.table[o: o + 6]).__next__)

    def build_metric_set(self, i: int, t: dict[str, Any], created: int, updated: int, n_events: int,
                         r: RandomLike) -> dict[str, Any]:
        return self._metric_record(i, t, created, updated, n_events, r.random)

    def _metric_record(self, i: int, t: dict[str, Any], created: int, updated: int, n_events: int,
                       rnd: Callable[[], float]) -> dict[str, Any]:
        """A ticket_metrics record; `rnd` is the draw callable (hot: one per exported ticket)."""
        mid = METRIC_ID_BASE + i
        status = t["status"]
        solved = status == "solved" or status == "closed"
        span_min = (updated - created) // 60
        if span_min < 0:
            span_min = 0
        reply = int(rnd() * (span_min or 1)) if n_events > 1 else None
        agent_wait = int(span_min * rnd() * 0.3)
        requester_wait = int(span_min * rnd() * 0.5)
        on_hold = int(span_min * 0.2) if status == "hold" else 0
        assigned = t["assignee_id"] is not None
        created_at, updated_at = t["created_at"], t["updated_at"]
        return {
            "url": f"{self.api}/ticket_metrics/{mid}.json",
            "id": mid,
            "ticket_id": t["id"],
            "created_at": created_at,
            "updated_at": updated_at,
            "group_stations": 1 + int(rnd() * 2),
            "assignee_stations": 1 + int(rnd() * 2) if assigned else 0,
            "reopens": int(rnd() * 2) if solved else 0,
            "replies": n_events - 1 if n_events > 1 else 0,
            "assignee_updated_at": updated_at if assigned else None,
            "requester_updated_at": created_at,
            "status_updated_at": updated_at,
            "initially_assigned_at": created_at if assigned else None,
            "assigned_at": created_at if assigned else None,
            "solved_at": updated_at if solved else None,
            "latest_comment_added_at": updated_at,
            "custom_status_updated_at": updated_at,
            "reply_time_in_minutes": _NO_MINUTES if reply is None else
            {"calendar": reply, "business": reply * 3 // 5},
            "reply_time_in_seconds": {"calendar": None if reply is None else reply * 60},
            "first_resolution_time_in_minutes": {"calendar": span_min, "business": span_min * 3 // 5}
            if solved else _NO_MINUTES,
            "full_resolution_time_in_minutes": {"calendar": span_min, "business": span_min * 3 // 5}
            if solved else _NO_MINUTES,
            "agent_wait_time_in_minutes": {"calendar": agent_wait, "business": agent_wait * 3 // 5},
            "requester_wait_time_in_minutes": {"calendar": requester_wait, "business": requester_wait * 3 // 5},
            "on_hold_time_in_minutes": {"calendar": on_hold, "business": on_hold * 3 // 5},
        }

    # ---- users, organizations, groups -------------------------------------------------------------
    def user_updated(self, j: int) -> int:
        return self.t_start + (j * (self.t_end - self.t_start)) // self.n_users

    def _user(self, j: int) -> dict[str, Any]:
        name, email = self.user_ref(j)
        r = self.rng(_K_USER, j, 1)
        updated = self.user_updated(j)
        created = updated - int(r.random() * 400 * 86400)
        if j == 0:
            role = "admin"
        elif j == 1:
            role = "agent"
        elif j < self.n_agents:
            role = "admin" if j % 5 == 2 else "agent"
        else:
            role = "end-user"
        active = j < self.n_agents or (r.random() >= 0.04 and j != self.n_agents + 1)
        tz, iana = cat.TIME_ZONES[int(r.random() * len(cat.TIME_ZONES))]
        locale, locale_id = cat.LOCALES[int(r.random() * len(cat.LOCALES))]
        org = self.user_org_index(j)
        uid = self.user_id(j)
        agentish = role != "end-user"
        plan = cat.PLAN_OPTIONS[int(r.random() * 3)]
        record = {
            "id": uid,
            "url": f"{self.api}/users/{uid}.json",
            "name": name,
            # Deleted users stay in the export with active false and email null (https://developer.zendesk.com/api-reference/ticketing/users/users/).
            "email": email if active else None,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "time_zone": tz,
            "iana_time_zone": iana,
            "phone": f"+1-555-{j % 10000:04d}" if r.random() < 0.4 else None,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": locale_id,
            "locale": locale,
            "organization_id": None if org is None else self.org_id(org),
            "role": role,
            "verified": r.random() < 0.9,
            "external_id": f"crm-{j}" if r.random() < 0.2 else None,
            "tags": sorted({cat.TAGS[int(r.random() * len(cat.TAGS))] for _ in range(int(r.random() * 3))}),
            "alias": "" if r.random() < 0.9 else "🦊",
            "active": active,
            "shared": False,
            "shared_agent": False,
            "last_login_at": iso(updated - int(r.random() * 86400)) if agentish else None,
            "two_factor_auth_enabled": agentish and r.random() < 0.5,
            "signature": f"— {name}" if agentish else None,
            "details": "",
            "notes": "Prefers e-mail ✉️" if r.random() < 0.1 else "",
            "role_type": None if not agentish else (4 if role == "admin" else 0),
            "custom_role_id": None if not agentish else 360_000_000_100 + (role == "admin"),
            "moderator": agentish,
            "ticket_restriction": None if agentish else "requested",
            "only_private_comments": False,
            "restricted_agent": role == "agent",
            "suspended": (not agentish) and r.random() < 0.02,
            "default_group_id": self.group_id(j % self.n_live_groups) if agentish else None,
            "report_csv": agentish,
            "chat_only": False,
            "user_fields": {
                "user_date": iso(created)[:10] + "T00:00:00Z" if r.random() < 0.7 else None,
                "user_decimal": round(r.random() * 10000, 2),
                "user_dropdown": plan,
                "vip": r.random() < 0.1,
                "seats": int(r.random() * 200) if r.random() < 0.5 else None,
                "bio": "Line one\nLine two — ☕" if r.random() < 0.2 else None,
                "employee_code": f"E{j % 10000:04d}" if agentish else None,
                "nickname": None,
            },
        }
        if record["phone"] is not None:
            record["shared_phone_number"] = j % 10 == 4  # a shared desk line rather than a personal one
        if agentish and j % 3 == 0:
            record["photo"] = self._photo(uid, j, name)
        return record

    def _photo(self, uid: int, j: int, name: str) -> dict[str, Any]:
        """An agent's profile photo: an attachment record with one thumbnail."""
        pid = ATTACHMENT_ID_BASE - (1 << 40) + j
        token = f"{self.hashed(_K_SPARE, -pid):016x}"
        url = f"https://{self.subdomain}.zendesk.com/system/photos/{token}/profile.png"
        return {"url": f"{self.api}/attachments/{pid}.json", "id": pid, "file_name": "profile.png",
                "content_url": url, "mapped_content_url": url, "content_type": "image/png", "size": 48_213,
                "width": 256, "height": 256, "inline": False, "deleted": False,
                "thumbnails": [{"url": f"{self.api}/attachments/{pid + 1}.json", "id": pid + 1,
                                "file_name": "profile_thumb.png", "content_url": url + "?thumb=1",
                                "mapped_content_url": url + "?thumb=1", "content_type": "image/png",
                                "size": 3_112, "width": 32, "height": 32, "inline": False, "deleted": False}]}

    def org_updated(self, k: int) -> int:
        """Organizations 0..bulk_orgs-1 were imported in one second (a bulk import): a time-based
        export page smaller than that cannot advance (https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api)."""
        base = self.t_start + 1000
        if k < self.bulk_orgs:
            return base
        rest = max(1, self.n_orgs - self.bulk_orgs)
        return base + 1 + ((k - self.bulk_orgs) * (self.t_end - base - 1)) // rest

    def _organization(self, k: int) -> dict[str, Any]:
        r = self.rng(_K_ORG, k)
        updated = self.org_updated(k)
        created = updated - int(r.random() * 300 * 86400)
        word = cat.COMPANY_WORDS[int(r.random() * len(cat.COMPANY_WORDS))]
        name = f"{word} {cat.COMPANY_SUFFIX[int(r.random() * len(cat.COMPANY_SUFFIX))]} #{k}"
        oid = self.org_id(k)
        deleted = self.org_deleted(k)
        slug = word.lower().replace(" ", "")
        record = {
            "url": f"{self.api}/organizations/{oid}.json",
            "id": oid,
            "name": name,
            "shared_tickets": r.random() < 0.3,
            "shared_comments": r.random() < 0.2,
            "external_id": f"acct-{k}" if r.random() < 0.5 else None,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "deleted_at": None,
            "domain_names": [f"{slug}-{k}.example.com"] if r.random() < 0.7 else [],
            "details": "HQ: Straße 1, 10115 Berlin" if r.random() < 0.3 else "",
            "notes": "",
            "group_id": self.group_id(int(r.random() * self.n_live_groups)) if r.random() < 0.3 else None,
            "tags": sorted({cat.TAGS[int(r.random() * len(cat.TAGS))] for _ in range(int(r.random() * 3))}),
            "organization_fields": {
                "org_tier": cat.TIER_OPTIONS[int(r.random() * 3)],
                "renewal_date": iso(created + 365 * 86400)[:10] + "T00:00:00+00:00" if r.random() < 0.6 else None,
                "arr": round(r.random() * 1e6, 2),
                "is_partner": r.random() < 0.1,
                "account_owner": None,
                "employees": int(r.random() * 5000),
            },
        }
        if deleted:
            mark_org_deleted(record, updated)
        return record

    def group(self, g: int) -> dict[str, Any]:
        r = self.rng(_K_GROUP, g)
        names = ("Tier 1", "Billing", "Support 日本", "Escalations 🚨", "VIP", "Onboarding", "Partners",
                 "Returns & Refunds", "Tier 2", "Night shift", "Sécurité", "Legacy")
        gid = self.group_id(g)
        created = self.account_created + int(r.random() * 100 * 86400)
        name = names[g % len(names)] + ("" if g < len(names) else f" {g}")
        return {
            "url": f"{self.api}/groups/{gid}.json",
            "id": gid,
            "is_public": g % 4 != 3,  # private groups hide their tickets from non-members
            "name": name,
            "description": _GROUP_DESCRIPTIONS[g % len(_GROUP_DESCRIPTIONS)],
            "default": g == 0,
            "deleted": g in self.deleted_groups,
            "created_at": iso(created),
            "updated_at": iso(created + (500 * 86400 if g in self.deleted_groups else 0)),
        }

    def group_membership(self, m: int) -> dict[str, Any]:
        """Membership m: agent m//2, slot m%2 (two distinct live groups per agent)."""
        agent, slot = divmod(m, 2)
        h = self.hashed(_K_GM, agent)
        g1 = h % self.n_live_groups
        g = g1 if slot == 0 else (g1 + 1 + (h >> 16) % (self.n_live_groups - 1)) % self.n_live_groups
        created = self.account_created + (h >> 32) % (200 * 86400)
        mid = GROUP_MEMBERSHIP_ID_BASE + m
        return {
            "url": f"{self.api}/group_memberships/{mid}.json",
            "id": mid,
            "user_id": self.user_id(agent),
            "group_id": self.group_id(g),
            "default": slot == 0,
            "created_at": iso(created),
            "updated_at": iso(created),
        }

    def ticket_form(self, f: int, field_ids: list[int]) -> dict[str, Any]:
        fid = FORM_ID_BASE + f
        names = ("Default form", "Billing form", "Bug report 🐞", "Formulaire partenaires")
        name = names[f % len(names)] + ("" if f < len(names) else f" {f}")
        created = iso(self.account_created + f * 86400)
        n_system = len(cat.SYSTEM_TICKET_FIELDS)
        ids = field_ids if f == 0 else [x for n, x in enumerate(field_ids) if n < n_system or (n + f) % 2 == 0]
        # Conditional fields: the bug form shows "Internal notes" once "Escalated" is ticked.
        conditions: list[dict[str, Any]] = []
        if f == 2:
            parent, child = cat.custom_field_id(0), cat.custom_field_id(8)
            conditions = [{"parent_field_id": parent, "value": True,
                           "child_fields": [{"id": child, "is_required": False}]}]
        return {
            "url": f"{self.api}/ticket_forms/{fid}.json",
            "id": fid,
            "name": name,
            "raw_name": name,
            "display_name": name,
            "raw_display_name": name,
            "end_user_visible": f != 2,
            "position": f,
            "ticket_field_ids": ids,
            "active": not (f == self.config.ticket_forms - 1 and f >= 2),
            "default": f == 0,
            "in_all_brands": True,
            "restricted_brand_ids": [],
            "end_user_conditions": conditions,
            "agent_conditions": [{**c, "child_fields": [{**cf, "required_on_statuses": {"type": "NO_STATUSES"}}
                                                        for cf in c["child_fields"]]} for c in conditions],
            "created_at": created,
            "updated_at": created,
        }

    def activity_created(self, a: int) -> int:
        n = max(1, self.config.activities)
        return self.anchor - ACTIVITY_WINDOW + (a * (ACTIVITY_WINDOW - 3600)) // n

    def activity(self, a: int) -> dict[str, Any]:
        r = self.rng(_K_ACTIVITY, a)
        created = self.activity_created(a)
        aid = ACTIVITY_ID_BASE + a
        user = 0 if a % 3 else 1  # most activities concern the demo admin, some the demo agent
        actor = self.random_agent(r)
        ticket = int(r.random() * self.n_tickets)
        verb = cat.ACTIVITY_VERBS[int(r.random() * len(cat.ACTIVITY_VERBS))]
        actor_name, _ = self.user_ref(actor)
        tid = self.ticket_id(ticket)
        return {
            "url": f"{self.api}/activities/{aid}.json",
            "id": aid,
            "verb": verb,
            "title": f"{actor_name} {verb.split('.')[1].replace('_', ' ')} on ticket #{tid}",
            "user_id": self.user_id(user),
            "actor_id": self.user_id(actor),
            "created_at": iso(created),
            "updated_at": iso(created),
            "object": {"ticket": {"id": tid, "subject": self.ticket(ticket)["subject"]}},
            "target": {"ticket": {"id": tid}},
        }

    def skip_parts(self, s: int) -> tuple[int, int, int, str]:
        """(ticket index, agent index, created, reason) of skip s."""
        r = self.rng(_K_SKIP, s)
        n = max(1, self.config.ticket_skips)
        created = self.t_start + (s * (self.t_end - self.t_start)) // n
        ticket = min(self.n_tickets - 1, int(r.random() * self.n_tickets))
        return ticket, self.random_agent(r), created, cat.SKIP_REASONS[int(r.random() * len(cat.SKIP_REASONS))]

    def audit_log_created(self, a: int) -> int:
        n = max(1, self.config.audit_logs)
        return self.t_start + (a * (self.t_end - self.t_start)) // n

    def audit_log(self, a: int) -> dict[str, Any]:
        r = self.rng(_K_AUDIT, a)
        created = self.audit_log_created(a)
        lid = AUDIT_LOG_ID_BASE + a
        actor = self.random_agent(r)
        action, label = cat.AUDIT_ACTIONS[int(r.random() * len(cat.AUDIT_ACTIONS))]
        kind = int(r.random() * 3)
        if action == "login" or kind == 0:
            j = self.random_end_user(r) if action != "login" else actor
            source_type, source_id, source_label = "user", self.user_id(j), self.user_ref(j)[0]
        elif kind == 1:
            k = int(r.random() * self.n_orgs)
            source_type, source_id, source_label = "organization", self.org_id(k), f"Organization #{k}"
        else:
            g = int(r.random() * self.n_groups)
            source_type, source_id, source_label = "group", self.group_id(g), self.group(g)["name"]
        return {
            "url": f"{self.api}/audit_logs/{lid}.json",
            "id": lid,
            "action_label": label,
            "actor_id": self.user_id(actor),
            "actor_name": self.user_ref(actor)[0],
            "source_id": source_id,
            "source_type": source_type,
            "source_label": source_label,
            "action": action,
            "change_description": "" if action == "login" else f"{label} {source_type} “{source_label}”",
            "ip_address": f"198.51.100.{int(r.random() * 254) + 1}",
            "created_at": iso(created),
        }


# The priority a ticket was created with when a later audit set its final one (never the same value).
_OTHER_PRIORITY: dict[str | None, str | None] = {"low": "normal", "normal": "high", "high": "normal",
                                                 "urgent": "high", None: "normal"}
_NO_MINUTES: dict[str, int | None] = {"calendar": None, "business": None}  # shared; overlay deep-copies


def _minutes(calendar: int | None) -> dict[str, int | None]:
    """Metric durations come as {calendar, business} pairs (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/)."""
    if calendar is None:
        return _NO_MINUTES
    return {"calendar": calendar, "business": calendar * 3 // 5}


AI_AGENT_CHANNEL = "native_messaging"
CSAT_SURVEY_ID = "01J58KJ9RAE0D2EK7HRVM7Z8F2"
_CSAT_QUESTION: dict[str, Any] = {
    "id": "01GFYBENPDGN1R6NAA4WRDNVFQ", "type": "rating_scale_numeric", "sub_type": "customer_satisfaction",
    "alias": "customer_satisfaction", "headline": {"type": "static", "value": "How satisfied are you with our support?"}}
_COMMENT_QUESTION: dict[str, Any] = {
    "id": "01GFYBENPDGN1R6NAA4WRDNVFR", "type": "open_ended", "alias": "comment",
    "headline": {"type": "static", "value": "Anything you would like to add?"}}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid(ms: int, entropy: int) -> str:
    """A ULID-shaped id (what survey responses use): 48-bit milliseconds + 80 bits from `entropy`."""
    value = (ms & ((1 << 48) - 1)) << 80 | (entropy & ((1 << 80) - 1))
    return "".join(_CROCKFORD[(value >> (5 * k)) & 31] for k in range(25, -1, -1))


def _ms_iso(ts: int) -> str:
    return iso(ts)[:-1] + ".000Z"


def datetime_epoch(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()

_GOOD_REASON = "No reason provided"
_BAD_REASON = "The issue took too long to resolve"
BAD_REASON_ID = 7_811_046_657_149  # the satisfaction reason record of _BAD_REASON
_GROUP_DESCRIPTIONS = ("", "First line for every new request", "Invoices, refunds and plan changes",
                       "日本語のお問い合わせ", "")


def _make_ai_agent_ticket(record: dict[str, Any]) -> None:
    """An AI agent answered this messaging conversation alone: no human assignee, no rating.

    Zendesk keeps such tickets out of the ticket and ticket-event exports unless
    `support_type_scope=all` or `ai_agent` is sent (see app.py)."""
    record["via"] = {"channel": AI_AGENT_CHANNEL, "source": {"from": {}, "to": {}, "rel": None}}
    record["assignee_id"] = None
    record["satisfaction_rating"] = None
    record["recipient"] = None
    record["email_cc_ids"] = []
    record["from_messaging_channel"] = True
    record["allow_channelback"] = False


def mark_org_deleted(record: dict[str, Any], when: int) -> None:
    """Deleted orgs keep coming with deleted_at set and the name rewritten (https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/)."""
    record["deleted_at"] = iso(when)
    record["name"] = f"{record['id']}_deleted_{record['name']}"


def comment_object(child: dict[str, Any]) -> dict[str, Any]:
    """A comment as `/tickets/{id}/comments` returns it, from its comment_events child."""
    return {k: child[k] for k in COMMENT_KEYS}


def event_view(event: dict[str, Any], include_comments: bool) -> dict[str, Any]:
    """An audit as the ticket_events export renders it, with or without `include=comment_events`.

    Stored audits are in the comment_events form already, so that case costs nothing.
    """
    if include_comments:
        return event
    children = []
    for c in event["child_events"]:
        if c["event_type"] != "Comment":
            children.append(c)
        else:
            # Without the side-load the export only says that a comment exists (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/);
            # the child's via is then the audit's via string.
            children.append({"id": c["id"], "via": event["via"], "via_reference_id": None,
                             "comment_present": True, "comment_public": c["public"], "event_type": "Comment"})
    out = dict(event)
    out["child_events"] = children
    return out


def _comment_child(
    child_id: int, via: Any, public: bool, author: int, body: str, attachments: list[dict[str, Any]],
    audit_id: int, created_at: str,
) -> dict[str, Any]:
    """A Comment child event with its comment_events payload (one shape for both build paths)."""
    return {
        "id": child_id,
        "via": via,
        "via_reference_id": None,
        "event_type": "Comment",
        "comment_present": True,
        "comment_public": public,
        "type": "Comment",
        "author_id": USER_ID_BASE + USER_STRIDE * author,
        "body": body,
        "html_body": _html_body(body),
        "plain_body": body,
        "public": public,
        "attachments": attachments,
        "audit_id": audit_id,
        "created_at": created_at,
        "metadata": None,  # {"system": ..., "custom": {}}, set once the audit's system context is known
    }
