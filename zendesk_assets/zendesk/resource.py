"""`ZendeskResource`: configuration only; `get_client()` validates it and builds the HTTP client."""

from __future__ import annotations

import logging
import re
import warnings

import dagster as dg
import httpx
from pydantic import Field

from .auth import ApiTokenAuth, Authenticator, BearerTokenAuth, ClientCredentialsAuth
from .client import ClientSettings, ZendeskClient, make_http_client
from .errors import ZendeskConfigError
from .state import StateStore

_SUBDOMAIN_RE = re.compile(r"^[a-z][a-z0-9-]{2,62}$")

API_TOKEN_SUNSET = (
    "Zendesk API tokens are being retired: tokens unused for 30 days are deactivated from 2026-07-28 and all "
    "API tokens stop working on 2027-04-30; switch to OAuth (oauth_client_id/oauth_client_secret)"
)


class ZendeskApiTokenDeprecationWarning(UserWarning):
    """Raised (as a warning) when the legacy email/API-token auth is configured."""


def normalise_subdomain(value: str) -> str:
    """`acme`, `acme.zendesk.com`, `https://acme.zendesk.com/agent/tickets/5` -> `acme` (zendesk-api.md §1).

    Anything else is refused before any request: an unvalidated subdomain is an SSRF / credential-leak
    vector (CVE-2021-30492 in zendesk_api_client_php).
    """
    raw = (value or "").strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", raw).split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in host or ":" in host:
        host = ""  # userinfo or a port: not something a Zendesk subdomain ever contains
    if host.endswith(".zendesk.com"):
        host = host[: -len(".zendesk.com")]
        if "." in host:  # a.b.zendesk.com
            host = ""
    if not _SUBDOMAIN_RE.match(host):
        shown = value if len(value or "") <= 80 else value[:77] + "..."
        raise ZendeskConfigError(
            f"invalid Zendesk subdomain {shown!r}: expected the part before .zendesk.com (e.g. 'acme' for "
            "https://acme.zendesk.com): 3-63 characters, starting with a letter, letters/digits/hyphens only. "
            "Host-mapped brand domains such as support.acme.com are not the API host."
        )
    return host


