"""`zendesk-assets checks`: run only the asset checks (no sync), for CI.

The checks of the selected accounts and tables run as one Dagster run per account (recorded in
the instance, so the UI shows them), a table of results is printed, `--junit PATH` writes one
testcase per check for any CI, and the exit code is 1 when an ERROR-severity check fails
(`--strict`: a WARN one too).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import dagster as dg

from zendesk_assets.cli.common import FAILED, OK, account_option, ensure_instance_home, say, select
from zendesk_assets.cli.eventlog import reused_engines
from zendesk_assets.cli.preflight import Broken, check_warehouse
from zendesk_assets.cli.runs import Interrupts, execute
from zendesk_assets.collections import COLLECTIONS
from zendesk_assets.config import ConfigError, did_you_mean, load_accounts
from zendesk_assets.warehouse.dialects import kept_connections


@dataclass(frozen=True)
class Result:
    account: str
    table: str
    check: str
    severity: str  # ERROR | WARN
    outcome: str  # passed | failed | not run
    details: str
    metadata: dict[str, Any]

    def fails(self, strict: bool) -> bool:
        return self.outcome != "passed" and (self.severity == "ERROR" or strict)


def _tables(names: Sequence[str] | None) -> list[str]:
    if not names:
        return list(COLLECTIONS)
    unknown = [n for n in names if n not in COLLECTIONS]
    if unknown:
        raise ConfigError(
            "; ".join(f"--table {n}: no such table{did_you_mean(n, list(COLLECTIONS))}" for n in unknown)
        )
    return list(names)


def _details(metadata: dict[str, Any]) -> str:
    shown = [f"{k}={v}" for k, v in metadata.items() if k not in ("stored_windows",)][:4]
    return ", ".join(shown)


def run(args: argparse.Namespace) -> int:
    from zendesk_assets.checks import check_key, table_checks
    from zendesk_assets.definitions import build_definitions
    from zendesk_assets.schedules import job_name

    accounts = select(load_accounts(), args.account)
    tables = _tables(args.table)
    home = ensure_instance_home()
    for account in accounts:
        try:
            check_warehouse(account)
        except Broken as broken:
            say(broken.detail)
            return broken.code
    defs = build_definitions(accounts)
    results: list[Result] = []
    failures: list[str] = []
    interrupts = Interrupts()
    with interrupts.installed(), dg.DagsterInstance.get() as instance, reused_engines(instance), kept_connections():
        for account in accounts:
            specs = [(t, c) for t in tables if account.enabled(t) for c in table_checks(t)]
            keys = {check_key(account, c) for _, c in specs}
            job = defs.resolve_job_def(job_name(account)).get_subset(asset_check_selection=keys)
            outcome = execute(job, instance, account=account.name, part="checks", asset_selection=None,
                              tags={"zendesk/account": account.name, "zendesk/part": "checks"}, verbose=args.verbose)
            failures += outcome.failures
            found = {(e.asset_key.path[-1], e.check_name): e for e in outcome.checks}
            for table, check in specs:
                evaluation = found.get((table, check.name))
                meta = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()} if evaluation else {}
                results.append(Result(
                    account.name, table, check.name, check.severity.value,
                    "not run" if evaluation is None else ("passed" if evaluation.passed else "failed"),
                    _details(meta) if evaluation else "the check did not run (see the failure above)", meta,
                ))
            if interrupts.poll() is not None:
                break
    if args.junit:
        write_junit(Path(args.junit), results, args.strict)
    if args.json:
        print(json.dumps([r.__dict__ for r in results], indent=2, default=str))
    else:
        print_table(results)
    sys.stdout.flush()
    for line in failures:
        say(line)
    if interrupts.signal is not None:
        return interrupts.exit_code
    failing = [r for r in results if r.fails(args.strict)]
    warned = [r for r in results if r.outcome != "passed" and not r.fails(args.strict)]
    print(f"\n{len(results) - len(failing) - len(warned)} passed, {len(failing)} failed"
          + (f", {len(warned)} warned (WARN; --strict fails on them)" if warned else "")
          + (f"; JUnit XML: {args.junit}" if args.junit else "") + f"; Dagster instance: {home}",
          file=sys.stdout)
    return FAILED if failing else OK


def print_table(results: Sequence[Result]) -> None:
    head = f"{'account':<12} {'table':<26} {'check':<22} {'severity':<8} {'result':<8} details"
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r.account:<12} {r.table:<26} {r.check:<22} {r.severity:<8} {r.outcome.upper():<8} {r.details[:120]}")


def write_junit(path: Path, results: Sequence[Result], strict: bool) -> None:
    """One testsuite per account, one testcase per check; a WARN failure is a failure only with --strict."""
    root = ET.Element("testsuites", name="zendesk_assets asset checks")
    for account in dict.fromkeys(r.account for r in results):
        mine = [r for r in results if r.account == account]
        suite = ET.SubElement(root, "testsuite", name=f"{account} asset checks", tests=str(len(mine)),
                              failures=str(sum(r.outcome == "failed" and r.fails(strict) for r in mine)),
                              errors=str(sum(r.outcome == "not run" for r in mine)), skipped="0")
        for r in mine:
            case = ET.SubElement(suite, "testcase", classname=f"{account}.{r.table}", name=r.check)
            ET.SubElement(ET.SubElement(case, "properties"), "property", name="severity", value=r.severity)
            text = "\n".join(f"{k}: {v}" for k, v in r.metadata.items())
            if r.outcome == "not run":
                ET.SubElement(case, "error", message=r.details)
            elif r.outcome == "failed" and r.fails(strict):
                ET.SubElement(case, "failure", message=f"{r.table} {r.check} [{r.severity}]: {r.details}",
                              type=r.severity).text = text
            elif r.outcome == "failed":
                ET.SubElement(case, "system-out").text = f"WARN check failed (not fatal without --strict):\n{text}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        raise ConfigError(f"--junit {path}: cannot write the report ({exc.strerror})") from None


def add_parser(sub: Any) -> None:
    p = sub.add_parser("checks", help="run only the asset checks (no sync); JUnit XML for CI")
    account_option(p)
    p.add_argument("--table", action="append", metavar="TABLE", help="only this table's checks (repeatable)")
    p.add_argument("--junit", metavar="PATH", help="write a JUnit XML report (one testcase per check)")
    p.add_argument("--strict", action="store_true", help="also fail (exit 1) on WARN checks")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument("--verbose", action="store_true", help="echo Dagster's event log")
    p.set_defaults(handler=run)
