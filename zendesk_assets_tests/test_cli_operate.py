"""Operating the sync from a terminal or CI: `sync`, `status`, `checks` through the console script.

Contract (one emulator account, one DuckDB warehouse, one Dagster instance, in order):
1. an outage of one endpoint (500s on /ticket_forms, patience 5 s) fails that sweep only: every
   other table lands, the history run still runs, the summary and `--json` say what failed, the
   exit code is 1, and the whole sync asked `/users/me` exactly once;
2. `status` shows rows, the last sync and its age, the stored months, and the sweep's last error;
3. Ctrl-C (SIGINT) and SIGTERM during a sync exit 130 and 143 without a traceback, and leave no run
   open in the instance;
4. the next sync resumes and succeeds (exit 0, every check passes): nothing was half-written;
5. `checks --junit` exits 0 with one testcase per check; after a duplicate row in `tickets` it exits
   1 and the XML names the failed `primary_key` check.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import dagster as dg
import duckdb
import httpx
import pytest

from zendesk_assets.checks import table_checks
from zendesk_assets.collections import COLLECTIONS, OPT_IN
from zendesk_assets.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_OAUTH_TOKEN,
    EmulatorConfig,
    EmulatorServer,
    Fault,
)

ZENDESK_ASSETS = str(Path(sys.executable).parent / "zendesk-assets")
SMALL = dict(seed=9, tickets=80, users=30, organizations=8, groups=3, ticket_forms=2, activities=10,
             ticket_skips=8, audit_logs=12, history_days=90)


class Account:
    """One configured account and the directory its warehouse and instance live in."""

    def __init__(self, server: EmulatorServer, root: Path) -> None:
        self.server, self.root = server, root
        self.warehouse = root / "warehouse.duckdb"
        self.home = root / "home"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
        self.env = {
            **clean,
            "DAGSTER_HOME": str(self.home),
            "ZENDESK_SUBDOMAIN": "demo",
            "ZENDESK_BASE_URL": server.base_url,
            "ZENDESK_OAUTH_TOKEN": DEMO_OAUTH_TOKEN,
            "ZENDESK_START_DATE": (date.today() - timedelta(days=120)).isoformat(),
            "ZENDESK_OPT_IN": "ticket_comments",
            "ZENDESK_CORE_RPM": "50000",
            "ZENDESK_INCREMENTAL_RPM": "50000",
            "ZENDESK_PATIENCE_SECONDS": "5",
            "WAREHOUSE_URL": f"duckdb:///{self.warehouse}",
        }

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([ZENDESK_ASSETS, *args], env=self.env, cwd=self.root, capture_output=True, text=True,
                              timeout=timeout)
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        return proc

    def users_me(self) -> int:
        return sum(n for (_m, route, _s), n in self.server.emulator.stats()["requests"].items()
                   if route == "/api/v2/users/me")


@pytest.fixture(scope="module")
def acct() -> Iterator[Account]:
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="cli_operate_", dir=base) as root, \
            EmulatorServer(EmulatorConfig(**SMALL, hold_back_seconds=0)) as server:  # type: ignore[arg-type]
        yield Account(server, Path(root))


def test_0_check_passes_in_three_requests_and_writes_nothing(acct: Account) -> None:
    requests = sum(acct.server.emulator.stats()["requests"].values())
    env = {**acct.env, "ZENDESK_OPT_IN": "audit_logs,ticket_comments", "ZENDESK_CLIENT_ID": DEMO_CLIENT_ID,
           "ZENDESK_CLIENT_SECRET": DEMO_CLIENT_SECRET}
    del env["ZENDESK_OAUTH_TOKEN"]
    proc = subprocess.run([ZENDESK_ASSETS, "check"], env=env, cwd=acct.root, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    marks = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert marks == ["✓"] * 7, proc.stdout
    assert "✓ credentials        Demo Admin <admin@demo.example.com> via OAuth client credentials from " \
           "ZENDESK_CLIENT_SECRET" in proc.stdout
    # the token grant, /users/me and the audit_logs probe: at most three requests per account
    assert sum(acct.server.emulator.stats()["requests"].values()) - requests <= 3
    assert not acct.warehouse.exists()


def test_0b_the_emulator_stages_an_outage_over_http(acct: Account) -> None:
    """`POST /__emulator__/inject` is how a person stages the outage below from a shell."""
    base, auth = acct.server.base_url, {"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"}
    staged = httpx.post(f"{base}/__emulator__/inject", json={"path": "/api/v2/groups*", "fault": "503", "count": 1})
    assert staged.status_code == 200
    assert httpx.get(f"{base}/api/v2/groups", headers=auth).status_code == 503
    assert httpx.get(f"{base}/api/v2/groups", headers=auth).status_code == 200
    refused = httpx.post(f"{base}/__emulator__/inject", json={"path": "/x", "fault": "teapot"})
    assert refused.status_code == 400 and "unknown emulator fault kind" in refused.text


def test_1_outage_of_one_endpoint_fails_only_its_sweep(acct: Account) -> None:
    acct.server.emulator.inject("/api/v2/ticket_forms*", Fault("500"), count=100_000)
    before = acct.users_me()
    started = time.monotonic()
    proc = acct.run("sync", "--json")
    assert time.monotonic() - started < 5 + 120
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "failed" and summary["exit_code"] == 1
    assert summary["not_synced"] == ["zendesk/ticket_forms"]
    assert {"zendesk/tickets", "zendesk/ticket_events", "zendesk/users"} <= set(summary["tables"])  # history ran
    assert [r["part"] for r in summary["runs"]] == ["current", "history"]
    errors = [line for line in proc.stderr.splitlines() if "failed:" in line]
    assert len(errors) == 1
    assert errors[0].startswith(
        "zendesk-assets: zendesk: sweep ticket_forms failed: GET /api/v2/ticket_forms kept failing "
        "(500 Internal Server Error) for "
    )
    assert proc.stderr.rstrip().endswith(
        "zendesk-assets: sync FAILED: 1 failure(s), 0 ERROR check(s); everything that could run did, nothing "
        "committed is lost; fix the cause and rerun to resume"
    )
    assert acct.users_me() - before == 1  # one preflight per account per sync, not one per sweep


def test_2_status_shows_rows_age_history_and_the_last_error(acct: Account) -> None:
    proc = acct.run("status")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    tickets = next(line for line in lines if line.strip().startswith("tickets "))
    assert "min ago on time" in tickets or " s ago on time" in tickets
    assert "stored " in tickets and "months)" in tickets
    forms = lines.index(next(line for line in lines if line.strip().startswith("ticket_forms ")))
    assert "never" in lines[forms]
    assert "last error" in lines[forms + 1] and "GET /api/v2/ticket_forms kept failing" in lines[forms + 1]
    as_json = json.loads(acct.run("status", "--json").stdout)
    by_table = {t["table"]: t for t in as_json["accounts"][0]["tables"]}
    assert by_table["users"]["rows"] == len(acct.server.emulator.truth("users"))
    assert by_table["ticket_forms"]["last_sync"] is None and by_table["users"]["on_time"] is True


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_3_interrupt_ends_cleanly_and_closes_the_run(acct: Account, sig: int, code: int) -> None:
    acct.server.emulator.injected.clear()
    acct.server.emulator.config.latency_ms = 400  # slow enough to be caught mid-run
    try:
        proc = subprocess.Popen([ZENDESK_ASSETS, "sync"], env=acct.env, cwd=acct.root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        seen: list[str] = []
        started = threading.Event()

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                seen.append(line)
                if "run started" in line:
                    started.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert started.wait(90), "".join(seen)
        time.sleep(3)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        reader.join(timeout=10)
        out = proc.stdout.read() if proc.stdout else ""
    finally:
        acct.server.emulator.config.latency_ms = 0
    err = "".join(seen)
    assert proc.returncode == code, err
    assert "Traceback" not in out + err
    assert "interrupted" in err
    with dg.DagsterInstance.from_config(str(acct.home)) as instance:
        runs = instance.get_runs()
        assert runs and all(run.is_finished for run in runs), [(r.run_id, r.status) for r in runs]


def test_3b_a_ctrl_c_inside_a_finaliser_prints_no_traceback(tmp_path: Path) -> None:
    # Python reports an exception raised in a finaliser or a weak-reference callback (where a Ctrl-C
    # can land while SQLAlchemy collects garbage) with a traceback of its own; the CLI's hook drops
    # the interrupt (the command handles it) and files anything else in the crash log.
    code = (
        "import sys\n"
        "from zendesk_assets.cli import _unraisable\n"
        "sys.unraisablehook = _unraisable\n"
        "class Finaliser:\n"
        "    def __init__(self, exc): self.exc = exc\n"
        "    def __del__(self): raise self.exc\n"
        "Finaliser(KeyboardInterrupt())\n"
        "Finaliser(ValueError('from a finaliser'))\n"
        "print('still running')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert proc.returncode == 0 and proc.stdout == "still running\n" and proc.stderr == "", proc.stderr
    assert "ValueError: from a finaliser" in (tmp_path / "zendesk_assets_crash.log").read_text()


def test_4_the_next_sync_resumes_and_every_check_passes(acct: Account) -> None:
    before = acct.users_me()
    proc = acct.run("sync")
    assert proc.returncode == 0, proc.stderr
    expected = sum(len(table_checks(t)) for t in COLLECTIONS if t not in OPT_IN or t in acct.env["ZENDESK_OPT_IN"].split(","))
    assert f"Asset checks: {expected} of {expected} passed" in proc.stdout
    assert acct.users_me() - before == 1


def test_4a_a_sync_with_nothing_new_asks_each_endpoint_at_most_once(acct: Account) -> None:
    # Nothing changes between two syncs: one /users/me, one page per endpoint (these lists fit in
    # one), no clock or plan probes, no counts (the tables did not change since they were compared),
    # and definitions only where an export re-sends its boundary records.
    acct.run("sync")
    before = acct.server.emulator.stats()["requests"]
    proc = acct.run("sync")
    assert proc.returncode == 0, proc.stderr
    after = acct.server.emulator.stats()["requests"]
    asked = {route: n - before.get((m, route, status), 0) for (m, route, status), n in after.items()}
    asked = {route: n for route, n in asked.items() if n}
    assert all(n == 1 for n in asked.values()), asked
    # (archiving moves some accounts' ticket count with no change to the table: that one is asked)
    assert not [route for route in asked if route.endswith("/count") and route != "/api/v2/tickets/count"], asked
    sweeps = {COLLECTIONS[t].sweep for t in COLLECTIONS if t not in OPT_IN or t in acct.env["ZENDESK_OPT_IN"]}
    definitions = {"/api/v2/ticket_fields", "/api/v2/user_fields", "/api/v2/organization_fields"}
    assert sum(asked.values()) <= 1 + len(sweeps) + len(definitions), asked


def test_4b_dagster_asset_materialize_fails_when_an_error_check_fails(acct: Account) -> None:
    """ERROR checks are blocking: `dagster asset materialize` in CI exits non-zero when one fails."""
    shift = 20 * 86400  # the stored tickets window no longer reaches back to the first partition
    con = duckdb.connect(str(acct.warehouse))
    try:
        con.execute(f"UPDATE zendesk._sync_state SET window_start = window_start + {shift} "
                    "WHERE sweep = 'tickets' AND window_end IS NULL")
    finally:
        con.close()
    month = date.today().replace(day=1).isoformat()
    dagster = str(Path(sys.executable).parent / "dagster")
    try:
        proc = subprocess.run(
            [dagster, "asset", "materialize", "-m", "zendesk_assets.definitions", "--select", "zendesk/tickets",
             "--partition", month],
            env=acct.env, cwd=acct.root, capture_output=True, text=True, timeout=240,
        )
    finally:
        con = duckdb.connect(str(acct.warehouse))
        try:
            con.execute(f"UPDATE zendesk._sync_state SET window_start = window_start - {shift} "
                        "WHERE sweep = 'tickets' AND window_end IS NULL")
        finally:
            con.close()
    assert proc.returncode != 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "blocking asset check failed with ERROR severity" in proc.stdout + proc.stderr
    assert "zendesk/tickets: partition_coverage" in proc.stdout + proc.stderr


def test_5_checks_junit_clean_then_a_duplicate_row_fails_primary_key(acct: Account) -> None:
    report = acct.root / "checks.xml"
    proc = acct.run("checks", "--junit", str(report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cases = ET.parse(report).getroot().findall(".//testcase")
    expected = sum(len(table_checks(t)) for t in COLLECTIONS if t not in OPT_IN or t in acct.env["ZENDESK_OPT_IN"].split(","))
    assert len(cases) == expected and not ET.parse(report).getroot().findall(".//failure")

    # A row written around the sync, as Snowflake or BigQuery would accept it (no enforced key).
    con = duckdb.connect(str(acct.warehouse))
    try:
        con.execute('CREATE TABLE zendesk.tickets_copy AS SELECT * FROM zendesk.tickets')
        con.execute('DROP TABLE zendesk.tickets')
        con.execute('ALTER TABLE zendesk.tickets_copy RENAME TO tickets')
        duplicate = con.execute("SELECT min(id) FROM zendesk.tickets").fetchone()[0]  # type: ignore[index]
        con.execute(f"INSERT INTO zendesk.tickets SELECT * FROM zendesk.tickets WHERE id = {duplicate}")
    finally:
        con.close()
    proc = acct.run("checks", "--table", "tickets", "--junit", str(report))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failures = ET.parse(report).getroot().findall(".//testcase/failure/..")
    assert [(c.get("classname"), c.get("name")) for c in failures] == [("zendesk.tickets", "primary_key")]
    message = failures[0].find("failure").get("message")  # type: ignore[union-attr]
    assert message.startswith("tickets primary_key [ERROR]: rows=")  # type: ignore[union-attr]
    assert f"sample_duplicate_ids: [{duplicate}]" in (failures[0].find("failure").text or "")  # type: ignore[union-attr]
    assert "zendesk      tickets                    primary_key            ERROR    FAILED" in proc.stdout
    assert proc.stderr == ""  # the failed check is the table's row, not a run failure besides
