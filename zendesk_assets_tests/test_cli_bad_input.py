"""Bad input through the real console script: one clear line, a documented exit code, no traceback.

Contract: every case runs `.venv/bin/zendesk-assets` as a user would (a subprocess with its own
environment, against the emulator over loopback), ends within 60 s (the patience cases within
their budget plus 30 s), prints at most ~10 lines that name the cause, never prints "Traceback",
and writes nothing (no warehouse file; for configuration mistakes not even DAGSTER_HOME) or loses
nothing. Exit codes: 2 configuration/credentials, 3 Zendesk unreachable, 1 a sync failed,
0 with a warning for a plan feature that is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest

from zendesk_assets.emulator import (
    DEMO_AGENT_OAUTH_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_OAUTH_TOKEN,
    EmulatorConfig,
    EmulatorServer,
)

ZENDESK_ASSETS = str(Path(sys.executable).parent / "zendesk-assets")
PROG = "zendesk-assets: "
SMALL = dict(seed=5, tickets=60, users=30, organizations=8, groups=3, ticket_forms=2, activities=10,
             ticket_skips=8, audit_logs=12, history_days=90)
START = (date.today() - timedelta(days=120)).isoformat()
NOT_SYNCED = "zendesk-assets: nothing was synced; `zendesk-assets check` shows every item of every account"
SUBDOMAIN_RULE = (
    "expected the part before .zendesk.com (e.g. 'acme' for https://acme.zendesk.com): 3-63 characters, starting "
    "with a letter, letters/digits/hyphens only. Host-mapped brand domains such as support.acme.com are not the "
    "API host."
)


@dataclass
class Ran:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**SMALL)) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def tmp() -> Iterator[Path]:
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="cli_bad_", dir=base) as path:
        yield Path(path)


def cli(tmp: Path, env: Mapping[str, str], *args: str, timeout: float = 60) -> Ran:
    """The console script with only ``env`` configured (nothing inherited from the test's shell)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
    clean["DAGSTER_HOME"] = str(tmp / "home")
    started = time.monotonic()
    proc = subprocess.run([ZENDESK_ASSETS, *args], env={**clean, **env}, cwd=tmp, capture_output=True, text=True,
                          timeout=timeout)
    ran = Ran(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
    assert "Traceback" not in ran.out + ran.err, ran.err
    assert ran.seconds < timeout
    return ran


def account(server: EmulatorServer, tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "ZENDESK_SUBDOMAIN": "demo",
        "ZENDESK_BASE_URL": server.base_url,
        "ZENDESK_OAUTH_TOKEN": DEMO_OAUTH_TOKEN,
        "ZENDESK_START_DATE": START,
        "ZENDESK_CORE_RPM": "50000",
        "ZENDESK_INCREMENTAL_RPM": "50000",
        "WAREHOUSE_URL": f"duckdb:///{tmp / 'warehouse.duckdb'}",
        **extra,
    }


def assert_config_refused(ran: Ran, tmp: Path, *expected: str) -> None:
    """Exit 2, exactly the expected lines, and nothing created: not even DAGSTER_HOME."""
    assert ran.code == 2, ran.err
    assert ran.lines == [PROG + line for line in expected]
    assert ran.out == ""
    assert not (tmp / "home").exists() and not (tmp / "warehouse.duckdb").exists()


def assert_preflight_refused(ran: Ran, tmp: Path, line: str, code: int = 2) -> None:
    """The first broken item's line, the "nothing was synced" line, the exit code; no warehouse file."""
    assert ran.code == code, ran.err
    assert ran.lines == [PROG + line, NOT_SYNCED]
    assert not (tmp / "warehouse.duckdb").exists()
    assert not list((tmp / "home").glob("history/runs/*"))  # no run was launched


# --------------------------------------------------------------------------- configuration


def test_no_environment_at_all(tmp: Path) -> None:
    assert_config_refused(
        cli(tmp, {}, "sync"), tmp,
        "no Zendesk account is configured: set ZENDESK_SUBDOMAIN and credentials (ZENDESK_CLIENT_ID + "
        "ZENDESK_CLIENT_SECRET, or ZENDESK_OAUTH_TOKEN), or point ZENDESK_ACCOUNTS_FILE at an accounts file "
        "(README: 'Point it at your Zendesk account')",
    )


@pytest.mark.parametrize("given", ["https://DEMO.zendesk.com/agent/tickets/5", "DEMO"])
def test_pasted_url_or_uppercase_subdomain_is_normalised(emulator: EmulatorServer, tmp: Path, given: str) -> None:
    ran = cli(tmp, account(emulator, tmp, ZENDESK_SUBDOMAIN=given), "check")
    assert ran.code == 0, ran.out + ran.err
    assert "✓ configuration      subdomain demo, schema zendesk, OAuth token from ZENDESK_OAUTH_TOKEN" in ran.out
    assert ran.out.rstrip().endswith("ready: 1 account(s) can sync (`zendesk-assets sync`)")


@pytest.mark.parametrize("given", ["evil.com#.zendesk.com", "acme.zendesk.com.evil.com"])
def test_lookalike_subdomain_is_refused(tmp: Path, given: str) -> None:
    env = {"ZENDESK_SUBDOMAIN": given, "ZENDESK_OAUTH_TOKEN": "t"}
    assert_config_refused(cli(tmp, env, "sync"), tmp,
                          f"ZENDESK_SUBDOMAIN: invalid Zendesk subdomain {given!r}: {SUBDOMAIN_RULE}")


@pytest.mark.parametrize(
    ("setting", "value", "line"),
    [
        ("ZENDESK_START_DATE", "01/02/2020", "ZENDESK_START_DATE: must be a real date like 2020-01-01, got '01/02/2020'"),
        ("ZENDESK_CORE_RPM", "0", "ZENDESK_CORE_RPM: must be a whole number of requests per minute above 0, got 0"),
        ("ZENDESK_INCREMENTAL_RPM", "-5", "ZENDESK_INCREMENTAL_RPM: must be a whole number of requests per minute above 0, got -5"),
        ("ZENDESK_CORE_RPM", "0.5", "ZENDESK_CORE_RPM: must be a whole number of requests per minute above 0, got '0.5'"),
        ("ZENDESK_OPT_IN", "ticket_coments", "ZENDESK_OPT_IN: 'ticket_coments' is not a collection (did you mean 'ticket_comments'?)"),
        ("ZENDESK_SCHEMA", "public", "ZENDESK_SCHEMA: 'public' is reserved by the database; use your own, e.g. 'zendesk' or 'zendesk_acme'"),
        ("ZENDESK_SCHEMA", "pg_catalog", "ZENDESK_SCHEMA: 'pg_catalog' is reserved by the database; use your own, e.g. 'zendesk' or 'zendesk_acme'"),
        ("ZENDESK_SCHEMA", "information_schema", "ZENDESK_SCHEMA: 'information_schema' is reserved by the database; use your own, e.g. 'zendesk' or 'zendesk_acme'"),
    ],
)
def test_bad_setting_in_the_environment(tmp: Path, setting: str, value: str, line: str) -> None:
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t", setting: value}
    assert_config_refused(cli(tmp, env, "sync"), tmp, line)


def test_start_date_in_the_future(tmp: Path) -> None:
    later = (date.today() + timedelta(days=30)).isoformat()
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t", "ZENDESK_START_DATE": later}
    assert_config_refused(
        cli(tmp, env, "sync"), tmp,
        f"ZENDESK_START_DATE: {later} is in the future, so nothing would be synced; use the first day you want "
        "history from, e.g. 2020-01-01",
    )


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("accounts: [\n  - subdomain: acme\n", "{path} is not valid YAML at line 2, column 3: expected the node content, but found '-'"),
        ("accounts:\n  - subdomain: acme\n    oauth_token_env: T\n    core_rmp: 400\n",
         "{path}: account acme: unknown key 'core_rmp' (did you mean 'core_rpm'?)"),
        ("accounts:\n  - subdomain: acme\n    oauth_token_env: T\n    opt_inn: [ticket_comments]\n",
         "{path}: account acme: unknown key 'opt_inn' (did you mean 'opt_in'?)"),
        ("accounts:\n  - {subdomain: acme, schema: z, oauth_token_env: T}\n  - {subdomain: globex, schema: z, oauth_token_env: T}\n",
         "{path}: two accounts share the schema 'z'; give each its own 'schema' (and 'name')"),
        ("accounts:\n  - {subdomain: acme, name: one, schema: a, oauth_token_env: T}\n  - {subdomain: globex, name: one, schema: b, oauth_token_env: T}\n",
         "{path}: two accounts share the name 'one'; give each its own 'name'"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, core_rpm: 1.5}\n",
         "{path}: account acme: core_rpm: must be a whole number of requests per minute above 0, got 1.5"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, start_date: 2020-02-30}\n",
         "{path}: account acme: start_date: must be a real date like 2020-01-01, got '2020-02-30' (day is out of range for month)"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, opt_in: [audit_log]}\n",
         "{path}: account acme: opt_in: 'audit_log' is not a collection (did you mean 'audit_logs'?)"),
        ("accounts:\n  - {subdomain: acme, schema: public, oauth_token_env: T}\n",
         "{path}: account public: schema: 'public' is reserved by the database; use your own, e.g. 'zendesk' or 'zendesk_acme'"),
        ("accounts:\n  - {subdomain: acme, oauth_token: s3cret-token}\n",
         "{path}: account acme: oauth_token is written inline; secrets never go in the accounts file: put it in an "
         "environment variable and write `oauth_token_env: ACME_ZENDESK_OAUTH_TOKEN`"),
        ("accounts:\n  - {subdomain: acme, client_id: c, client_secret: s3cret-token}\n",
         "{path}: account acme: client_secret is written inline; secrets never go in the accounts file: put it in an "
         "environment variable and write `client_secret_env: ACME_ZENDESK_CLIENT_SECRET`"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, warehouse_url: 'postgresql://u:s3cret-token@db/x'}\n",
         "{path}: account acme: warehouse_url holds a password; secrets never go in the accounts file: put the URL in "
         "an environment variable and write `warehouse_url_env: ACME_WAREHOUSE_URL`"),
    ],
    ids=["not-yaml", "core_rmp", "opt_inn", "duplicate-schema", "duplicate-name", "rpm-1.5", "2020-02-30",
         "misspelled-opt-in", "reserved-schema", "inline-token", "inline-client-secret", "url-with-password"],
)
def test_bad_accounts_file(tmp: Path, body: str, line: str) -> None:
    path = tmp / "accounts.yaml"
    path.write_text(body)
    ran = cli(tmp, {"ZENDESK_ACCOUNTS_FILE": str(path), "T": "token"}, "sync")
    assert_config_refused(ran, tmp, line.format(path=path))
    assert "s3cret-token" not in ran.err
    assert sorted(p.name for p in tmp.iterdir()) == ["accounts.yaml"]


