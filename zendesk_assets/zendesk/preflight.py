"""One preflight per account per run: who we are on Zendesk, checked once and reused.

Every sweep needs the same answer (valid credentials of an admin) before it spends budget. The
answer is kept in the state store for a few minutes, keyed by the account and the login's public
identity (auth method, client id or email; never a secret), so the sweeps of one run, and the
runs a `zendesk-assets sync` launches right after its own check, ask `/users/me` once between
them. Only a success is kept: a bad login is asked again, and fails, every time. The success
carries the time ``/users/me`` stated (``ZendeskClock.reading``), so the sweeps of a run the CLI
launched right after its check start from Zendesk's clock without a request of their own.

Which plan-gated endpoints the account has is kept longer: an account that has them keeps them for
a day (a downgrade meanwhile is noticed by the sweep's own read, ``remember_unavailable``), one
without them is asked again after a few minutes, so an upgrade is seen by the next run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from .client import Preflight, ZendeskClient

PREFLIGHT_TTL_SECONDS = 600.0
PLAN_AVAILABLE_TTL_SECONDS = 86_400.0
PLAN_UNAVAILABLE_TTL_SECONDS = PREFLIGHT_TTL_SECONDS
# A run launched by `zendesk-assets sync` carries this tag: its account was checked just before.
CHECKED_TAG = "zendesk/preflight"


@dataclass(frozen=True)
class AccountStatus:
    """The preflight's verdict, plus which probed endpoints this plan or role lacks."""

    user: Preflight
    unavailable: tuple[str, ...] = field(default=())


def _key(client: ZendeskClient) -> str:
    auth = client.auth
    who = getattr(auth, "client_id", None) or getattr(auth, "email", None) or ""
    return f"preflight:{client.account}:{auth.method}:{who}"


def check_account(client: ZendeskClient, probes: Sequence[str] = (), reuse_plan: bool = False) -> AccountStatus:
    """Ask Zendesk now (one `/users/me`, one request per probe) and remember the success. With
    ``reuse_plan`` a probed endpoint's remembered answer is taken instead of asking again."""
    user = client.preflight()
    unavailable = tuple(
        path for path in probes if not (endpoint_available(client, path) if reuse_plan else _probe(client, path))
    )
    seen = {"user_id": user.user_id, "role": user.role, "clock": client.clock.reading()}
    client.store.put_flag(_key(client), json.dumps(seen), PREFLIGHT_TTL_SECONDS)
    return AccountStatus(user, unavailable)


def ensure_checked(client: ZendeskClient, already_checked: bool = False) -> None:
    """Check the account unless this run or a recent one already did (see module docstring). A run
    whose launcher has just checked (``already_checked``) also starts from the time that check saw."""
    found = client.store.get_flag(_key(client))
    if found is not None and already_checked:
        with contextlib.suppress(ValueError, AttributeError):
            client.clock.adopt(json.loads(found).get("clock"))
    if already_checked or found is not None:
        return
    check_account(client)


def _remember(client: ZendeskClient, path: str, available: bool) -> None:
    ttl = PLAN_AVAILABLE_TTL_SECONDS if available else PLAN_UNAVAILABLE_TTL_SECONDS
    client.store.put_flag(f"{_key(client)}:{path}", "yes" if available else "no", ttl)


def _probe(client: ZendeskClient, path: str) -> bool:
    """Ask Zendesk whether this plan and role offer ``path`` (one request), and remember the answer."""
    available = client.is_available(path)
    _remember(client, path, available)
    return available


def remember_unavailable(client: ZendeskClient, path: str) -> None:
    """A sweep's own read found ``path`` gone from the plan (a downgrade since the last probe)."""
    _remember(client, path, False)


def endpoint_available(client: ZendeskClient, path: str) -> bool:
    """Whether this plan and role offer ``path`` (e.g. audit logs on Enterprise only): the answer of a
    recent check (the preflight of the `zendesk-assets sync` that launched this run, or an earlier
    sweep), else one probe now. The plan rarely changes; a probe per sweep per run doubled the
    requests of a sweep with nothing new."""
    known = client.store.get_flag(f"{_key(client)}:{path}")
    return known == "yes" if known is not None else _probe(client, path)
