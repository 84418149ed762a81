"""No secret is ever at rest in Dagster's storage, in what a run prints, in the UI or in the warehouse.

Contract: for every way of giving a secret (environment variables: OAuth token, OAuth client id and
secret, legacy API token; the accounts file with ``*_env`` references; ``WAREHOUSE_URL`` and
``ZENDESK_STATE_URL`` holding passwords), a real sync through the console script against the
emulator and PostgreSQL leaves none of the secret values anywhere we can look:

- every file under ``$DAGSTER_HOME``, byte for byte, and every value of every table of every SQLite
  database there, zlib-decompressed when it is compressed (run and job snapshots are);
- the compute logs, the event log and the crash log (they are files in ``$DAGSTER_HOME``);
- what the commands printed;
- the warehouse (every table of the account's schema, as text) and the state store's tables;
- the UI's GraphQL answers: runs with their run config and tags, the event log of every run, the
  resources page (configured values) and each job's default run config (one webserver start).

A ``ZENDESK_BASE_URL`` or inline accounts-file secret is refused (exit 2) without echoing the value.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

import httpx
import psycopg
import pytest

from zendesk_assets.emulator import (
    DEMO_API_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_OAUTH_TOKEN,
    EmulatorConfig,
    EmulatorServer,
)
from zendesk_assets_tests.conftest import POSTGRES_URL
from zendesk_assets_tests.processes import free_port, stop
from zendesk_assets_tests.test_ui_smoke import REPO

ZENDESK_ASSETS = str(Path(sys.executable).parent / "zendesk-assets")
WEBSERVER = str(Path(sys.executable).parent / "dagster-webserver")
TINY = dict(seed=16, tickets=20, users=10, organizations=4, groups=3, ticket_forms=1, activities=4,
            ticket_skips=3, audit_logs=4, history_days=40)


def _with_password(schema: str, password: str) -> str:
    """The test database's URL with a password (trust auth ignores it) and its own search_path."""
    scheme, rest = POSTGRES_URL.split("://", 1)
    user, host = rest.split("@", 1)
    sep = "&" if "?" in host else "?"
    return f"{scheme}://{user.split(':')[0]}:{password}@{host}{sep}options={urlquote(f'-csearch_path={schema}')}"


def _forms(secret: str) -> set[str]:
    """A secret as it could be written down: plain, percent-encoded, base64 (inside a Basic header)."""
    forms = {secret, urlquote(secret, safe="")}
    forms.add(base64.b64encode(secret.encode()).decode().rstrip("="))
    return {f for f in forms if len(f) >= 8}


class Found(list[str]):
    """Where each secret was seen: ``"<where>: <which secret>"``."""

    def look(self, where: str, data: bytes | str, secrets: dict[str, str]) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for name, value in secrets.items():
            if any(form in text for form in _forms(value)):
                self.append(f"{where}: {name}")


def _values(value: Any) -> Iterator[bytes | str]:
    """A stored value and, when it is a zlib stream (Dagster's snapshots), what it decompresses to."""
    if not isinstance(value, bytes | str):
        return
    yield value
    data = value if isinstance(value, bytes) else value.encode("latin-1", "replace")
    if data[:1] == b"x":
        try:
            inflated = zlib.decompress(data)
        except zlib.error:
            return
        yield inflated


def scan_home(home: Path, secrets: dict[str, str], found: Found) -> int:
    """Every file under ``home`` as bytes, and every value of every SQLite table there; files scanned."""
    files = 0
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        files += 1
        data = path.read_bytes()
        found.look(str(path.relative_to(home)), data, secrets)
        if not data.startswith(b"SQLite format 3\x00"):
            continue
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for row in db.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        for text in _values(value):
                            found.look(f"{path.relative_to(home)}:{table}", text, secrets)
        db.close()
    return files


def scan_postgres(schemas: list[str], secrets: dict[str, str], found: Found) -> int:
    """Every row of every table of these schemas, as text; tables scanned."""
    tables = 0
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for schema in schemas:
            names = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])]
            for name in names:
                tables += 1
                for (text,) in conn.execute(f'SELECT t::text FROM "{schema}"."{name}" t'):
                    found.look(f"warehouse {schema}.{name}", text, secrets)
    return tables


@pytest.fixture
def schemas() -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for schema in made:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def root() -> Iterator[Path]:
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="secrets_", dir=base) as path:
        yield Path(path)


def _schema(schemas: list[str]) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    schemas.append(name)
    return name


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}


def _run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZENDESK_ASSETS, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


