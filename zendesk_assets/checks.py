"""Asset checks, generated from the registry: every table checks its own output on every run.

Users otherwise find missing ticket_metrics or doubled comments months later. Each table gets:

* ``primary_key`` (ERROR): the primary key is unique and never null. DuckDB and PostgreSQL
  enforce it, but Snowflake, BigQuery and Redshift accept the constraint without enforcing it;
* ``fk_<column>`` (WARN), one per ``Reference``: no present row points at a missing parent;
* ``freshness`` (WARN): the table's sweep last committed within ``FRESHNESS_LIMIT``. This is
  read from ``_sync_state.updated_at``, which every committed page writes. Every asset also has a
  ``dg.FreshnessPolicy`` with the same warn window (``translator.py``), which the UI tracks; the
  check stays so that CI and ``zendesk-assets sync`` report it too;
* ``count_parity`` (WARN), for tables with a ``count_endpoint``: the stored row count matches
  Zendesk's count, within ``count_tolerance``;
* ``partition_coverage`` (ERROR), for partitioned sweeps: every partition that Dagster records as
  materialized lies inside the change-time windows stored in ``_sync_state``.

One ``multi_asset_check`` per sweep per account (mirroring the one multi-asset per sweep) keeps a
run at one extra step per sweep. It can be subset, so a run that selects some tables checks only
those. Every check is a SQL aggregate; no table is loaded into Python.
"""

import contextlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import dagster as dg

from zendesk_assets.assets import ResourceKeys
from zendesk_assets.batches import Checkpoint
from zendesk_assets.collections import COLLECTIONS, DAY, SWEEPS, Archive, Reference, Sweep
from zendesk_assets.config import AccountConfig
from zendesk_assets.partitions import monthly_partitions, partition_window
from zendesk_assets.sweeps import state_key, written_tables
from zendesk_assets.translator import WARN_AFTER, AccountGraph, asset_key
from zendesk_assets.warehouse.reading import Reader
from zendesk_assets.warehouse.tables import STATE_TABLE
from zendesk_assets.warehouse.warehouse import Warehouse
from zendesk_assets.windows import Window, merge, moment, subtract
from zendesk_assets.zendesk.client import ZendeskClient

SAMPLE_SIZE = 5
# The schedule runs every three hours; the margin allows for a long run or one queued behind a
# backfill (dagster.yaml allows four concurrent runs).
FRESHNESS_LIMIT = WARN_AFTER
# Count parity tolerance. The exports leave out the last minute of changes
# (https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api),
# so a record created just before the sync ended is counted by Zendesk but not stored yet: allow
# max(10 rows, 0.1 %). Zendesk refreshes counts above 100,000 only about once a day, so
# those get 2 %. Only rows created before the count's ``refreshed_at`` are compared.
COUNT_TOLERANCE_ROWS = 10
COUNT_TOLERANCE_FRACTION = 0.001
CACHED_COUNT_ABOVE = 100_000
CACHED_COUNT_FRACTION = 0.02
COUNT_MEMO_SECONDS = float(DAY)  # a passing count comparison stands this long while nothing changes
Verdict = tuple[bool, dict[str, Any]]


# --------------------------------------------------------------------------- what a check can reach


@dataclass
class Probe:
    """What a check run reaches: the account's warehouse, Zendesk (opened on first use), Dagster.

    All queries of one op share one read transaction: opening a connection costs ~100 ms on
    DuckDB, twenty times a typical check query.
    """

    graph: AccountGraph
    warehouse: Warehouse
    context: dg.AssetCheckExecutionContext
    open_client: Callable[[], ZendeskClient] | None = None
    _client: ZendeskClient | None = None
    _windows: dict[str, list[Checkpoint]] = field(default_factory=dict)
    _reader: Reader | None = None
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def account(self) -> AccountConfig:
        return self.graph.account

    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = self._stack.enter_context(self.warehouse.read())
        return self._reader

    def release(self) -> None:
        """End the transaction: after an error (PostgreSQL refuses queries in a failed one), and
        before calling Zendesk (a DuckDB file stays locked to other processes while it is open)."""
        with contextlib.suppress(Exception):
            self._stack.close()
        self._stack, self._reader = contextlib.ExitStack(), None

    def exists(self, table: str) -> bool:
        return self.reader().exists(table)

    def windows(self, sweep: str) -> list[Checkpoint]:
        """The sweep's stored windows, oldest first."""
        if sweep not in self._windows:
            self._windows[sweep] = self.reader().checkpoints(sweep)
        return self._windows[sweep]

    def client(self) -> ZendeskClient:
        if self._client is None:
            assert self.open_client is not None, "this check op has no Zendesk resource"
            self._client = self.open_client()
        return self._client

    def close(self) -> None:
        self._stack.close()
        if self._client is not None:
            self._client.close()


