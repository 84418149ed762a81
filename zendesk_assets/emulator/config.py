"""Configuration, credentials and fault descriptions of the built-in Zendesk emulator.

Everything here is emulator-only: the demo credentials below open nothing but a local emulator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Emulator-only demo credentials. They are constants on purpose: a newcomer runs `make demo` and the
# sync finds the emulator without any secret setup. They grant access to nothing real.
DEMO_SUBDOMAIN = "demo"
DEMO_OAUTH_TOKEN = "demo-admin-oauth-token-emulator-only"
DEMO_AGENT_OAUTH_TOKEN = "demo-agent-oauth-token-emulator-only"
DEMO_CLIENT_ID = "demo_client_emulator_only"
DEMO_CLIENT_SECRET = "demo-client-secret-emulator-only"
DEMO_EMAIL = "admin@demo.example.com"
DEMO_AGENT_EMAIL = "agent@demo.example.com"
DEMO_API_TOKEN = "demo-api-token-emulator-only"

COLLECTION_NAMES: tuple[str, ...] = (
    "users",
    "groups",
    "tickets",
    "ticket_fields",
    "activities",
    "attachments",
    "organizations",
    "ticket_events",
    "ticket_metrics",
    "satisfaction_ratings",
    "ticket_comments",
    "ticket_forms",
    "ticket_skips",
    "organization_memberships",
    "group_memberships",
    "audit_logs",
)

FAULT_KINDS = frozenset({"429", "500", "502", "503", "504", "slow", "drop", "truncate", "malformed"})


@dataclass(frozen=True)
class Fault:
    """One failure the emulator plays instead of (or around) a normal response."""

    kind: str  # "429" | "500" | "502" | "503" | "504" | "slow" | "drop" | "truncate" | "malformed"
    retry_after: int | None = None  # seconds, for 429/503 (503 without it models an outage)
    text_body: bool = False  # 429/5xx answered with text/plain, as Zendesk's edge sometimes does
    delay: float = 0.0  # for "slow"

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown emulator fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}")


@dataclass(frozen=True)
class FaultSpec:
    """Parsed `faults` string: random fault probabilities plus the 504 page-size threshold."""

    probabilities: tuple[tuple[str, float], ...] = ()
    timeout_above_per_page: int | None = None

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse e.g. ``"429:0.05,503:0.02,504>500,truncate:0.01"``.

        ``504>N`` means every export request whose ``per_page`` exceeds N gets a 504, the way Zendesk's
        gateway times out on heavy export pages (retrying the same size keeps failing).
        """
        probabilities: list[tuple[str, float]] = []
        threshold: int | None = None
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            if ">" in item:
                kind, _, value = item.partition(">")
                if kind.strip() != "504":
                    raise ValueError(f"emulator faults: only '504>N' takes a threshold, got {item!r}")
                threshold = int(value)
                continue
            kind, sep, value = item.partition(":")
            kind = kind.strip()
            if not sep or kind not in FAULT_KINDS:
                raise ValueError(
                    f"emulator faults: cannot parse {item!r}; use kind:probability with kind in "
                    f"{sorted(FAULT_KINDS)}, or 504>per_page"
                )
            p = float(value)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"emulator faults: probability for {kind} must be within [0, 1], got {p}")
            probabilities.append((kind, p))
        if sum(p for _, p in probabilities) > 1.0:
            raise ValueError("emulator faults: probabilities add up to more than 1")
        return cls(tuple(probabilities), threshold)


def _default_anchor(clock_offset: int = 0) -> int:
    """The emulator's own "now" floored to the hour: the generated history ends by its clock."""
    now = int(time.time()) + clock_offset
    return now - now % 3600


# "new": survey responses, and the legacy ratings API still lists every rating (converted to good/bad);
# "new_only": survey responses only, the legacy ratings API lists none (legacy CSAT turned off).
CSAT_MODES = ("legacy", "new", "new_only")
REFUSAL_STATUSES = (403, 404, 410)


@dataclass
class EmulatorConfig:
    """Shape of a generated account and of the server's behaviour.

    Collection sizes keep realistic ratios; ticket events, comments and attachments derive from tickets.
    """

    seed: int = 1
    subdomain: str = DEMO_SUBDOMAIN
    tickets: int = 2000
    users: int = 500
    organizations: int = 100
    groups: int = 12
    ticket_forms: int = 4
    satisfaction_rate: float = 0.35  # share of solved/closed tickets that carry a rating
    activities: int = 120
    ticket_skips: int = 150
    audit_logs: int = 300
    history_days: int = 730
    anchor: int | None = None
    plan: str = "enterprise"
    core_rpm: int | None = None
    incremental_rpm: int | None = None
    external_rpm: int = 0
    hold_back_seconds: int = 60
    access_token_ttl: int = 7200
    faults: str = ""
    latency_ms: int = 0
    slow_delay: float = 1.5  # seconds for random "slow" faults
    fault_retry_after: int = 1  # Retry-After on random 429/503 faults (kept short so retries stay fast)
    # --- behaviours the product may not handle yet: all off by default -------------------------------
    clock_offset_seconds: int = 0  # the emulator's clock = host clock + offset (Date header, exports, lists)
    exports_shutdown_at: int | None = None  # emulator epoch from which /incremental/* answer a refusal
    exports_refusal_status: int = 410
    skips_hide_archived_and_deleted: bool = False  # /skips as documented: archived tickets' skips hidden
    tickets_count_excludes_archived: bool = False  # /tickets/count leaves archived tickets out (observed)
    ai_agent_share: float = 0.0  # share of tickets handled by an AI agent (hidden from exports by default)
    csat: str = "legacy"  # "new"/"new_only": survey responses at /api/v2/guide/survey_responses (see CSAT_MODES)
    nul_every: int = 0  # every Nth ticket's description, comment bodies and a tag carry NUL (U+0000)
    fault_spec: FaultSpec = field(init=False, repr=False)

    @property
    def new_csat(self) -> bool:
        return self.csat != "legacy"

    def __post_init__(self) -> None:
        if self.anchor is None:
            self.anchor = _default_anchor(self.clock_offset_seconds)
        if self.plan not in ("enterprise", "team"):
            raise ValueError(f"emulator plan must be 'enterprise' or 'team', got {self.plan!r}")
        for name in ("tickets", "users", "organizations", "groups"):
            if getattr(self, name) < 1:
                raise ValueError(f"emulator config: {name} must be at least 1")
        if self.users < 4:
            raise ValueError("emulator config: users must be at least 4 (admin, agent and end-users)")
        if self.groups < 3:
            raise ValueError("emulator config: groups must be at least 3")
        if self.csat not in CSAT_MODES:
            raise ValueError(f"emulator csat must be one of {CSAT_MODES}, got {self.csat!r}")
        if self.exports_refusal_status not in REFUSAL_STATUSES:
            raise ValueError(f"emulator exports_refusal_status must be one of {REFUSAL_STATUSES}")
        if self.nul_every < 0:
            raise ValueError("emulator nul_every must be 0 (off) or a positive stride")
        if not 0.0 <= self.ai_agent_share <= 1.0:
            raise ValueError("emulator ai_agent_share must be within [0, 1]")
        self.fault_spec = FaultSpec.parse(self.faults)

    @property
    def anchor_time(self) -> int:
        assert self.anchor is not None
        return self.anchor
