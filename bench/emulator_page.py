"""Emulator speed: server-side CPU time per 1000-record export page, and memory of a 1M-ticket account.

Prints milliseconds per 1000-ticket page (cursor export with metric_sets) and per 1000-event page
(ticket_events with comment_events), cold (records generated) and warm (LRU-cached), at the start,
middle and end of the stream, plus one page over real HTTP, and the process's peak RSS.

    .venv/bin/python bench/emulator_page.py [--tickets 1000000]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import timeit
from typing import Any

import httpx
import orjson

from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, Emulator, EmulatorConfig, EmulatorServer
from zendesk_assets.emulator.app import Ctx, cursor_export, time_export


def _ctx(em: Emulator, path: str, params: dict[str, str]) -> Ctx:
    return Ctx(em, {k: [v] for k, v in params.items()}, 0, "http://127.0.0.1:1", path, {})


def _page(em: Emulator, kind: str, start: int) -> tuple[float, int, int]:
    """(ms, records, bytes) of one page, handler + JSON serialisation, as the server does it."""
    if kind == "tickets":
        handler = cursor_export("tickets")
        ctx = _ctx(em, "/api/v2/incremental/tickets/cursor.json",
                   {"start_time": str(start), "per_page": "1000", "include": "metric_sets"})
    else:
        handler = time_export("ticket_events")
        ctx = _ctx(em, "/api/v2/incremental/ticket_events.json",
                   {"start_time": str(start), "per_page": "1000", "include": "comment_events"})
    # CPU time of the serving thread: robust to other load on a shared machine, and it excludes the
    # background prefetch of the next page (wall time is shown over HTTP below).
    t0 = time.thread_time()
    body: dict[str, Any] = handler(ctx)
    raw = orjson.dumps(body)
    ms = (time.thread_time() - t0) * 1000
    return ms, len(body[kind]), len(raw)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=1_000_000)
    args = p.parse_args()
    config = EmulatorConfig(seed=1, tickets=args.tickets, users=max(500, args.tickets // 4),
                            organizations=max(100, args.tickets // 20), hold_back_seconds=60)
    t0 = time.perf_counter()
    em = Emulator(config)
    print(f"account: {args.tickets:,} tickets, {config.users:,} users, {config.organizations:,} orgs; "
          f"built in {(time.perf_counter() - t0) * 1000:.0f} ms")
    g = em.gen
    positions = {"start": g.t_start, "middle": (g.t_start + g.t_end) // 2, "end": g.t_end - 30 * 86400}
    for kind, label in (("tickets", "1000-ticket page (metric_sets)"),
                        ("ticket_events", "1000-event page (comment_events)")):
        for where, start in positions.items():
            cold, n, size = _page(em, kind, start)
            warm = statistics.median(_page(em, kind, start)[0] for _ in range(3))
            print(f"{label:34s} {where:6s}: cold {cold:6.1f} ms CPU, warm {warm:6.1f} ms CPU "
                  f"({n} records, {size / 1e6:.1f} MB)")
    for kind, label in (("tickets", "sequential ticket crawl"), ("ticket_events", "sequential event crawl")):
        start = positions["middle"] + 3 * 86400
        times = []
        handler = cursor_export("tickets") if kind == "tickets" else time_export("ticket_events")
        path = "/api/v2/incremental/" + ("tickets/cursor.json" if kind == "tickets" else "ticket_events.json")
        params = {"start_time": str(start), "per_page": "1000",
                  "include": "metric_sets" if kind == "tickets" else "comment_events"}
        for _ in range(5):
            t0 = time.thread_time()
            body = handler(_ctx(em, path, params))
            orjson.dumps(body)
            times.append((time.thread_time() - t0) * 1000)
            if kind == "tickets":
                params = {"cursor": body["after_cursor"], "per_page": "1000", "include": "metric_sets"}
            else:
                params = {"start_time": str(body["end_time"]), "per_page": "1000", "include": "comment_events"}
            time.sleep(0.5)  # the client parses and stores the page meanwhile; the emulator prefetches
        print(f"{label:34s} pages 1..5: " + ", ".join(f"{t:.1f}" for t in times) + " ms CPU (page 1 cold, "
              "later pages prefetched)")
    with EmulatorServer(emulator=em) as srv, httpx.Client(timeout=120) as client:
        url = f"{srv.base_url}/api/v2/incremental/tickets/cursor.json"
        http_params: dict[str, str | int] = {"start_time": positions["middle"] + 86400, "per_page": 1000,
                                             "include": "metric_sets"}
        headers = {"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"}
        t0 = time.perf_counter()
        r = client.get(url, params=http_params, headers=headers)
        cold_http = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        client.get(url, params=http_params, headers=headers)
        warm_http = (time.perf_counter() - t0) * 1000
        print(f"one ticket page over HTTP (loopback, wall clock): cold {cold_http:.1f} ms, warm {warm_http:.1f} ms "
              f"({len(r.content) / 1e6:.1f} MB)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")
    probe = min(timeit.repeat("{'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9, 'j': 10}",
                              number=200_000, repeat=5)) / 200_000 * 1e9
    print(f"machine speed probe: a 10-key dict literal takes {probe:.0f} ns (about 150 ns on an idle machine; "
          "scale the CPU times above by 150/probe to compare runs on a shared, loaded host)")


if __name__ == "__main__":
    main()
