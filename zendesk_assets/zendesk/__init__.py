"""Zendesk Support API access: the Dagster resource, its HTTP client, pacing and page iterators.

`ZendeskResource` is imported lazily: the client alone does not need Dagster, which keeps helper
processes (benchmarks, the cross-process tests) quick to start.
"""

from typing import TYPE_CHECKING, Any

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
from .telemetry import Telemetry

if TYPE_CHECKING:
    from .resource import ZendeskResource, normalise_subdomain


def __getattr__(name: str) -> Any:
    if name in ("ZendeskResource", "normalise_subdomain"):
        from . import resource

        return getattr(resource, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
