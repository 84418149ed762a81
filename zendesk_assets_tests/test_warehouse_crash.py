"""Killing the writer at any instant and rerunning it loses and doubles nothing.

A subprocess writes a deterministic 30-page tickets stream (pages overlap, so later pages update
earlier tickets, and stale replays arrive out of order) and is SIGKILLed at random instants,
several times, each rerun resuming from ``Warehouse.checkpoints()``. The final tables must equal
the expected rows exactly, and the final checkpoint must be the last page's, marked done.
Runs on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from zendesk_assets.batches import Checkpoint
from zendesk_assets.warehouse import Warehouse
from zendesk_assets_tests.scripts import crash_writer

ROOT = Path(__file__).resolve().parent.parent


def _spawn(url: str, schema: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "zendesk_assets_tests.scripts.crash_writer", url, schema],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _kill_after_page(proc: subprocess.Popen[str], target: int, rng: random.Random) -> int | None:
    """Wait until page ``target`` is committed, let a random sliver of time pass, SIGKILL."""
    assert proc.stdout is not None
    last = None
    for line in proc.stdout:
        if line.startswith("page "):
            last = int(line.split()[1])
            if last >= target:
                break
        if line.strip() == "finished":
            break
    time.sleep(rng.uniform(0, 0.04))  # land inside the next page's transaction, or not
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return last


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_sigkill_and_resume_converges_exactly(backend: str, request: pytest.FixtureRequest) -> None:
    if backend == "duckdb":
        url, schema = request.getfixturevalue("duckdb_url"), "zendesk"
    else:
        pg = request.getfixturevalue("pg_url")
        url, schema = str(pg), pg.schema
    rng = random.Random(4)
    wh = Warehouse(url, schema)
    kills, target = 0, 0
    while kills < 4:
        target = min(target + rng.randint(3, 8), crash_writer.PAGES - 3)
        proc = _spawn(url, schema)
        reached = _kill_after_page(proc, target, rng)
        assert reached is not None, proc.stderr.read() if proc.stderr else "no output"
        kills += 1
        # After every crash: the checkpoint is exactly as far as the committed pages go.
        (cp,) = wh.checkpoints("tickets")
        assert cp.position is not None and cp.position >= reached + 1 and not cp.done
        stored = wh.fetch(f"SELECT max(id) FROM {wh.sql_name('tickets')}")[0][0]
        assert stored == (cp.position - 1) * crash_writer.STEP + crash_writer.PAGE_SIZE - 1
    done = subprocess.run(
        [sys.executable, "-m", "zendesk_assets_tests.scripts.crash_writer", url, schema],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "finished" in done.stdout

    want = crash_writer.expected()
    got_tickets = {
        r[0]: (r[1], r[2], r[3])
        for r in wh.fetch(f'SELECT id, subject, _version, "page_seen" FROM {wh.sql_name("tickets")}')
    }
    assert got_tickets == want["tickets"]
    got_metrics = {
        r[0]: (r[1], r[2], r[3])
        for r in wh.fetch(f"SELECT id, ticket_id, replies, _version FROM {wh.sql_name('ticket_metrics')}")
    }
    assert got_metrics == want["ticket_metrics"]
    assert wh.checkpoints("tickets") == [
        Checkpoint("tickets", 0, None, crash_writer.PAGES, str(crash_writer.PAGES), True)
    ]
    assert [f.column_name for f in wh.custom_fields("tickets")] == ["page_seen"]


def test_writer_waits_while_another_process_holds_the_duckdb_file(duckdb_url: str) -> None:
    """DuckDB lets one process open a file for writing: a second step waits, then proceeds."""
    holder = duckdb.connect(duckdb_url.removeprefix("duckdb:///"))  # like another Dagster step
    try:
        proc = _spawn(duckdb_url, "acme")
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(1.5)  # without waiting for the lock it would have crashed (or finished) by now
        assert proc.poll() is None, proc.communicate()[1][-2000:]
    finally:
        holder.close()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert out.strip().endswith("finished")
    wh = Warehouse(duckdb_url, "acme")
    assert wh.row_count("tickets") == len(crash_writer.expected()["tickets"])
    assert wh.checkpoints("tickets")[0].done
