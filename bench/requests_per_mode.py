"""Requests per 1,000 tickets: the incremental exports against the lists (export_mode=list).

Syncs the tickets sweep (tickets + ticket_metrics), the ticket_events sweep (events, comments,
attachments, field history) and the users sweep of an emulator account into a DuckDB file over real
HTTP, once whole and once after 1 % of the tickets changed, in each mode, and prints the requests Zendesk
served per route and per 1,000 tickets. Exports fetch up to 1,000 records a page on the 10-per-minute
export budget; lists 100 on the core budget (/tickets has its own bucket too), the search export 1,000
(100 a minute).

    .venv/bin/python bench/requests_per_mode.py [--tickets 5000]

Measured (5,000 tickets of which 3,296 archived, 1,666 users; ticket_fields and user_fields included):
    export mode, full       :    26 requests,    5.2 / 1,000 tickets  (16 ticket_events, 5 tickets, 2 users)
    export mode, 1 % changed:     6 requests,    1.2 / 1,000 tickets
      list mode, full       :    95 requests,   19.0 / 1,000 tickets  (51 /ticket_audits, 17 /tickets, 17 /users,
                                                                       5 /search/export)
      list mode, 1 % changed:     9 requests,    1.8 / 1,000 tickets  (2 /ticket_audits)
A full list pass costs about 100 ticket requests per 10,000 live tickets plus one search-export request per
1,000 archived ones, and one audits request per 100 audits of live tickets (here 51 for 1,704 live tickets: 30
per 1,000); an incremental list run one /tickets and one /users page per 100 changes, the audits from the top
down to the last run's start less an hour, plus the two deleted lists (one page each while fewer than 100 were
deleted in 30 days). Archived tickets' audits are not read in list mode (see the README).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from zendesk_assets.collections import SWEEPS
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer
from zendesk_assets.sweeps import SweepRequest, fetch_field_defs, open_stream
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.zendesk.resource import ZendeskResource
from zendesk_assets.zendesk.settings import OAuthToken


def _sync(srv: EmulatorServer, wh: Warehouse, state: Path, mode: str) -> Counter[str]:
    srv.emulator.reset_stats()
    zendesk = ZendeskResource(
        subdomain="demo", auth=OAuthToken(token=DEMO_OAUTH_TOKEN), base_url=srv.base_url,
        core_requests_per_minute=1_000_000, incremental_requests_per_minute=1_000_000,
        state_url=f"sqlite:///{state}",
    )  # fmt: skip
    for name in ("tickets", "ticket_events", "users"):
        sweep = SWEEPS[name]
        client = zendesk.get_client()
        try:
            request = SweepRequest(sweep, sweep.tables, None, 0, export_mode=mode)
            stored = [cp for key in request.state_keys for cp in wh.checkpoints(key)]
            wh.write_stream(open_stream(client, request, stored, fetch_field_defs(client, sweep.tables)))
        finally:
            client.close()
    routes: Counter[str] = Counter()
    for (_method, route, _status), n in srv.emulator.stats()["requests"].items():
        routes[route] += n
    return routes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    args = parser.parse_args()
    config = EmulatorConfig(seed=3, tickets=args.tickets, users=args.tickets // 3, organizations=50,
                            hold_back_seconds=0)  # fmt: skip
    per = 1000 / args.tickets
    with EmulatorServer(config) as srv, tempfile.TemporaryDirectory() as tmp:
        em = srv.emulator
        archived = em.archived_count()
        print(f"{args.tickets:,} tickets ({archived:,} archived), {args.tickets // 3:,} users")
        for mode in ("export", "list"):
            wh = Warehouse(f"duckdb:///{tmp}/{mode}.duckdb", "zendesk")
            state = Path(tmp) / f"{mode}.sqlite"
            for phase in ("full", "1 % changed"):
                if phase != "full":
                    em.advance(updates=args.tickets // 100)
                    time.sleep(1.1)  # the emulator never exports the current second
                routes = _sync(srv, wh, state, mode)
                total = sum(n for r, n in routes.items() if not r.startswith("/__"))
                detail = ", ".join(f"{r} {n}" for r, n in sorted(routes.items()) if not r.startswith("/__"))
                print(f"{mode:>6} mode, {phase:<11}: {total:5d} requests, {total * per:6.1f} / 1,000 tickets  ({detail})")


if __name__ == "__main__":
    main()
