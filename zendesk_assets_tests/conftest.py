"""Shared fixtures: a fresh PostgreSQL schema and a temporary DuckDB file per test.

PostgreSQL tests never skip: if the server (127.0.0.1:5432, trust auth, database ``test``,
user ``postgres``; override with ``TEST_POSTGRES_URL``) is down, the test fails and says how to
start it. CI starts it (``.ci/run``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote as urlquote

import psycopg
import pytest

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class PgUrl(str):
    """A PostgreSQL URL whose ``search_path`` is a schema created for this test alone.

    ``.schema`` names that schema (pass it as the warehouse schema); ``.base`` is the URL
    without the search_path option.
    """

    schema: str
    base: str


def _pg_connect(url: str) -> psycopg.Connection:

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL.split('@')[-1]} ({exc.__class__.__name__}). "
            "These tests need it and never skip: start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            "(CI does this in .ci/run), or set TEST_POSTGRES_URL.",
            pytrace=False,
        )


@pytest.fixture
def pg_url() -> Iterator[PgUrl]:
    """A URL into a brand-new schema, dropped (with everything in it) after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_connect(POSTGRES_URL) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = PgUrl(f"{POSTGRES_URL}{sep}options={urlquote(f'-csearch_path={schema}')}")
    url.schema = schema
    url.base = POSTGRES_URL
    try:
        yield url
    finally:
        with _pg_connect(POSTGRES_URL) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    """A SQLAlchemy URL to a DuckDB file in the test's temporary directory."""
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
