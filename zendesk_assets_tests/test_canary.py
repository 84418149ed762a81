"""Credentials never leave the account's origin, over real HTTP.

Contract: a hostile "Zendesk" on one loopback port answers every pagination shape with a next page on
another port (a canary): `links.next`, the audits' `after_url`, the offset envelope's `next_page`, a
stored resume URL; and redirects (301, 302, 307, 308) to the canary. Every read stops with an error
that names the refused host or the status, and the canary receives nothing at all: no request, so no
token. Same host, other port is another origin.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from zendesk_assets.zendesk.errors import ZendeskError
from zendesk_assets.zendesk.pagination import Read, cursor_pages
from zendesk_assets.zendesk.resource import ZendeskResource
from zendesk_assets.zendesk.settings import OAuthToken

TOKEN = "canary-test-oauth-token"


class Server:
    """A threaded HTTP server on 127.0.0.1 that records what it was asked and answers with ``answer``."""

    def __init__(self, answer: Any) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, dict(self.headers)))
                status, headers, body = answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def canary() -> Iterator[Server]:
    with Server(lambda path: (200, {}, {"groups": [{"id": 666}], "meta": {"has_more": False}})) as server:
        yield server


@pytest.fixture
def hostile(canary: Server) -> Iterator[Server]:
    away = canary.url + "/api/v2"

    def answer(path: str) -> tuple[int, dict[str, str], Any]:
        if path.startswith("/api/v2/groups"):
            return 200, {}, {"groups": [{"id": 1}], "meta": {"has_more": True}, "links": {"next": f"{away}/groups?x"}}
        if path.startswith("/api/v2/tickets/1/audits"):
            return 200, {}, {"audits": [{"id": 2}], "after_url": f"{away}/tickets/1/audits?x"}
        if path.startswith("/api/v2/ticket_forms"):
            return 200, {}, {"ticket_forms": [{"id": 3}], "next_page": f"{away}/ticket_forms?page=2"}
        for status in (301, 302, 307, 308):
            if path.startswith(f"/api/v2/redirect{status}"):
                return status, {"Location": f"{away}/users/me"}, {}
        return 404, {}, {"error": "RecordNotFound"}

    with Server(answer) as server:
        yield server


def _client(hostile: Server, tmp_path: Path) -> Any:
    resource = ZendeskResource(subdomain="acme", auth=OAuthToken(token=TOKEN), base_url=hostile.url,
                               state_url=f"sqlite:///{tmp_path / 'state.sqlite'}", max_retries=1)
    return resource.get_client()


@pytest.mark.parametrize(
    ("read", "first"),
    [
        (Read("/groups", "groups"), [{"id": 1}]),
        (Read("/tickets/1/audits", "audits"), [{"id": 2}]),
        (Read("/ticket_forms", "ticket_forms"), [{"id": 3}]),
        (Read("/groups", "groups", resume="CANARY/api/v2/groups?page[after]=stored"), None),
    ],
    ids=["links.next", "after_url", "next_page", "stored-resume-url"],
)
def test_next_pages_on_another_port_are_never_requested(
    hostile: Server, canary: Server, tmp_path: Path, read: Read, first: list[dict[str, int]] | None
) -> None:
    if read.resume:
        read = Read(read.path, read.record_key, resume=read.resume.replace("CANARY", canary.url))
    with _client(hostile, tmp_path) as client:
        pages = cursor_pages(client, read)
        if first is not None:
            assert next(pages).records == first
        with pytest.raises(ZendeskError, match=r"refusing to follow '127\.0\.0\.1'.*credentials are only ever sent"):
            next(pages)
    assert canary.requests == []
    assert all(headers.get("Authorization") == f"Bearer {TOKEN}" for _, headers in hostile.requests)
    assert bool(hostile.requests) == (first is not None)  # a stored URL is refused before any request


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_to_another_port_are_never_followed(
    hostile: Server, canary: Server, tmp_path: Path, status: int
) -> None:
    with _client(hostile, tmp_path) as client, pytest.raises(ZendeskError, match=f"failed with {status}"):
        client.get_json(f"/redirect{status}")
    assert canary.requests == []
    assert [path for path, _ in hostile.requests] == [f"/api/v2/redirect{status}"]
