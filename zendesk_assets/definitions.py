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


def account_resources(account: AccountConfig) -> dict[str, object]:
    keys = ResourceKeys.of(account)
    warehouse = warehouse_resource(account)
    return {
        keys.zendesk: zendesk_resource(account),
        keys.warehouse: warehouse,
        keys.io_manager: WarehouseIOManager(warehouse=warehouse),
    }


def build_definitions(accounts: Sequence[AccountConfig]) -> dg.Definitions:
    """Each account's assets and checks carry that account's resources only: bound once per account,
    not every account's resources on every asset, so loading grows linearly with the accounts."""
    assets: list[dg.AssetsDefinition] = []
    checks: list[dg.AssetChecksDefinition] = []
    jobs = []
    schedules = []
    for account in accounts:
        definitions = [*account_assets(account, warehouse_kind(account)), *account_checks(account)]
        for bound in dg.with_resources(definitions, account_resources(account)):
            if isinstance(bound, dg.AssetChecksDefinition):
                checks.append(bound)
            else:
                assets.append(bound)
        job = sync_job(account)
        jobs.append(job)
        schedules.append(sync_schedule(account, job))
    return dg.Definitions(assets=assets, asset_checks=checks, jobs=jobs, schedules=schedules)


@dg.definitions
def defs() -> dg.Definitions:
    accounts = load_accounts()
    refuse_local_stores(accounts)  # runs on other machines cannot share SQLite or a DuckDB file
    return build_definitions(accounts)
