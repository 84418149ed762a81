"""Configuration: the documented ZENDESK_* variables and the accounts YAML map to accounts that live
side by side (own key prefix, group, schema, schedule, resources and rate budget); mistakes get an
actionable message before anything runs; secrets stay environment-variable references."""

from pathlib import Path

import dagster as dg
import pytest

from zendesk_assets.assets import ResourceKeys
from zendesk_assets.config import ConfigError, Secret, load_accounts
from zendesk_assets.definitions import build_definitions, zendesk_resource


def test_single_account_from_environment() -> None:
    env = {
        "ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t0ken", "ZENDESK_SCHEMA": "Zendesk Prod",
        "ZENDESK_START_DATE": "2019-05-01", "ZENDESK_CORE_RPM": "400", "ZENDESK_INCREMENTAL_RPM": "30",
        "ZENDESK_OPT_IN": "ticket_comments", "WAREHOUSE_URL": "postgresql://u:pw@h/db",
    }  # fmt: skip
    (account,) = load_accounts(env)
    assert (account.name, account.schema, account.core_rpm, account.incremental_rpm) == (
        "zendesk_prod",
        "zendesk_prod",
        400,
        30,
    )
    assert account.start_date.isoformat() == "2019-05-01" and account.opt_in == {"ticket_comments"}
    assert account.oauth_token == Secret(env="ZENDESK_OAUTH_TOKEN")  # a reference, never the value
    assert account.warehouse_url == Secret(env="WAREHOUSE_URL")
    assert "t0ken" not in repr(account) and "pw" not in repr(account)
    resource = zendesk_resource(account)
    assert isinstance(resource.oauth_access_token, dg.EnvVar) or resource.oauth_access_token is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ZENDESK_OPT_IN": "tickets"}, "only audit_logs, ticket_comments are opt-in"),
        ({"ZENDESK_OPT_IN": "ticket_coments"}, "ZENDESK_OPT_IN names ticket_coments"),
        ({"ZENDESK_START_DATE": "01/02/2020"}, "ZENDESK_START_DATE must be a date like 2020-01-01"),
        ({"ZENDESK_CORE_RPM": "fast"}, "ZENDESK_CORE_RPM must be a whole number"),
        ({"ZENDESK_INCREMENTAL_RPM": "0"}, "ZENDESK_INCREMENTAL_RPM must be positive"),
        ({"ZENDESK_SCHEMA": "--"}, "ZENDESK_SCHEMA '--' has no letters or digits"),
        ({"ZENDESK_ACCOUNTS_FILE": "/nonexistent/accounts.yaml"}, "which does not exist"),
    ],
)
def test_configuration_mistakes_are_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_accounts({"ZENDESK_SUBDOMAIN": "acme", **env})


def test_hostile_schema_names_are_sanitised() -> None:
    (account,) = load_accounts({"ZENDESK_SCHEMA": 'x"; drop schema public; --'})
    assert account.schema == "x_drop_schema_public"


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
"""


def test_several_accounts_live_side_by_side(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(ACCOUNTS)
    acme, globex = load_accounts({"ZENDESK_ACCOUNTS_FILE": str(path)})
    assert (acme.core_rpm, globex.core_rpm, globex.start_date.year) == (400, 200, 2018)
    assert acme.client_secret == Secret(env="ACME_SECRET") and globex.oauth_token == Secret(
        env="GLOBEX_TOKEN"
    )

    defs = build_definitions([acme, globex])
    graph = defs.resolve_asset_graph()
    keys = {k.path[0] for k in graph.get_all_asset_keys()}
    assert keys == {"zendesk_acme", "zendesk_globex"}
    assert len(list(graph.get_all_asset_keys())) == 32
    assert {s.name for s in defs.schedules or []} == {
        "zendesk_acme_every_3_hours",
        "zendesk_globex_every_3_hours",
    }
    for account in (acme, globex):
        k = ResourceKeys.of(account)
        assert {k.zendesk, k.warehouse, k.io_manager} <= set(defs.resources or {})
        assert defs.resources[k.warehouse].schema_name == account.schema  # type: ignore[index]


def test_accounts_file_with_two_accounts_in_one_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n  - {subdomain: acme, schema: z}\n  - {subdomain: globex, schema: z}\n")
    with pytest.raises(ConfigError, match="two accounts share the name/schema z"):
        load_accounts({"ZENDESK_ACCOUNTS_FILE": str(path)})