# --------------------------------------------------------------------------- stored windows


def covered(checkpoints: Sequence[Checkpoint]) -> list[Window]:
    """What the stored windows hold (see ``Checkpoint.stored``)."""
    return merge(cp.stored() for cp in checkpoints)


def windows_md(checkpoints: Sequence[Checkpoint]) -> dg.MetadataValue:
    lines = ["| window_start | window_end | stored up to | done |", "|---|---|---|---|"]
    for cp in checkpoints:
        stored = moment(cp.position) if cp.position else "-"
        lines.append(f"| {moment(cp.window_start)} | {moment(cp.window_end)} | {stored} | {cp.done} |")
    return dg.MetadataValue.md("\n".join(lines))


# --------------------------------------------------------------------------- the checks


def primary_key(probe: Probe, table: str) -> Verdict:
    keys = probe.reader().key_stats(table, COLLECTIONS[table].primary_key, SAMPLE_SIZE)
    meta: dict[str, Any] = {"rows": keys.rows, "null_keys": keys.null_keys, "duplicate_rows": keys.duplicate_rows}
    if keys.duplicate_rows:
        meta["sample_duplicate_ids"] = keys.sample
    return keys.null_keys == 0 and keys.duplicate_rows == 0, meta


def foreign_key(ref: Reference, probe: Probe, table: str) -> Verdict:
    if not probe.exists(ref.table):
        # A first sync writes the current tables before the history run creates tickets: nothing to compare yet.
        return True, {
            "skipped": f"{probe.warehouse.schema}.{ref.table} does not exist yet; checked once {ref.table} is synced"
        }
    orphans = probe.reader().orphans(table, ref, SAMPLE_SIZE)
    meta: dict[str, Any] = {
        "orphan_rows": orphans.rows,
        "orphan_ids": orphans.ids,
        "reference": f"{table}.{ref.column} -> {ref.table}.{ref.target}",
    }
    if orphans.rows:
        meta[f"sample_orphan_{ref.column}s"] = orphans.sample
    return orphans.rows == 0, meta


def stored_windows(probe: Probe, table: str) -> list[Checkpoint]:
    """The windows stored for the table set this account's sweep writes (see sweeps.state_key)."""
    sweep = SWEEPS[COLLECTIONS[table].sweep]
    tables = written_tables(sweep, probe.account.enabled, (table,))
    return probe.windows(state_key(sweep, tables, probe.account.narrowed(sweep)))