# --------------------------------------------------------------------------- where the credentials go

CLEAR_TEXT = "would send the credentials in clear text; only https is allowed for a host other than this machine " \
             "(127.0.0.1, ::1, localhost)"


@pytest.mark.parametrize(
    ("base_url", "allow", "line"),
    [
        ("http://203.0.113.5:8080", "1", f"ZENDESK_BASE_URL: plain http to 203.0.113.5 {CLEAR_TEXT}"),
        ("http://attacker.example", "", f"ZENDESK_BASE_URL: plain http to attacker.example {CLEAR_TEXT}"),
        ("https://acme.zendesk.com.evil.example", "1", "ZENDESK_BASE_URL: acme.zendesk.com.evil.example only looks "
         "like a Zendesk host; the API host of subdomain 'acme' is acme.zendesk.com"),
        ("https://proxy.example", "", "ZENDESK_BASE_URL: proxy.example is not Zendesk (acme.zendesk.com) and the "
         "credentials would be sent there; set ZENDESK_ALLOW_CUSTOM_BASE_URL=1 (accounts file: "
         "allow_custom_base_url: true) to send it there on purpose"),
    ],
    ids=["http-ip", "http-host", "lookalike", "custom-without-opt-in"],
)
def test_credentials_never_go_to_an_unsafe_base_url(tmp: Path, base_url: str, allow: str, line: str) -> None:
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t", "ZENDESK_BASE_URL": base_url,
           "ZENDESK_ALLOW_CUSTOM_BASE_URL": allow}
    assert_config_refused(cli(tmp, env, "sync"), tmp, line)


