"""`python -m zendesk_assets.emulator`: serve a generated demo account until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from zendesk_assets.emulator.config import DEMO_EMAIL, DEMO_OAUTH_TOKEN, EmulatorConfig
from zendesk_assets.emulator.server import EmulatorServer


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m zendesk_assets.emulator",
                                description="Serve an emulated Zendesk Support account (emulator-only credentials).")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--subdomain", default="demo")
    p.add_argument("--tickets", type=int, default=2000)
    p.add_argument("--users", type=int, default=500)
    p.add_argument("--organizations", type=int, default=100)
    p.add_argument("--history-days", type=int, default=730)
    p.add_argument("--plan", choices=("enterprise", "team"), default="enterprise")
    p.add_argument("--core-rpm", type=int, default=None, help="enforce N requests/min (default: unlimited)")
    p.add_argument("--incremental-rpm", type=int, default=None, help="export budget (Zendesk: 10, or 30)")
    p.add_argument("--external-rpm", type=int, default=0, help="phantom other apps using the core budget")
    p.add_argument("--faults", default="", help='e.g. "429:0.05,503:0.02,504>500,truncate:0.01"')
    p.add_argument("--hold-back", type=int, default=60, help="seconds of recent changes hidden from exports")
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--clock-offset", type=int, default=0,
                   help="seconds the emulator's clock runs ahead of the host's (negative: behind)")
    p.add_argument("--shutdown-exports-at", type=int, default=None,
                   help="emulator epoch from which the incremental exports answer a refusal")
    p.add_argument("--shutdown-status", type=int, choices=(403, 404, 410), default=410)
    p.add_argument("--skips-hide-archived-and-deleted", action="store_true",
                   help="/skips leaves out skips of archived and deleted tickets, as Zendesk does")
    p.add_argument("--count-excludes-archived", action="store_true",
                   help="/tickets/count leaves archived tickets out (observed on live accounts)")
    p.add_argument("--ai-agent-share", type=float, default=0.0,
                   help="share of tickets handled by an AI agent only (hidden from exports by default)")
    p.add_argument("--csat", choices=("legacy", "new", "new_only"), default="legacy",
                   help="new: serve survey responses at /api/v2/guide/survey_responses; new_only: and list no "
                        "legacy satisfaction ratings")
    p.add_argument("--nul-every", type=int, default=0, metavar="N",
                   help="every Nth ticket's description, comment bodies and one tag carry NUL characters")
    p.add_argument("--anchor", type=int, default=None,
                   help="epoch the generated history ends at (default: now, floored to the hour); pin it so "
                        "restarts serve the same account and stored export cursors stay valid")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = EmulatorConfig(
        seed=args.seed, subdomain=args.subdomain, tickets=args.tickets, users=args.users,
        organizations=args.organizations, history_days=args.history_days, plan=args.plan,
        core_rpm=args.core_rpm, incremental_rpm=args.incremental_rpm, external_rpm=args.external_rpm,
        faults=args.faults, hold_back_seconds=args.hold_back, latency_ms=args.latency_ms, anchor=args.anchor,
        clock_offset_seconds=args.clock_offset, exports_shutdown_at=args.shutdown_exports_at,
        exports_refusal_status=args.shutdown_status,
        skips_hide_archived_and_deleted=args.skips_hide_archived_and_deleted,
        tickets_count_excludes_archived=args.count_excludes_archived, ai_agent_share=args.ai_agent_share,
        csat=args.csat, nul_every=args.nul_every,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with EmulatorServer(config, port=args.port, host=args.host) as server:
        print(f"Zendesk emulator on {server.base_url} (API {server.base_url}/api/v2) — emulator-only demo "
              f"credentials: OAuth bearer {DEMO_OAUTH_TOKEN}, or {DEMO_EMAIL}/token with the demo API token",
              flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
