"""Many accounts: how long the code location takes to load, and how much memory, for 1..300 accounts.

    .venv/bin/python bench/accounts.py                  # 1, 10, 100, 300 accounts
    .venv/bin/python bench/accounts.py --accounts 100 --schedules

Each size loads in a fresh interpreter from a generated accounts file (as a code server would):
`defs` is the code location's entry point (configuration, assets, checks, jobs, schedules, resources),
`repo` resolves the repository (jobs built over the asset graph), `snapshot` is what the code server
serialises for the webserver and daemon, `MiB` the process's peak resident memory. With
``--schedules`` it also evaluates every account's schedule once against an instance holding no
runs (the daemon asks the code server for each tick; Dagster's default tick timeout is 60 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def accounts_file(path: Path, n: int) -> None:
    lines = ["accounts:"]
    for i in range(n):
        lines += [
            f"  - subdomain: acme{i}",
            f"    schema: zendesk_acme{i}",
            "    oauth_token_env: BENCH_ZENDESK_TOKEN",
            "    opt_in: [ticket_comments]",
        ]
    path.write_text("\n".join(lines) + "\n")


def measure(schedules: bool) -> dict[str, Any]:
    """In this interpreter: load the code location as the code server does, and time each part."""
    started = time.perf_counter()
    from dagster._core.remote_representation.external_data import RepositorySnap

    from zendesk_assets.definitions import defs

    imported = time.perf_counter()
    definitions = defs()
    built = time.perf_counter()
    repo = definitions.get_repository_def()
    repo.get_all_jobs()
    resolved = time.perf_counter()
    RepositorySnap.from_def(repo)
    snapshotted = time.perf_counter()
    result: dict[str, Any] = {
        "import_s": imported - started,
        "defs_s": built - imported,
        "repo_s": resolved - built,
        "snapshot_s": snapshotted - resolved,
        "assets": len(list(repo.asset_graph.get_all_asset_keys())),
    }
    if schedules:
        result.update(evaluate_schedules(repo))
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def evaluate_schedules(repo: Any) -> dict[str, Any]:
    from datetime import UTC, datetime

    import dagster as dg

    times = []
    tick = datetime(2026, 11, 27, 15, tzinfo=UTC)  # any cron time: the daemon always passes one
    with dg.instance_for_test() as instance:
        for schedule in repo.schedule_defs:
            start = time.perf_counter()
            with dg.build_schedule_context(instance=instance, scheduled_execution_time=tick) as context:
                schedule.evaluate_tick(context)
            times.append(time.perf_counter() - start)
    return {"schedules": len(times), "tick_max_s": max(times), "ticks_total_s": sum(times)}


def run(n: int, schedules: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "accounts.yaml"
        accounts_file(path, n)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
        env.update(
            ZENDESK_ACCOUNTS_FILE=str(path),
            BENCH_ZENDESK_TOKEN="not-used",
            DAGSTER_HOME=tmp,
            WAREHOUSE_URL="postgresql+psycopg://bench@127.0.0.1:5432/bench",
        )
        args = [sys.executable, __file__, "--worker"] + (["--schedules"] if schedules else [])
        proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"{n} accounts: the worker failed:\n{proc.stderr[-3000:]}")
        return {"accounts": n, **json.loads(proc.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="*", default=[1, 10, 100, 300])
    parser.add_argument("--schedules", action="store_true", help="also evaluate every schedule once")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.schedules)))
        return
    print(f"{'accounts':>8} {'assets':>7} {'import s':>9} {'defs s':>7} {'repo s':>7} {'snapshot s':>10} "
          f"{'peak MiB':>9} {'ticks':>6} {'tick max s':>10} {'ticks s':>8}")
    for n in args.accounts:
        r = run(n, args.schedules)
        ticks = (
            f"{r['schedules']:>6} {r['tick_max_s']:>10.3f} {r['ticks_total_s']:>8.2f}" if "schedules" in r else ""
        )
        print(f"{n:>8} {r['assets']:>7} {r['import_s']:>9.2f} {r['defs_s']:>7.2f} {r['repo_s']:>7.2f} "
              f"{r['snapshot_s']:>10.2f} {r['peak_mib']:>9.0f} {ticks}", flush=True)


if __name__ == "__main__":
    main()
