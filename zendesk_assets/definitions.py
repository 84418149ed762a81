"""The code location's entry point (`dagster dev -w workspace.yaml`).

Per configured account: the assets generated from the registry (specs by the translator, the
Zendesk endpoints as external assets upstream of them), a sync job, the three-hour schedule, and
the account's own resources (Zendesk client with its rate budget, warehouse schema, IO manager),
keyed by the account's name so accounts never share state. Resources are built from the validated
configuration as it is; secrets stay `dg.EnvVar` references. The environment variables, the
accounts file and the ``ZendeskAccountComponent`` (``component.py``) all end here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from zendesk_assets.assets import ResourceKeys, account_assets
from zendesk_assets.checks import account_checks
from zendesk_assets.config import AccountConfig, ConfigError, load_accounts
from zendesk_assets.deployment import refuse_local_stores
from zendesk_assets.schedules import sync_job, sync_schedule
from zendesk_assets.translator import AccountGraph, ZendeskTranslator
from zendesk_assets.warehouse import WarehouseIOManager, WarehouseResource
from zendesk_assets.zendesk.resource import ZendeskResource


def zendesk_resource(account: AccountConfig) -> ZendeskResource:
    if account.auth is None:
        raise ConfigError(f"{account.name}: no Zendesk credentials configured")
    return ZendeskResource(**account.zendesk_fields(list(ZendeskResource.model_fields)))


def warehouse_resource(account: AccountConfig) -> WarehouseResource:
    return WarehouseResource(url=account.warehouse_url, schema_name=account.schema_name)


def account_resources(account: AccountConfig) -> dict[str, object]:
    keys = ResourceKeys.of(account)
    warehouse = warehouse_resource(account)
    return {
        keys.zendesk: zendesk_resource(account),
        keys.warehouse: warehouse,
        keys.io_manager: WarehouseIOManager(warehouse=warehouse),
    }


def build_definitions(
    accounts: Sequence[AccountConfig], translator: ZendeskTranslator | None = None
) -> dg.Definitions:
    """Each account's assets and checks carry that account's resources only: bound once per account,
    not every account's resources on every asset, so loading grows linearly with the accounts."""
    assets: list[dg.AssetsDefinition | dg.AssetSpec] = []
    checks: list[dg.AssetChecksDefinition] = []
    jobs = []
    schedules = []
    for account in accounts:
        graph = AccountGraph.build(account, translator)
        assets += graph.endpoints.values()
        definitions = [*account_assets(graph), *account_checks(account, graph)]
        for bound in dg.with_resources(definitions, account_resources(account)):
            if isinstance(bound, dg.AssetChecksDefinition):
                checks.append(bound)
            else:
                assets.append(bound)
        job = sync_job(graph)
        jobs.append(job)
        schedules.append(sync_schedule(graph, job))
    return dg.Definitions(assets=assets, asset_checks=checks, jobs=jobs, schedules=schedules)


def component_definitions() -> dg.Definitions:
    """The accounts scaffolded as ``ZendeskAccountComponent``s under ``zendesk_assets/defs/``."""
    import zendesk_assets.defs as defs_root

    return dg.components.load_defs(defs_root, project_root=Path(__file__).resolve().parents[1])


@dg.definitions
def defs() -> dg.Definitions:
    components = component_definitions()
    configured = any(os.environ.get(v) for v in ("ZENDESK_SUBDOMAIN", "ZENDESK_ACCOUNTS_FILE"))
    if not configured and components.assets:
        return components  # the components are the whole configuration
    accounts = load_accounts()
    refuse_local_stores(accounts)  # runs on other machines cannot share SQLite or a DuckDB file
    return dg.Definitions.merge(build_definitions(accounts), components)