class ZendeskResource(dg.ConfigurableResource):
    """One Zendesk Support account: where it is, how to authenticate, and how much of its budget to use."""

    subdomain: str = Field(
        description="The account's subdomain: 'acme' for https://acme.zendesk.com (a pasted URL is normalised)."
    )
    oauth_access_token: str | None = Field(
        default=None, repr=False, description="OAuth access token with the 'read' scope, issued to an admin."
    )
    oauth_client_id: str | None = Field(
        default=None,
        description="OAuth client id (confidential client, client_credentials grant); tokens are renewed and shared.",
    )
    oauth_client_secret: str | None = Field(
        default=None, repr=False, description="OAuth client secret matching oauth_client_id."
    )
    email: str | None = Field(default=None, description="Admin email for the legacy API-token auth.")
    api_token: str | None = Field(
        default=None,
        repr=False,
        description="Legacy API token (with email). Zendesk stops accepting API tokens on 2027-04-30; prefer OAuth.",
    )
    base_url: str | None = Field(
        default=None,
        description="Override of https://{subdomain}.zendesk.com, e.g. the emulator's http://127.0.0.1:PORT; "
        "the API root is {base_url}/api/v2.",
    )
    core_requests_per_minute: int = Field(
        default=200, description="Account-wide API budget (req/min) shared by all runs; your plan's limit or less."
    )
    incremental_requests_per_minute: int = Field(
        default=10, description="Incremental-export budget (req/min): 10, or 30 with the High Volume API add-on."
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

    def _auth_methods(self) -> list[str]:
        methods = []
        if self.oauth_access_token:
            methods.append("oauth_access_token")
        if self.oauth_client_id or self.oauth_client_secret:
            methods.append("oauth_client_id/oauth_client_secret")
        if self.email or self.api_token:
            methods.append("email/api_token")
        return methods

    def client_settings(self) -> ClientSettings:
        account = normalise_subdomain(self.subdomain)
        origin = (self.base_url or f"https://{account}.zendesk.com").rstrip("/")
        if origin.endswith("/api/v2"):
            origin = origin[: -len("/api/v2")]
        if not re.match(r"^https?://[^/?#@]+$", origin):
            raise ZendeskConfigError(
                f"zendesk[{account}]: base_url must be scheme and host only, like http://127.0.0.1:8080 "
                "(the API root /api/v2 is appended)"
            )
        for name in ("core_requests_per_minute", "incremental_requests_per_minute", "export_page_size"):
            if getattr(self, name) <= 0:
                raise ZendeskConfigError(f"zendesk[{account}]: {name} must be positive")
        if self.export_page_size > 1000:
            raise ZendeskConfigError(f"zendesk[{account}]: export_page_size must be at most 1000 (Zendesk's cap)")
        return ClientSettings(
            account=account,
            origin=origin,
            core_requests_per_minute=self.core_requests_per_minute,
            incremental_requests_per_minute=self.incremental_requests_per_minute,
            state_url=self.state_url,
            timeout_seconds=self.timeout_seconds,
            export_page_size=self.export_page_size,
            max_retries=self.max_retries,
        )

    def _authenticator(
        self, settings: ClientSettings, http: httpx.Client, log: logging.Logger
    ) -> Authenticator:
        account = settings.account
        methods = self._auth_methods()
        if not methods:
            raise ZendeskConfigError(
                f"zendesk[{account}]: no authentication configured; set oauth_client_id and oauth_client_secret "
                "(recommended), or oauth_access_token, or (legacy) email and api_token"
            )
        if len(methods) > 1:
            raise ZendeskConfigError(
                f"zendesk[{account}]: configure exactly one authentication method, found {' and '.join(methods)}; "
                "remove all but one"
            )
        if self.oauth_access_token:
            return BearerTokenAuth(self.oauth_access_token)
        if self.oauth_client_id or self.oauth_client_secret:
            if not (self.oauth_client_id and self.oauth_client_secret):
                missing = "oauth_client_secret" if self.oauth_client_id else "oauth_client_id"
                raise ZendeskConfigError(
                    f"zendesk[{account}]: OAuth client credentials need both oauth_client_id and "
                    f"oauth_client_secret; {missing} is missing"
                )
            return ClientCredentialsAuth(
                store=StateStore(settings.state_url),
                account=account,
                token_url=f"{settings.origin}/oauth/tokens",
                client_id=self.oauth_client_id,
                client_secret=self.oauth_client_secret,
                http=http,
                lease_seconds=settings.timeout_seconds + 10,
            )
        if not (self.email and self.api_token):
            missing = "api_token" if self.email else "email"
            raise ZendeskConfigError(
                f"zendesk[{account}]: the legacy API-token auth needs both email and api_token; {missing} is missing"
            )
        if "@" not in self.email:
            raise ZendeskConfigError(
                f"zendesk[{account}]: email {self.email!r} is not an email address (API-token auth uses the "
                "admin's email, without '/token')"
            )
        log.warning("zendesk[%s]: %s", account, API_TOKEN_SUNSET)
        warnings.warn(API_TOKEN_SUNSET, ZendeskApiTokenDeprecationWarning, stacklevel=3)
        return ApiTokenAuth(self.email, self.api_token)

    def get_client(self, log: logging.Logger | None = None) -> ZendeskClient:
        """A ready client; raises ZendeskConfigError (before any request) when the configuration is unusable."""
        logger = log or logging.getLogger("zendesk_assets.zendesk")
        settings = self.client_settings()
        http = make_http_client(settings.timeout_seconds)
        try:
            auth = self._authenticator(settings, http, logger)
        except BaseException:
            http.close()
            raise
        return ZendeskClient(settings, auth, log=logger, http=http)
