"""What a Zendesk connection is configured with: defaults, the subdomain rule, the three auth methods.

The accounts model (`zendesk_assets.config`) and `ZendeskResource` share these types, so a value is
validated once and handed to Dagster as it is. Secrets are `dg.EnvVar` references wherever the
product creates them: Dagster stores the variable's name, never its value, and resolves it when a
run starts. Outside Dagster (the CLI's preflight) `reveal` resolves them the same way.

Adding an auth method: one `dg.Config` class here (its fields and `authenticator`), its
`Authenticator` in `auth.py`, and its keys in `zendesk_assets/config.py`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import warnings
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field

from .defaults import DEFAULT_CORE_RPM, DEFAULT_INCREMENTAL_RPM, DEFAULT_PATIENCE_SECONDS
from .errors import ConfigError

__all__ = [
    "DEFAULT_CORE_RPM",
    "DEFAULT_INCREMENTAL_RPM",
    "DEFAULT_PATIENCE_SECONDS",
    "ApiToken",
    "OAuthClientCredentials",
    "OAuthToken",
    "ZendeskAuth",
    "api_origin",
    "normalise_subdomain",
]

if TYPE_CHECKING:
    import httpx

    from .auth import Authenticator
    from .client import ClientSettings


API_TOKEN_SUNSET = (
    "Zendesk API tokens are being retired: tokens unused for 30 days are deactivated from 2026-07-28 and all "
    "API tokens stop working on 2027-04-30; switch to OAuth (client credentials)"
)

_SUBDOMAIN_RE = re.compile(r"^[a-z][a-z0-9-]{2,62}$")


class ZendeskApiTokenDeprecationWarning(UserWarning):
    """Raised (as a warning) when the legacy email/API-token auth is configured."""


def normalise_subdomain(value: str) -> str:
    """`acme`, `acme.zendesk.com`, `https://acme.zendesk.com/agent/tickets/5` -> `acme`.

    Anything else is refused before any request: an unvalidated subdomain is an SSRF / credential-leak
    vector (CVE-2021-30492 in zendesk_api_client_php). See
    https://developer.zendesk.com/api-reference/introduction/requests/ for the API host.
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
        raise ConfigError(
            f"invalid Zendesk subdomain {shown!r}: expected the part before .zendesk.com (e.g. 'acme' for "
            "https://acme.zendesk.com): 3-63 characters, starting with a letter, letters/digits/hyphens only. "
            "Host-mapped brand domains such as support.acme.com are not the API host."
        )
    return host


ALLOW_CUSTOM_HINT = (
    "set ZENDESK_ALLOW_CUSTOM_BASE_URL=1 (accounts file: allow_custom_base_url: true) to send it there on purpose"
)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_origin(subdomain: str, base_url: str | None, allow_custom: bool = False) -> tuple[str, str | None]:
    """Where the credentials may be sent: the origin, and a warning when it is a custom host allowed by opt-in.

    ``https://<subdomain>.zendesk.com`` (the default) and loopback hosts (the emulator) need nothing;
    any other host needs ``allow_custom`` and https. Always refused, because the token would travel in
    clear text or to someone else: plain http to a non-loopback host, a host that only looks like
    Zendesk's (``acme.zendesk.com.evil.example``), another account's ``*.zendesk.com``. Raises
    ConfigError with the sentence to show after the setting's name.
    """
    own = f"{subdomain}.zendesk.com"
    if base_url is None:
        return f"https://{own}", None
    origin = base_url.strip().rstrip("/").removesuffix("/api/v2")
    if "@" in origin:
        raise ConfigError("must not carry a user or password; the credentials have their own settings")
    match = re.fullmatch(r"(https?)://([^/?#@\s]+)", origin)
    if not match:
        raise ConfigError(
            f"must be a scheme and host only, like https://acme.zendesk.com or http://127.0.0.1:8080, got {origin!r}"
        )
    scheme = match.group(1)
    try:
        parts = urlsplit(origin)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        raise ConfigError(f"must be a scheme and host only, like https://acme.zendesk.com, got {origin!r}") from None
    if _is_loopback(host):
        return origin, None  # the emulator, or a tunnel on this machine
    if scheme != "https":
        raise ConfigError(
            f"plain http to {host} would send the credentials in clear text; only https is allowed for a host "
            "other than this machine (127.0.0.1, ::1, localhost)"
        )
    if host == own and port in (None, 443):
        return origin, None
    if host.endswith(".zendesk.com"):
        raise ConfigError(
            f"{host} is not the API host of subdomain {subdomain!r} ({own}); set the subdomain instead of base_url"
        )
    if "zendesk.com" in host or "zendesk" in host.split(".")[-2:-1]:
        raise ConfigError(f"{host} only looks like a Zendesk host; the API host of subdomain {subdomain!r} is {own}")
    if not allow_custom:
        raise ConfigError(
            f"{host} is not Zendesk ({own}) and the credentials would be sent there; {ALLOW_CUSTOM_HINT}"
        )
    return origin, (
        f"the credentials of subdomain {subdomain!r} are sent to {origin}, not to {own} "
        "(allowed by ZENDESK_ALLOW_CUSTOM_BASE_URL / allow_custom_base_url)"
    )


