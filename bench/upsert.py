"""Benchmark: upsert generated Zendesk tickets into each warehouse backend; prints numbers.

Loads N realistic ticket rows (seed columns, tags, via, 10 custom fields of mixed types, the
full record as _raw) through ``Warehouse.write_stream`` in export-sized pages (one transaction
per page, checkpoint included), then upserts the very same rows again (every row passes the
version guard and is rewritten). Each backend runs in its own process so peak RSS is its own.

    .venv/bin/python bench/upsert.py                     # 1,000,000 rows, DuckDB and PostgreSQL
    .venv/bin/python bench/upsert.py --rows 100000 --backends duckdb

Not a test: it asserts nothing about speed, it prints rows/s and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, SweepStream

FIELDS = [
    FieldDef(360001, "Plan", "tagger"),
    FieldDef(360002, "Seats", "integer"),
    FieldDef(360003, "Renewal date", "date"),
    FieldDef(360004, "MRR", "decimal"),
    FieldDef(360005, "VIP", "checkbox"),
    FieldDef(360006, "Products", "multiselect"),
    FieldDef(360007, "Order number", "regexp"),
    FieldDef(360008, "Notes for agents", "textarea"),
    FieldDef(360009, "Region", "dropdown"),
    FieldDef(360010, "Escalation reason", "text"),
]
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")


def ticket(i: int, version: int) -> dict[str, Any]:
    tid = 40_000_000_000 + i
    return {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json",
        "id": tid,
        "external_id": None if i % 3 else f"ext-{i}",
        "via": {"channel": "email", "source": {"from": {"address": f"c{i}@example.com"}, "to": {}, "rel": None}},
        "created_at": "2023-05-01T10:11:12Z",
        "updated_at": "2024-06-30T08:00:00Z",
        "generated_timestamp": version,
        "type": "question",
        "subject": f"Order {i} has not arrived — please help 📦",
        "raw_subject": f"Order {i} has not arrived — please help 📦",
        "description": "Hello, my order has not arrived yet. " * 4,
        "priority": "normal",
        "status": STATUSES[i % 6],
        "recipient": "support@acme.com",
        "requester_id": 361_000_000_000 + i % 50_000,
        "submitter_id": 361_000_000_000 + i % 50_000,
        "assignee_id": 362_000_000_000 + i % 40,
        "organization_id": 363_000_000_000 + i % 2_000,
        "group_id": 364_000_000_000 + i % 8,
        "collaborator_ids": [],
        "follower_ids": [362_000_000_001],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": ["shipping", f"region_{i % 5}", "vip" if i % 10 == 0 else "standard"],
        "custom_fields": [
            {"id": 360001, "value": ("free", "pro", "enterprise")[i % 3]},
            {"id": 360002, "value": str(i % 500)},
            {"id": 360003, "value": "2025-01-31T00:00:00Z" if i % 2 else "2025-02-28T00:00:00+00:00"},
            {"id": 360004, "value": (i % 1000) * 1.5},
            {"id": 360005, "value": i % 10 == 0},
            {"id": 360006, "value": ["widgets", "gadgets"]},
            {"id": 360007, "value": f"ORD-{i:08d}"},
            {"id": 360008, "value": None},
            {"id": 360009, "value": f"region_{i % 5}"},
            {"id": 360010, "value": None},
        ],
        "satisfaction_rating": {"score": "unoffered"},
        "sharing_agreement_ids": [],
        "ticket_form_id": 365_000_000_001,
        "brand_id": 366_000_000_001,
        "allow_channelback": False,
        "allow_attachments": True,
    }


def stream(rows: int, page: int, version: int) -> SweepStream:
    def batches() -> Iterator[Batch]:
        for start in range(0, rows, page):
            stop = min(start + page, rows)
            cp = Checkpoint("tickets", 0, None, version + stop, f"cursor-{stop}", done=stop == rows)
            yield Batch({"tickets": [ticket(i, version) for i in range(start, stop)]}, cp)

    return SweepStream("tickets", ("tickets",), batches(), field_defs={"tickets": FIELDS})


def run_one(url: str, schema: str, rows: int, page: int) -> None:
    """Child process: load then re-upsert, print one line per pass."""
    from zendesk_assets.warehouse import Warehouse

    wh = Warehouse(url, schema)
    for label, version in (("first load", 1_700_000_000), ("re-upsert", 1_700_000_000)):
        began = time.perf_counter()
        stats = wh.write_stream(stream(rows, page, version))["tickets"]
        elapsed = time.perf_counter() - began
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{wh.dialect.name:<10} {label:<10} {rows:>9,} rows {elapsed:8.1f} s {rows / elapsed:>9,.0f} rows/s "
            f"inserted {stats.inserted:>9,} updated {stats.updated:>9,}  peak RSS {peak_mb:,.0f} MB",
            flush=True,
        )
    assert wh.row_count("tickets") == rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=1000, help="rows per page/transaction (export page size)")
    parser.add_argument("--backends", default="duckdb,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--child", nargs=2, metavar=("URL", "SCHEMA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(args.child[0], args.child[1], args.rows, args.page)
        return
    print(f"{args.rows:,} ticket rows, {args.page} per page, 10 custom fields; python {sys.version.split()[0]}")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "duckdb":
                url, schema = f"duckdb:///{tmp}/bench.duckdb", "zendesk"
            else:
                url, schema = args.pg_url, f"bench_{uuid.uuid4().hex[:8]}"
            try:
                cmd = [sys.executable, __file__, "--rows", str(args.rows), "--page", str(args.page), "--child", url, schema]
                subprocess.run(cmd, check=True)
                if backend == "duckdb":
                    size = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
                    print(f"{'duckdb':<10} file size {size / 2**20:,.0f} MB")
            finally:
                if backend != "duckdb":
                    import psycopg

                    with psycopg.connect(args.pg_url, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
