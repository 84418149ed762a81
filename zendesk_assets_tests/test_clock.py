"""The sync keeps Zendesk's time, never ours.

Contract: against an emulator whose clock runs 3 h ahead of the host's, or 3 h behind it, a full sync
and then an incremental one (after updates, deletions, creations, system-only updates and records
that arrive late with a created_at in the past) leave every table equal to the emulator's truth: window
ends and high-water marks come from Zendesk's ``Date`` header and its own timestamps, so a fast host
clock cannot make fresh rows wait and a slow one cannot push late rows behind the look-back.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zendesk_assets.emulator import EmulatorConfig, EmulatorServer
from zendesk_assets_tests.syncing import scratch, sync_all
from zendesk_assets_tests.test_end_to_end import _assert_equal_to_truth, _window_start

HOUR = 3600
ACCOUNT = dict(seed=21, tickets=240, users=80, organizations=16, activities=60, ticket_skips=60, audit_logs=60,
               history_days=400, hold_back_seconds=0, skips_hide_archived_and_deleted=True, nul_every=40,
               csat="new")


@pytest.mark.parametrize("offset", [3 * HOUR, -3 * HOUR], ids=["zendesk_ahead", "zendesk_behind"])
def test_full_then_incremental_sync_equals_truth_whatever_the_host_clock(offset: int, tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(**ACCOUNT, clock_offset_seconds=offset)) as srv:  # type: ignore[arg-type]
        em = srv.emulator
        wh, zendesk = scratch(srv, tmp_path)
        since = _window_start(datetime.now(UTC))
        sync_all(zendesk, wh, since)
        _assert_equal_to_truth(srv, wh, since)

        em.advance(updates=8, deletes=3, creations=5, system_updates=3,
                   late_skips=4, late_audit_logs=5, late_activities=5)  # fmt: skip
        time.sleep(1.5)  # the emulator never exports the current second
        sync_all(zendesk, wh, since)
        _assert_equal_to_truth(srv, wh, since)
