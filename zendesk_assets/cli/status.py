"""`zendesk-assets status`: per account and table, what is stored and how current it is.

Rows in the warehouse; the last successful sync (the table's latest materialization in the Dagster
instance, else its sweep's last committed checkpoint) and its age against the three-hour schedule;
for the partitioned tables, which months of history are stored and which are gaps; and the last
error, when a run failed after the last success. Read-only: nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg

from zendesk_assets.batches import Checkpoint
from zendesk_assets.cli.common import OK, account_option, ago, ensure_instance_home, select
from zendesk_assets.cli.preflight import resolve_setting
from zendesk_assets.cli.runs import root_cause
from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.config import AccountConfig, load_accounts
from zendesk_assets.warehouse.naming import mask_url
from zendesk_assets.warehouse.warehouse import Warehouse
from zendesk_assets.windows import Window, subtract

SCHEDULE_HOURS = 3
LATE_AFTER_SECONDS = 4 * 3600  # the freshness check's limit: the period plus a margin


@dataclass
class TableStatus:
    table: str
    rows: int | None
    last_sync: str | None
    age: str
    on_time: bool | None
    history: str
    last_error: str


def _months(start: date, end: date) -> list[date]:
    out, month = [], start.replace(day=1)
    while month <= end:
        out.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def _ranges(months: Sequence[date]) -> str:
    """``2024-01..2024-06, 2025-02`` from a sorted list of months."""
    if not months:
        return "none"
    parts: list[str] = []
    first = prev = months[0]
    for month in [*months[1:], None]:
        nxt = None if prev is None else date(prev.year + prev.month // 12, prev.month % 12 + 1, 1)
        if month is not None and month == nxt:
            prev = month
            continue
        parts.append(first.strftime("%Y-%m") if first == prev else f"{first:%Y-%m}..{prev:%Y-%m}")
        if month is not None:
            first = prev = month
    return ", ".join(parts)


def history(account: AccountConfig, windows: Sequence[Checkpoint], now: datetime) -> str:
    """Stored months (a month counts when its whole span is inside the stored windows) and the gaps."""
    from zendesk_assets.checks import covered

    spans = covered(windows)
    months = _months(account.start_date, now.date())
    stored: list[date] = []
    gaps: list[date] = []
    for month in months:
        start = int(datetime(month.year, month.month, 1, tzinfo=UTC).timestamp())
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        end = int(min(datetime(nxt.year, nxt.month, 1, tzinfo=UTC).timestamp(), now.timestamp() - 3600))
        (gaps if subtract([Window(start, max(end, start + 1))], spans) else stored).append(month)
    text = f"stored {_ranges(stored)} ({len(stored)} of {len(months)} months)"
    return text + (f"; gaps {_ranges(gaps)}" if gaps else "")


def _read_state(wh: Warehouse, account: AccountConfig) -> tuple[dict[str, int], dict[str, list[Checkpoint]]]:
    from zendesk_assets.sweeps import state_key, written_tables

    rows: dict[str, int] = {}
    windows: dict[str, list[Checkpoint]] = {}
    with wh.read() as reader:
        for table in COLLECTIONS:
            if reader.exists(table):
                rows[table] = reader.row_count(table)
            sweep = SWEEPS[COLLECTIONS[table].sweep]
            key = state_key(sweep, written_tables(sweep, account.enabled, (table,)), account.narrowed(sweep))
            windows[table] = reader.checkpoints(key)
    return rows, windows


def last_errors(instance: dg.DagsterInstance, account: AccountConfig) -> dict[str, tuple[float, str]]:
    """The newest step failure per sweep among the account's recent failed runs: (when, why)."""
    from zendesk_assets.schedules import job_name

    found: dict[str, tuple[float, str]] = {}
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=job_name(account), statuses=[dg.DagsterRunStatus.FAILURE]), limit=5
    )
    for record in records:  # newest first
        for event in instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
            dagster_event = event.dagster_event
            if dagster_event is None or dagster_event.step_key is None:
                continue
            sweep = dagster_event.step_key.removeprefix(f"{account.name}__")
            if sweep not in found:
                data = dagster_event.step_failure_data
                found[sweep] = (event.timestamp, root_cause(data.error if data else None)[1])
    return found


