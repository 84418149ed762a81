"""Which Zendesk accounts to sync, read from environment variables or a YAML file.

The environment-variable names are an interface other tools rely on (see README): one account
from ``ZENDESK_*`` variables, or several from the YAML file named by ``ZENDESK_ACCOUNTS_FILE``.
Values that shape the asset graph (schema, start date, opt-ins, budgets) are read when the code
location loads; secrets are passed to Dagster as ``EnvVar`` references, so they are read only
when a run needs them and never appear in the UI.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from zendesk_assets.collections import COLLECTIONS, OPT_IN

DEFAULT_SCHEMA = "zendesk"
# A fixed default: partition start dates must never move with today's date (design.md section 3).
DEFAULT_START_DATE = date(2020, 1, 1)
DEFAULT_HISTORY_MONTHS = 12
_NAME = re.compile(r"[^a-z0-9_]+")


class ConfigError(ValueError):
    """A configuration mistake the user can fix; the message says how."""


@dataclass(frozen=True)
class Secret:
    """A secret given either as the name of an environment variable (preferred) or inline."""

    env: str | None = None
    value: str | None = None

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r})" if self.env else "Secret(<inline>)"


@dataclass(frozen=True)
class AccountConfig:
    """One Zendesk account: where it lives, how to authenticate, and how much of it to sync."""

    name: str  # asset key prefix, group name and resource-key suffix
    subdomain: str | Secret
    schema: str = DEFAULT_SCHEMA
    oauth_token: Secret | None = None
    client_id: Secret | None = None
    client_secret: Secret | None = None
    email: str | None = None
    api_token: Secret | None = None
    base_url: str | None = None
    start_date: date = DEFAULT_START_DATE
    history_months: int = DEFAULT_HISTORY_MONTHS
    core_rpm: int = 200
    incremental_rpm: int = 10
    opt_in: frozenset[str] = frozenset()
    warehouse_url: Secret | None = None
    state_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def enabled(self, table: str) -> bool:
        """Opt-in collections are synced by the schedule only when configured."""
        return table not in OPT_IN or table in self.opt_in


def sanitize_name(raw: str, what: str = "name") -> str:
    """A safe identifier: lowercase letters, digits and underscores, not starting with a digit."""
    name = _NAME.sub("_", raw.strip().lower()).strip("_")
    if not name:
        raise ConfigError(f"{what} {raw!r} has no letters or digits; use something like 'zendesk_acme'")
    if name[0].isdigit():
        name = f"z_{name}"
    return name[:63]


def parse_opt_in(raw: str | list[str] | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    items = raw.split(",") if isinstance(raw, str) else raw
    chosen = frozenset(i.strip() for i in items if i.strip())
    unknown = chosen - OPT_IN
    if unknown:
        optional = ", ".join(sorted(OPT_IN))
        hint = " (every other collection is always synced)" if unknown <= set(COLLECTIONS) else ""
        raise ConfigError(
            f"ZENDESK_OPT_IN names {', '.join(sorted(unknown))}: only {optional} are opt-in{hint}"
        )
    return chosen


def _parse_date(raw: str | date, what: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(f"{what} must be a date like 2020-01-01, got {raw!r}") from None


def _parse_int(raw: str | int, what: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{what} must be positive, got {value}")
    return value


def _env_secret(env: Mapping[str, str], name: str) -> Secret | None:
    return Secret(env=name) if env.get(name) else None


def account_from_env(env: Mapping[str, str]) -> AccountConfig:
    """The single-account configuration from ``ZENDESK_*`` variables (README lists them)."""
    schema = sanitize_name(env.get("ZENDESK_SCHEMA", DEFAULT_SCHEMA), "ZENDESK_SCHEMA")
    return AccountConfig(
        name=schema,
        subdomain=env.get("ZENDESK_SUBDOMAIN") or Secret(env="ZENDESK_SUBDOMAIN"),
        schema=schema,
        oauth_token=_env_secret(env, "ZENDESK_OAUTH_TOKEN"),
        client_id=_env_secret(env, "ZENDESK_CLIENT_ID"),
        client_secret=_env_secret(env, "ZENDESK_CLIENT_SECRET"),
        email=env.get("ZENDESK_EMAIL") or None,
        api_token=_env_secret(env, "ZENDESK_API_TOKEN"),
        base_url=env.get("ZENDESK_BASE_URL") or None,
        start_date=_parse_date(env.get("ZENDESK_START_DATE", DEFAULT_START_DATE), "ZENDESK_START_DATE"),
        history_months=_parse_int(
            env.get("ZENDESK_HISTORY_MONTHS", DEFAULT_HISTORY_MONTHS), "ZENDESK_HISTORY_MONTHS"
        ),
        core_rpm=_parse_int(env.get("ZENDESK_CORE_RPM", 200), "ZENDESK_CORE_RPM"),
        incremental_rpm=_parse_int(env.get("ZENDESK_INCREMENTAL_RPM", 10), "ZENDESK_INCREMENTAL_RPM"),
        opt_in=parse_opt_in(env.get("ZENDESK_OPT_IN")),
        warehouse_url=_env_secret(env, "WAREHOUSE_URL"),
        state_url=env.get("ZENDESK_STATE_URL") or None,
    )


def _yaml_secret(entry: Mapping[str, Any], key: str) -> Secret | None:
    if entry.get(f"{key}_env"):
        return Secret(env=str(entry[f"{key}_env"]))
    if entry.get(key):
        return Secret(value=str(entry[key]))
    return None


def accounts_from_yaml(path: Path, env: Mapping[str, str]) -> list[AccountConfig]:
    """Several accounts: a YAML list under ``accounts:``; secrets preferably as ``*_env`` names."""
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"ZENDESK_ACCOUNTS_FILE points at {path}, which does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    entries = doc.get("accounts") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path} must contain a non-empty list under 'accounts:' (see README)")
    accounts: list[AccountConfig] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("subdomain"):
            raise ConfigError(f"{path}: account #{i + 1} needs at least 'subdomain'")
        schema = sanitize_name(str(entry.get("schema") or f"zendesk_{entry['subdomain']}"), "schema")
        where = f"{path}: account {schema}"
        accounts.append(
            AccountConfig(
                name=sanitize_name(str(entry.get("name") or schema), "name"),
                subdomain=str(entry["subdomain"]),
                schema=schema,
                oauth_token=_yaml_secret(entry, "oauth_token"),
                client_id=_yaml_secret(entry, "client_id"),
                client_secret=_yaml_secret(entry, "client_secret"),
                email=entry.get("email"),
                api_token=_yaml_secret(entry, "api_token"),
                base_url=entry.get("base_url"),
                start_date=_parse_date(entry.get("start_date", DEFAULT_START_DATE), f"{where}: start_date"),
                history_months=_parse_int(
                    entry.get("history_months", DEFAULT_HISTORY_MONTHS), f"{where}: history_months"
                ),
                core_rpm=_parse_int(entry.get("core_rpm", 200), f"{where}: core_rpm"),
                incremental_rpm=_parse_int(entry.get("incremental_rpm", 10), f"{where}: incremental_rpm"),
                opt_in=parse_opt_in(entry.get("opt_in")),
                warehouse_url=_yaml_secret(entry, "warehouse_url") or _env_secret(env, "WAREHOUSE_URL"),
                state_url=entry.get("state_url") or env.get("ZENDESK_STATE_URL") or None,
            )
        )
    names = [a.name for a in accounts]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(
            f"{path}: two accounts share the name/schema {', '.join(sorted(dupes))}; give each its own 'schema'"
        )
    return accounts


def load_accounts(env: Mapping[str, str] | None = None) -> list[AccountConfig]:
    """Every configured account; with nothing configured, one account read from ``ZENDESK_*``."""
    env = os.environ if env is None else env
    if env.get("ZENDESK_ACCOUNTS_FILE"):
        return accounts_from_yaml(Path(env["ZENDESK_ACCOUNTS_FILE"]), env)
    return [account_from_env(env)]
