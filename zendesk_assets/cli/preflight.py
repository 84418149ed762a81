"""Everything that must hold before a run is worth launching, checked per account in seconds.

Order matters: the state store first (the client keeps its rate budget and OAuth tokens there),
then Zendesk (reachable, credentials, admin role, plan features: two requests at most, plus one per plan-gated opt-in), then the
warehouse (reachable and writable, nothing written). Each item is a ✓/✗/! line; a ✗ names the
account, the cause and what to do, and carries the exit code it stands for.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from zendesk_assets.cli.common import CONFIG, OK, UNREACHABLE
from zendesk_assets.collections import SWEEPS, Sweep
from zendesk_assets.config import AccountConfig, ConfigError
from zendesk_assets.warehouse.dialects import Dialect, DuckDBDialect, dialect_for, normalise_url
from zendesk_assets.warehouse.naming import mask_url
from zendesk_assets.zendesk.errors import (
    ZendeskAuthError,
    ZendeskError,
    ZendeskPermissionError,
    ZendeskRequestError,
)
from zendesk_assets.zendesk.preflight import check_account
from zendesk_assets.zendesk.resource import ZendeskResource
from zendesk_assets.zendesk.settings import API_TOKEN_SUNSET, env_name, reveal
from zendesk_assets.zendesk.state import StateStore, default_state_url

# The preflight is for a person waiting at a terminal: give up on an unreachable Zendesk sooner than a run.
PREFLIGHT_PATIENCE_SECONDS = 15.0
PREFLIGHT_TIMEOUT_SECONDS = 20.0
WAREHOUSE_CONNECT_SECONDS = 10
# Drivers a URL's backend needs, and the package that brings each (for the "not installed" message).
DRIVER_PACKAGES = {
    "mysql": "mysqlclient",
    "mariadb": "mariadb",
    "mssql": "pyodbc",
    "oracle": "oracledb",
    "snowflake": "snowflake-sqlalchemy",
    "bigquery": "sqlalchemy-bigquery",
    "redshift": "sqlalchemy-redshift redshift_connector",
}
DRIVER_HINTS = {"mysql": " (or pymysql, with a mysql+pymysql:// URL)"}
KNOWN_DRIVERS = {"duckdb": "duckdb_engine", "postgresql+psycopg": "psycopg", "postgresql+psycopg2": "psycopg2",
                 "sqlite": "sqlite3", "mysql+pymysql": "pymysql", "mysql+mysqldb": "MySQLdb",
                 "snowflake": "snowflake.sqlalchemy", "bigquery": "sqlalchemy_bigquery"}

log = logging.getLogger("zendesk_assets.cli")


@dataclass(frozen=True)
class Item:
    """One line of `zendesk-assets check`."""

    account: str
    what: str
    status: str  # "ok" | "fail" | "warn"
    detail: str
    code: int = OK  # the exit code a failure stands for

    @property
    def failed(self) -> bool:
        return self.status == "fail"


class Broken(Exception):
    """One item failed; the message is the line to print."""

    def __init__(self, what: str, detail: str, code: int) -> None:
        super().__init__(detail)
        self.what, self.detail, self.code = what, detail, code


def resolve_setting(url: str | None, what: str) -> tuple[str | None, str]:
    """A URL setting's value and how to name it ("WAREHOUSE_URL", or "the accounts file's warehouse_url")."""
    if url is None:
        return None, what
    name = env_name(url)
    return reveal(url, what), (name or what)


# --------------------------------------------------------------------------- state store


def check_state_store(account: AccountConfig) -> str:
    url, label = resolve_setting(account.state_url, "state_url")
    url = url or default_state_url()
    try:
        with contextlib.closing(StateStore(url).engine.connect()) as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        raise Broken(
            "state store",
            f"{account.name}: cannot use the state store {mask_url(url)} ({_reason(exc)}); fix {label} "
            "or unset it for the default SQLite file in $DAGSTER_HOME",
            CONFIG,
        ) from None
    return mask_url(url)


# --------------------------------------------------------------------------- Zendesk


