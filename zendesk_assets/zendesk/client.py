"""The HTTP client for one Zendesk account: pacing, retries, auth renewal, host pinning.

Retries use tenacity (wait = Retry-After when Zendesk sends one, else capped exponential back-off with
jitter); pacing is the shared GCRA limiter in `ratelimit.py`; connection-level retries are httpx's
transport `retries=`. The page iterators in `pagination.py` use this client; it knows nothing of them.
"""

from __future__ import annotations

import atexit
import functools
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import orjson
import tenacity

from .auth import Authenticator, _error_text
from .clock import ZendeskClock
from .defaults import DEFAULT_CORE_RPM, DEFAULT_INCREMENTAL_RPM, DEFAULT_PATIENCE_SECONDS
from .errors import (
    ZendeskAuthError,
    ZendeskError,
    ZendeskNotAvailableError,
    ZendeskPermissionError,
    ZendeskRequestError,
)
from .patience import Patience
from .ratelimit import RateLimiter, parse_rate_headers, parse_retry_after
from .state import StateStore
from .telemetry import Telemetry, heartbeat

T = TypeVar("T")

DEFAULT_LOGGER = logging.getLogger("zendesk_assets.zendesk")

# 503 without Retry-After is an outage, not throttling (https://developer.zendesk.com/api-reference/introduction/rate-limits/): a few tries, then fail.
OUTAGE_ATTEMPTS = 3


@dataclass(frozen=True)
class ClientSettings:
    """Everything the client needs besides credentials; built by `ZendeskResource.get_client`."""

    account: str  # the normalised subdomain
    origin: str  # "https://acme.zendesk.com" or the emulator's "http://127.0.0.1:PORT"
    core_requests_per_minute: float = DEFAULT_CORE_RPM
    incremental_requests_per_minute: float = DEFAULT_INCREMENTAL_RPM
    state_url: str | None = None
    timeout_seconds: float = 120.0
    export_page_size: int = 1000
    max_retries: int = 8
    period_seconds: float = 60.0  # the rate-limit window; tests may shrink it
    utilisation: float = 0.95
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    heartbeat_seconds: float = 30.0
    patience_seconds: float = DEFAULT_PATIENCE_SECONDS  # overall budget for failures (see patience.py)

    @property
    def api_root(self) -> str:
        return f"{self.origin}/api/v2"


@dataclass(frozen=True)
class Preflight:
    """Who we are on the account, checked before a sweep spends any budget."""

    account: str
    user_id: int
    name: str
    email: str | None
    role: str
    auth_method: str


class _Retryable(Exception):
    def __init__(
        self, reason: str, *, retry_after: float | None = None, outage: bool = False, status: int | None = None
    ) -> None:
        self.reason = reason
        self.status = status  # None for network errors
        self.retry_after = retry_after
        self.outage = outage
        super().__init__(reason)


