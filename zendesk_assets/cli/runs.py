"""Running jobs in process and reading their outcome as lines people can act on.

`zendesk-assets sync` and `zendesk-assets checks` launch runs on the configured Dagster instance
(so the UI shows them) and must never crash on what a run reports: a failed step, a failed run,
an interrupted run. This module turns a run's events into one line per root cause.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import dagster as dg

from zendesk_assets.cli.common import INTERRUPTED, TERMINATED

CONSOLE_LEVELS = {True: "DEBUG", False: "CRITICAL"}  # --verbose echoes Dagster's event log; default not


@dataclass
class RunOutcome:
    """What one run did: its id, whether it succeeded, and the lines that explain a failure."""

    account: str
    part: str
    selected: list[str] = field(default_factory=list)  # the tables the run was asked to sync
    run_id: str | None = None
    success: bool = False
    failures: list[str] = field(default_factory=list)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: list[dg.AssetCheckEvaluation] = field(default_factory=list)


class Interrupts:
    """SIGINT and SIGTERM end the current run cleanly (Dagster marks it failed) and launch no more.

    While a run executes, Dagster installs its own handlers (both signals interrupt the step), so
    which signal arrived is read from the interpreter's wakeup fd, which every handler shares.
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self._wakeup: int | None = None

    @property
    def exit_code(self) -> int:
        return TERMINATED if self.signal == signal.SIGTERM else INTERRUPTED

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signum
        raise KeyboardInterrupt

    def poll(self) -> int | None:
        """The first interrupting signal received so far (None: none)."""
        if self._wakeup is not None:
            with contextlib.suppress(BlockingIOError, OSError):
                for number in os.read(self._wakeup, 64):
                    if number in (signal.SIGINT, signal.SIGTERM) and self.signal is None:
                        self.signal = number
        return self.signal

    @contextmanager
    def installed(self) -> Iterator[Interrupts]:
        previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        old_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        self._wakeup = read
        try:
            yield self
        finally:
            signal.set_wakeup_fd(old_fd)
            self.poll()
            self._wakeup = None
            os.close(read)
            os.close(write)
            for s, handler in previous.items():
                signal.signal(s, handler)


def run_config(verbose: bool) -> dict[str, Any]:
    return {"loggers": {"console": {"config": {"log_level": CONSOLE_LEVELS[verbose]}}}}


def execute(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    *,
    account: str,
    part: str,
    asset_selection: Sequence[dg.AssetKey] | None,
    tags: Mapping[str, str],
    verbose: bool,
) -> RunOutcome:
    """Run once; whatever happens, return an outcome (an interrupt propagates after the run ends)."""
    outcome = RunOutcome(account, part, [k.to_user_string() for k in asset_selection or []])
    run_id = str(uuid.uuid4())
    try:
        result = job.execute_in_process(
            run_config=run_config(verbose),
            instance=instance,
            tags=dict(tags),
            asset_selection=list(asset_selection) if asset_selection is not None else None,
            raise_on_error=False,
            run_id=run_id,
        )
    except KeyboardInterrupt:
        close_interrupted(instance, run_id)
        raise
    except Exception as exc:  # the run could not start (e.g. an unresolvable resource setting)
        outcome.failures.append(f"{account}: the {part} run could not start: {_first_line(str(exc))}")
        return outcome
    outcome.run_id = result.run_id
    outcome.success = result.success
    outcome.tables = materializations(result)
    outcome.checks = list(result.get_asset_check_evaluations())
    if not result.success:
        outcome.failures.extend(failure_lines(result, account))
    return outcome


def close_interrupted(instance: dg.DagsterInstance, run_id: str) -> None:
    """An interrupt that landed outside a step leaves the run open: mark it canceled, as it was."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_canceled(run, message="interrupted (Ctrl-C or SIGTERM) from zendesk-assets")


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """The last materialization's metadata per table, under the names `sync --json` has always used
    (rows_received, ..., pages; the sweep's numbers as zendesk/<name>). A ranged run records one
    materialization per partition, each with that month's rows, so the run's rows are their sum."""
    found: dict[str, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        table = mat.asset_key.to_user_string()
        meta = {_summary_name(k): getattr(v, "value", v) for k, v in mat.metadata.items()}
        if mat.partition and table in found:
            for key in [k for k in meta if k.startswith("rows_")]:
                meta[key] += found[table].get(key, 0)
        meta.pop("dagster/partition_row_count", None)
        found[table] = meta
    return found


def _summary_name(key: str) -> str:
    if key.startswith("zendesk/rows_"):
        return key.removeprefix("zendesk/")
    if key == "zendesk/sweep_pages":
        return "pages"
    if key.startswith("zendesk/sweep_"):
        return "zendesk/" + key.removeprefix("zendesk/sweep_")
    return key


def failure_lines(result: dg.ExecuteInProcessResult, account: str) -> list[str]:
    """One line per failed step: which sweep (or check), and the cause Zendesk or the database gave."""
    lines: list[str] = []
    steps_failed = False
    for event in result.all_events:
        if event.event_type != dg.DagsterEventType.STEP_FAILURE:
            continue
        steps_failed = True
        data = event.step_failure_data
        error = data.error if data is not None else None
        cls, message = root_cause(error)
        if cls == "DagsterAssetCheckFailedError":
            continue  # the failed checks are listed on their own
        step = (event.step_key or "run").removeprefix(f"{account}__")
        if step.endswith("__checks"):
            what = f"the checks of {step.removesuffix('__checks')}"
        else:
            what = f"sweep {step}"
        if cls in ("KeyboardInterrupt", "DagsterExecutionInterruptedError"):
            message = "interrupted; nothing half-written: the next sync resumes from the last committed page"
        lines.append(f"{account}: {what} failed: {message}")
    if not steps_failed and not result.success:
        lines.append(f"{account}: the run failed before any step ran (see the run in the Dagster UI)")
    return lines


def root_cause(error: Any) -> tuple[str, str]:
    """The innermost error's class and first line (Dagster wraps user errors in its own)."""
    if error is None:
        return "", "unknown error"
    while getattr(error, "cause", None) is not None and error.cls_name.startswith("Dagster") and (
        error.cls_name != "DagsterAssetCheckFailedError"
    ):
        error = error.cause
    message = _first_line(error.message or error.cls_name)
    message = re.sub(rf"^(?:[\w]+\.)*{re.escape(error.cls_name)}: ", "", message)
    if message.startswith("zendesk[") and "]: " in message:
        message = message.split("]: ", 1)[1]
    return error.cls_name, message


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:400] if lines else text[:400]
