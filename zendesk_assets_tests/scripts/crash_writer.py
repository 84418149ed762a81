"""Write a deterministic multi-page tickets stream, resuming from the stored checkpoint.

Used by ``test_warehouse_crash.py``, which SIGKILLs this process at random instants and reruns it.
Prints ``page <n>`` to stdout once page ``n`` has been committed, and ``finished`` at the end.

Usage: python -m zendesk_assets_tests.scripts.crash_writer URL SCHEMA
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, SweepStream

PAGES = 30
PAGE_SIZE = 40
STEP = 25  # consecutive pages overlap by PAGE_SIZE - STEP tickets: later pages update them
FIELD_DEFS = {"tickets": [FieldDef(500, "Page seen", "integer")]}


def page(p: int) -> dict[str, list[dict[str, Any]]]:
    """Page ``p``: new and updated tickets, one stale replay, and their metric sets."""
    tickets: list[dict[str, Any]] = [
        {
            "id": tid,
            "subject": f"ticket {tid} as of page {p} ✓",
            "generated_timestamp": 10_000 + p,
            "custom_fields": [{"id": 500, "value": p}],
        }
        for tid in range(p * STEP, p * STEP + PAGE_SIZE)
    ]
    if p > 2:  # an out-of-order stale copy of an older ticket: must never win
        stale = (p * 7) % (p * STEP)
        tickets.append({"id": stale, "subject": "stale", "generated_timestamp": 1, "custom_fields": []})
    metrics = [
        {"id": 10**6 + t["id"], "ticket_id": t["id"], "replies": p, "updated_at": 10_000 + p}
        for t in tickets[:PAGE_SIZE]
    ]
    return {"tickets": tickets, "ticket_metrics": metrics}


def expected() -> dict[str, dict[int, tuple[Any, ...]]]:
    """Final rows per table after every page, computed without a database."""
    tickets: dict[int, tuple[Any, ...]] = {}
    metrics: dict[int, tuple[Any, ...]] = {}
    for p in range(PAGES):
        rows = page(p)
        for t in rows["tickets"]:
            if t["id"] not in tickets or t["generated_timestamp"] >= tickets[t["id"]][1]:
                value = t["custom_fields"][0]["value"] if t["custom_fields"] else None
                tickets[t["id"]] = (t["subject"], t["generated_timestamp"], value)
        for m in rows["ticket_metrics"]:
            metrics[m["id"]] = (m["ticket_id"], m["replies"], m["updated_at"])
    return {"tickets": tickets, "ticket_metrics": metrics}


def batches(start: int) -> Iterator[Batch]:
    for p in range(start, PAGES):
        yield Batch(page(p), Checkpoint("tickets", 0, None, p + 1, str(p + 1), done=p == PAGES - 1))


def main(url: str, schema: str) -> None:
    from zendesk_assets.warehouse import Warehouse

    class Reporting(Warehouse):
        """Prints ``page <n>`` once page ``n``'s transaction has committed (the stream is read ahead
        of the writes, so asking for a page says nothing about what is stored)."""

        def _run(self, work: Any, *args: Any, **kwargs: Any) -> Any:
            result = super()._run(work, *args, **kwargs)
            batch = getattr(work, "keywords", {}).get("batch")
            if batch is not None and batch.checkpoint is not None:
                print(f"page {batch.checkpoint.position - 1}", flush=True)
            return result

    wh = Reporting(url, schema)
    print("ready", flush=True)  # imports done; the next step opens the database
    stored = {cp.window_start: cp for cp in wh.checkpoints("tickets")}
    cp = stored.get(0)
    if cp is not None and cp.done:
        print("finished", flush=True)
        return
    start = int(cp.resume) if cp is not None and cp.resume else 0
    print(f"start {start}", flush=True)
    wh.write_stream(
        SweepStream("tickets", ("tickets", "ticket_metrics"), batches(start), field_defs=FIELD_DEFS)
    )
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
