"""Pacing benchmark: several processes share one Zendesk account's budget against the emulator.

    .venv/bin/python bench/pacing.py --processes 3 --rpm 120 --seconds 65

Prints, as counted by the emulator: requests per 60 s sliding window (max), budget use, and 429s.
`worker` mode is one crawling process (used by this script and by test_zendesk_pacing.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zendesk_assets.zendesk.settings import OAuthToken

ROOT = Path(__file__).resolve().parents[1]


def worker(base_url: str, state_url: str, token: str, rpm: int) -> dict[str, Any]:
    """Crawl /ticket_metrics over cursor pagination again and again until the deadline; return telemetry.

    Handshake: print "ready" once imported, then read "start_at deadline" (epoch seconds) from stdin,
    so a slow interpreter start on a loaded machine never shortens the measured run.
    """
    from zendesk_assets.zendesk import ZendeskResource
    from zendesk_assets.zendesk.pagination import Read, cursor_pages

    resource = ZendeskResource(
        subdomain="demo",
        base_url=base_url,
        auth=OAuthToken(token=token),
        core_requests_per_minute=rpm,
        state_url=state_url,
        timeout_seconds=30,
    )
    print("ready", flush=True)
    start_at, deadline = (float(x) for x in sys.stdin.readline().split())
    time.sleep(max(0.0, start_at - time.time()))
    sweeps = 0
    with resource.get_client() as client:
        while time.time() < deadline:
            for _page in cursor_pages(client, Read("/ticket_metrics", "ticket_metrics")):
                if time.time() >= deadline:
                    break
            sweeps += 1
        return {"pid": os.getpid(), "sweeps": sweeps, **client.telemetry.as_metadata()}


def max_in_window(times: Sequence[float], window: float = 60.0) -> int:
    """Largest number of requests inside any window of `window` seconds ending at a request."""
    ordered = sorted(times)
    best = lo = 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def run_shared(base_url: str, state_url: str, token: str, *, processes: int, rpm: int, seconds: float) -> list[dict[str, Any]]:
    """Start `processes` workers, release them together once all are ready, collect their telemetry."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, __file__, "worker", base_url, state_url, token, str(rpm)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(processes)
    ]
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("pacing worker failed to start")
    start_at = time.time() + 0.5
    results = []
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"{start_at!r} {start_at + seconds!r}\n")
        proc.stdin.close()
    for proc in procs:
        assert proc.stdout is not None
        out = proc.stdout.read()
        if proc.wait(timeout=seconds + 60) != 0:
            raise RuntimeError(f"pacing worker failed with exit code {proc.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "worker"])
    parser.add_argument("worker_args", nargs="*")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rpm", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=65.0)
    opts = parser.parse_args(argv)
    if opts.mode == "worker":
        base_url, state_url, token, rpm = opts.worker_args
        print(json.dumps(worker(base_url, state_url, token, int(rpm))))
        return

    from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer

    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(
        EmulatorConfig(tickets=2000, users=200, organizations=50, core_rpm=opts.rpm)
    ) as srv:
        state_url = f"sqlite:///{tmp}/state.sqlite"
        results = run_shared(srv.base_url, state_url, DEMO_OAUTH_TOKEN,
                             processes=opts.processes, rpm=opts.rpm, seconds=opts.seconds)
        log = srv.emulator.request_log()
        stats = srv.emulator.stats()
    core_times = [t for (t, budget, _route, _status) in log if budget == "core"]
    peak = max_in_window(core_times)
    span = max(core_times) - min(core_times) if core_times else 0.0
    print(f"processes={opts.processes} limit={opts.rpm}/min run={span:.1f}s requests={len(core_times)}")
    print(f"max requests in any 60 s window: {peak} ({100 * peak / opts.rpm:.1f}% of the budget)")
    print(f"emulator 429s: {stats['rate_limited']}; client-side 429s: {sum(r['zendesk_throttled_429'] for r in results)}")
    for r in results:
        print(f"  pid {r['pid']}: {r['zendesk_requests']} requests, waited {r['zendesk_wait_seconds']:.1f}s")


if __name__ == "__main__":
    main()
