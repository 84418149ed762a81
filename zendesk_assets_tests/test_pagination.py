"""List pagination follows every shape Zendesk answers in.

Contract: ``cursor_pages`` reads every record exactly once whether a list answers with cursor
pagination's ``links.next`` and ``meta.has_more``, with only ``meta.after_cursor``, with the ticket
audits' top-level ``after_url``/``after_cursor``, or in the offset envelope (``next_page``, no ``meta``)
that ``/ticket_forms`` returns whatever is asked; a cursor that does not advance stops the read.
Shapes: https://developer.zendesk.com/api-reference/introduction/pagination/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from zendesk_assets.emulator import EmulatorConfig, EmulatorServer
from zendesk_assets.zendesk.auth import BearerTokenAuth
from zendesk_assets.zendesk.client import ClientSettings, ZendeskClient, make_http_client
from zendesk_assets.zendesk.errors import (
    ZendeskError,
    ZendeskExportRefusedError,
    ZendeskExportStuckError,
    ZendeskRequestError,
)
from zendesk_assets.zendesk.pagination import Read, _refused, cursor_export, cursor_pages
from zendesk_assets_tests.syncing import resource

ORIGIN = "https://acme.zendesk.com"
RECORDS = [{"id": i} for i in range(1, 8)]
SIZE = 3  # records per page the fake serves


def _page(request: httpx.Request) -> tuple[int, list[dict[str, Any]], bool]:
    """Which page was asked for (by page[after], or page= for offset), its records, whether more follow."""
    params = request.url.params
    start = int(params.get("page[after]") or 0) or (int(params.get("page") or 1) - 1) * SIZE
    chunk = RECORDS[start : start + SIZE]
    return start + SIZE, chunk, start + SIZE < len(RECORDS)


def _cbp_links(request: httpx.Request) -> httpx.Response:
    nxt, chunk, more = _page(request)
    return httpx.Response(200, json={"things": chunk, "meta": {"has_more": more, "after_cursor": str(nxt)},
                                     "links": {"next": f"{ORIGIN}/api/v2/things?page[after]={nxt}&page[size]=100"}})


def _cbp_after_cursor_only(request: httpx.Request) -> httpx.Response:
    nxt, chunk, more = _page(request)
    return httpx.Response(200, json={"things": chunk, "meta": {"has_more": more, "after_cursor": str(nxt)}})


def _audits_top_level(request: httpx.Request) -> httpx.Response:
    nxt, chunk, more = _page(request)
    return httpx.Response(200, json={"things": chunk, "after_cursor": str(nxt) if more else None,
                                     "after_url": f"{ORIGIN}/api/v2/things?page[after]={nxt}" if more else None})


def _offset_envelope(request: httpx.Request) -> httpx.Response:
    nxt, chunk, more = _page(request)
    page = nxt // SIZE + 1
    return httpx.Response(200, json={"things": chunk, "count": len(RECORDS), "previous_page": None,
                                     "next_page": f"{ORIGIN}/api/v2/things.json?page={page}" if more else None})


def _client(tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response], **fast: Any) -> ZendeskClient:
    settings = ClientSettings(account="acme", origin=ORIGIN, state_url=f"sqlite:///{tmp_path}/state.sqlite", **fast)
    return ZendeskClient(settings, BearerTokenAuth("t"), http=make_http_client(5, httpx.MockTransport(handler)))


@pytest.mark.parametrize(
    "handler", [_cbp_links, _cbp_after_cursor_only, _audits_top_level, _offset_envelope],
    ids=["links_next", "meta_after_cursor", "top_level_after_url", "offset_next_page"],
)  # fmt: skip
def test_every_record_once_whatever_the_shape(tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response]) -> None:
    pages = list(cursor_pages(_client(tmp_path, handler), Read("/things", "things")))
    assert [r["id"] for p in pages for r in p.records] == [r["id"] for r in RECORDS]
    assert [p.end_of_stream for p in pages] == [False, False, True]


def test_a_cursor_that_does_not_advance_stops_the_read(tmp_path: Path) -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"things": RECORDS[:2], "meta": {"has_more": True, "after_cursor": "same"}})

    with pytest.raises(ZendeskExportStuckError, match="same cursor twice"):
        list(cursor_pages(_client(tmp_path, stuck), Read("/things", "things")))


@pytest.fixture
def forms_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(seed=2, tickets=10, users=20, organizations=4, ticket_forms=130)) as srv:
        yield srv


def test_ticket_forms_past_their_first_offset_page(forms_server: EmulatorServer, tmp_path: Path) -> None:
    """The emulator answers /ticket_forms in the offset envelope, as Zendesk does; 130 forms take two pages."""
    client = resource(forms_server, tmp_path).get_client()
    pages = list(cursor_pages(client, Read("/ticket_forms", "ticket_forms")))
    assert len(pages) == 2
    assert [f["id"] for p in pages for f in p.records] == [f["id"] for f in forms_server.emulator.truth("ticket_forms")]


@pytest.mark.parametrize(
    ("status", "body", "refused"),
    [
        (410, {"error": "APINotAvailable", "description": "The incremental API is not available"}, True),
        (404, {"error": "APINotAvailable", "description": "Not available"}, True),
        (403, {"error": "APINotAvailable", "description": "This API is no longer available"}, True),
        (404, {"error": "InvalidEndpoint", "description": "Not found"}, False),  # a wrong path is no shutdown
        (403, {"error": {"title": "Forbidden", "message": "You do not have access to this page"}}, False),
        (400, {"error": "InvalidCursor", "description": "not available"}, False),
    ],
)  # fmt: skip
def test_only_an_explicit_refusal_of_an_export_is_a_shutdown(
    tmp_path: Path, status: int, body: dict[str, Any], refused: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    client = _client(tmp_path, handler, max_retries=1, backoff_initial=0.01, backoff_max=0.02)
    read = Read("/incremental/tickets/cursor", "tickets", start_time=0, order_field="generated_timestamp")
    with pytest.raises(ZendeskError) as err:
        list(cursor_export(client, read))
    assert isinstance(err.value, ZendeskExportRefusedError) == refused, err.value


def test_a_transient_failure_is_never_taken_for_a_shutdown() -> None:
    """What the client raises once retries of a 5xx or a network error are exhausted."""
    gave_up = ZendeskRequestError("kept failing (503 Service Unavailable: API not available)", status=503)
    assert not _refused(gave_up)
    assert not _refused(ZendeskRequestError("network error (ConnectError): not available", status=None))