def test_unsafe_base_url_in_the_accounts_file(tmp: Path) -> None:
    path = tmp / "accounts.yaml"
    path.write_text("accounts:\n  - {subdomain: acme, oauth_token_env: T, base_url: 'http://10.0.0.8',"
                    " allow_custom_base_url: true}\n")
    ran = cli(tmp, {"ZENDESK_ACCOUNTS_FILE": str(path), "T": "token"}, "check")
    assert_config_refused(ran, tmp, f"{path}: account acme: base_url: plain http to 10.0.0.8 {CLEAR_TEXT}")


def test_custom_base_url_with_opt_in_warns_once(tmp: Path) -> None:
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t", "ZENDESK_BASE_URL": "https://zd-proxy.invalid",
           "ZENDESK_ALLOW_CUSTOM_BASE_URL": "1", "ZENDESK_PATIENCE_SECONDS": "1"}
    ran = cli(tmp, env, "sync")
    assert ran.code == 3, ran.err  # allowed, so it was tried: the .invalid host does not resolve
    assert ran.lines[0] == (
        "zendesk-assets: warning: zendesk: the credentials of subdomain 'acme' are sent to https://zd-proxy.invalid, "
        "not to acme.zendesk.com (allowed by ZENDESK_ALLOW_CUSTOM_BASE_URL / allow_custom_base_url)"
    )
    assert sum("warning" in line for line in ran.lines) == 1
    assert ran.lines[1].startswith("zendesk-assets: zendesk: Zendesk at https://zd-proxy.invalid did not answer")


