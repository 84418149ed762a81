"""Stores that runs on other machines could not share are refused before anything runs.

Contract: when runs may execute on other machines or containers (the instance's dagster.yaml names a
run launcher other than Dagster's default, DAGSTER_CURRENT_IMAGE is set, or ZENDESK_DISTRIBUTED_RUNS=1),
a SQLite state store and a DuckDB file warehouse are refused: by the console script with one line per
account and exit 2 (no traceback, nothing created), and by the code location while it loads. Shared
stores (PostgreSQL) pass, and so does everything on one machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zendesk_assets.config import ConfigError, load_accounts
from zendesk_assets.deployment import distributed, refuse_local_stores
from zendesk_assets_tests.test_cli_bad_input import PROG, cli

K8S_INSTANCE = "run_launcher:\n  module: dagster_k8s\n  class: K8sRunLauncher\n  config: {}\n"
ACCOUNT = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "t"}
SHARED = {
    "ZENDESK_STATE_URL": "postgresql://sync@db:5432/state",
    "WAREHOUSE_URL": "postgresql://sync@db:5432/analytics",
}
LINE = (
    "zendesk: runs may execute on other machines or containers ({reason}), which cannot share {stores}; "
    "set {settings} to PostgreSQL URLs that every run can reach "
    "(or ZENDESK_DISTRIBUTED_RUNS=0 if every run executes on this machine)"
)
BOTH = dict(
    stores="a SQLite state store (rate budget, OAuth tokens) and a DuckDB file warehouse",
    settings="ZENDESK_STATE_URL and WAREHOUSE_URL",
)


def _home(tmp_path: Path, instance_yaml: str) -> str:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(instance_yaml)
    return str(home)


def test_what_means_runs_execute_elsewhere(tmp_path: Path) -> None:
    assert distributed({}) is None
    assert distributed({"DAGSTER_HOME": _home(tmp_path, "telemetry:\n  enabled: false\n")}) is None
    default = "run_launcher:\n  module: dagster.core.launcher\n  class: DefaultRunLauncher\n"
    assert distributed({"DAGSTER_HOME": _home(tmp_path, default)}) is None
    assert distributed({"DAGSTER_HOME": _home(tmp_path, K8S_INSTANCE)}) == (
        "the Dagster instance launches runs with K8sRunLauncher"
    )
    assert distributed({"DAGSTER_CURRENT_IMAGE": "zendesk-assets:1"}) is not None
    assert distributed({"ZENDESK_DISTRIBUTED_RUNS": "1"}) == "ZENDESK_DISTRIBUTED_RUNS=1"
    assert distributed({"ZENDESK_DISTRIBUTED_RUNS": "0", "DAGSTER_CURRENT_IMAGE": "x"}) is None
    with pytest.raises(ConfigError, match="ZENDESK_DISTRIBUTED_RUNS: must be 1"):
        distributed({"ZENDESK_DISTRIBUTED_RUNS": "yes please"})


def test_shared_stores_pass_and_local_ones_are_named() -> None:
    env = {**ACCOUNT, **SHARED, "ZENDESK_DISTRIBUTED_RUNS": "1"}
    refuse_local_stores(load_accounts(env), env)
    env.pop("WAREHOUSE_URL")
    with pytest.raises(ConfigError) as caught:
        refuse_local_stores(load_accounts(env), env)
    assert str(caught.value) == LINE.format(
        reason="ZENDESK_DISTRIBUTED_RUNS=1", stores="a DuckDB file warehouse", settings="WAREHOUSE_URL"
    )
    on_one_machine = {**ACCOUNT}
    refuse_local_stores(load_accounts(on_one_machine), on_one_machine)


def test_the_console_script_refuses_with_one_line_and_exit_2(tmp_path: Path) -> None:
    ran = cli(tmp_path, {**ACCOUNT, "ZENDESK_DISTRIBUTED_RUNS": "1"}, "sync")
    assert ran.code == 2 and ran.out == ""
    assert ran.lines == [PROG + LINE.format(reason="ZENDESK_DISTRIBUTED_RUNS=1", **BOTH)]
    assert not (tmp_path / "home").exists() and not list(tmp_path.glob("*.duckdb"))

    _home(tmp_path, K8S_INSTANCE)
    ran = cli(tmp_path, ACCOUNT, "check")
    assert ran.code == 2
    assert ran.lines == [PROG + LINE.format(reason="the Dagster instance launches runs with K8sRunLauncher", **BOTH)]


def test_the_code_location_refuses_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from zendesk_assets.definitions import defs

    for name, value in {**ACCOUNT, "DAGSTER_CURRENT_IMAGE": "registry.example.com/zendesk-assets:1"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="DAGSTER_CURRENT_IMAGE is set"):
        defs()
