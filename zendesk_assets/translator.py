"""How the registry becomes Dagster asset specs, the one place a user changes it.

As in Dagster's own integrations (dagster-fivetran, dagster-dlt, dagster-sling), a translator turns
one description of a source table (``ZendeskTableProps``: the account, its registry entry, the sweep
that feeds it) into an ``AssetSpec``. Subclass ``ZendeskTranslator`` and override
``get_asset_spec`` to change keys, groups, owners, tags, freshness or automation, e.g.::

    class MyTranslator(ZendeskTranslator):
        def get_asset_spec(self, props: ZendeskTableProps) -> dg.AssetSpec:
            spec = super().get_asset_spec(props)
            return spec.replace_attributes(key=spec.key.with_prefix("raw"), owners=["team:support-data"])

Everything else (the multi-asset that writes the table, its checks, the job and schedule) takes
the keys from here, so a renamed key is renamed everywhere. ``get_endpoint_spec`` gives the
external asset standing for the Zendesk endpoint a sweep reads, upstream of the tables it feeds.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import dagster as dg

from zendesk_assets import collections as registry
from zendesk_assets.collections import COLLECTIONS, SWEEPS, SYSTEM_COLUMNS, Collection, Sweep
from zendesk_assets.config import AccountConfig
from zendesk_assets.warehouse.dialects import warehouse_kind as dialect_kind
from zendesk_assets.zendesk.settings import env_name

# The schedule runs every three hours. A table is late once a run has been missed (WARN after the
# period plus an hour's margin for a long run) and failing once two have (FAIL). The freshness
# asset check (checks.FRESHNESS_LIMIT) keeps the warn window for CI and `zendesk-assets sync`.
SCHEDULE_PERIOD = timedelta(hours=3)
WARN_AFTER = SCHEDULE_PERIOD + timedelta(hours=1)
FAIL_AFTER = 2 * SCHEDULE_PERIOD + timedelta(hours=1)


@dataclass(frozen=True)
class ZendeskTableProps:
    """What the translator knows about one table of one account."""

    account: AccountConfig
    collection: Collection
    sweep: Sweep
    warehouse_kind: str  # the engine as a Dagster kind (duckdb, postgres, ...)

    @property
    def table(self) -> str:
        return self.collection.name


@dataclass(frozen=True)
class ZendeskEndpointProps:
    """One Zendesk endpoint as a sweep reads it, and the tables it feeds."""

    account: AccountConfig
    sweep: Sweep


def warehouse_kind(account: AccountConfig) -> str:
    """The account's warehouse engine as a Dagster kind (the warehouse package decides which)."""
    url = account.warehouse_url
    name = env_name(url)
    if name is not None:
        url = os.environ.get(name)
    return dialect_kind(url)


def asset_key(account: AccountConfig, table: str) -> dg.AssetKey:
    """A table's key under the default translator (what the CLI, bound to it, looks up)."""
    return dg.AssetKey([account.name, table])


def column_schema(collection: Collection) -> dg.TableSchema:
    """The registry's columns; custom-field columns are added by the warehouse when it writes."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type.value, description=c.description)
            for c in (*collection.columns, *SYSTEM_COLUMNS)
        ]
    )


@cache
def registry_line(name: str) -> int:
    """The line of a collection's (or sweep's) entry in collections.py, for the UI's code reference."""
    lines = Path(registry.__file__).read_text().splitlines()
    return next((i for i, line in enumerate(lines, 1) if line.strip() == f'name="{name}",'), 1)


def code_references(name: str) -> dg.CodeReferencesMetadataValue:
    """The registry entry behind an asset ("open in editor" in the UI); code references are beta in
    Dagster 1.13, and the warning saying so would greet every load."""
    path = str(Path(registry.__file__).resolve())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        reference = dg.LocalFileCodeReference(file_path=path, line_number=registry_line(name))
        return dg.CodeReferencesMetadataValue(code_references=[reference])


def endpoint_path(sweep: Sweep) -> str:
    return f"/api/v2{sweep.endpoint}"


class ZendeskTranslator:
    """Registry entry -> ``AssetSpec``. Subclass it; each method may be overridden alone."""

    def get_asset_spec(self, props: ZendeskTableProps) -> dg.AssetSpec:
        account, collection = props.account, props.collection
        opt_in = (
            f" Opt-in: the schedule syncs it only once it is turned on, with ZENDESK_OPT_IN={collection.name} or "
            f"`opt_in: [{collection.name}]` in the account's accounts-file entry or defs.yaml."
            if collection.opt_in
            else ""
        )
        tags = {**account.tags, **({"zendesk/opt_in": "true"} if collection.opt_in else {})}
        return dg.AssetSpec(
            key=asset_key(account, collection.name),
            deps=[self.get_endpoint_spec(ZendeskEndpointProps(account, props.sweep)).key],
            group_name=account.name,
            description=collection.description + opt_in,
            skippable=True,
            kinds={"zendesk", props.warehouse_kind},
            owners=list(account.owners),
            tags=tags or None,
            freshness_policy=dg.FreshnessPolicy.time_window(fail_window=FAIL_AFTER, warn_window=WARN_AFTER),
            metadata={
                "dagster/column_schema": column_schema(collection),
                "dagster/table_name": f"{account.schema_name}.{collection.name}",
                "dagster/code_references": code_references(collection.name),
                "zendesk/sweep": collection.sweep,
                "zendesk/primary_key": collection.primary_key,
            },
        )

    def get_endpoint_spec(self, props: ZendeskEndpointProps) -> dg.AssetSpec:
        """The Zendesk endpoint a sweep reads, as an external asset (nothing here materializes it)."""
        sweep = props.sweep
        params = "&".join(f"{k}={v}" for k, v in sweep.params)
        read = f"GET {endpoint_path(sweep)}" + (f"?{params}" if params else "")
        return dg.AssetSpec(
            key=dg.AssetKey([props.account.name, "zendesk_api", sweep.name]),
            group_name=props.account.name,
            description=(
                f"Zendesk account {props.account.subdomain}: {read}, read once per run by the {sweep.name} "
                f"sweep and split into {', '.join(sweep.tables)}. {sweep.description}"
            ).strip(),
            kinds={"zendesk"},
            owners=list(props.account.owners),
            metadata={"zendesk/endpoint": endpoint_path(sweep), "dagster/code_references": code_references(sweep.name)},
        )


@dataclass(frozen=True)
class AccountGraph:
    """One account's specs as the translator made them: what assets, checks and schedules key on."""

    account: AccountConfig
    specs: Mapping[str, dg.AssetSpec]  # table -> its spec
    endpoints: Mapping[str, dg.AssetSpec]  # sweep -> the external asset of its endpoint

    @classmethod
    def build(
        cls, account: AccountConfig, translator: ZendeskTranslator | None = None, kind: str | None = None
    ) -> AccountGraph:
        translator = translator or ZendeskTranslator()
        kind = kind or warehouse_kind(account)
        specs = {
            c.name: translator.get_asset_spec(ZendeskTableProps(account, c, SWEEPS[c.sweep], kind))
            for c in COLLECTIONS.values()
        }
        endpoints = {s.name: translator.get_endpoint_spec(ZendeskEndpointProps(account, s)) for s in SWEEPS.values()}
        return cls(account, specs, endpoints)

    def key(self, table: str) -> dg.AssetKey:
        return self.specs[table].key

    def table_of(self, key: dg.AssetKey) -> str | None:
        return next((t for t, spec in self.specs.items() if spec.key == key), None)