# --------------------------------------------------------------------------- credentials and Zendesk


def test_wrong_token(emulator: EmulatorServer, tmp: Path) -> None:
    ran = cli(tmp, account(emulator, tmp, ZENDESK_OAUTH_TOKEN="not-a-real-token"), "sync")
    assert_preflight_refused(
        ran, tmp,
        "zendesk: credentials rejected for account demo: invalid_token: The access token provided is expired, "
        "revoked, malformed or invalid for other reasons. (401 on /api/v2/users/me); check that the token in "
        "ZENDESK_OAUTH_TOKEN is current and not revoked, that it was issued for this subdomain, and that it has "
        "the 'read' scope; expiring tokens need OAuth client credentials instead so they can be renewed",
    )
    assert "not-a-real-token" not in ran.err


def test_expired_oauth_token(emulator: EmulatorServer, tmp: Path) -> None:
    grant = httpx.post(f"{emulator.base_url}/oauth/tokens", json={
        "grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
        "scope": "read", "expires_in": 1})
    token = grant.json()["access_token"]
    time.sleep(2.1)
    ran = cli(tmp, account(emulator, tmp, ZENDESK_OAUTH_TOKEN=token), "check")
    assert ran.code == 2
    assert "  ✗ credentials        zendesk: credentials rejected for account demo: invalid_token: The access token " \
           "provided is expired, revoked, malformed or invalid for other reasons." in ran.out
    assert token not in ran.out + ran.err


def test_non_admin_token(emulator: EmulatorServer, tmp: Path) -> None:
    ran = cli(tmp, account(emulator, tmp, ZENDESK_OAUTH_TOKEN=DEMO_AGENT_OAUTH_TOKEN), "sync")
    assert_preflight_refused(
        ran, tmp,
        "zendesk: the credentials belong to Demo Agent <agent@demo.example.com> whose role is 'agent', but the "
        "sync needs an admin (incremental exports return 403 to agents); authenticate as an admin or have an "
        "admin issue the OAuth token",
    )


def test_client_credentials_rejected(emulator: EmulatorServer, tmp: Path) -> None:
    env = account(emulator, tmp, ZENDESK_CLIENT_ID=DEMO_CLIENT_ID, ZENDESK_CLIENT_SECRET="wrong-secret")
    del env["ZENDESK_OAUTH_TOKEN"]
    ran = cli(tmp, env, "sync")
    assert_preflight_refused(
        ran, tmp,
        "zendesk: OAuth client_credentials grant rejected (401: invalid_client: Client authentication failed due "
        "to unknown client, no client authentication included, or unsupported method.); check the client id "
        f"({DEMO_CLIENT_ID}, from ZENDESK_CLIENT_ID) and the secret in ZENDESK_CLIENT_SECRET against Admin Center "
        "> Apps and integrations > APIs > OAuth clients: the client must be confidential, belong to this "
        "subdomain, and be allowed the client_credentials grant with the 'read' scope",
    )
    assert "wrong-secret" not in ran.err


def test_unreachable_base_url(emulator: EmulatorServer, tmp: Path) -> None:
    ran = cli(tmp, account(emulator, tmp, ZENDESK_BASE_URL="http://127.0.0.1:9"), "sync")
    assert ran.code == 3, ran.err
    assert ran.lines[0].startswith(
        "zendesk-assets: zendesk: Zendesk at http://127.0.0.1:9 did not answer (network error (ConnectError), for "
    )
    assert ran.lines[0].endswith("s); check ZENDESK_BASE_URL / base_url and the network, or retry later "
                                 "(status.zendesk.com)")
    assert ran.lines[1:] == [NOT_SYNCED]


def test_5xx_storm_outlasting_the_patience_budget(tmp: Path) -> None:
    with EmulatorServer(EmulatorConfig(**{**SMALL, "faults": "500:1.0"})) as storm:  # type: ignore[arg-type]
        ran = cli(tmp, account(storm, tmp, ZENDESK_PATIENCE_SECONDS="6"), "sync", timeout=6 + 30)
    assert ran.code == 3, ran.err
    assert ran.lines[0].startswith(f"zendesk-assets: zendesk: Zendesk at {storm.base_url} did not answer (500 ")
    assert ran.lines[1:] == [NOT_SYNCED]