def freshness(probe: Probe, table: str, now: datetime | None = None) -> Verdict:
    sweep = COLLECTIONS[table].sweep
    stamps = [cp.committed_at for cp in stored_windows(probe, table) if cp.committed_at is not None]
    meta: dict[str, Any] = {"sweep": sweep, "limit_minutes": int(FRESHNESS_LIMIT.total_seconds() // 60)}
    if not stamps:
        if _unavailable(probe, table):
            # audit_logs on a plan without them (403): the sweep runs and stores nothing, by design.
            meta["skipped"] = f"{sweep} is not available on this Zendesk plan; nothing is synced"
            return True, meta
        meta["error"] = f"no committed sync of sweep {sweep} is recorded in {STATE_TABLE}"
        return False, meta
    last = max(stamps)
    last = last.replace(tzinfo=UTC) if last.tzinfo is None else last.astimezone(UTC)
    age = (now or datetime.now(UTC)) - last
    meta.update(last_sync=last.isoformat(), age_minutes=round(age.total_seconds() / 60, 1))
    return age <= FRESHNESS_LIMIT, meta


def _unavailable(probe: Probe, table: str) -> bool:
    """Whether the table's last materialization found its endpoint missing from the plan."""
    event = probe.context.instance.get_latest_materialization_event(probe.graph.key(table))
    materialization = event.asset_materialization if event else None
    flag = materialization.metadata.get("zendesk/sweep_unavailable") if materialization else None
    return bool(getattr(flag, "value", flag))


def count_tolerance(expected: int) -> int:
    fraction = CACHED_COUNT_FRACTION if expected > CACHED_COUNT_ABOVE else COUNT_TOLERANCE_FRACTION
    return max(COUNT_TOLERANCE_ROWS, math.ceil(expected * fraction))


def history_start(probe: Probe, sweep: Sweep) -> int:
    """Where the stored history must start for a total count to be comparable."""
    if not sweep.partitioned:
        return 0
    return int(monthly_partitions(probe.account).start.timestamp())


def count_parity(probe: Probe, table: str) -> Verdict:
    coll = COLLECTIONS[table]
    sweep = SWEEPS[coll.sweep]
    assert coll.count_endpoint is not None
    start = history_start(probe, sweep)
    missing = subtract([Window(start)], covered(stored_windows(probe, table)))
    if missing:
        # Tickets last changed before the stored windows are not in the warehouse, so a total
        # count cannot match; the partition_coverage check guards what was asked for.
        return True, {
            "skipped": "the stored windows do not cover the whole history; "
            "parity is checked only after a backfill from the first partition",
            "uncovered": [str(w) for w in missing],
        }
    # Archiving changes some accounts' counts with no change to the table: those are always asked.
    unchanged = probe.reader().live_rows(table, coll.deleted, None) if coll.archive is None else None
    probe.release()
    memo = f"count_parity:{probe.account.name}:{table}"
    remembered = _remembered_count(probe, memo, unchanged) if unchanged is not None else None
    if remembered is not None:
        return True, remembered
    body = probe.client().get_json(coll.count_endpoint)
    value = body.get("count")
    refreshed = None
    if isinstance(value, dict):  # {"count": {"value": 102, "refreshed_at": "..."}}
        refreshed, value = value.get("refreshed_at"), value.get("value")
    if not isinstance(value, int) or isinstance(value, bool):
        return False, {"error": f"{coll.count_endpoint} answered without a numeric count: {str(body)[:200]}"}
    if refreshed is None and value >= CACHED_COUNT_ABOVE:
        # Above 100,000 Zendesk recounts in the background: refreshed_at is null and the value
        # is capped at 100,000 until it finishes, so there is nothing to compare yet.
        return True, {
            "skipped": "Zendesk is recounting (refreshed_at null, value capped)",
            "zendesk_count": value,
        }
    # The count endpoints count live records only; deleted ones stay in our tables, marked as
    # Zendesk marks them in the exports (the collection's Tombstone). Rows that vanished from a
    # snapshot are not counted, nor rows created after Zendesk last counted.
    cutoff = _parse_time(refreshed) if "created_at" in coll.column_names else None
    stored = probe.reader().live_rows(table, coll.deleted, cutoff)
    tolerance = count_tolerance(value)
    facts = {
        "zendesk_count": value,
        "stored_count": stored,
        "difference": stored - value,
        "tolerance": tolerance,
        "count_refreshed_at": str(refreshed),
        "endpoint": coll.count_endpoint,
    }
    now = probe.client().clock.now()  # Zendesk's time (the count's Date header): archives age by its clock
    if coll.archive is None or now is None or abs(stored - value) <= tolerance:
        if abs(stored - value) <= tolerance and now is not None and unchanged is not None:
            _remember_count(probe, memo, unchanged, {**facts, "compared_at": f"{moment(now)} UTC"})
        return abs(stored - value) <= tolerance, facts
    # Zendesk's Count Tickets reference (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#count-tickets)
    # promises "an approximate count of tickets in the account" and says nothing of the archive;
    # archived tickets are left out of views and lists
    # (https://support.zendesk.com/hc/en-us/articles/4408887617050), and a live account's count was
    # observed to leave them out too, while other accounts include them. So the stored count is
    # compared both ways: with archived rows, and without them, where "archived" is uncertain
    # by a day either side of the archive age (Zendesk archives in the background).
    surely = _archived(probe, table, coll.archive, now - coll.archive.after - DAY)
    maybe = _archived(probe, table, coll.archive, now - coll.archive.after + DAY)
    without = stored - maybe - tolerance <= value <= stored - surely + tolerance
    return without, {
        **facts,
        "archived_stored": surely,
        "archived_stored_near_the_limit": maybe - surely,
        "compared": "without archived rows (Zendesk's count leaves them out)" if without else "either way",
        "difference": stored - surely - value if without else stored - value,
    }


def _remembered_count(probe: Probe, memo: str, live: int) -> dict[str, Any] | None:
    """The last passing comparison, when the table still holds exactly the live rows it held then.

    Zendesk's count moves only when records are created or deleted, and the sync brings both (new
    rows, tombstones) into the table; an unchanged live count means there is nothing new to compare
    (a short lag is inside the tolerance). The answer is kept a day, so the count is asked again
    daily, and at once after any change."""
    found = probe.client().store.get_flag(memo)
    if found is None:
        return None
    try:
        saved = json.loads(found)
    except ValueError:
        return None
    if not isinstance(saved, dict) or saved.get("live_rows") != live:
        return None
    facts = dict(saved.get("facts") or {})
    facts["reused"] = (
        f"compared with Zendesk at {facts.get('compared_at', '?')}; no row was added or removed since, so "
        "the count was not asked again (it is after any change, or after a day)"
    )
    return facts


def _remember_count(probe: Probe, memo: str, live: int, facts: dict[str, Any]) -> None:
    probe.client().store.put_flag(memo, json.dumps({"live_rows": live, "facts": facts}, default=str), COUNT_MEMO_SECONDS)


def _archived(probe: Probe, table: str, archive: Archive, before: int) -> int:
    return probe.reader().archived_rows(table, archive, datetime.fromtimestamp(before, UTC).replace(tzinfo=None))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None)


def partition_coverage(probe: Probe, table: str) -> Verdict:
    partitions = monthly_partitions(probe.account)
    keys = sorted(probe.context.instance.get_materialized_partitions(probe.graph.key(table)))
    windows = stored_windows(probe, table)
    have = covered(windows)
    needed = [partition_window(partitions, key) for key in keys]
    gaps = subtract(needed, have)
    uncovered = [k for k, window in zip(keys, needed, strict=True) if subtract([window], have)]
    meta: dict[str, Any] = {
        "materialized_partitions": len(keys),
        "first_partition": keys[0] if keys else "-",
        "last_partition": keys[-1] if keys else "-",
        "stored_windows": windows_md(windows),
        "uncovered_spans": [str(w) for w in gaps],
        "uncovered_partitions": uncovered,
    }
    if gaps:
        meta["what_to_do"] = (
            f"re-materialize partitions {uncovered[0]}..{uncovered[-1]} of {table} (a backfill): "
            "the sweep fills the missing windows"
        )
    return not gaps, meta


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class TableCheck:
    """One generated check: its spec and the function that decides it."""

    table: str
    name: str
    description: str
    severity: dg.AssetCheckSeverity
    evaluate: Callable[[Probe, str], Verdict]
    needs_zendesk: bool = False
    needs_state: bool = False
    parent: str | None = None  # the table a reference check looks rows up in


def table_checks(table: str) -> list[TableCheck]:
    coll = COLLECTIONS[table]
    sweep = SWEEPS[coll.sweep]
    error, warn = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
    checks = [
        TableCheck(table, "primary_key", f"{coll.primary_key} is unique and never null.", error, primary_key),
    ]
    for ref in coll.references:
        checks.append(
            TableCheck(
                table,
                f"fk_{ref.column}",
                f"Every {ref.column} names a stored {ref.table} row (orphans, with sample ids).",
                warn,
                partial(foreign_key, ref),
                parent=ref.table,
            )
        )
    limit = int(FRESHNESS_LIMIT.total_seconds() // 3600)
    checks.append(
        TableCheck(
            table,
            "freshness",
            f"The {sweep.name} sweep committed within the last {limit} hours (schedule period plus margin).",
            warn,
            freshness,
            needs_state=True,
        )
    )
    if coll.count_endpoint:
        checks.append(
            TableCheck(
                table,
                "count_parity",
                f"Stored live rows match Zendesk's {coll.count_endpoint} within max({COUNT_TOLERANCE_ROWS} rows, "
                f"{COUNT_TOLERANCE_FRACTION:.1%}); {CACHED_COUNT_FRACTION:.0%} above {CACHED_COUNT_ABOVE:,} "
                "(counted once a day by Zendesk).",
                warn,
                count_parity,
                needs_zendesk=True,
                needs_state=True,
            )
        )
    if sweep.partitioned:
        checks.append(
            TableCheck(
                table,
                "partition_coverage",
                "Every materialized partition lies inside the change-time windows stored in _sync_state.",
                error,
                partition_coverage,
                needs_state=True,
            )
        )
    return checks


def check_key(account: AccountConfig, check: TableCheck) -> dg.AssetCheckKey:
    """A check's key under the default translator (what the CLI, bound to it, selects)."""
    return dg.AssetCheckKey(asset_key(account, check.table), check.name)


CHECK_RECONNECTS = 3  # lost connections a check survives before it reports the error


def run_check(probe: Probe, check: TableCheck) -> dg.AssetCheckResult:
    """Decide one check; a table that is missing or an error fails the check, never the op."""
    where = f"{probe.warehouse.schema}.{check.table}"
    for attempt in range(1, CHECK_RECONNECTS + 2):
        try:
            if not probe.exists(check.table):
                passed, meta = False, {"error": f"{where} does not exist yet: materialize the asset first"}
            elif check.needs_state and not probe.exists(STATE_TABLE):
                passed, meta = False, {"error": f"{probe.warehouse.schema}.{STATE_TABLE} does not exist yet"}
            else:
                passed, meta = check.evaluate(probe, check.table)
            break
        except Exception as exc:  # reported on the check, so the other checks still run
            probe.release()
            if probe.warehouse.dialect.is_disconnect(exc) and attempt <= CHECK_RECONNECTS:
                # a failover or an idle timeout took the read's connection: ask again on a new one
                probe.context.log.warning(
                    f"{probe.account.name}: check {check.name} of {check.table} lost its warehouse connection "
                    f"({type(exc).__name__}); asking again on a new connection ({attempt} of {CHECK_RECONNECTS})"
                )
                continue
            probe.context.log.warning(f"{probe.account.name}: check {check.name} of {check.table} failed: {exc}")
            passed, meta = False, {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
            break
    return dg.AssetCheckResult(
        asset_key=probe.graph.key(check.table),
        check_name=check.name,
        passed=passed,
        severity=check.severity,
        metadata=meta,
    )


def sweep_checks(graph: AccountGraph, sweep: Sweep) -> dg.AssetChecksDefinition:
    """All checks of the tables one sweep feeds, in one op that runs only the selected ones. A
    reference check names the parent table it looks rows up in (``zendesk/parent_table``)."""
    account = graph.account
    keys = ResourceKeys.of(account)
    checks = [c for table in sweep.tables for c in table_checks(table)]
    needs_zendesk = any(c.needs_zendesk for c in checks)
    specs = [
        # ERROR checks block: a failure fails the run, so `dagster asset materialize` in CI exits non-zero
        dg.AssetCheckSpec(
            c.name,
            asset=graph.key(c.table),
            description=c.description,
            blocking=c.severity == dg.AssetCheckSeverity.ERROR,
            # the parent a reference check looks rows up in, by its key; not ``additional_deps``,
            # which would make every check of this sweep wait for, and be skipped with, the parent's
            # blocking checks (a failed users primary_key would hide tickets' partition_coverage)
            metadata={"zendesk/parent_table": graph.key(c.parent).to_user_string()} if c.parent else None,
        )
        for c in checks
    ]

    @dg.multi_asset_check(
        name=f"{account.name}__{sweep.name}__checks",
        specs=specs,
        can_subset=True,
        required_resource_keys={keys.warehouse, *([keys.zendesk] if needs_zendesk else [])},
        op_tags={"zendesk/account": account.name, "zendesk/sweep": sweep.name},
    )
    def _checks(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        warehouse = getattr(context.resources, keys.warehouse).get_warehouse()
        zendesk = getattr(context.resources, keys.zendesk) if needs_zendesk else None
        probe = Probe(
            graph,
            warehouse,
            context,
            open_client=(lambda: zendesk.get_client(log=context.log)) if zendesk is not None else None,
        )
        selected = context.selected_asset_check_keys
        try:
            for check in checks:
                if dg.AssetCheckKey(graph.key(check.table), check.name) in selected:
                    yield run_check(probe, check)
        finally:
            probe.close()

    return _checks


def account_checks(account: AccountConfig, graph: AccountGraph | None = None) -> list[dg.AssetChecksDefinition]:
    """Every table's checks for one account, one op per sweep, keyed as the translator says."""
    graph = graph or AccountGraph.build(account)
    return [sweep_checks(graph, sweep) for sweep in SWEEPS.values()]