def zendesk_items(account: AccountConfig, reuse_plan: bool = False) -> Iterator[Item]:
    """Reachable, credentials, admin role, plan features: a token grant, /users/me, one probe per plan-gated opt-in.
    With ``reuse_plan`` (the sync's preflight) a remembered plan answer stands in for its probe."""
    name = account.name
    fields = account.zendesk_fields(list(ZendeskResource.model_fields))
    fields["patience_seconds"] = min(account.patience_seconds, PREFLIGHT_PATIENCE_SECONDS)
    resource = ZendeskResource(**fields, timeout_seconds=PREFLIGHT_TIMEOUT_SECONDS, max_retries=3)
    try:
        client = resource.get_client(log=log)
        _, custom_origin = resource.origin()
    except ConfigError as exc:
        raise Broken("configuration", f"{name}: {_strip(exc)}", CONFIG) from None
    if custom_origin:
        yield Item(name, "Zendesk host", "warn", custom_origin)
    gated = _plan_gated(account)
    probes = [sweep.endpoint for sweep in gated]
    origin = client.settings.origin
    started = time.monotonic()
    try:
        status = check_account(client, probes, reuse_plan=reuse_plan)
    except ZendeskAuthError as exc:
        raise Broken("credentials", f"{name}: {_strip(exc)}", CONFIG) from None
    except ZendeskPermissionError as exc:
        what = "admin role" if "role is" in str(exc) else "credentials"
        raise Broken(what, f"{name}: {_strip(exc)}", CONFIG) from None
    except ZendeskRequestError as exc:
        if exc.status is None or exc.status >= 500:
            found = re.search(r"kept failing \((.*)\) for (\d+) s", str(exc))
            why = f"{found.group(1)}, for {found.group(2)} s" if found else _strip(exc)
            setting = "ZENDESK_BASE_URL / base_url" if account.base_url else "the subdomain"
            raise Broken(
                "Zendesk reachable",
                f"{name}: Zendesk at {origin} did not answer ({why}); check {setting} and the network, "
                "or retry later (status.zendesk.com)",
                UNREACHABLE,
            ) from None
        hint = " (is the subdomain right?)" if exc.status == 404 else ""
        raise Broken("Zendesk reachable", f"{name}: {_strip(exc)}{hint}", CONFIG) from None
    except ZendeskError as exc:
        raise Broken("Zendesk reachable", f"{name}: {_strip(exc)}", UNREACHABLE) from None
    finally:
        requests = client.telemetry.requests + int(getattr(client.auth, "grants_issued", 0))
        client.close()
    took = (time.monotonic() - started) * 1000
    user = status.user
    yield Item(name, "Zendesk reachable", "ok", f"{origin} ({requests} requests, {took:,.0f} ms)")
    yield Item(name, "credentials", "ok", f"{user.name} <{user.email}> via {_auth_label(account)}")
    if user.auth_method == "api_token":
        yield Item(name, "credentials", "warn", API_TOKEN_SUNSET)
    yield Item(name, "admin role", "ok", user.role)
    for sweep in gated:
        tables = ", ".join(t for t in sweep.tables if account.enabled(t))
        if sweep.endpoint in status.unavailable:
            yield Item(
                name,
                f"plan: {tables}",
                "warn",
                f"{tables} is not available on this Zendesk plan or to this user; its sweep will store nothing "
                f"(remove it from the opt-in list to silence this)",
            )
        else:
            yield Item(name, f"plan: {tables}", "ok", "available")


def _plan_gated(account: AccountConfig) -> list[Sweep]:
    """The sweeps this account syncs whose endpoint not every Zendesk plan has (``Sweep.plan``)."""
    return [s for s in SWEEPS.values() if s.plan and any(account.enabled(t) for t in s.tables)]


def _auth_label(account: AccountConfig) -> str:
    auth = account.auth
    if auth is None:
        return "no credentials"
    secret = {"oauth_token": "token", "oauth_client": "client_secret", "api_token": "api_token"}[auth.kind]
    ref = env_name(getattr(auth, secret))
    kind = {"oauth_token": "OAuth token", "oauth_client": "OAuth client credentials",
            "api_token": "legacy API token"}[auth.kind]
    return f"{kind} from {ref}" if ref else kind


# --------------------------------------------------------------------------- warehouse


def check_warehouse(account: AccountConfig) -> str:
    """Reachable and writable, proven inside a transaction that is rolled back: nothing is written."""
    raw, label = resolve_setting(account.warehouse_url, "warehouse_url")
    what = f"{account.name}: the warehouse"
    try:
        url = sa.engine.make_url(normalise_url(raw))
    except Exception:
        raise Broken(
            "warehouse",
            f"{what}: {label} is not a SQLAlchemy URL; write it like postgresql+psycopg://user@host:5432/db or "
            "duckdb:///path/to/zendesk.duckdb",
            CONFIG,
        ) from None
    shown = mask_url(url.render_as_string(hide_password=False))
    _require_driver(url, label, what)
    if url.get_backend_name() == "duckdb":
        memory = DuckDBDialect.url_memory_limit(url)
        problem = DuckDBDialect.memory_limit_problem(memory) if memory is not None else None
        if problem:
            raise Broken("warehouse", f"{what}: memory_limit={memory} on {label} {problem}", CONFIG)
        return _check_duckdb(url, account, what, shown)
    options = {"connect_timeout": WAREHOUSE_CONNECT_SECONDS} if url.get_backend_name() == "postgresql" else {}
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=options)
    try:
        _probe_write(engine, dialect_for(url.render_as_string(hide_password=False)), account.schema_name)
    except Exception as exc:
        raise Broken("warehouse", f"{what} at {shown} is not usable: {_reason(exc)}", CONFIG) from None
    finally:
        engine.dispose()
    return f"{shown}, schema {account.schema_name} writable"


