"""What every command shares: exit codes, one-line messages, the Dagster instance, account choice."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zendesk_assets.config import AccountConfig, ConfigError
from zendesk_assets.deployment import refuse_local_stores
from zendesk_assets.private import private_dir

# Documented in README ("When something goes wrong"); an interface for CI and cron wrappers.
OK = 0
FAILED = 1  # a sync run or an ERROR-severity check failed (a WARN one too with `checks --strict`)
CONFIG = 2  # configuration, credentials, permissions, warehouse or state store unusable
UNREACHABLE = 3  # Zendesk did not answer (network, DNS, outage) within the patience budget
INTERRUPTED = 130  # Ctrl-C
TERMINATED = 143  # SIGTERM

DEFAULT_INSTANCE_YAML = "telemetry:\n  enabled: false\n"
PROG = "zendesk-assets"


def say(message: str) -> None:
    """One line (per line of ``message``) on stderr, prefixed so it stands out in CI logs."""
    for line in message.splitlines() or [""]:
        print(f"{PROG}: {line}", file=sys.stderr, flush=True)


def ensure_instance_home() -> Path:
    """Runs must land in a persistent instance so the UI shows them; default ./.dagster_home."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home").resolve()
    try:
        private_dir(home)  # run storage and compute logs hold customer data
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text(DEFAULT_INSTANCE_YAML)
    except OSError as exc:
        raise ConfigError(
            f"DAGSTER_HOME {home} cannot be used ({exc.strerror}); point DAGSTER_HOME at a writable directory"
        ) from None
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def account_option(parser: Any, json_output: str | None = None) -> None:
    """``--account NAME`` (repeatable), which every command takes, and ``--json`` printing ``json_output``."""
    parser.add_argument("--account", action="append", metavar="NAME", help="only this account (repeatable)")
    if json_output:
        parser.add_argument("--json", action="store_true", help=f"print {json_output} as JSON")


def select(accounts: Sequence[AccountConfig], names: Sequence[str] | None) -> list[AccountConfig]:
    """The accounts named with ``--account`` (all when none are named); stores that runs on other
    machines could not share are refused here, before any command acts (deployment.py)."""
    refuse_local_stores(accounts)
    if not names:
        return list(accounts)
    known = {a.name for a in accounts}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"no configured account named {', '.join(unknown)}; configured: {', '.join(sorted(known))}"
        )
    return [a for a in accounts if a.name in set(names)]


def quiet_libraries(verbose: bool) -> None:
    """Keep Python warnings and library loggers off the terminal unless asked (``--verbose``)."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        return
    warnings.simplefilter("ignore")
    for name in ("zendesk_assets", "dagster", "alembic", "sqlalchemy", "httpx"):
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def ago(seconds: float) -> str:
    """``2 h 10 min``: an age people read at a glance."""
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days"