def test_audit_logs_on_a_plan_without_them_is_a_warning(tmp: Path) -> None:
    with EmulatorServer(EmulatorConfig(**{**SMALL, "plan": "team"})) as team:  # type: ignore[arg-type]
        ran = cli(tmp, account(team, tmp, ZENDESK_OPT_IN="audit_logs"), "check")
    assert ran.code == 0, ran.out + ran.err
    assert ("  ! plan: audit_logs   audit_logs is not available on this Zendesk plan or to this user; its sweep will "
            "store nothing (remove it from the opt-in list to silence this)") in ran.out


def test_a_plan_downgraded_since_its_last_check_is_a_warning_not_a_failure(emulator: EmulatorServer, tmp: Path) -> None:
    # `check` on the Enterprise account remembers audit logs as available for a day; the account
    # then drops to a plan without them. The sync trusts the remembered answer, its audit_logs
    # sweep meets the refusal on its first read: a warning, nothing stored, the other tables land.
    env = {**account(emulator, tmp, ZENDESK_OPT_IN="audit_logs")}
    assert cli(tmp, env, "check").code == 0
    with EmulatorServer(EmulatorConfig(**{**SMALL, "plan": "team"})) as team:  # type: ignore[arg-type]
        ran = cli(tmp, {**env, "ZENDESK_BASE_URL": team.base_url}, "sync", timeout=180)
        assert ran.code == 0, ran.err
        assert f"{PROG}zendesk: audit_logs: not on this plan, 0 rows, 0 pages" in ran.err, ran.err
        rows = duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True).execute(
            "SELECT (SELECT count(*) FROM zendesk.users), (SELECT count(*) FROM zendesk.audit_logs)"
        ).fetchone()
        assert rows is not None and rows[0] > 0 and rows[1] == 0
        # ...and the refusal is remembered: the next sync's preflight says so before it starts
        again = cli(tmp, {**env, "ZENDESK_BASE_URL": team.base_url}, "sync", timeout=180)
    assert again.code == 0, again.err
    assert again.lines[0].startswith(f"{PROG}warning: zendesk: audit_logs is not available on this Zendesk plan"), again.err


# --------------------------------------------------------------------------- warehouse


@pytest.mark.parametrize(
    ("url", "line"),
    [
        ("not a url", "zendesk: the warehouse: WAREHOUSE_URL is not a SQLAlchemy URL; write it like "
                      "postgresql+psycopg://user@host:5432/db or duckdb:///path/to/zendesk.duckdb"),
        ("postgresql://postgres:s3cret-token@127.0.0.1:9/test",
         "zendesk: the warehouse at postgresql+psycopg://postgres:***@127.0.0.1:9/test is not usable: connection "
         "failed: connection to server at \"127.0.0.1\", port 9 failed: Connection refused"),
        ("duckdb:////proc/zendesk.duckdb",
         "zendesk: the warehouse: cannot create the DuckDB file /proc/zendesk.duckdb: no file can be created in "
         "/proc (No such file or directory); point WAREHOUSE_URL at a writable directory"),
        ("mysql://user@db.example/zendesk",
         "zendesk: the warehouse: WAREHOUSE_URL uses mysql (driver mysqldb), which is not installed; installed: "
         "{installed}. Add one with `.venv/bin/pip install mysqlclient` (or pymysql, with a mysql+pymysql:// URL), "
         "or use PostgreSQL or DuckDB (the tested ones)"),
        ("duckdb:///warehouse.duckdb?memory_limit=16MB",
         "zendesk: the warehouse: memory_limit=16MB on WAREHOUSE_URL is below the 64MB a sync needs (DuckDB's JSON "
         "reader takes 32MB for every page it stages); raise it or leave it out (64MB by default)"),
        ("duckdb:///warehouse.duckdb?memory_limit=lots",
         "zendesk: the warehouse: memory_limit=lots on WAREHOUSE_URL is not a size DuckDB understands; write it "
         "like memory_limit=512MB"),
    ],
    ids=["malformed", "unreachable", "read-only-directory", "mysql-driver-missing", "duckdb-memory-too-small",
         "duckdb-memory-unreadable"],
)
def test_bad_warehouse(emulator: EmulatorServer, tmp: Path, url: str, line: str) -> None:
    from zendesk_assets.cli.preflight import KNOWN_DRIVERS, _importable

    installed = ", ".join(sorted(d for d, module in KNOWN_DRIVERS.items() if _importable(module)))
    ran = cli(tmp, account(emulator, tmp, WAREHOUSE_URL=url), "sync")
    assert_preflight_refused(ran, tmp, line.format(installed=installed))
    assert "s3cret-token" not in ran.err
