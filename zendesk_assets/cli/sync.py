"""`zendesk-assets sync`: check every account, then run now exactly what the schedule would run.

Nothing is launched until every selected account passes its preflight (configuration, Zendesk,
credentials, admin role, warehouse, state store); the first broken account stops the command
with one line per cause. Then each account's runs go to the Dagster instance (the UI shows them),
one after the other; a failed sweep or run never stops the others. At the end: a table of what
landed, the failed checks, one line per failure, and an exit code (README lists them).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from zendesk_assets.cli.common import (
    CONFIG,
    FAILED,
    OK,
    PROG,
    account_option,
    ensure_instance_home,
    say,
    select,
)
from zendesk_assets.cli.eventlog import reused_engines
from zendesk_assets.cli.preflight import account_items
from zendesk_assets.cli.runs import Interrupts, RunOutcome, execute
from zendesk_assets.cli.view import RunView
from zendesk_assets.collections import COLLECTIONS
from zendesk_assets.config import AccountConfig, load_accounts
from zendesk_assets.warehouse.dialects import kept_connections
from zendesk_assets.zendesk.preflight import CHECKED_TAG


def preflight(accounts: Sequence[AccountConfig]) -> int:
    """Stop at the first broken account: its causes, one line each, and the exit code they mean."""
    for account in accounts:
        for item in account_items(account, reuse_plan=True):
            if item.status == "warn":
                say(f"warning: {item.account}: {item.detail}")
            elif item.failed:
                say(item.detail)
                say("nothing was synced; `zendesk-assets check` shows every item of every account")
                return item.code
    return OK


def sweeps_of(selection: Sequence[dg.AssetKey]) -> list[str]:
    return list(dict.fromkeys(COLLECTIONS[key.path[-1]].sweep for key in selection))


def estimates(instance: dg.DagsterInstance, job: str, part: str, account: str) -> dict[str, float]:
    """Seconds each sweep took in the last successful run of this part (for the overall ETA)."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=job, statuses=[dg.DagsterRunStatus.SUCCESS], tags={"zendesk/part": part}),
        limit=1,
    )
    if not runs:
        return {}
    found: dict[str, float] = {}
    for stats in instance.get_run_step_stats(runs[0].run_id):
        if stats.start_time and stats.end_time and not stats.step_key.endswith("__checks"):
            found[stats.step_key.removeprefix(f"{account}__")] = stats.end_time - stats.start_time
    return found


def describe_check(evaluation: dg.AssetCheckEvaluation) -> str:
    """One line per failed check: which, how severe, and the metadata that says why."""
    details = ", ".join(
        f"{k}={getattr(v, 'value', v)}" for k, v in list(evaluation.metadata.items())[:4] if k != "stored_windows"
    )
    return f"{evaluation.asset_key.to_user_string()} {evaluation.check_name} [{evaluation.severity.value}]: {details}"


