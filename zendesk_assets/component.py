"""``ZendeskAccountComponent``: one Zendesk account as a ``dg`` component, one per ``defs.yaml``.

Dagster's own integrations (dagster-fivetran, dagster-dlt, dagster-sling) are configured this way.
``dg scaffold defs zendesk_assets.component.ZendeskAccountComponent acme`` writes
``zendesk_assets/defs/acme/defs.yaml``; its attributes are the keys of an accounts-file entry (README
"Several accounts"), validated by the same code with the same messages, secrets by environment
variable name. The definitions it builds are the ones the environment variables and the accounts
file build (``definitions.build_definitions``), so the three ways meet in one place.

Customise the assets by subclassing: override ``translator`` to return your ``ZendeskTranslator``
(keys, groups, owners, tags, freshness, automation), and name your subclass in ``type:``.
"""

from __future__ import annotations

import textwrap
import warnings
from datetime import date

import dagster as dg
from dagster.components import Scaffolder, ScaffoldRequest

from zendesk_assets.config import ConfigError, account_from_entry
from zendesk_assets.deployment import refuse_local_stores
from zendesk_assets.translator import ZendeskTranslator

# ``schema`` is the accounts file's key; as a pydantic field it shadows BaseModel.schema(), harmlessly.
warnings.filterwarnings("ignore", message='Field name "schema" ', category=UserWarning)


class ZendeskAccountScaffolder(Scaffolder):
    """A ``defs.yaml`` that loads as it is written: the account named after its folder, OAuth client
    credentials by variable name, and the optional keys as comments."""

    def scaffold(self, request: ScaffoldRequest) -> None:
        name = request.target_path.name.replace("-", "_")
        request.target_path.mkdir(parents=True, exist_ok=True)
        upper = name.upper()
        (request.target_path / "defs.yaml").write_text(
            textwrap.dedent(
                f"""\
                type: {request.type_name}

                attributes:
                  subdomain: {name}                      # https://{name}.zendesk.com
                  schema: zendesk_{name}                 # warehouse schema, asset-key prefix and group
                  client_id_env: {upper}_ZENDESK_CLIENT_ID          # secrets by environment-variable name
                  client_secret_env: {upper}_ZENDESK_CLIENT_SECRET
                  # oauth_token_env: {upper}_ZENDESK_OAUTH_TOKEN   # instead of the client credentials
                  # warehouse_url_env: WAREHOUSE_URL             # default: WAREHOUSE_URL, else ./zendesk.duckdb
                  # start_date: "2020-01-01"
                  # history_months: 12
                  # core_rpm: 200
                  # opt_in: [ticket_comments]
                  # owners: [team:support-data]
                  # tags: {{tier: gold}}
                """
            )
        )


@dg.scaffold_with(ZendeskAccountScaffolder)
class ZendeskAccountComponent(dg.Component, dg.Resolvable, dg.Model):
    """One Zendesk Support account synced into a warehouse schema: a table asset per collection,
    the Zendesk endpoints they come from, asset checks, a sync job and its three-hour schedule."""

    subdomain: str
    name: str | None = None
    schema: str | None = None  # type: ignore[assignment]
    start_date: str | None = None
    history_months: int | None = None
    core_rpm: int | None = None
    incremental_rpm: int | None = None
    patience_seconds: float | None = None
    opt_in: list[str] | None = None
    base_url: str | None = None
    email: str | None = None
    client_id: str | None = None
    owners: list[str] | None = None
    tags: dict[str, str] | None = None
    warehouse_url: str | None = None
    state_url: str | None = None
    oauth_token_env: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None
    api_token_env: str | None = None
    warehouse_url_env: str | None = None
    state_url_env: str | None = None

    @property
    def translator(self) -> ZendeskTranslator:
        """Override in a subclass to customise the asset specs."""
        return ZendeskTranslator()

    def entry(self) -> dict[str, object]:
        """The attributes as an accounts-file entry (unset keys left out, so defaults apply)."""
        found = {key: value for key, value in self.model_dump().items() if value is not None}
        if isinstance(found.get("start_date"), date):
            found["start_date"] = str(found["start_date"])
        return found

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        from zendesk_assets.definitions import build_definitions

        where = f"{context.path / 'defs.yaml'}: "
        try:
            account = account_from_entry(self.entry(), where)
            refuse_local_stores([account])  # as for the other accounts: runs elsewhere need shared stores
        except ConfigError as exc:
            raise ConfigError(f"ZendeskAccountComponent: {exc}") from None
        return build_definitions([account], translator=self.translator)
