"""Errors a user can act on: each names the Zendesk account and, where there is one, the endpoint.

Messages never contain credentials: callers pass only the subdomain, the path and Zendesk's own
error text (which Zendesk never fills with the caller's secret).
"""

from __future__ import annotations


class ZendeskError(Exception):
    """Base class: anything that went wrong talking to one Zendesk account."""

    def __init__(self, message: str, *, account: str | None = None, endpoint: str | None = None) -> None:
        self.account = account
        self.endpoint = endpoint
        super().__init__(message)


class ConfigError(ZendeskError, ValueError):
    """A setting the user must change (environment, accounts file or resource config); the message
    says which setting, for which account, and what to write instead. The one configuration error."""


ZendeskConfigError = ConfigError  # the name the resource and its tests have always used


class ZendeskAuthError(ZendeskError):
    """Zendesk rejected the credentials (401), even after one token refresh/re-issue."""


class ZendeskPermissionError(ZendeskError):
    """The credentials work but the user may not do this (403 on role/scope, or not an admin)."""


class ZendeskNotAvailableError(ZendeskError):
    """The endpoint is not part of this account's plan (e.g. audit logs below Enterprise)."""


class ZendeskExportRefusedError(ZendeskError):
    """Zendesk refuses an incremental export outright (403/404/410 with a body saying the API is not
    available): the sweep reads the lists instead, where the registry names them."""


class ZendeskExportStuckError(ZendeskError):
    """An incremental export cannot advance (cursor or start_time returned unchanged).

    ``stuck_at`` is the start_time a time-based export could not move past, so a caller that can
    read that second another way (organizations: the full list) can resume from the next one.
    """

    def __init__(
        self, message: str, *, account: str | None = None, endpoint: str | None = None, stuck_at: int | None = None
    ) -> None:
        self.stuck_at = stuck_at
        super().__init__(message, account=account, endpoint=endpoint)


class ZendeskRequestError(ZendeskError):
    """A request failed for good: non-retryable status, or retries exhausted."""

    def __init__(
        self,
        message: str,
        *,
        account: str | None = None,
        endpoint: str | None = None,
        status: int | None = None,
    ) -> None:
        self.status = status
        super().__init__(message, account=account, endpoint=endpoint)
