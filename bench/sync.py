"""Benchmark: the whole sync, as a user runs it (`zendesk-assets sync`), into PostgreSQL and DuckDB.

For each account size it starts the built-in emulator (no rate limits) in its own process, then,
per warehouse, runs the real CLI in a child process against a fresh Dagster home, a fresh state
store and a fresh schema (PostgreSQL) or file (DuckDB), and prints:

- the first sync: records written (rows received, summed over the tables), CPU-seconds of the
  sync process and its children (``os.wait4``: the emulator is not counted), records per
  CPU-second, wall seconds, peak RSS, peak anonymous memory (``AnonSampler``) and the requests
  the emulator served;
- a no-change incremental sync right after it (the emulator's clock does not move): CPU-seconds,
  the same figure less a bare process start (Python + Dagster + our definitions imported), and its
  requests by endpoint.

CPU-seconds, not wall, are the figure to compare: the machine may be shared. The load average
is printed next to each run.

    .venv/bin/python bench/sync.py                          # 3,000 (the demo account), 20,000, 100,000 tickets
    .venv/bin/python bench/sync.py --tickets 20000 --backends duckdb

Not a test: it asserts nothing about speed, it prints numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from zendesk_assets.demo import DEMO_TICKETS
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, DEMO_SUBDOMAIN

BIN = Path(sys.executable).parent
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HISTORY_DAYS = 330  # the whole generated history falls inside the schedule's 12 months


@dataclass
class Measured:
    """One child process: what it cost and what the emulator served it."""

    cpu: float
    wall: float
    rss_mb: float
    anon_mb: float  # peak private (anonymous) memory, sampled: what one more such process costs
    requests: Counter[str]
    code: int
    stdout: str
    stderr: str

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def emulator(tickets: int, users: int, organizations: int) -> Iterator[str]:
    """The emulator in its own process (its CPU is not the sync's), unlimited, until the block ends."""
    port = free_port()
    anchor = (int(time.time()) - 3600) // 3600 * 3600  # well before the exports' hold-back
    proc = subprocess.Popen(
        [sys.executable, "-m", "zendesk_assets.emulator", "--port", str(port), "--seed", "7",
         "--tickets", str(tickets), "--users", str(users), "--organizations", str(organizations),
         "--history-days", str(HISTORY_DAYS), "--anchor", str(anchor)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the emulator exited with status {proc.returncode}")
            try:
                httpx.get(f"{base}/__emulator__/stats", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("the emulator did not answer within 120 s") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def served(base: str) -> Counter[str]:
    """Requests the emulator has served so far, by method and route (cumulative)."""
    rows = httpx.get(f"{base}/__emulator__/stats", timeout=10).json()["requests"]
    found: Counter[str] = Counter()
    for row in rows:
        found[f"{row['method']} {row['route']}"] += int(row["count"])
    return found


class AnonSampler:
    """Peak anonymous RSS of a process, sampled every 20 ms from /proc (the kernel keeps a high-water
    mark only for the whole RSS). The whole RSS also counts pages of shared libraries mapped from
    disk (DuckDB's alone are ~40 MB), which every process running them shares and which the kernel
    may drop; the anonymous part is the memory each further sync process really adds."""

    def __init__(self, pid: int) -> None:
        self.peak_kb = 0
        self._path = f"/proc/{pid}/status"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            try:
                with open(self._path) as fh:
                    for line in fh:
                        if line.startswith("RssAnon:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                return
            self._done.wait(0.02)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def measure(command: list[str], env: dict[str, str], base: str | None) -> Measured:
    """Run a child to completion; CPU and peak RSS from wait4 (the child and the children it reaped),
    peak anonymous memory sampled from the child itself."""
    before = served(base) if base else Counter()
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        anon = AnonSampler(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        anon.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    requests = served(base) - before if base else Counter()
    return Measured(
        usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, anon.peak_mb, requests, proc.returncode,
        stdout, stderr,
    )


def sync_env(base: str, warehouse_url: str, schema: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
    env.update(
        ZENDESK_SUBDOMAIN=DEMO_SUBDOMAIN,
        ZENDESK_OAUTH_TOKEN=DEMO_OAUTH_TOKEN,
        ZENDESK_BASE_URL=base,
        ZENDESK_SCHEMA=schema,
        ZENDESK_START_DATE="2020-01-01",
        ZENDESK_OPT_IN="ticket_comments,audit_logs",
        ZENDESK_CORE_RPM="100000",
        ZENDESK_INCREMENTAL_RPM="100000",
        ZENDESK_STATE_URL=f"sqlite:///{home / 'state.sqlite'}",
        WAREHOUSE_URL=warehouse_url,
        DAGSTER_HOME=str(home),
    )
    return env


def records_of(result: Measured) -> int:
    """Rows the sync received, summed over its tables (from `sync --json`)."""
    summary = json.loads(result.stdout)
    if summary.get("status") != "ok":
        raise SystemExit(f"the sync failed: {summary}\n{result.stderr[-3000:]}")
    return sum(int(meta.get("rows_received", 0)) for meta in summary["tables"].values())


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def process_start(env: dict[str, str]) -> float:
    """CPU-seconds of a bare start: Python, Dagster and our definitions imported, nothing run."""
    code = "import dagster, zendesk_assets.cli, zendesk_assets.definitions"
    return measure([sys.executable, "-c", code], env, None).cpu


def run_backend(backend: str, base: str, tickets: int, pg_url: str, keep: bool) -> dict[str, Any]:
    base_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # no fsync cost in Dagster's event log
    home = Path(tempfile.mkdtemp(prefix="zendesk_bench_", dir=base_dir))
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    url = pg_url if backend == "postgresql" else f"duckdb:///{home / 'bench.duckdb'}"
    env = sync_env(base, url, schema, home)
    command = [str(BIN / "zendesk-assets"), "sync", "--quiet", "--json"]
    try:
        load_before = load()
        first = measure(command, env, base)
        records = records_of(first)
        again = measure(command, env, base)
        records_of(again)
        start = process_start(env)
        return {
            "backend": backend, "tickets": tickets, "records": records, "first": first, "again": again,
            "start": start, "load": f"{load_before} -> {load()}",
        }  # fmt: skip
    finally:
        if backend == "postgresql" and not keep:
            engine = sa.create_engine(pg_url)
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            engine.dispose()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


def memory_lines(results: list[dict[str, Any]]) -> list[str]:
    """The issue's memory comparisons: DuckDB over PostgreSQL at each size, and each warehouse's
    growth from its smallest measured size of 20,000 tickets or more to its largest."""
    peak = {(r["backend"], r["tickets"]): r["first"].rss_mb for r in results}
    anon = {(r["backend"], r["tickets"]): r["first"].anon_mb for r in results}
    lines = [
        f"peak RSS, DuckDB over PostgreSQL at {tickets:,} tickets: {peak['duckdb', tickets] - pg:+.0f} MB "
        f"(anonymous: {anon['duckdb', tickets] - anon['postgresql', tickets]:+.0f} MB)"
        for (backend, tickets), pg in sorted(peak.items(), key=lambda kv: kv[0][1])
        if backend == "postgresql" and ("duckdb", tickets) in peak
    ]
    for backend in ("postgresql", "duckdb"):
        sizes = sorted(t for b, t in peak if b == backend and t >= 20_000)
        if len(sizes) > 1:
            small, large = peak[backend, sizes[0]], peak[backend, sizes[-1]]
            lines.append(f"peak RSS, {backend}, {sizes[0]:,} -> {sizes[-1]:,} tickets: {small:.0f} -> "
                         f"{large:.0f} MB ({(large - small) / small:+.0%})")  # fmt: skip
    return lines


def report(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'warehouse':<10} {'tickets':>8} {'records':>9} {'CPU s':>7} {'rec/CPU-s':>9} {'wall s':>7} "
        f"{'peak RSS MB':>11} {'anon MB':>7} {'requests':>8} | {'no-change CPU s':>15} {'(- start)':>9} "
        f"{'requests':>8}  load"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        first, again = r["first"], r["again"]
        print(
            f"{r['backend']:<10} {r['tickets']:>8,} {r['records']:>9,} {first.cpu:>7.1f} "
            f"{r['records'] / first.cpu:>9,.0f} {first.wall:>7.1f} {first.rss_mb:>11.0f} {first.anon_mb:>7.0f} {first.total_requests:>8} | "
            f"{again.cpu:>15.1f} {again.cpu - r['start']:>9.1f} {again.total_requests:>8}  {r['load']}"
        )
    print()
    for line in memory_lines(results):
        print(line)
    for r in results:
        print(f"\nno-change sync, {r['backend']}, {r['tickets']:,} tickets: requests by endpoint")
        for endpoint, n in sorted(r["again"].requests.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:>4}  {endpoint}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, nargs="+", default=[DEMO_TICKETS, 20_000, 100_000],
                        help=f"account sizes; {DEMO_TICKETS:,} is the demo account's (`make demo`)")
    parser.add_argument("--backends", nargs="+", choices=("postgresql", "duckdb"), default=["postgresql", "duckdb"])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--organizations", type=int, default=100)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--keep", action="store_true", help="keep the Dagster homes, DuckDB files and schemas")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for tickets in args.tickets:
        with emulator(tickets, args.users, args.organizations) as base:
            for backend in args.backends:
                print(f"... {backend}, {tickets:,} tickets (load {load()})", file=sys.stderr, flush=True)
                results.append(run_backend(backend, base, tickets, args.pg_url, args.keep))
                r = results[-1]
                print(f"    {r['records']:,} records, {r['first'].cpu:.1f} CPU-s, {r['first'].rss_mb:.0f} MB; "
                      f"no-change {r['again'].cpu:.1f} CPU-s, {r['again'].total_requests} requests",
                      file=sys.stderr, flush=True)  # fmt: skip
    print(f"CPU: {os.cpu_count()} cores; Python {sys.version.split()[0]}; CPU-seconds are the sync process's own "
          "(wait4: it and its children); '- start' subtracts a bare process start (imports only)\n")  # fmt: skip
    report(results)


if __name__ == "__main__":
    main()