def _require_driver(url: sa.engine.URL, label: str, what: str) -> None:
    dialect_driver = url.get_driver_name()
    try:
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except Exception:
        backend = url.get_backend_name()
        installed = sorted(d for d, module in KNOWN_DRIVERS.items() if _importable(module))
        package = DRIVER_PACKAGES.get(backend, f"the SQLAlchemy dialect package for {backend}")
        raise Broken(
            "warehouse",
            f"{what}: {label} uses {url.drivername} (driver {dialect_driver}), which is not installed; installed: "
            f"{', '.join(installed)}. Add one with `.venv/bin/pip install {package}`{DRIVER_HINTS.get(backend, '')}, "
            "or use PostgreSQL or DuckDB (the tested ones)",
            CONFIG,
        ) from None


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except Exception:
        return False
    return True


def _check_duckdb(url: sa.engine.URL, account: AccountConfig, what: str, shown: str) -> str:
    database = url.database or ""
    if database in ("", ":memory:"):
        return f"{shown} (in memory: nothing is kept after the run)"
    path = Path(database).expanduser().resolve()
    if not path.exists():
        directory = path.parent
        if not directory.is_dir():
            raise Broken("warehouse", f"{what}: the directory {directory} does not exist; create it or "
                         "point WAREHOUSE_URL elsewhere", CONFIG)
        try:
            with tempfile.NamedTemporaryFile(dir=directory, prefix=".zendesk_assets_probe_"):
                pass
        except OSError as exc:
            raise Broken(
                "warehouse",
                f"{what}: cannot create the DuckDB file {path}: no file can be created in {directory} "
                f"({exc.strerror}); point WAREHOUSE_URL at a writable directory",
                CONFIG,
            ) from None
        return f"{shown} (will be created), schema {account.schema_name}"
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        _probe_write(engine, dialect_for(url.render_as_string(hide_password=False)), account.schema_name)
    except Exception as exc:
        reason = _reason(exc)
        if "lock" in reason.lower():
            reason = "another process has it open (a running sync, `dagster dev` or a DuckDB shell); retry when it is done"
        raise Broken("warehouse", f"{what}: the DuckDB file {path} is not usable: {reason}", CONFIG) from None
    finally:
        engine.dispose()
    return f"{shown}, schema {account.schema_name} writable"


class _Rollback(Exception):
    pass


def _probe_write(engine: sa.Engine, dialect: Dialect, schema: str) -> None:
    """CREATE SCHEMA and a table in it, named as the warehouse names them, then roll back."""
    namespace = dialect.namespace(schema)
    with contextlib.suppress(_Rollback), engine.connect() as conn, conn.begin():
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
        conn.exec_driver_sql(f"CREATE TABLE {namespace}.{dialect.quote('_zendesk_assets_write_probe')} (id INTEGER)")
        raise _Rollback


# --------------------------------------------------------------------------- helpers


def _strip(exc: BaseException) -> str:
    """The message without the client's ``zendesk[acme]:`` prefix (the line names the account)."""
    text = str(exc).strip()
    if text.startswith("zendesk[") and "]: " in text:
        text = text.split("]: ", 1)[1]
    return text


def _reason(exc: BaseException) -> str:
    """A database error's first line, without SQLAlchemy's boilerplate or any password."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return text[:300]


def account_items(account: AccountConfig, reuse_plan: bool = False) -> Iterator[Item]:
    """Every preflight item of one account, in order; the first failure ends the account's list.
    ``check`` asks Zendesk about every plan feature; the sync may reuse a recent answer."""
    name = account.name
    opt_in = f", opt-in: {', '.join(sorted(account.opt_in))}" if account.opt_in else ""
    yield Item(name, "configuration", "ok",
               f"subdomain {account.subdomain}, schema {account.schema_name}, {_auth_label(account)}{opt_in}")
    try:
        yield Item(name, "state store", "ok", check_state_store(account))
        yield from zendesk_items(account, reuse_plan)
        yield Item(name, "warehouse", "ok", check_warehouse(account))
    except Broken as broken:
        yield Item(name, broken.what, "fail", broken.detail, broken.code)
    except ConfigError as exc:
        yield Item(name, "configuration", "fail", f"{name}: {_strip(exc)}", CONFIG)


def env_hint() -> str:
    """Where the configuration came from, for the header line."""
    if os.environ.get("ZENDESK_ACCOUNTS_FILE"):
        return f"accounts file {os.environ['ZENDESK_ACCOUNTS_FILE']}"
    return "ZENDESK_* environment variables"
