"""Configuration: the documented ZENDESK_* variables and the accounts YAML validate into one model
(`AccountConfig`); accounts live side by side (own key prefix, group, schema, schedule, resources and
rate budget); mistakes get one actionable line each before anything runs; secrets stay
environment-variable references, and inline secrets in the accounts file are refused."""

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from zendesk_assets.assets import ResourceKeys
from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.config import ConfigError, load_accounts, secret_references
from zendesk_assets.definitions import build_definitions, zendesk_resource
from zendesk_assets.sweeps import state_key
from zendesk_assets.zendesk.settings import OAuthClientCredentials, OAuthToken, env_name


def test_single_account_from_environment() -> None:
    env = {
        "ZENDESK_SUBDOMAIN": "https://Acme.zendesk.com/agent", "ZENDESK_OAUTH_TOKEN": "t0ken",
        "ZENDESK_SCHEMA": "Zendesk Prod", "ZENDESK_START_DATE": "2019-05-01", "ZENDESK_CORE_RPM": "400",
        "ZENDESK_INCREMENTAL_RPM": "30", "ZENDESK_OPT_IN": "ticket_comments",
        "WAREHOUSE_URL": "postgresql://u:pw@h/db", "ZENDESK_STATE_URL": "postgresql://u:pw2@h/state",
    }  # fmt: skip
    (account,) = load_accounts(env)
    assert (account.name, account.schema_name, account.subdomain) == ("zendesk_prod", "zendesk_prod", "acme")
    assert (account.core_requests_per_minute, account.incremental_requests_per_minute) == (400, 30)
    assert account.start_date.isoformat() == "2019-05-01" and account.opt_in == {"ticket_comments"}
    assert isinstance(account.auth, OAuthToken)
    assert env_name(account.auth.token) == "ZENDESK_OAUTH_TOKEN"  # a reference, never the value
    assert env_name(account.warehouse_url) == "WAREHOUSE_URL"
    assert env_name(account.state_url) == "ZENDESK_STATE_URL"
    for secret in ("t0ken", "pw"):
        assert secret not in repr(account)
    resource = zendesk_resource(account)
    assert isinstance(resource.auth, OAuthToken) and isinstance(resource.auth.token, dg.EnvVar)
    assert secret_references(account) == {
        "auth.token": "ZENDESK_OAUTH_TOKEN", "warehouse_url": "WAREHOUSE_URL", "state_url": "ZENDESK_STATE_URL",
    }


