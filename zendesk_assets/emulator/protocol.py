"""Request primitives shared by the emulator's route modules: errors, the handler context, and the
generic cursor/offset pagination of positional listings.

https://developer.zendesk.com/api-reference/introduction/pagination/
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from zendesk_assets.emulator.ordering import Listing, decode_page_cursor, encode_page_cursor
from zendesk_assets.emulator.state import Emulator

MAX_EXPORT_PAGE = 1000
MAX_CBP_PAGE = 100
MAX_OBP_PAGES = 100
MAX_OBP_RECORDS = 10_000


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class Ctx:
    em: Emulator
    params: dict[str, list[str]]
    user_index: int
    base: str  # scheme://host:port of this server, for pagination links
    path: str
    match: dict[str, str]

    def one(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else default

    def int_param(self, name: str, default: int | None = None) -> int | None:
        raw = self.one(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, {"error": "InvalidValue", "description": f"{name} must be an integer"}) from None

    def url(self, path: str, query: dict[str, Any]) -> str:
        q = urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        return f"{self.base}{path}?{q}" if q else f"{self.base}{path}"


Handler = Callable[[Ctx], dict[str, Any]]


def cbp_size(ctx: Ctx, maximum: int = 0) -> int:
    """`page[size]`, rejected above the endpoint's maximum as Zendesk does (400)."""
    cap = maximum or MAX_CBP_PAGE
    size = ctx.int_param("page[size]", cap) or cap
    if size > cap:
        raise ApiError(400, {"error": "InvalidPaginationParameter",
                             "description": f"page[size] cannot be greater than {cap}"})
    return max(1, size)


def uses_cbp(ctx: Ctx) -> bool:
    return any(ctx.one(k) is not None for k in ("page[size]", "page[after]", "page[before]"))


def paginate(ctx: Ctx, listing: Listing, key: str, path: str) -> dict[str, Any]:
    """Cursor pagination when page[size] is sent, offset pagination otherwise (https://developer.zendesk.com/api-reference/introduction/pagination/)."""
    size_raw = ctx.one("page[size]")
    after_raw = ctx.one("page[after]")
    before_raw = ctx.one("page[before]")
    if size_raw is not None or after_raw is not None or before_raw is not None:
        size = ctx.int_param("page[size]", MAX_CBP_PAGE) or MAX_CBP_PAGE
        if size > MAX_CBP_PAGE:
            raise ApiError(400, {"error": "InvalidPaginationParameter",
                                 "description": f"page[size] cannot be greater than {MAX_CBP_PAGE}"})
        size = max(1, size)
        desc = listing.desc_default
        backwards = False
        after: int | None = None
        if after_raw:
            decoded = decode_page_cursor(after_raw, listing.name)
            if decoded is None:
                raise ApiError(400, {"error": "InvalidPaginationParameter", "description": "page[after] is not valid"})
            after, desc = decoded
        elif before_raw:
            decoded = decode_page_cursor(before_raw, listing.name)
            if decoded is None:
                raise ApiError(400, {"error": "InvalidPaginationParameter",
                                     "description": "page[before] is not valid"})
            after, desc = decoded
            backwards = True
        items: list[tuple[int, dict[str, Any]]] = []
        for item in listing.scan(after, desc != backwards):
            items.append(item)
            if len(items) > size:
                break
        has_more = len(items) > size
        items = items[:size]
        if backwards:
            items.reverse()
        after_c = encode_page_cursor(listing.name, items[-1][0], desc) if items else None
        before_c = encode_page_cursor(listing.name, items[0][0], desc) if items else None
        base_query = {k: v for k, v in ctx.params.items() if not k.startswith("page[")}
        return {
            key: [rec for _p, rec in items],
            "meta": {"has_more": has_more, "after_cursor": after_c, "before_cursor": before_c},
            "links": {
                "next": ctx.url(path, {**base_query, "page[size]": size, "page[after]": after_c}) if after_c else None,
                "prev": ctx.url(path, {**base_query, "page[size]": size, "page[before]": before_c})
                if before_c else None,
            },
        }
    return offset_page(ctx, listing, key, path)


def offset_page(ctx: Ctx, listing: Listing, key: str, path: str) -> dict[str, Any]:
    """Offset pagination (`page`/`per_page`): `next_page`, `previous_page`, `count`, no `meta`."""
    page = ctx.int_param("page", 1) or 1
    per_page = min(max(1, ctx.int_param("per_page", MAX_CBP_PAGE) or MAX_CBP_PAGE), MAX_CBP_PAGE)
    if page < 1 or page > MAX_OBP_PAGES or page * per_page > MAX_OBP_RECORDS:
        # Offset pagination stops at 100 pages / 10,000 records (https://developer.zendesk.com/documentation/api-basics/pagination/paginating-through-lists); the observed body
        # uses the `errors` array envelope.
        raise ApiError(400, {"errors": [{"code": "InvalidPaginationDepth", "title": "Invalid pagination depth",
                                         "detail": "Offset pagination is limited to the first 10,000 records "
                                                   "(100 pages). Use cursor pagination (page[size]) instead."}]})
    skip = (page - 1) * per_page
    records: list[dict[str, Any]] = []
    count = 0
    for _pos, rec in listing.scan(None, listing.desc_default):
        if skip <= count < skip + per_page:
            records.append(rec)
        count += 1
    base_query = {k: v for k, v in ctx.params.items() if k not in ("page", "per_page")}
    has_next = skip + per_page < count
    return {
        key: records,
        "next_page": ctx.url(path, {**base_query, "page": page + 1, "per_page": per_page}) if has_next else None,
        "previous_page": ctx.url(path, {**base_query, "page": page - 1, "per_page": per_page}) if page > 1 else None,
        "count": count,
    }


