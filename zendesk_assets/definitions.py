"""The code location's entry point (`dagster dev -w workspace.yaml`).

Per configured account: the assets generated from the registry, a sync job, the three-hour
schedule, and the account's own resources (Zendesk client with its rate budget, warehouse
schema, IO manager), keyed by the account's name so accounts never share state. Resources are
built from the validated configuration as it is; secrets stay `dg.EnvVar` references.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from zendesk_assets.assets import ResourceKeys, account_assets, warehouse_kind
from zendesk_assets.checks import account_checks
from zendesk_assets.config import AccountConfig, ConfigError, load_accounts
from zendesk_assets.deployment import refuse_local_stores
from zendesk_assets.schedules import sync_job, sync_schedule
from zendesk_assets.warehouse import WarehouseIOManager, WarehouseResource
from zendesk_assets.zendesk.resource import ZendeskResource


def zendesk_resource(account: AccountConfig) -> ZendeskResource:
    if account.auth is None:
        raise ConfigError(f"{account.name}: no Zendesk credentials configured")
    return ZendeskResource(**account.zendesk_fields(list(ZendeskResource.model_fields)))


def warehouse_resource(account: AccountConfig) -> WarehouseResource:
    return WarehouseResource(url=account.warehouse_url, schema_name=account.schema_name)


def build_definitions(accounts: Sequence[AccountConfig]) -> dg.Definitions:
    assets: list[dg.AssetsDefinition] = []
    checks: list[dg.AssetChecksDefinition] = []
    jobs = []
    schedules = []
    resources: dict[str, object] = {}
    for account in accounts:
        keys = ResourceKeys.of(account)
        assets += account_assets(account, warehouse_kind(account))
        checks += account_checks(account)
        job = sync_job(account)
        jobs.append(job)
        schedules.append(sync_schedule(account, job))
        warehouse = warehouse_resource(account)
        resources[keys.zendesk] = zendesk_resource(account)
        resources[keys.warehouse] = warehouse
        resources[keys.io_manager] = WarehouseIOManager(warehouse=warehouse)
    return dg.Definitions(assets=assets, asset_checks=checks, jobs=jobs, schedules=schedules, resources=resources)


@dg.definitions
def defs() -> dg.Definitions:
    accounts = load_accounts()
    refuse_local_stores(accounts)  # runs on other machines cannot share SQLite or a DuckDB file
    return build_definitions(accounts)
