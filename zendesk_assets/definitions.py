"""The code location's entry point (`dagster dev -w workspace.yaml`).

Per configured account: the assets generated from the registry, a sync job, the three-hour
schedule, and the account's own resources (Zendesk client with its rate budget, warehouse
schema, IO manager), keyed by the account's name so accounts never share state.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import dagster as dg

from zendesk_assets.assets import ResourceKeys, account_assets, warehouse_kind
from zendesk_assets.checks import account_checks
from zendesk_assets.config import AccountConfig, Secret, load_accounts
from zendesk_assets.schedules import sync_job, sync_schedule
from zendesk_assets.warehouse import WarehouseIOManager, WarehouseResource
from zendesk_assets.zendesk.resource import ZendeskResource


def _secret(secret: Secret | str | None) -> str | dg.EnvVar | None:
    """Secrets reach Dagster as EnvVar references, read only when a run starts."""
    if secret is None or isinstance(secret, str):
        return secret
    return dg.EnvVar(secret.env) if secret.env else secret.value


def zendesk_resource(account: AccountConfig) -> ZendeskResource:
    return ZendeskResource(
        subdomain=_secret(account.subdomain),  # type: ignore[arg-type]  # EnvVar is resolved by Dagster
        oauth_access_token=_secret(account.oauth_token),
        oauth_client_id=_secret(account.client_id),
        oauth_client_secret=_secret(account.client_secret),
        email=account.email,
        api_token=_secret(account.api_token),
        base_url=account.base_url,
        core_requests_per_minute=account.core_rpm,
        incremental_requests_per_minute=account.incremental_rpm,
        state_url=account.state_url,
    )


def build_definitions(accounts: Sequence[AccountConfig]) -> dg.Definitions:
    assets: list[dg.AssetsDefinition] = []
    checks: list[dg.AssetChecksDefinition] = []
    jobs = []
    schedules = []
    resources: dict[str, object] = {}
    env_url = os.environ.get("WAREHOUSE_URL")
    for account in accounts:
        keys = ResourceKeys.of(account)
        assets += account_assets(account, warehouse_kind(account, env_url))
        checks += account_checks(account)
        job = sync_job(account)
        jobs.append(job)
        schedules.append(sync_schedule(account, job))
        warehouse = WarehouseResource(url=_secret(account.warehouse_url), schema_name=account.schema)
        resources[keys.zendesk] = zendesk_resource(account)
        resources[keys.warehouse] = warehouse
        resources[keys.io_manager] = WarehouseIOManager(warehouse=warehouse)
    return dg.Definitions(assets=assets, asset_checks=checks, jobs=jobs, schedules=schedules, resources=resources)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_accounts())