class PageTooSlow(Exception):
    """504 or read timeout on a page whose size may be cut (export pages): the caller halves per_page."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _Unauthorised(Exception):
    def __init__(self, detail: str, sent: dict[str, str]) -> None:
        self.detail = detail
        self.sent = sent
        super().__init__("401")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class ZendeskClient:
    """One account: an httpx client, two shared budgets, an authenticator and per-sweep telemetry."""

    def __init__(
        self,
        settings: ClientSettings,
        auth: Authenticator,
        *,
        log: logging.Logger | None = None,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        owns_http: bool = True,
    ) -> None:
        self.settings = settings
        self.account = settings.account
        self.auth = auth
        self.log = log or DEFAULT_LOGGER
        self.telemetry = Telemetry()
        self.clock = ZendeskClock()  # Zendesk's time from its Date headers (window ends, high-water marks)
        self._wait_reason = "back-off"
        # capped exponential back-off with (full) jitter for 5xx and network errors; attempt-based, stateless
        self._backoff = tenacity.wait_random_exponential(
            multiplier=settings.backoff_initial, max=settings.backoff_max, min=settings.backoff_initial / 2
        )
        self._sleep_fn = sleep
        self._http = http or make_http_client(settings.timeout_seconds, transport)
        self._owns_http = owns_http or http is None  # a shared client (``shared_http_client``) stays open
        store = StateStore(settings.state_url)
        self.store = store
        self.patience = Patience(store, settings.account, settings.patience_seconds)
        rpm = {"core": settings.core_requests_per_minute, "incremental": settings.incremental_requests_per_minute}
        self.limiters = {
            budget: RateLimiter(
                store,
                settings.account,
                budget,
                per_minute,
                period_seconds=settings.period_seconds,
                utilisation=settings.utilisation,
            )
            for budget, per_minute in rpm.items()
        }

    def __repr__(self) -> str:
        return f"ZendeskClient(account={self.account!r}, auth={self.auth.method})"

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- URLs --------------------------------------------------------------------------------------

    def url_for(self, path_or_url: str) -> str:
        """An API path -> absolute URL; an absolute URL (next_page, links.next) must be on the account's host.

        Zendesk returns absolute next-page URLs; we never send the auth header anywhere but the
        account's own origin: a next-page link is data from the response, and following it blindly with the
        credentials would leak them (or reach an internal host) if it ever pointed elsewhere.
        """
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != _origin(self.settings.origin):
                raise ZendeskError(
                    f"zendesk[{self.account}]: refusing to follow {urlsplit(path_or_url).hostname!r}: it is not "
                    f"the account's host {urlsplit(self.settings.origin).hostname!r}, and credentials are only "
                    "ever sent there",
                    account=self.account,
                    endpoint=urlsplit(path_or_url).path,
                )
            return path_or_url
        path = path_or_url if path_or_url.startswith("/") else "/" + path_or_url
        if path.startswith("/api/v2/"):
            path = path[len("/api/v2") :]
        return self.settings.api_root + path

    @staticmethod
    def endpoint_of(url: str) -> str:
        return urlsplit(url).path

    # -- waiting -----------------------------------------------------------------------------------

    def _sleep(self, seconds: float, reason: str) -> None:
        """Sleep, counting it as wait time and logging a heartbeat during long waits."""
        if seconds <= 0:
            return
        self.telemetry.add("wait_seconds", seconds)
        beat = self.settings.heartbeat_seconds
        waited = 0.0
        while waited < seconds:
            chunk = min(beat, seconds - waited)
            self._sleep_fn(chunk)
            waited += chunk
            if waited < seconds and seconds > beat:
                heartbeat(self.log, account=self.account, waited=waited, remaining=seconds - waited, reason=reason)

    def _await_budget(self, budget: str) -> None:
        # One slot from the request's own budget. Export requests take no core slot: a core slot
        # reserved now but used after the (seconds-long) export wait would bunch up with later core
        # requests. Whether Zendesk also counts exports against the account-wide limit is not
        # documented; if it does, that is at most incremental_rpm (10/min) extra, inside the 5%
        # headroom of `utilisation`, and the core headers we observe on export responses catch it.
        limiter = self.limiters[budget]
        slot = limiter.reserve()
        self._sleep(slot - time.time(), f"the {budget} request budget ({limiter.requests_per_minute:g}/min)")

    # -- one request -------------------------------------------------------------------------------

    def _attempt(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        budget: str,
        shrinkable: bool,
        parse: Callable[[httpx.Response], T],
        json_body: Any = None,
    ) -> T:
        self._await_budget(budget)
        headers = self.auth.headers()
        endpoint = self.endpoint_of(url)
        try:
            resp = self._http.request(method, url, params=params, headers=headers, json=json_body)
        except httpx.TimeoutException as exc:
            self.telemetry.add("requests")
            # a *read* timeout on an export page is the page size (a heavy page, not load); connect/pool
            # timeouts are the network and are simply retried
            if shrinkable and isinstance(exc, httpx.ReadTimeout):
                raise PageTooSlow(f"timeout ({type(exc).__name__})") from None
            raise _Retryable(f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            # dropped connection, truncated body (RemoteProtocolError), refused...
            self.telemetry.add("requests")
            raise _Retryable(f"network error ({type(exc).__name__})") from None
        self.telemetry.add("requests")
        self.clock.observe(resp.headers.get("date"))
        self._observe(resp, budget)
        status = resp.status_code
        if 200 <= status < 300:
            try:
                parsed = parse(resp)
            except (ValueError, orjson.JSONDecodeError):
                raise _Retryable(f"malformed or truncated {status} body") from None
            self.patience.ok()
            return parsed
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if status == 429:
            self.telemetry.add("throttled_429")
            wait = retry_after if retry_after is not None else 60.0
            # every process on the account waits, not just this one
            self.limiters[budget].push_back(time.time() + wait)
            raise _Retryable("429 Too Many Requests", retry_after=wait)
        if status == 503:
            if retry_after is not None:
                self.limiters[budget].push_back(time.time() + retry_after)
                raise _Retryable("503 Service Unavailable", retry_after=retry_after)
            raise _Retryable("503 Service Unavailable without Retry-After (outage)", outage=True, status=503)
        if status == 504 and shrinkable:
            raise PageTooSlow("504 Gateway Timeout")
        if status >= 500:
            raise _Retryable(f"{status} {resp.reason_phrase}", status=status)
        detail = _error_text(resp)
        if status == 401:
            raise _Unauthorised(detail, headers)
        if status == 403:
            if "do not have access to this page" in detail.lower() or "not available" in detail.lower():
                raise ZendeskNotAvailableError(
                    f"zendesk[{self.account}]: {endpoint} is not available to this account or user (403: "
                    f"{detail}); it may need a higher Zendesk plan (e.g. audit logs need Enterprise) or an admin",
                    account=self.account,
                    endpoint=endpoint,
                )
            raise ZendeskPermissionError(
                f"zendesk[{self.account}]: permission denied on {endpoint} (403: {detail}); the credentials "
                "need an admin user and the 'read' scope",
                account=self.account,
                endpoint=endpoint,
            )
        raise ZendeskRequestError(
            f"zendesk[{self.account}]: {method} {endpoint} failed with {status}: {detail}",
            account=self.account,
            endpoint=endpoint,
            status=status,
        )

    def _observe(self, resp: httpx.Response, budget: str) -> None:
        for name in {budget, "core"}:
            remaining, reset, limit = parse_rate_headers(resp.headers, name)
            if remaining is not None:
                self.limiters[name].observe(remaining, reset, limit)

    def _wait_for_retry(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            self._wait_reason = f"Retry-After ({exc.reason})"
            return exc.retry_after
        self._wait_reason = f"back-off ({getattr(exc, 'reason', exc)})"
        return min(float(self._backoff(state)), max(self.patience.remaining(), 0.5))

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is None and self.patience.failed():
            return True  # failing for longer than the account's patience budget
        limit = OUTAGE_ATTEMPTS if isinstance(exc, _Retryable) and exc.outage else self.settings.max_retries + 1
        return state.attempt_number >= limit

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.telemetry.add("retries")
        wait = state.next_action.sleep if state.next_action else 0.0
        self.log.warning(
            "zendesk[%s]: %s; retry %d in %.1fs", self.account, getattr(exc, "reason", exc), state.attempt_number, wait
        )

    def _retry_sleep(self, seconds: float) -> None:
        self._sleep(seconds, self._wait_reason)

    def send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        budget: str = "core",
        shrinkable: bool = False,
        parse: Callable[[httpx.Response], T],
        json_body: Any = None,
    ) -> T:
        """One logical request: paced, retried, re-authenticated once after a 401."""
        url = self.url_for(path_or_url)
        endpoint = self.endpoint_of(url)
        renewed = False
        while True:
            retrying = tenacity.Retrying(
                retry=tenacity.retry_if_exception_type(_Retryable),
                stop=self._stop,
                wait=self._wait_for_retry,
                sleep=self._retry_sleep,
                before_sleep=self._before_sleep,
                reraise=True,
            )
            try:
                return retrying(self._attempt, method, url, params, budget, shrinkable, parse, json_body)
            except _Retryable as exc:
                raise ZendeskRequestError(
                    f"zendesk[{self.account}]: {method} {endpoint} kept failing ({exc.reason}) for "
                    f"{self.patience.elapsed():.0f} s; Zendesk may be unreachable or degraded (see "
                    "status.zendesk.com); rerun later: the sync resumes from its last stored position",
                    account=self.account,
                    endpoint=endpoint,
                    status=exc.status,
                ) from None
            except _Unauthorised as exc:
                if not renewed:
                    renewed = True
                    # exactly one renewal (refresh / re-issue) per request; a token-endpoint
                    # rejection propagates as its own ZendeskAuthError
                    if self.auth.renew(exc.sent):
                        self.log.info("zendesk[%s]: 401 on %s; renewed the token once", self.account, endpoint)
                        continue
                raise ZendeskAuthError(
                    f"zendesk[{self.account}]: credentials rejected for account {self.account}: {exc.detail} "
                    f"(401 on {endpoint}); {self.auth.advice()}",
                    account=self.account,
                    endpoint=endpoint,
                ) from None

    def get_json(self, path: str, params: dict[str, Any] | None = None, *, budget: str = "core") -> dict[str, Any]:
        """GET one API resource as a dict."""
        return self.send("GET", path, params=params, budget=budget, parse=parse_json_object)

    # -- account checks ----------------------------------------------------------------------------

    def preflight(self) -> Preflight:
        """Check the credentials and that their user is an admin (incremental exports need one)."""
        data = self.get_json("/users/me")
        user = data.get("user") or {}
        # Zendesk answers /users/me for unauthenticated callers with 200 and an anonymous user.
        if user.get("id") is None:
            raise ZendeskAuthError(
                f"zendesk[{self.account}]: credentials rejected for account {self.account}: Zendesk treated "
                f"the request as anonymous; {self.auth.advice()}",
                account=self.account,
                endpoint="/api/v2/users/me",
            )
        info = Preflight(
            account=self.account,
            user_id=int(user["id"]),
            name=str(user.get("name") or ""),
            email=user.get("email"),
            role=str(user.get("role") or "unknown"),
            auth_method=self.auth.method,
        )
        if info.role != "admin":
            raise ZendeskPermissionError(
                f"zendesk[{self.account}]: the credentials belong to {info.name} <{info.email}> whose role is "
                f"'{info.role}', but the sync needs an admin (incremental exports return 403 to agents); "
                "authenticate as an admin or have an admin issue the OAuth token",
                account=self.account,
                endpoint="/api/v2/users/me",
            )
        return info

    def is_available(self, path: str, params: dict[str, Any] | None = None) -> bool:
        """False for an endpoint the plan or role does not include (403/404), instead of failing the run."""
        try:
            self.get_json(path, {"page[size]": 1, **(params or {})})
        except ZendeskError as exc:
            if means_unavailable(exc):
                return False
            raise
        return True


def means_unavailable(exc: BaseException) -> bool:
    """Whether an error says the plan or role lacks the endpoint (403/404), not that a request failed."""
    if isinstance(exc, ZendeskNotAvailableError | ZendeskPermissionError):
        return True
    return isinstance(exc, ZendeskRequestError) and exc.status == 404


def parse_json_object(resp: httpx.Response) -> dict[str, Any]:
    data = orjson.loads(resp.content)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (CA bundle as httpx picks it, SSL_CERT_FILE/DIR honoured).

    Loading the CA bundle costs about a tenth of a CPU-second, and every step of a run builds its
    own client: built per client it was most of a no-change sync's HTTP cost. Contexts are safe to
    share between clients and threads.
    """
    return httpx.create_ssl_context()


@functools.cache
def shared_http_client(origin: str, timeout_seconds: float) -> httpx.Client:
    """The process's one HTTP client per Zendesk origin: the sweeps and checks of a run executed in
    one process (``zendesk-assets sync``) reuse its kept-alive connections instead of opening and
    securing new ones for every step. Closed when the process exits."""
    http = make_http_client(timeout_seconds)
    atexit.register(http.close)
    return http


def make_http_client(timeout_seconds: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """One keep-alive client per account; httpx retries failed *connects* itself (transport retries=)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 15.0)),
        headers={"Accept": "application/json", "User-Agent": "zendesk_assets (+https://github.com/)"},
        follow_redirects=False,
        transport=transport or httpx.HTTPTransport(retries=2, verify=tls_context()),
    )