def summary_table(tables: Mapping[str, Mapping[str, Any]], failed: Sequence[str] = ()) -> str:
    head = f"{'table':<40} {'rows in warehouse':>17} {'inserted':>9} {'updated':>9} {'pages':>6}"
    lines = [head, "-" * len(head)]
    rows = {**{t: {} for t in failed}, **tables}
    for table, meta in sorted(rows.items()):
        if not meta:
            lines.append(f"{table:<40} {'NOT SYNCED (see the failures below)':>44}")
            continue
        lines.append(
            f"{table:<40} {meta.get('dagster/row_count', '?'):>17} {meta.get('rows_inserted', '-'):>9} "
            f"{meta.get('rows_updated', '-'):>9} {meta.get('pages', '-'):>6}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from zendesk_assets.definitions import build_definitions
    from zendesk_assets.schedules import job_name, run_requests

    accounts = select(load_accounts(), args.account)
    if args.patience is not None:
        accounts = [a.model_copy(update={"patience_seconds": args.patience}) for a in accounts]
    home = ensure_instance_home()
    code = preflight(accounts)
    if code != OK:
        return code
    defs = build_definitions(accounts)
    now = datetime.now(UTC)
    outcomes: list[RunOutcome] = []
    live = sys.stderr.isatty() and not args.verbose and not args.quiet
    interrupts = Interrupts()
    with (
        interrupts.installed(),
        dg.DagsterInstance.get() as instance,
        reused_engines(instance),
        kept_connections(),  # the steps run one after another here: one warehouse connection serves them
    ):
        for account in accounts:
            job = defs.resolve_job_def(job_name(account))
            for request in run_requests(account, now, since=args.since):
                part = str(request.tags.get("zendesk/part"))
                selection = list(request.asset_selection or [])
                shown = live and not args.json
                # the overall ETA is shown by the live table only; the plain lines need no estimates
                # (reading the last run's step stats costs a few tenths of a CPU-second)
                known = estimates(instance, job.name, part, account.name) if shown else {}
                view = RunView(account.name, part, sweeps_of(selection), known, live=shown)
                tags = {**{k: str(v) for k, v in request.tags.items()}, CHECKED_TAG: "cli"}
                try:
                    with view:
                        outcome = execute(
                            job, instance, account=account.name, part=part, asset_selection=selection,
                            tags=tags, verbose=args.verbose,
                        )
                except KeyboardInterrupt:
                    interrupts.signal = interrupts.poll() or interrupts.signal or signal.SIGINT
                    outcome = RunOutcome(account.name, part, failures=[f"{account.name}: the {part} run was interrupted"])
                outcomes.append(outcome)
                if interrupts.poll() is not None:
                    break
            if interrupts.signal is not None:
                break
    return report(outcomes, home, args, interrupted=interrupts.exit_code if interrupts.signal else None)


def report(outcomes: Sequence[RunOutcome], home: Any, args: argparse.Namespace, interrupted: int | None) -> int:
    tables: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        tables.update(outcome.tables)
    not_synced = sorted({t for o in outcomes for t in o.selected} - set(tables))
    evaluations = [e for o in outcomes for e in o.checks]
    failed_checks = [e for e in evaluations if not e.passed]
    error_checks = [e for e in failed_checks if e.severity == dg.AssetCheckSeverity.ERROR]
    failures = [line for o in outcomes for line in o.failures]
    code = interrupted if interrupted is not None else (FAILED if failures or error_checks else OK)
    if args.json:
        print(json.dumps({
            "status": "interrupted" if interrupted else ("failed" if code else "ok"),
            "exit_code": code,
            "runs": [{"account": o.account, "part": o.part, "run_id": o.run_id, "success": o.success,
                      "failures": o.failures} for o in outcomes],
            "tables": {t: {k: v for k, v in m.items() if isinstance(v, int | float | str)} for t, m in tables.items()},
            "not_synced": not_synced,
            "checks": {"run": len(evaluations), "failed": [
                {"asset": e.asset_key.to_user_string(), "check": e.check_name, "severity": e.severity.value}
                for e in failed_checks]},
            "dagster_home": str(home),
        }, indent=2, default=str))
    else:
        print(summary_table(tables, not_synced))
        print(f"\nAsset checks: {len(evaluations) - len(failed_checks)} of {len(evaluations)} passed")
        for evaluation in failed_checks:
            print(f"  FAILED {describe_check(evaluation)}")
        print(f"\nDagster instance: {home} (runs are visible in `make dev` / `dagster dev -w workspace.yaml`)")
    sys.stdout.flush()
    for line in failures:
        say(line)
    if interrupted is not None:
        say("interrupted: the current run is marked failed in the Dagster instance; every committed page is kept "
            "and the next sync resumes from there")
    elif code != OK:
        say(f"sync FAILED: {len(failures)} failure(s), {len(error_checks)} ERROR check(s); everything that could "
            "run did, nothing committed is lost; fix the cause and rerun to resume")
    return code


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


def add_parser(sub: Any) -> None:
    from datetime import date

    p = sub.add_parser("sync", help="check, then bring every enabled table up to date now (what the schedule runs)")
    p.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="widen the partitioned history back to this date (a headless backfill)")
    account_option(p)
    p.add_argument("--patience", type=_seconds, metavar="SECONDS",
                   help="how long Zendesk may keep failing before a run gives up (default ZENDESK_PATIENCE_SECONDS or 60)")
    p.add_argument("--verbose", action="store_true", help="echo Dagster's event log instead of the progress view")
    p.add_argument("--quiet", action="store_true", help="no live view: plain progress lines only")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout at the end")
    p.set_defaults(handler=run)


__all__ = ["CONFIG", "PROG", "add_parser", "run"]
