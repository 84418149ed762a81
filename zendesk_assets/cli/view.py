"""What `zendesk-assets sync` shows while it works.

On a terminal: a live table (rich) with one row per sweep of the current run (rows, pages,
requests, time spent waiting for the rate budget or a retry, ETA) and an overall ETA taken from
the previous successful run of the same part. Not on a terminal (CI, cron): one plain line per
running sweep every ~30 s and one when a sweep ends, so a log shows steady signs of life without
drowning in them. Both read `zendesk_assets.progress.BOARD`, which the sweeps fill.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from zendesk_assets import progress
from zendesk_assets.cli.common import PROG

PLAIN_EVERY_SECONDS = 30.0


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def count(n: int, noun: str) -> str:
    """`1 page`, `2 pages`: progress lines read as sentences."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


class RunView:
    """The view of one run: its sweeps, in the order they were planned."""

    def __init__(
        self, account: str, part: str, sweeps: Sequence[str], estimates: Mapping[str, float], *, live: bool
    ) -> None:
        self.account, self.part, self.sweeps = account, part, list(sweeps)
        self.estimates = estimates
        self.started = time.monotonic()
        self.live = live
        self._stop = threading.Event()
        self._seen: dict[str, str] = {}
        self._last_plain = time.monotonic()
        self._thread: threading.Thread | None = None
        self._live: Live | None = None
        self._known = {k for k in progress.BOARD if k[0] == account}  # sweeps of earlier runs
        self._board_at_start = {k: id(v) for k, v in progress.BOARD.items()}

    # -- state -------------------------------------------------------------------------------------

    def _entries(self) -> dict[str, progress.SweepProgress]:
        """This run's sweeps (an entry of an earlier run of the same sweep does not count)."""
        found: dict[str, progress.SweepProgress] = {}
        for entry in progress.snapshot():
            key = (entry.account, entry.sweep)
            if entry.account == self.account and entry.sweep in self.sweeps and (
                self._board_at_start.get(key) != id(entry)
            ):
                found[entry.sweep] = entry
        return found

    def overall_eta(self, entries: Mapping[str, progress.SweepProgress]) -> float | None:
        """Seconds left: the running sweeps' own ETA, plus the previous run's time for those not started."""
        total = 0.0
        for sweep in self.sweeps:
            entry = entries.get(sweep)
            if entry is None:
                if sweep not in self.estimates:
                    return None
                total += self.estimates[sweep]
            elif entry.state == "running":
                eta = entry.eta_seconds()
                if eta is None and sweep in self.estimates:
                    eta = max(0.0, self.estimates[sweep] - entry.elapsed)
                if eta is None:
                    return None
                total += eta
        return total

    # -- rendering ---------------------------------------------------------------------------------

    def _table(self) -> Group:
        entries = self._entries()
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column, justify in (("sweep", "left"), ("state", "left"), ("rows", "right"), ("pages", "right"),
                                ("requests", "right"), ("waited", "right"), ("elapsed", "right"), ("ETA", "right")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for sweep in self.sweeps:
            entry = entries.get(sweep)
            if entry is None:
                table.add_row(sweep, Text("waiting", style="dim"), "", "", "", "", "", "")
                continue
            style = {"running": "cyan", "done": "green", "failed": "red"}.get(entry.state, "yellow")
            table.add_row(
                sweep,
                Text(entry.state, style=style),
                f"{entry.rows:,}",
                f"{entry.pages:,}",
                f"{getattr(entry.telemetry, 'requests', 0):,}",
                duration(entry.waited) if entry.waited else "",
                duration(entry.elapsed),
                duration(entry.eta_seconds()) if entry.state == "running" else "",
            )
        eta = self.overall_eta(entries)
        head = Text.assemble(
            (f"{self.account}", "bold"), f": {self.part} run, ",
            f"{duration(time.monotonic() - self.started)} elapsed, ",
            f"overall ETA {duration(eta)}" if eta is not None else "overall ETA: unknown until a first full run",
        )
        return Group(head, table)

    def _plain(self, force: bool = False) -> None:
        entries = self._entries()
        now = time.monotonic()
        periodic = force or now - self._last_plain >= PLAIN_EVERY_SECONDS
        for sweep, entry in entries.items():
            ended = entry.state != "running" and self._seen.get(sweep) != entry.state
            if ended or (periodic and entry.state == "running"):
                self._seen[sweep] = entry.state
                parts = [count(entry.rows, "row"), count(entry.pages, "page"), f"{duration(entry.elapsed)}"]
                if entry.waited:
                    parts.append(f"{duration(entry.waited)} waiting for the rate budget or retries")
                eta = entry.eta_seconds()
                if entry.state == "running" and eta is not None:
                    parts.append(f"ETA {duration(eta)}")
                print(f"{PROG}: {self.account}: {sweep}: {entry.state}, {', '.join(parts)}", file=sys.stderr, flush=True)
        if periodic:
            self._last_plain = now

    def _loop(self) -> None:
        while not self._stop.wait(0.25 if self.live else 1.0):
            if self._live is not None:
                self._live.update(self._table())
            else:
                self._plain()

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> RunView:
        if self.live:
            self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=4, transient=False)
            self._live.__enter__()
        else:
            print(f"{PROG}: {self.account}: {self.part} run started ({len(self.sweeps)} sweeps)", file=sys.stderr, flush=True)
        self._thread = threading.Thread(target=self._loop, name="zendesk-assets-view", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(exc_type, exc, tb)
        else:
            self._plain(force=False)
