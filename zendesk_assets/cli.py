"""`zendesk-assets sync`: run now exactly what the schedule would run, on the Dagster instance.

The runs are recorded in the configured Dagster instance (``DAGSTER_HOME``), so they appear in
the UI next to scheduled ones. ``--since YYYY-MM-DD`` widens the partitioned window back to that
date: a headless backfill by partition range. Exit status is non-zero when any run fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from zendesk_assets.config import ConfigError, load_accounts

DEFAULT_INSTANCE_YAML = "telemetry:\n  enabled: false\n"


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="zendesk-assets", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync", help="bring every enabled table up to date now (what the schedule runs)")
    sync.add_argument(
        "--since", type=date.fromisoformat, help="widen the partitioned history back to this date"
    )
    sync.add_argument("--account", action="append", help="only this account (repeatable); default all")
    sync.add_argument("--quiet", action="store_true", help="only the summary, not Dagster's event log")
    return parser.parse_args(argv)


def ensure_instance_home() -> Path:
    """Runs must land in a persistent instance so the UI shows them; default ./.dagster_home."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DEFAULT_INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """The last materialization's metadata per table (a ranged run records one per partition)."""
    found: dict[str, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        found[mat.asset_key.to_user_string()] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return found


def _describe(evaluation: Any) -> str:
    """One line per failed check: which, how severe, and the metadata that says why."""
    details = ", ".join(
        f"{k}={getattr(v, 'value', v)}" for k, v in list(evaluation.metadata.items())[:4] if k != "stored_windows"
    )
    return f"{evaluation.asset_key.to_user_string()} {evaluation.check_name} [{evaluation.severity.value}]: {details}"


def _summary(rows: dict[str, dict[str, Any]]) -> str:
    head = f"{'table':<40} {'rows in warehouse':>17} {'inserted':>9} {'updated':>9} {'pages':>6}"
    lines = [head, "-" * len(head)]
    for table, meta in sorted(rows.items()):
        lines.append(
            f"{table:<40} {meta.get('dagster/row_count', '?'):>17} {meta.get('rows_inserted', '-'):>9} "
            f"{meta.get('rows_updated', '-'):>9} {meta.get('pages', '-'):>6}"
        )
    return "\n".join(lines)


def sync(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    home = ensure_instance_home()
    # Imported late: loading the definitions reads the configuration from the environment.
    from zendesk_assets.definitions import build_definitions
    from zendesk_assets.schedules import job_name, run_requests

    try:
        accounts = load_accounts()
    except ConfigError as exc:
        print(f"zendesk-assets: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.account:
        accounts = [a for a in accounts if a.name in set(args.account)]
        if not accounts:
            print(f"zendesk-assets: no configured account named {', '.join(args.account)}", file=sys.stderr)
            return 2
    # --quiet keeps warnings, errors and the sweeps' progress lines (INFO), not Dagster's event log (DEBUG).
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO" if args.quiet else "DEBUG"}}}}
    defs = build_definitions(accounts)
    now = datetime.now(UTC)
    ok = True
    results: dict[str, dict[str, Any]] = {}
    checks_run = 0
    failed_checks: list[str] = []
    with dg.DagsterInstance.get() as instance:
        for account in accounts:
            job = defs.resolve_job_def(job_name(account))
            for request in run_requests(account, now, since=args.since):
                print(
                    f"zendesk-assets: {account.name}: running {request.tags.get('zendesk/part')} "
                    f"({len(request.asset_selection or [])} tables)",
                    file=sys.stderr,
                )
                result = job.execute_in_process(
                    run_config=run_config,
                    instance=instance,
                    tags={k: str(v) for k, v in request.tags.items()},
                    asset_selection=request.asset_selection,
                    raise_on_error=False,
                )
                results.update(_materializations(result))
                for evaluation in result.get_asset_check_evaluations():
                    checks_run += 1
                    if not evaluation.passed:
                        failed_checks.append(_describe(evaluation))
                        ok = ok and evaluation.severity != dg.AssetCheckSeverity.ERROR
                if not result.success:
                    ok = False
                    for event in result.all_events:
                        if event.is_failure and event.step_failure_data is not None:
                            error = event.step_failure_data.error
                            message = error.message.strip() if error else "unknown error"
                            print(
                                f"zendesk-assets: {account.name}: {event.step_key} failed: {message}",
                                file=sys.stderr,
                            )
    print(_summary(results))
    print(f"\nAsset checks: {checks_run - len(failed_checks)} of {checks_run} passed")
    for line in failed_checks:
        print(f"  FAILED {line}")
    print(f"\nDagster instance: {home} (runs are visible in `make dev` / `dagster dev -w workspace.yaml`)")
    if not ok:
        print(
            "zendesk-assets: sync FAILED (see the errors above); nothing committed is lost, rerun to resume",
            file=sys.stderr,
        )
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> None:
    sys.exit(sync(argv))


if __name__ == "__main__":
    main()