def test_defaults_live_in_one_place() -> None:
    (account,) = load_accounts({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_CLIENT_ID": "id", "ZENDESK_CLIENT_SECRET": "s"})
    resource = zendesk_resource(account)
    assert (resource.core_requests_per_minute, resource.incremental_requests_per_minute) == (200, 10)
    assert account.history_months == 12 and account.start_date == date(2020, 1, 1)
    assert account.reread_hours == 24 and account.export_mode == "export"
    assert isinstance(account.auth, OAuthClientCredentials)
    # Every ticket by default (Zendesk's own default leaves out AI-agent tickets), sent on both exports.
    assert account.sweep_params(SWEEPS["tickets"]) == {"support_type_scope": "all"}
    assert account.sweep_params(SWEEPS["ticket_events"]) == {"support_type_scope": "all"}
    assert account.narrowed(SWEEPS["tickets"]) == {}


def test_support_type_scope_is_sent_and_keeps_its_windows_apart() -> None:
    base = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t"}
    (account,) = load_accounts({**base, "ZENDESK_SUPPORT_TYPE_SCOPE": "Agent"})
    tickets = SWEEPS["tickets"]
    assert account.sweep_params(tickets) == {"support_type_scope": "agent"}
    assert account.sweep_params(SWEEPS["groups"]) == {}
    key = state_key(tickets, tickets.tables, account.narrowed(tickets))
    assert key == "tickets(support_type_scope=agent)" and key != state_key(tickets, tickets.tables)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ZENDESK_OPT_IN": "tickets"}, "ZENDESK_OPT_IN: tickets is always synced (only audit_logs, csat_survey_responses, ticket_comments are opt-in)"),
        ({"ZENDESK_OPT_IN": "ticket_coments"}, "ZENDESK_OPT_IN: 'ticket_coments' is not a collection (did you mean 'ticket_comments'?)"),
        ({"ZENDESK_START_DATE": "01/02/2020"}, "ZENDESK_START_DATE: must be a real date like 2020-01-01, got '01/02/2020'"),
        ({"ZENDESK_START_DATE": "2020-02-30"}, "ZENDESK_START_DATE: must be a real date like 2020-01-01, got '2020-02-30' (day is out of range for month)"),
        ({"ZENDESK_CORE_RPM": "fast"}, "ZENDESK_CORE_RPM: must be a whole number of requests per minute above 0, got 'fast'"),
        ({"ZENDESK_CORE_RPM": "1.5"}, "ZENDESK_CORE_RPM: must be a whole number of requests per minute above 0, got '1.5'"),
        ({"ZENDESK_EXPORT_MODE": "lists"}, "ZENDESK_EXPORT_MODE: must be 'export' (the default) or 'list', got 'lists'"),
        ({"ZENDESK_REREAD_HOURS": "0"}, "ZENDESK_REREAD_HOURS: must be a whole number of hours above 0, got 0"),
        ({"ZENDESK_INCREMENTAL_RPM": "0"}, "ZENDESK_INCREMENTAL_RPM: must be a whole number of requests per minute above 0, got 0"),
        ({"ZENDESK_SCHEMA": "--"}, "ZENDESK_SCHEMA: '--' has no letters or digits"),
        ({"ZENDESK_SCHEMA": "information_schema"}, "ZENDESK_SCHEMA: 'information_schema' is reserved by the database"),
        ({"ZENDESK_BASE_URL": "http://user:pw@127.0.0.1:8080"}, "ZENDESK_BASE_URL: must not carry a user or password"),
        ({"ZENDESK_ACCOUNTS_FILE": "/nonexistent/accounts.yaml"}, "which does not exist"),
        ({"ZENDESK_SUPPORT_TYPE_SCOPE": "agents"}, "ZENDESK_SUPPORT_TYPE_SCOPE: must be one of all, agent, ai_agent"),
    ],
)
def test_configuration_mistakes_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_accounts({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t", **env})
    assert message in str(info.value)
    assert "pw" not in str(info.value)


def test_future_start_date_is_refused() -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(ConfigError, match=f"ZENDESK_START_DATE: {tomorrow} is in the future"):
        load_accounts({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t", "ZENDESK_START_DATE": tomorrow})


def test_every_problem_is_its_own_line() -> None:
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t", "ZENDESK_CORE_RPM": "0", "ZENDESK_SCHEMA": "public"}
    with pytest.raises(ConfigError) as info:
        load_accounts(env)
    lines = str(info.value).splitlines()
    assert len(lines) == 2 and lines[0].startswith("ZENDESK_SCHEMA:") and lines[1].startswith("ZENDESK_CORE_RPM:")


def test_hostile_schema_names_are_sanitised() -> None:
    (account,) = load_accounts({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t",
                                "ZENDESK_SCHEMA": 'x"; drop schema public; --'})
    assert account.schema_name == "x_drop_schema_public"


ACCOUNTS = """
accounts:
  - subdomain: acme
    schema: zendesk_acme
    client_id_env: ACME_ID
    client_secret_env: ACME_SECRET
    core_rpm: 400
    opt_in: [ticket_comments]
  - subdomain: globex
    schema: zendesk_globex
    oauth_token_env: GLOBEX_TOKEN
    start_date: 2018-01-01
    warehouse_url: duckdb:///globex.duckdb
"""


def test_several_accounts_live_side_by_side(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(ACCOUNTS)
    acme, globex = load_accounts({"ZENDESK_ACCOUNTS_FILE": str(path), "WAREHOUSE_URL": "postgresql://u:pw@h/db"})
    assert (acme.core_requests_per_minute, globex.core_requests_per_minute, globex.start_date.year) == (400, 200, 2018)
    assert isinstance(acme.auth, OAuthClientCredentials) and env_name(acme.auth.client_secret) == "ACME_SECRET"
    assert isinstance(globex.auth, OAuthToken) and env_name(globex.auth.token) == "GLOBEX_TOKEN"
    assert env_name(acme.warehouse_url) == "WAREHOUSE_URL"  # the deployment-wide URL, by reference
    assert globex.warehouse_url == "duckdb:///globex.duckdb"

    defs = build_definitions([acme, globex])
    graph = defs.resolve_asset_graph()
    keys = {k.path[0] for k in graph.get_all_asset_keys()}
    assert keys == {"zendesk_acme", "zendesk_globex"}
    tables = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    assert len(tables) == 2 * len(COLLECTIONS)  # the rest are the Zendesk endpoints they come from
    assert len(list(graph.get_all_asset_keys())) == 2 * (len(COLLECTIONS) + len(SWEEPS))
    assert {s.name for s in defs.schedules or []} == {
        "zendesk_acme_every_3_hours",
        "zendesk_globex_every_3_hours",
    }
    repo = defs.get_repository_def()
    for account, other in ((acme, globex), (globex, acme)):
        # every asset carries its own account's resources and no other account's (loading stays linear)
        k = ResourceKeys.of(account)
        sweep = repo.assets_defs_by_key[dg.AssetKey([account.name, "tickets"])]
        assert {k.zendesk, k.warehouse, k.io_manager} <= set(sweep.resource_defs)
        assert not [key for key in sweep.resource_defs if key.endswith(other.name)]
        assert {k.zendesk, k.warehouse, k.io_manager} <= set(repo.get_job(f"{account.name}_sync").resource_defs)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("accounts:\n  - {subdomain: acme, schema: z, oauth_token_env: T}\n  - {subdomain: globex, schema: z, oauth_token_env: T}\n",
         "two accounts share the schema 'z'"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, core_rmp: 400}\n",
         "account acme: unknown key 'core_rmp' (did you mean 'core_rpm'?)"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, opt_inn: [audit_logs]}\n",
         "account acme: unknown key 'opt_inn' (did you mean 'opt_in'?)"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, core_rpm: 1.5}\n",
         "account acme: core_rpm: must be a whole number of requests per minute above 0, got 1.5"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, start_date: 2020-02-30}\n",
         "account acme: start_date: must be a real date like 2020-01-01, got '2020-02-30' (day is out of range for month)"),
        ("accounts:\n  - {subdomain: acme, oauth_token: abc123}\n",
         "account acme: oauth_token is written inline; secrets never go in the accounts file: put it in an environment variable and write `oauth_token_env: ACME_ZENDESK_OAUTH_TOKEN`"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: T, warehouse_url: 'postgresql://u:hunter2@h/db'}\n",
         "account acme: warehouse_url holds a password; secrets never go in the accounts file: put the URL in an environment variable and write `warehouse_url_env: ACME_WAREHOUSE_URL`"),
        ("accounts:\n  - {subdomain: acme, oauth_token_env: 'abc-123-token-value'}\n",
         "account acme: oauth_token_env must name an environment variable (like ACME_ZENDESK_TOKEN), not hold the value itself"),
        ("accounts: [\n", "is not valid YAML at line 2, column 1"),
    ],
)
def test_accounts_file_mistakes_are_explained(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_accounts({"ZENDESK_ACCOUNTS_FILE": str(path)})
    assert message in str(info.value)
    for secret in ("abc123", "hunter2", "abc-123-token-value"):
        assert secret not in str(info.value)
