"""Rows that appear late or vanish are reconciled.

Contract (real HTTP to an emulator that hides skips of archived tickets and drops those of deleted
ones, as Zendesk was seen to; real DuckDB): the skips of a ticket deleted after a sync are marked
_removed_at by the next run's ticket export; skips that appear when their ticket leaves the archive,
with an old created_at, and ratings changed long after they were created are beyond every incremental
window, and the daily full re-read, due by Zendesk's clock (which alone moves here), brings them in and
marks what vanished, leaving every table equal to the truth.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from zendesk_assets.collections import COLLECTIONS
from zendesk_assets.emulator import EmulatorConfig, EmulatorServer
from zendesk_assets.warehouse import Warehouse
from zendesk_assets_tests.syncing import scratch, sync_all
from zendesk_assets_tests.test_end_to_end import (
    _assert_cells_match,
    _assert_equal_to_truth,
    _expected,
    _stored,
    _window_start,
)

HOUR = 3600
ACCOUNT = dict(seed=23, tickets=240, users=80, organizations=16, activities=60, ticket_skips=200, audit_logs=60,
               history_days=400, hold_back_seconds=0, skips_hide_archived_and_deleted=True, nul_every=40,
               csat="new")


def _assert_equal_but_survey_responses(srv: EmulatorServer, wh: Warehouse, since: int) -> None:
    """Every table equals the truth, but csat_survey_responses: a rating changed long after it was given
    also changes its survey response, which only that sweep's look-back would see (its string ids do
    not fit the re-read's bookkeeping yet)."""
    for table, collection in COLLECTIONS.items():
        if table == "csat_survey_responses":
            continue
        expected, stored = _expected(srv, table, since), _stored(wh, table)
        missing, extra = expected.keys() - stored.keys(), stored.keys() - expected.keys()
        assert not missing and not extra, f"{table}: {len(missing)} missing {sorted(missing)[:5]}, {len(extra)} extra"
        if collection.version:
            stale = [k for k, v in expected.items() if stored[k] != v]
            assert not stale, f"{table}: {len(stale)} rows not at their latest version, e.g. {stale[:5]}"
        _assert_cells_match(srv, wh, table, since)


def _skips(wh: Warehouse) -> dict[int, bool]:
    """Stored skip id -> whether it is marked removed."""
    return {i: marked for i, marked in wh.fetch(f"SELECT id, _removed_at IS NOT NULL FROM {wh.sql_name('ticket_skips')}")}


def test_skips_and_ratings_equal_the_truth_once_the_reread_ran(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(**ACCOUNT)) as srv:  # type: ignore[arg-type]
        em = srv.emulator
        wh, zendesk = scratch(srv, tmp_path)
        since = _window_start(datetime.now(UTC))
        sync_all(zendesk, wh, since)
        _assert_equal_to_truth(srv, wh, since)

        appeared: list[int] = []
        for _ in range(40):  # until a ticket with skips leaves the archive
            appeared += em.advance(unarchive=5).get("ticket_skips", {}).get("appeared", [])
            if appeared:
                break
        before = _skips(wh)
        deleted: list[int] = []
        for _ in range(40):  # until a deleted ticket takes stored skips with it
            deleted += [s for s in em.advance(deletes=3).get("ticket_skips", {}).get("deleted", []) if s in before]
            if deleted:
                break
        rated = em.advance(rating_updates=4, late_skips=3)["satisfaction_ratings"]["updated"]
        assert appeared and deleted and rated
        time.sleep(1.5)  # the emulator never exports the current second

        sync_all(zendesk, wh, since)  # incremental: the re-read is not due yet
        skips = _skips(wh)
        assert all(skips[s] for s in deleted), "the skips of a deleted ticket are marked with it"

        em.set_clock_offset(25 * HOUR)  # a day later by Zendesk's clock only: the host's has not moved
        sync_all(zendesk, wh, since)
        _assert_equal_but_survey_responses(srv, wh, since)
        skips = _skips(wh)
        assert all(not skips[s] for s in appeared) and all(skips[s] for s in deleted)
        assert set(em.removed("ticket_skips")) & set(skips) <= {s for s, marked in skips.items() if marked}
