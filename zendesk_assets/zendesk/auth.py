"""The three ways to authenticate to Zendesk, behind one small interface.

An authenticator gives the headers for the next request and, after a 401, may `renew()` once. The
client-credentials flow keeps its token pair in the shared state store because Zendesk rotates refresh
tokens: a successful `refresh_token` grant invalidates the old pair, so two Dagster processes refreshing
on their own would lock each other out (https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/).
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass
from typing import Protocol

import httpx
import sqlalchemy as sa

from .errors import ZendeskAuthError, ZendeskRequestError
from .state import StateStore, token_table

log = logging.getLogger("zendesk_assets.zendesk")

# Renew a little before Zendesk's expiry so a request never leaves with a token that dies in flight.
EXPIRY_MARGIN_SECONDS = 60.0


class Authenticator(Protocol):
    method: str

    def headers(self) -> dict[str, str]: ...

    def renew(self, rejected: dict[str, str]) -> bool:
        """After a 401 with `rejected` headers: True if fresh credentials are now available."""
        ...

    def advice(self) -> str:
        """What the user should check when Zendesk rejects these credentials."""
        ...


class BearerTokenAuth:
    """A fixed OAuth access token (no way to renew it ourselves)."""

    method = "oauth_access_token"

    def __init__(self, token: str, source: str = "oauth_token") -> None:
        self._token = token
        self.source = source  # where the token was configured, for the advice

    def __repr__(self) -> str:
        return "BearerTokenAuth(token=***)"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def renew(self, rejected: dict[str, str]) -> bool:
        return False

    def advice(self) -> str:
        return (
            f"check that the token in {self.source} is current and not revoked, that it was issued for this "
            "subdomain, and that it has the 'read' scope; expiring tokens need OAuth client credentials "
            "instead so they can be renewed"
        )


class ApiTokenAuth:
    """Legacy HTTP Basic `{email}/token:{api_token}`; Zendesk stops accepting it on 2027-04-30."""

    method = "api_token"

    def __init__(self, email: str, api_token: str, source: str = "api_token") -> None:
        raw = f"{email}/token:{api_token}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")
        self.email = email
        self.source = source

    def __repr__(self) -> str:
        return f"ApiTokenAuth(email={self.email!r}, api_token=***)"

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}

    def renew(self, rejected: dict[str, str]) -> bool:
        return False

    def advice(self) -> str:
        return (
            f"check the email ({self.email}) and the API token in {self.source} (Admin Center > Apps and integrations > "
            "Zendesk API; tokens unused for 30 days are deactivated); better, switch to OAuth"
        )


@dataclass
class _Grant:
    access_token: str
    refresh_token: str | None
    expires_at: float | None


class ClientCredentialsAuth:
    """OAuth client credentials with a rotating refresh token, shared by every process via the store."""

    method = "oauth_client_credentials"

    def __init__(
        self,
        *,
        store: StateStore,
        account: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.Client,
        lease_seconds: float = 60.0,
        sources: tuple[str, str] = ("client_id", "client_secret"),
    ) -> None:
        self.sources = sources
        self.store = store
        self.account = account
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self.lease_seconds = lease_seconds
        self.key = f"{account}:{client_id}"
        self.grants_issued = 0  # how many times this process talked to /oauth/tokens (tests, telemetry)

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(account={self.account!r}, client_id={self.client_id!r}, client_secret=***)"

    def advice(self) -> str:
        return (
            f"check the client id ({self.client_id}, from {self.sources[0]}) and the secret in {self.sources[1]} "
            "against Admin Center > Apps and integrations > APIs > OAuth clients: the client must be confidential, belong to this "
            "subdomain, and be allowed the client_credentials grant with the 'read' scope"
        )

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token()}"}

    def renew(self, rejected: dict[str, str]) -> bool:
        auth = rejected.get("Authorization", "")
        stale = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        self._renew(stale=stale, forced=True)
        return True

    # -- token cache -------------------------------------------------------------------------------

    @staticmethod
    def _usable(access_token: str | None, expires_at: float | None, now: float) -> bool:
        # `expires_at` is stored already moved forward by the renewal margin (see `_post`)
        return bool(access_token) and (expires_at is None or expires_at > now)

    def _token(self) -> str:
        row = self.store.read_row(token_table, self.key)
        if row is not None and self._usable(row.access_token, row.expires_at, time.time()):
            return str(row.access_token)
        return self._renew(stale=row.access_token if row is not None else None, forced=False)

    def _renew(self, *, stale: str | None, forced: bool) -> str:
        """Renew under a lease in the store; a process that finds the lease taken waits and re-reads."""
        deadline = time.time() + self.lease_seconds * 2
        defaults = {"lease_until": 0.0, "version": 0}
        while True:
            refresh_token: str | None = None
            claimed = False
            with self.store.locked_row(token_table, self.key, defaults) as (conn, row):
                now = time.time()
                fresh = row.access_token and row.access_token != stale
                if fresh and self._usable(row.access_token, row.expires_at, now):
                    return str(row.access_token)  # another process renewed while we waited
                if float(row.lease_until or 0.0) <= now:
                    conn.execute(
                        sa.update(token_table)
                        .where(token_table.c.key == self.key)
                        .values(lease_until=now + self.lease_seconds)
                    )
                    refresh_token = row.refresh_token
                    claimed = True
            if claimed:
                break
            if time.time() > deadline:
                raise ZendeskAuthError(
                    f"zendesk[{self.account}]: timed out waiting for another process to renew the OAuth "
                    f"token (lease in {self.store!r}); if no other run is active, retry",
                    account=self.account,
                    endpoint="/oauth/tokens",
                )
            time.sleep(0.2)
        try:
            grant = self._grant(refresh_token)
        except BaseException:
            self._store_grant(None)
            raise
        self._store_grant(grant)
        return grant.access_token

    def _store_grant(self, grant: _Grant | None) -> None:
        """Persist the new pair (or just release the lease) in one locked write."""
        with self.store.locked_row(token_table, self.key, {"lease_until": 0.0, "version": 0}) as (conn, row):
            values: dict[str, object] = {"lease_until": 0.0}
            if grant is not None:
                values.update(
                    access_token=grant.access_token,
                    refresh_token=grant.refresh_token,
                    expires_at=grant.expires_at,
                    version=int(row.version or 0) + 1,
                )
            conn.execute(sa.update(token_table).where(token_table.c.key == self.key).values(**values))

    # -- the token endpoint ------------------------------------------------------------------------

    def _grant(self, refresh_token: str | None) -> _Grant:
        if refresh_token:
            try:
                return self._post({"grant_type": "refresh_token", "refresh_token": refresh_token})
            except ZendeskAuthError as exc:
                # Rotation: the refresh token was already consumed (by a process that then crashed
                # before storing, or an expired one). client_credentials needs no prior state.
                log.info("zendesk[%s]: refresh token rejected (%s); re-issuing with client_credentials",
                         self.account, exc)
        return self._post({"grant_type": "client_credentials", "scope": "read"})

    def _post(self, body: dict[str, str]) -> _Grant:
        payload = {**body, "client_id": self.client_id, "client_secret": self._client_secret}
        try:
            resp = self._http.post(self.token_url, json=payload)
        except httpx.HTTPError as exc:
            raise ZendeskRequestError(
                f"zendesk[{self.account}]: could not reach the OAuth token endpoint: {type(exc).__name__}",
                account=self.account,
                endpoint="/oauth/tokens",
            ) from None
        self.grants_issued += 1
        if resp.status_code in (400, 401, 403):
            detail = _error_text(resp)
            raise ZendeskAuthError(
                f"zendesk[{self.account}]: OAuth {body['grant_type']} grant rejected "
                f"({resp.status_code}: {detail}); {self.advice()}",
                account=self.account,
                endpoint="/oauth/tokens",
            )
        if resp.status_code >= 300:
            raise ZendeskRequestError(
                f"zendesk[{self.account}]: OAuth token endpoint answered {resp.status_code}: {_error_text(resp)}",
                account=self.account,
                endpoint="/oauth/tokens",
                status=resp.status_code,
            )
        try:
            data = resp.json()
            access = str(data["access_token"])
        except (ValueError, KeyError, TypeError):
            raise ZendeskRequestError(
                f"zendesk[{self.account}]: OAuth token endpoint returned no access_token",
                account=self.account,
                endpoint="/oauth/tokens",
            ) from None
        expires_in = data.get("expires_in")
        expires_at = None
        if expires_in:
            # renew a minute early (half the lifetime for very short-lived tokens)
            lifetime = float(expires_in)
            expires_at = time.time() + lifetime - min(EXPIRY_MARGIN_SECONDS, lifetime / 2)
        return _Grant(access, data.get("refresh_token"), expires_at)


def _error_text(resp: httpx.Response) -> str:
    """Zendesk's error text, JSON or plain (low-level errors come back as text/plain); never echoes secrets."""
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200].strip() or resp.reason_phrase
    if isinstance(data, dict):
        parts = [str(data.get(k)) for k in ("error", "description", "error_description") if data.get(k)]
        details = data.get("details")
        if isinstance(details, dict):
            parts.append(str(details)[:200])
        if parts:
            return ": ".join(parts)
    return str(data)[:200]
