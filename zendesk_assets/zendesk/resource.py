"""`ZendeskResource`: configuration only; `get_client()` validates it and builds the HTTP client."""

from __future__ import annotations

import logging

import dagster as dg
from pydantic import Field

from .client import ClientSettings, ZendeskClient, shared_http_client
from .errors import ZendeskConfigError
from .settings import (
    API_TOKEN_SUNSET,
    DEFAULT_CORE_RPM,
    DEFAULT_INCREMENTAL_RPM,
    DEFAULT_PATIENCE_SECONDS,
    ZendeskApiTokenDeprecationWarning,
    ZendeskAuth,
    api_origin,
    normalise_subdomain,
    reveal,
)

_WARNED: set[str] = set()  # custom-origin warnings already logged by this process

__all__ = [
    "API_TOKEN_SUNSET",
    "ZendeskApiTokenDeprecationWarning",
    "ZendeskResource",
    "normalise_subdomain",
]


class ZendeskResource(dg.ConfigurableResource):
    """One Zendesk Support account: where it is, how to authenticate, and how much of its budget to use."""

    subdomain: str = Field(
        description="The account's subdomain: 'acme' for https://acme.zendesk.com (a pasted URL is normalised)."
    )
    auth: ZendeskAuth = Field(
        description="How to authenticate: an OAuth token, OAuth client credentials (recommended) or, until "
        "Zendesk retires them on 2027-04-30, an email and API token. Secrets as environment-variable references.",
    )
    base_url: str | None = Field(
        default=None,
        description="Override of https://{subdomain}.zendesk.com, e.g. the emulator's http://127.0.0.1:PORT; "
        "the API root is {base_url}/api/v2.",
    )
    allow_custom_base_url: bool = Field(
        default=False,
        description="Allow a base_url that is neither https://{subdomain}.zendesk.com nor this machine (e.g. a "
        "proxy); https only, and a warning is logged. Plain http to another host is always refused.",
    )
    core_requests_per_minute: int = Field(
        default=DEFAULT_CORE_RPM, description="Account-wide API budget (req/min) shared by all runs; your plan's limit or less."
    )
    incremental_requests_per_minute: int = Field(
        default=DEFAULT_INCREMENTAL_RPM, description="Incremental-export budget (req/min): 10, or 30 with the High Volume API add-on."
    )
    state_url: str | None = Field(
        default=None,
        repr=False,
        description="SQLAlchemy URL of the store shared by all processes for rate limits and OAuth tokens; "
        "default sqlite file $DAGSTER_HOME/zendesk_state.sqlite (./.zendesk_state/ without DAGSTER_HOME).",
    )
    timeout_seconds: float = Field(
        default=120, description="Read timeout per request; export pages of 1000 tickets are multi-MB."
    )
    export_page_size: int = Field(
        default=1000, description="per_page for incremental exports (max 1000); halved automatically on 504."
    )
    max_retries: int = Field(default=8, description="Retries per request on 429/5xx/network errors before failing.")
    patience_seconds: float = Field(
        default=DEFAULT_PATIENCE_SECONDS,
        description="How long the account may keep failing (network errors, 5xx) before runs stop retrying; "
        "429 and Retry-After waits do not count.",
    )

    def origin(self) -> tuple[str, str | None]:
        """The API origin, and the warning to log when it is a custom host allowed by opt-in."""
        account = normalise_subdomain(self.subdomain)
        try:
            return api_origin(account, self.base_url, self.allow_custom_base_url)
        except ZendeskConfigError as exc:
            raise ZendeskConfigError(f"zendesk[{account}]: base_url {exc}") from None

    def client_settings(self) -> ClientSettings:
        account = normalise_subdomain(self.subdomain)
        origin, _ = self.origin()
        for name in ("core_requests_per_minute", "incremental_requests_per_minute", "export_page_size", "patience_seconds"):
            if getattr(self, name) <= 0:
                raise ZendeskConfigError(f"zendesk[{account}]: {name} must be positive")
        if self.export_page_size > 1000:
            raise ZendeskConfigError(f"zendesk[{account}]: export_page_size must be at most 1000 (Zendesk's cap)")
        return ClientSettings(
            account=account,
            origin=origin,
            core_requests_per_minute=self.core_requests_per_minute,
            incremental_requests_per_minute=self.incremental_requests_per_minute,
            state_url=reveal(self.state_url, "the state store URL") if self.state_url else None,
            timeout_seconds=self.timeout_seconds,
            export_page_size=self.export_page_size,
            max_retries=self.max_retries,
            patience_seconds=self.patience_seconds,
        )

    def get_client(self, log: logging.Logger | None = None) -> ZendeskClient:
        """A ready client; raises ZendeskConfigError (before any request) when the configuration is unusable."""
        logger = log or logging.getLogger("zendesk_assets.zendesk")
        settings = self.client_settings()
        _, warning = self.origin()
        if warning and warning not in _WARNED:
            _WARNED.add(warning)  # once per process, not once per client
            logger.warning("zendesk[%s]: %s", settings.account, warning)
        http = shared_http_client(settings.origin, settings.timeout_seconds)
        auth = self.auth.authenticator(settings, http, logger)
        return ZendeskClient(settings, auth, log=logger, http=http, owns_http=False)