def env_name(value: object) -> str | None:
    """The environment variable a setting refers to, or None for a plain value."""
    return value.env_var_name if isinstance(value, dg.EnvVar) else None


def reveal(value: str, what: str) -> str:
    """A setting's value: plain, or read from the environment variable it names (outside a run)."""
    name = env_name(value)
    if name is None:
        return value
    found = dg.EnvVar(name).get_value()
    if not found:
        raise ConfigError(f"{what} is read from the environment variable {name}, which is not set")
    return found


def source(value: object, key: str) -> str:
    """How a message names a setting: the environment variable when there is one."""
    return env_name(value) or key


class OAuthToken(dg.Config):
    """An OAuth access token with the `read` scope, issued to an admin; cannot be renewed by us."""

    kind: Literal["oauth_token"] = "oauth_token"
    token: str = Field(repr=False, description="OAuth access token (an environment-variable reference).")

    def authenticator(self, settings: ClientSettings, http: httpx.Client, log: logging.Logger) -> Authenticator:
        from .auth import BearerTokenAuth

        return BearerTokenAuth(reveal(self.token, "the OAuth token"), source=source(self.token, "oauth_token"))


class OAuthClientCredentials(dg.Config):
    """A confidential OAuth client (client-credentials grant): tokens are issued, renewed and shared."""

    kind: Literal["oauth_client"] = "oauth_client"
    client_id: str = Field(description="OAuth client id (not secret).")
    client_secret: str = Field(repr=False, description="OAuth client secret (an environment-variable reference).")

    def authenticator(self, settings: ClientSettings, http: httpx.Client, log: logging.Logger) -> Authenticator:
        from .auth import ClientCredentialsAuth
        from .state import StateStore

        return ClientCredentialsAuth(
            store=StateStore(settings.state_url),
            account=settings.account,
            token_url=f"{settings.origin}/oauth/tokens",
            client_id=reveal(self.client_id, "the OAuth client id"),
            client_secret=reveal(self.client_secret, "the OAuth client secret"),
            http=http,
            lease_seconds=settings.timeout_seconds + 10,
            sources=(source(self.client_id, "client_id"), source(self.client_secret, "client_secret")),
        )


class ApiToken(dg.Config):
    """Legacy `{email}/token:{api_token}`; Zendesk stops accepting API tokens on 2027-04-30."""

    kind: Literal["api_token"] = "api_token"
    email: str = Field(description="The admin's email address (without '/token').")
    api_token: str = Field(repr=False, description="Legacy API token (an environment-variable reference).")

    def authenticator(self, settings: ClientSettings, http: httpx.Client, log: logging.Logger) -> Authenticator:
        from .auth import ApiTokenAuth

        email = reveal(self.email, "the email")
        if "@" not in email:
            raise ConfigError(
                f"zendesk[{settings.account}]: email {email!r} is not an email address (API-token auth uses the "
                "admin's email, without '/token')"
            )
        log.warning("zendesk[%s]: %s", settings.account, API_TOKEN_SUNSET)
        warnings.warn(API_TOKEN_SUNSET, ZendeskApiTokenDeprecationWarning, stacklevel=3)
        return ApiTokenAuth(email, reveal(self.api_token, "the API token"), source=source(self.api_token, "api_token"))


ZendeskAuth = Annotated[OAuthToken | OAuthClientCredentials | ApiToken, Field(discriminator="kind")]
