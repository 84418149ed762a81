"""Refuse, at load time, stores that cannot be shared when runs execute on other machines.

On one machine, the state store (rate budget, OAuth tokens) may be SQLite and the warehouse a DuckDB
file: every run process opens the same files. Once runs start in their own containers or pods (a
run launcher other than Dagster's default, a code server started from an image, or the operator
saying so), each run would get its own empty copy: the rate budget would no longer be shared, OAuth
refresh tokens would be rotated by one pod and lost to the next, and each run would write a
warehouse nobody reads. That is refused before anything runs, with the setting to change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import sqlalchemy as sa
import yaml

from zendesk_assets.config import AccountConfig, ConfigError
from zendesk_assets.warehouse.dialects import normalise_url
from zendesk_assets.zendesk.settings import env_name
from zendesk_assets.zendesk.state import default_state_url

DISTRIBUTED_RUNS = "ZENDESK_DISTRIBUTED_RUNS"
DEFAULT_LAUNCHER = "DefaultRunLauncher"


def run_launcher(env: Mapping[str, str]) -> str | None:
    """The run launcher class named in ``$DAGSTER_HOME/dagster.yaml`` (None: Dagster's default).

    Read as plain YAML: the definitions load before (and without) an instance in a code server."""
    home = env.get("DAGSTER_HOME")
    if not home:
        return None
    try:
        settings = yaml.safe_load((Path(home) / "dagster.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return None  # Dagster itself reports an unreadable instance file
    launcher = settings.get("run_launcher") if isinstance(settings, dict) else None
    return str(launcher.get("class")) if isinstance(launcher, dict) and launcher.get("class") else None


def distributed(env: Mapping[str, str]) -> str | None:
    """Why runs may execute on other machines or containers, or None when they all run here."""
    flag = env.get(DISTRIBUTED_RUNS, "").strip()
    if flag not in ("", "0", "1"):
        raise ConfigError(f"{DISTRIBUTED_RUNS}: must be 1 (runs execute on several machines) or 0, got {flag!r}")
    if flag == "1":
        return f"{DISTRIBUTED_RUNS}=1"
    if flag == "0":
        return None
    if env.get("DAGSTER_CURRENT_IMAGE"):
        return "DAGSTER_CURRENT_IMAGE is set (runs start from a container image)"
    launcher = run_launcher(env)
    if launcher and launcher != DEFAULT_LAUNCHER:
        return f"the Dagster instance launches runs with {launcher}"
    return None


def _value(setting: object, env: Mapping[str, str]) -> str | None:
    name = env_name(setting)
    return env.get(name) if name is not None else (str(setting) if setting else None)


def _backend(url: str) -> tuple[str, str]:
    """(backend, database) of a URL, without connecting; ("", "") when it does not parse (reported
    elsewhere, with the setting's name)."""
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        return "", ""
    return parsed.get_backend_name(), parsed.database or ""


def local_stores(account: AccountConfig, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """What of this account lives in files of one machine, and the setting that moves it."""
    found = []
    state = _value(account.state_url, env) or default_state_url()
    if _backend(state)[0] == "sqlite":
        found.append(("a SQLite state store (rate budget, OAuth tokens)", "ZENDESK_STATE_URL"))
    backend, database = _backend(normalise_url(_value(account.warehouse_url, env)))
    if backend == "duckdb" and not database.startswith("md:"):
        found.append(("a DuckDB file warehouse", "WAREHOUSE_URL"))
    return found


def refuse_local_stores(accounts: Sequence[AccountConfig], env: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError, one line per account, when runs may execute elsewhere but a store is local."""
    env = os.environ if env is None else env
    reason = distributed(env)
    if reason is None:
        return
    problems = []
    for account in accounts:
        found = local_stores(account, env)
        if found:
            stores = " and ".join(store for store, _ in found)
            settings = " and ".join(setting for _, setting in found)
            problems.append(
                f"{account.name}: runs may execute on other machines or containers ({reason}), which cannot "
                f"share {stores}; set {settings} to PostgreSQL URLs that every run can reach "
                f"(or {DISTRIBUTED_RUNS}=0 if every run executes on this machine)"
            )
    if problems:
        raise ConfigError("\n".join(problems))
