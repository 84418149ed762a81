"""One preflight per account per run: who we are on Zendesk, checked once and reused.

Every sweep needs the same answer (valid credentials of an admin) before it spends budget. The
answer is kept in the state store for a few minutes, keyed by the account and the login's public
identity (auth method, client id or email; never a secret), so the sweeps of one run, and the
runs a `zendesk-assets sync` launches right after its own check, ask `/users/me` once between
them. Only a success is kept: a bad login is asked again, and fails, every time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from .client import Preflight, ZendeskClient

PREFLIGHT_TTL_SECONDS = 600.0
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


def check_account(client: ZendeskClient, probes: Sequence[str] = ()) -> AccountStatus:
    """Ask Zendesk now (one `/users/me`, one request per probe) and remember the success."""
    user = client.preflight()
    unavailable = tuple(path for path in probes if not _probe(client, path))
    client.store.put_flag(_key(client), json.dumps({"user_id": user.user_id, "role": user.role}), PREFLIGHT_TTL_SECONDS)
    return AccountStatus(user, unavailable)


def ensure_checked(client: ZendeskClient, already_checked: bool = False) -> None:
    """Check the account unless this run or a recent one already did (see module docstring)."""
    if already_checked or client.store.get_flag(_key(client)) is not None:
        return
    check_account(client)


def _probe(client: ZendeskClient, path: str) -> bool:
    """Ask Zendesk whether this plan and role offer ``path`` (one request), and remember the answer."""
    available = client.is_available(path)
    client.store.put_flag(f"{_key(client)}:{path}", "yes" if available else "no", PREFLIGHT_TTL_SECONDS)
    return available


def endpoint_available(client: ZendeskClient, path: str) -> bool:
    """Whether this plan and role offer ``path`` (e.g. audit logs on Enterprise only): the answer of a
    recent check (the preflight of the `zendesk-assets sync` that launched this run, or an earlier
    sweep), else one probe now. The plan rarely changes; a probe per sweep per run doubled the
    requests of a sweep with nothing new."""
    known = client.store.get_flag(f"{_key(client)}:{path}")
    return known == "yes" if known is not None else _probe(client, path)
