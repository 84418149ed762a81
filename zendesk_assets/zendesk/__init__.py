"""Zendesk Support API access: the Dagster resource, its HTTP client, pacing and page iterators."""

from .client import ClientSettings, Preflight, ZendeskClient
from .errors import (
    ZendeskAuthError,
    ZendeskConfigError,
    ZendeskError,
    ZendeskExportStuckError,
    ZendeskNotAvailableError,
    ZendeskPermissionError,
    ZendeskRequestError,
)
from .pagination import Page
from .resource import ZendeskResource, normalise_subdomain
from .telemetry import Telemetry

__all__ = [
    "ClientSettings",
    "Page",
    "Preflight",
    "Telemetry",
    "ZendeskAuthError",
    "ZendeskClient",
    "ZendeskConfigError",
    "ZendeskError",
    "ZendeskExportStuckError",
    "ZendeskNotAvailableError",
    "ZendeskPermissionError",
    "ZendeskRequestError",
    "ZendeskResource",
    "normalise_subdomain",
]