def _error_since(error: tuple[float, str] | None, success: float | None) -> str:
    """The sweep's last error, if it came after its last success."""
    if error is None or (success is not None and error[0] < success):
        return "-"
    return f"{datetime.fromtimestamp(error[0], UTC).strftime('%Y-%m-%d %H:%M UTC')}: {error[1]}"


def account_status(account: AccountConfig, instance: dg.DagsterInstance) -> tuple[str, list[TableStatus] | str]:
    from zendesk_assets.translator import asset_key

    raw, _label = resolve_setting(account.warehouse_url, "warehouse_url")
    wh = Warehouse(raw, account.schema_name)
    wh.dialect.retry_seconds = 5.0  # a sync holding the DuckDB file: say so instead of waiting
    where = f"{mask_url(wh.dialect.url)}, schema {account.schema_name}"
    missing = wh.dialect.missing()
    if missing:
        return where, f"nothing synced yet ({missing}): run `zendesk-assets sync`"
    try:
        rows, windows = _read_state(wh, account)
    except Exception as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        return where, f"the warehouse cannot be read: {reason}"
    now = datetime.now(UTC)
    errors = last_errors(instance, account)
    out: list[TableStatus] = []
    for table, coll in COLLECTIONS.items():
        if not account.enabled(table) and table not in rows:
            continue
        event = instance.get_latest_materialization_event(asset_key(account, table))
        stamp = event.timestamp if event is not None else None
        if stamp is None:
            updated = [cp.committed_at for cp in windows.get(table, []) if cp.committed_at is not None]
            if updated:
                last = max(updated)
                stamp = (last.replace(tzinfo=UTC) if last.tzinfo is None else last).timestamp()
        age = time.time() - stamp if stamp is not None else None
        partitioned = SWEEPS[coll.sweep].partitioned
        out.append(TableStatus(
            table=table,
            rows=rows.get(table),
            last_sync=datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp else None,
            age="never" if age is None else f"{ago(age)} ago",
            on_time=None if age is None else age <= LATE_AFTER_SECONDS,
            history=history(account, windows.get(table, []), now) if partitioned else "-",
            last_error=_error_since(errors.get(coll.sweep), stamp),
        ))
    return where, out


def run(args: argparse.Namespace) -> int:
    accounts = select(load_accounts(), args.account)
    home = ensure_instance_home()
    report: list[dict[str, Any]] = []
    with dg.DagsterInstance.get() as instance:
        for account in accounts:
            where, tables = account_status(account, instance)
            report.append({"account": account.name, "warehouse": where,
                           "tables": [asdict(t) for t in tables] if isinstance(tables, list) else tables})
            if args.json:
                continue
            print(f"{account.name} ({where}; schedule every {SCHEDULE_HOURS} h)")
            if isinstance(tables, str):
                print(f"  {tables}\n")
                continue
            head = f"  {'table':<26} {'rows':>9}  {'last sync':<20} {'age':<22} history / last error"
            print(head)
            for t in tables:
                mark = "" if t.on_time is None else (" on time" if t.on_time else " LATE")
                rows = "-" if t.rows is None else f"{t.rows:,}"
                print(f"  {t.table:<26} {rows:>9}  {t.last_sync or 'never':<20} {(t.age + mark):<22} {t.history}")
                if t.last_error != "-":
                    print(f"  {'':<26} {'':>9}  last error {t.last_error}")
            if any("gaps" in t.history for t in tables):
                print(f"  history gaps are months not synced yet: `zendesk-assets sync --since "
                      f"{account.start_date.isoformat()}` (or a partition backfill in the UI) fills them")
            print()
    if args.json:
        print(json.dumps({"dagster_home": str(home), "accounts": report}, indent=2, default=str))
    return OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("status", help="per account and table: rows, last sync and its age, history, last error")
    account_option(p, json_output="the status")
    p.set_defaults(handler=run)
