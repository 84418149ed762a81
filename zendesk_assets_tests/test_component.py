"""The account as a ``dg`` component, and the translator that shapes every asset.

Contract: ``dg scaffold defs`` of ``ZendeskAccountComponent`` in a copy of the project writes a
``defs.yaml`` that loads as written: ``dg list defs`` then shows the scaffolded account's tables,
endpoints, checks and schedule next to the account of the environment variables. The component
builds what the environment builds for the same settings, and refuses what the accounts file
refuses. A ``ZendeskTranslator`` subclass renames keys, groups, owners and tags everywhere at once:
assets, checks, the job and the schedule's requests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.component import ZendeskAccountComponent
from zendesk_assets.config import ConfigError, account_from_env
from zendesk_assets.definitions import build_definitions
from zendesk_assets.schedules import run_requests
from zendesk_assets.translator import AccountGraph, ZendeskTableProps, ZendeskTranslator

REPO = Path(__file__).resolve().parents[1]
DG = Path(sys.executable).parent / "dg"
ENV = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "unused", "WAREHOUSE_URL": "duckdb:///unused.duckdb"}


def _specs(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetSpec]:
    graph = defs.resolve_asset_graph()
    return {k: graph.get(k).to_asset_spec() for k in graph.get_all_asset_keys()}


def test_dg_scaffold_defs_adds_a_working_second_account(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(REPO / "zendesk_assets", project / "zendesk_assets", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", project / "pyproject.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "WAREHOUSE_", "DAGSTER_"))}
    env.update(ENV, PYTHONPATH=str(project), GLOBEX_ZENDESK_CLIENT_ID="globex_sync", GLOBEX_ZENDESK_CLIENT_SECRET="unused")

    def dg_cli(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(DG), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"dg {' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        return proc

    dg_cli("scaffold", "defs", "zendesk_assets.component.ZendeskAccountComponent", "globex")
    assert "subdomain: globex" in (project / "zendesk_assets/defs/globex/defs.yaml").read_text()
    listed = json.loads(dg_cli("list", "defs", "--json").stdout)

    assets = {a["asset_key"]: a for a in listed["assets"]}
    for account in ("zendesk", "zendesk_globex"):
        tables = {f"{account}/{t}" for t in COLLECTIONS}
        assert tables <= set(assets), sorted(tables - set(assets))
        endpoints = {f"{account}/zendesk_api/{s}" for s in SWEEPS}
        assert endpoints <= set(assets), sorted(endpoints - set(assets))
    assert assets["zendesk_globex/tickets"]["group_name"] == "zendesk_globex"
    assert assets["zendesk_globex/tickets"]["dependency_keys"] == ["zendesk_globex/zendesk_api/tickets"]
    assert {s["name"] for s in listed["schedules"]} == {"zendesk_every_3_hours", "zendesk_globex_every_3_hours"}
    checks = {c["key"] for c in listed["asset_checks"]}
    assert "zendesk_globex/tickets:primary_key" in checks, sorted(checks)[:5]


def test_the_component_builds_what_the_environment_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    from_env = _specs(build_definitions([account_from_env(ENV)]))
    component = ZendeskAccountComponent(subdomain="acme", schema="zendesk", oauth_token_env="ZENDESK_OAUTH_TOKEN")
    from_component = _specs(component.build_defs(dg.ComponentTree.for_test().load_context))
    assert from_env.keys() == from_component.keys()
    for key, spec in from_env.items():
        other = from_component[key]
        assert (spec.group_name, spec.kinds, spec.description, spec.deps) == (
            other.group_name, other.kinds, other.description, other.deps,
        ), key


def test_the_component_refuses_what_the_accounts_file_refuses() -> None:
    context = dg.ComponentTree.for_test().load_context
    with pytest.raises(ConfigError, match=r"opt_in: 'ticket_coments' is not a collection \(did you mean 'ticket_comments'\?\)"):
        ZendeskAccountComponent(subdomain="acme", oauth_token_env="T", opt_in=["ticket_coments"]).build_defs(context)
    with pytest.raises(ConfigError, match="must name an environment variable"):
        ZendeskAccountComponent(subdomain="acme", oauth_token_env="abc def secret").build_defs(context)
    with pytest.raises(ConfigError, match="owners: 'bob' is not an owner"):
        ZendeskAccountComponent(subdomain="acme", oauth_token_env="T", owners=["bob"]).build_defs(context)


class Renamed(ZendeskTranslator):
    """What a user writes: raw/ keys, one group, an owner, a tag, eager automation."""

    def get_asset_spec(self, props: ZendeskTableProps) -> dg.AssetSpec:
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(
            key=spec.key.with_prefix("raw"),
            group_name="support_raw",
            owners=["team:support-data"],
            tags={**spec.tags, "layer": "raw"},
            automation_condition=dg.AutomationCondition.eager(),
        )


def test_a_translator_subclass_renames_everything_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    account = account_from_env(ENV)
    defs = build_definitions([account], translator=Renamed())
    specs = _specs(defs)
    tables = {k: s for k, s in specs.items() if k.path[0] == "raw"}
    assert {k.path[-1] for k in tables} == set(COLLECTIONS)
    assert all(s.group_name == "support_raw" and s.owners == ["team:support-data"] for s in tables.values())
    assert all(s.tags.get("layer") == "raw" and s.automation_condition is not None for s in tables.values())
    graph = defs.resolve_asset_graph()
    checked = {k.asset_key for k in graph.asset_check_keys}
    assert checked == set(tables)  # every check follows its table to the new key
    job = defs.resolve_job_def("zendesk_sync")
    assert set(job.asset_layer.selected_asset_keys) == set(tables)
    requests = run_requests(account, datetime(2026, 11, 27, 15, tzinfo=UTC), graph=AccountGraph.build(account, Renamed()))
    assert {k for r in requests for k in r.asset_selection or []} <= set(tables)