GRAPHQL = """
query Scan($loc: String!, $repo: String!) {
  runsOrError { __typename ... on Runs { results { runId jobName runConfigYaml tags { key value } } } }
  allTopLevelResourceDetailsOrError(repositorySelector: {repositoryLocationName: $loc, repositoryName: $repo}) {
    __typename
    ... on ResourceDetailsList { results { name configuredValues { key value type } configFields { name } } }
  }
  repositoryOrError(repositorySelector: {repositoryLocationName: $loc, repositoryName: $repo}) {
    __typename ... on Repository { name jobs { name } }
  }
}
"""
JOB_QUERY = """
query Job($loc: String!, $repo: String!, $job: String!) {
  runConfigSchemaOrError(selector: {repositoryLocationName: $loc, repositoryName: $repo, pipelineName: $job}) {
    __typename ... on RunConfigSchema { rootDefaultYaml }
  }
}
"""
LOGS_QUERY = """
query Logs($runId: ID!) {
  logsForRun(runId: $runId) {
    __typename ... on EventConnection { events { __typename ... on MessageEvent { message } } }
  }
}
"""


def scan_graphql(env: dict[str, str], home: Path, secrets: dict[str, str], found: Found) -> dict[str, Any]:
    """Start dagster-webserver on this instance once; scan what the UI asks for. Returns the answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    log = home.parent / "webserver.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [WEBSERVER, "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    answers: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 90
        variables = {"loc": "zendesk_assets", "repo": "__repository__"}
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                resp = httpx.post(url, json={"query": GRAPHQL, "variables": variables}, timeout=30)
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            body = resp.json()
            if body.get("data", {}).get("repositoryOrError", {}).get("__typename") == "Repository":
                break
            time.sleep(0.5)
        answers["workspace"] = body
        texts = [resp.text]
        for job in body["data"]["repositoryOrError"]["jobs"]:
            r = httpx.post(url, json={"query": JOB_QUERY, "variables": {**variables, "job": job["name"]}}, timeout=60)
            answers[f"job {job['name']}"] = r.json()
            texts.append(r.text)
        for run in body["data"]["runsOrError"]["results"]:
            r = httpx.post(url, json={"query": LOGS_QUERY, "variables": {"runId": run["runId"]}}, timeout=60)
            answers[f"logs {run['runId']}"] = r.json()
            texts.append(r.text)
        for i, text in enumerate(texts):
            found.look(f"graphql answer #{i}", text, secrets)
    finally:
        left = stop(proc)
    assert not left, f"dagster-webserver left processes behind: {sorted(left)}"
    return answers


def test_no_secret_given_any_supported_way_is_at_rest_anywhere(root: Path, schemas: list[str]) -> None:
    wh_password, state_password = f"whpw{uuid.uuid4().hex}", f"stpw{uuid.uuid4().hex}"
    wh_schema, state_schema = _schema(schemas), _schema(schemas)
    secrets = {
        "OAuth token": DEMO_OAUTH_TOKEN,
        "OAuth client secret": DEMO_CLIENT_SECRET,
        "API token": DEMO_API_TOKEN,
        "API token as Basic credentials": f"{DEMO_EMAIL}/token:{DEMO_API_TOKEN}",
        "warehouse password": wh_password,
        "state store password": state_password,
    }
    home = root / "home"
    prefix = f"z{uuid.uuid4().hex[:8]}"
    schemas += [f"{prefix}_{n}" for n in ("env_oauth", "file_client", "file_api_token")]
    start = (date.today() - timedelta(days=30)).isoformat()
    with EmulatorServer(EmulatorConfig(**TINY, hold_back_seconds=0)) as server:  # type: ignore[arg-type]
        common = {
            **_clean_env(), "DAGSTER_HOME": str(home), "ZENDESK_START_DATE": start,
            "ZENDESK_CORE_RPM": "50000", "ZENDESK_INCREMENTAL_RPM": "50000",
            "WAREHOUSE_URL": _with_password(wh_schema, wh_password),
            "ZENDESK_STATE_URL": _with_password(state_schema, state_password),
        }
        # 1. the single account from environment variables: OAuth token, URLs with passwords
        env = {**common, "ZENDESK_SUBDOMAIN": "demo", "ZENDESK_BASE_URL": server.base_url,
               "ZENDESK_OAUTH_TOKEN": DEMO_OAUTH_TOKEN, "ZENDESK_SCHEMA": f"{prefix}_env_oauth"}
        proc = _run(env, root, "sync", "--json")
        assert proc.returncode == 0, proc.stderr
        printed = proc.stdout + proc.stderr
        # 2. the accounts file: OAuth client and legacy API token, every secret (and the URLs) by reference
        accounts = root / "accounts.yaml"
        accounts.write_text(json.dumps({"accounts": [
            {"subdomain": "demo", "schema": f"{prefix}_file_client", "base_url": server.base_url,
             "client_id_env": "ACME_CLIENT_ID", "client_secret_env": "ACME_CLIENT_SECRET",
             "warehouse_url_env": "ACME_WAREHOUSE", "state_url_env": "ACME_STATE",
             "core_rpm": 50000, "incremental_rpm": 50000, "start_date": start},
            {"subdomain": "demo", "schema": f"{prefix}_file_api_token", "base_url": server.base_url,
             "email": DEMO_EMAIL, "api_token_env": "ACME_API_TOKEN",
             "core_rpm": 50000, "incremental_rpm": 50000, "start_date": start},
        ]}))
        file_env = {**common, "ZENDESK_ACCOUNTS_FILE": str(accounts), "ACME_CLIENT_ID": DEMO_CLIENT_ID, "ACME_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                    "ACME_API_TOKEN": DEMO_API_TOKEN, "ACME_WAREHOUSE": common["WAREHOUSE_URL"],
                    "ACME_STATE": common["ZENDESK_STATE_URL"]}
        proc = _run(file_env, root, "sync", "--json")
        assert proc.returncode == 0, proc.stderr
        printed += proc.stdout + proc.stderr
        summary = json.loads(proc.stdout)
        assert {r["account"] for r in summary["runs"]} == {f"{prefix}_{n}" for n in ("file_client", "file_api_token")}
        found = Found()
        answers = scan_graphql(file_env, home, secrets, found)
    found.look("what the commands printed", printed, secrets)
    files = scan_home(home, secrets, found)
    tables = scan_postgres(schemas, secrets, found)
    assert not found, "secrets at rest:\n" + "\n".join(dict.fromkeys(found))
    # the scan can fail: it finds what Dagster does store, the variables' names, inside the snapshots
    names = Found()
    scan_home(home, {"client secret variable": "ACME_CLIENT_SECRET", "state URL variable": "ACME_STATE"}, names)
    assert {"history/runs.db:snapshots: client secret variable", "history/runs.db:snapshots: state URL variable"} <= set(names), names
    # the scan looked where the secrets would be: runs, snapshots, compute logs, every table
    assert files >= 4 and (home / "history" / "runs.db").exists(), sorted(p.name for p in home.rglob("*"))
    assert tables >= 16 * 3
    # the UI did show the resources' settings: as the variables' names
    shown = json.dumps({k: v for k, v in answers.items() if k.startswith("job ")})
    assert "ACME_WAREHOUSE" in shown and "ACME_CLIENT_SECRET" in shown, shown[:2000]
    assert sum(1 for k in answers if k.startswith("logs ")) >= 6  # current and history runs of three accounts


def test_refused_secrets_are_not_echoed(root: Path) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    env = {**_clean_env(), "DAGSTER_HOME": str(root / "home"), "ZENDESK_SUBDOMAIN": "acme",
           "ZENDESK_OAUTH_TOKEN": DEMO_OAUTH_TOKEN, "ZENDESK_BASE_URL": f"https://sync:{password}@acme.zendesk.com"}
    proc = _run(env, root, "sync")
    assert proc.returncode == 2, proc.stderr
    assert "ZENDESK_BASE_URL: must not carry a user or password" in proc.stderr
    assert password not in proc.stdout + proc.stderr
    accounts = root / "accounts.yaml"
    accounts.write_text(
        f"accounts:\n  - subdomain: acme\n    oauth_token: {password}a\n"
        f"  - subdomain: globex\n    oauth_token_env: GLOBEX_TOKEN\n"
        f"    warehouse_url: postgresql://sync:{password}b@db/analytics\n"
        f"  - subdomain: initech\n    oauth_token_env: {password}c\n"
    )
    proc = _run({**env, "ZENDESK_ACCOUNTS_FILE": str(accounts)}, root, "sync")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert any("account acme: oauth_token is written inline" in line and "oauth_token_env:" in line for line in lines)
    assert any("account globex: warehouse_url holds a password" in line for line in lines), proc.stderr
    assert any("account initech: oauth_token_env must name an environment variable" in line for line in lines)
    assert password not in proc.stdout + proc.stderr
    assert not (root / "home" / "history").exists()
