"""Dagster's own processes started by tests (dagster dev, code server, daemon, webserver): each in its
own process group, its output in a log file, and stopped so that nothing is left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    ScheduleInstigatorData,
    TickStatus,
)
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
# The product's definitions on a one-minute cron, each run in one process: the Dagster process tests load it.
MINUTE_SCHEDULE = REPO / "zendesk_assets_tests" / "scripts" / "minute_schedule.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc), whether or not it left the process group."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited already


def default_signals() -> None:
    """In the child: Ctrl-C and SIGTERM as a terminal would deliver them. A test run started in the
    background of a shell inherits SIGINT ignored, and Dagster gives SIGTERM SIGINT's handler, so its
    processes would ignore the SIGTERM that stops them."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop(proc: subprocess.Popen[bytes]) -> set[int]:
    """SIGTERM the whole process group, wait, and return the processes still alive afterwards
    (killed before returning, so a failing test never leaks them)."""
    tree = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(p) for p in tree | {proc.pid}):
        time.sleep(0.2)
    left = {p for p in tree | {proc.pid} if alive(p)}
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    return left


@contextmanager
def started(
    args: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A console script of the venv (``args[0]``), running until the block ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / args[0]), *args[1:]],
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it reaches every child
            preexec_fn=default_signals,
        )
    try:
        yield proc
    finally:
        left = stop(proc)
        assert not left, f"{args[0]} left processes behind: {sorted(left)}"


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def wait_for(what: str, probe: Callable[[], Any], seconds: float, logs: Sequence[Path]) -> Any:
    """Poll ``probe`` until it returns something truthy; fail with the processes' logs otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}:\n" + "\n".join(f"--- {p.name}\n{tail(p)}" for p in logs))


def load_workspace(instance: dg.DagsterInstance, workspace: Path, location: str) -> WorkspaceProcessContext | None:
    """The workspace once its code location answers (None while the code server starts)."""
    context = WorkspaceProcessContext(instance, WorkspaceFileTarget([str(workspace)]))
    if context.create_request_context().has_code_location(location):
        return context
    context.__exit__(None, None, None)
    return None


def tick_now(instance: dg.DagsterInstance, schedule: Any) -> None:
    """Mark a schedule running since just before its latest cron time, so the daemon's first
    iteration ticks at once (it evaluates the latest tick it missed) instead of at the next one."""
    seconds_back = 61 if schedule.cron_schedule.startswith("* ") else 3 * 3600 + 61
    instance.add_instigator_state(
        InstigatorState(
            schedule.get_remote_origin(), InstigatorType.SCHEDULE, InstigatorStatus.RUNNING,
            ScheduleInstigatorData(schedule.cron_schedule, start_timestamp=time.time() - seconds_back),
        )
    )


def stop_schedule(instance: dg.DagsterInstance, schedule: Any) -> None:
    """As a user stopping it in the UI: no more ticks while the test tears down."""
    state = instance.get_instigator_state(schedule.get_remote_origin_id(), schedule.selector_id)
    assert state is not None
    instance.update_instigator_state(state.with_status(InstigatorStatus.STOPPED))


def finished_ticks(instance: dg.DagsterInstance, schedule: Any) -> list[Any]:
    """The schedule's ended ticks, oldest first."""
    done = (TickStatus.SUCCESS, TickStatus.SKIPPED, TickStatus.FAILURE)
    ticks = instance.get_ticks(schedule.get_remote_origin_id(), schedule.selector_id)
    return [t for t in ticks if t.status in done][::-1]
