"""`zendesk-assets`: the command line of the sync (check, sync, status, checks).

Every command validates before it acts, prints one line per root cause, and exits with a
documented code (see ``common.py`` and README "When something goes wrong"). No command ever
shows a Python traceback: an unexpected error becomes one line, and its traceback goes to a
file in DAGSTER_HOME for a bug report (``--verbose`` prints it).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from zendesk_assets.cli import check as check_command
from zendesk_assets.cli import sync as sync_command
from zendesk_assets.cli.common import CONFIG, FAILED, INTERRUPTED, PROG, quiet_libraries, say
from zendesk_assets.config import ConfigError
from zendesk_assets.private import private_dir, private_file


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Zendesk Support -> warehouse sync (a Dagster code location).")
    sub = p.add_subparsers(dest="command", required=True, metavar="{check,sync,status,checks}")
    check_command.add_parser(sub)
    sync_command.add_parser(sub)
    from zendesk_assets.cli import checks as checks_command
    from zendesk_assets.cli import status as status_command

    status_command.add_parser(sub)
    checks_command.add_parser(sub)
    return p


def _crash_report(exc: BaseException) -> str:
    """Keep the traceback for a bug report; say where it is."""
    import os

    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home")
    path = home / "zendesk_assets_crash.log"
    try:
        private_file(private_dir(home) / path.name)  # a traceback may quote customer data
        with path.open("a") as fh:
            fh.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n")
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "(the traceback could not be saved)"
    return f"(traceback saved in {path})"


def run(argv: Sequence[str] | None = None) -> int:
    """Parse and dispatch; every failure becomes lines and an exit code, never a traceback."""
    args = parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    quiet_libraries(verbose)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        say(str(exc))
        return CONFIG
    except KeyboardInterrupt:
        say("interrupted; nothing was left half-written")
        return INTERRUPTED
    except Exception as exc:
        if verbose:
            traceback.print_exc()
        say(f"unexpected error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            f"{_crash_report(exc)}; this is a bug, please report it")
        return FAILED


def sync(argv: Sequence[str] | None = None) -> int:
    """`zendesk-assets sync ...` for callers in Python (tests); ``argv`` starts with "sync"."""
    return run(argv)


def _unraisable(hook: sys.UnraisableHookArgs) -> None:
    """Errors Python cannot raise (in a finaliser or a weak-reference callback) go to the crash log.
    A Ctrl-C that lands inside one is the interrupt the command already handles: dropped silently."""
    if hook.exc_type is not None and issubclass(hook.exc_type, KeyboardInterrupt):
        return
    if hook.exc_value is not None:
        _crash_report(hook.exc_value)


def main(argv: Sequence[str] | None = None) -> None:
    sys.unraisablehook = _unraisable  # never a traceback on the terminal, not even one Python would ignore
    try:
        code = run(argv)
    except KeyboardInterrupt:  # a second Ctrl-C while reporting
        code = INTERRUPTED
    sys.exit(code)
