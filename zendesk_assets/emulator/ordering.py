"""Orderings the emulator pages through: exports (by time, id) and positional listings.

Base records have keys that increase with their index, so a cursor maps to a position by binary
search; changed or created records leave their base slot and join a small sorted overlay at the end
(this is how Zendesk's exports move an updated ticket to the end of the stream).
"""

from __future__ import annotations

import base64
import bisect
import heapq
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

Key = tuple[int, int]  # (timestamp, id)


class ExportOrder:
    """Records ordered by (timestamp, id): base indices plus an overlay of moved/created ones."""

    def __init__(self, n_base: int, base_key: Callable[[int], Key]) -> None:
        self.n_base = n_base
        self.base_key = base_key
        self.moved: set[int] = set()
        self.overlay: list[tuple[int, int, int]] = []  # sorted (timestamp, id, index)
        self.current: dict[int, tuple[int, int, int]] = {}

    def touch(self, index: int, ts: int, record_id: int) -> None:
        """Record that `index` now sorts at (ts, record_id)."""
        old = self.current.get(index)
        if old is not None:
            del self.overlay[bisect.bisect_left(self.overlay, old)]
        entry = (ts, record_id, index)
        bisect.insort(self.overlay, entry)
        self.current[index] = entry
        if index < self.n_base:
            self.moved.add(index)

    def _first_base_after(self, key: Key) -> int:
        lo, hi = 0, self.n_base
        while lo < hi:
            mid = (lo + hi) // 2
            if self.base_key(mid) <= key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def iter_after(self, key: Key, until: int) -> Iterator[tuple[int, int, int]]:
        """(ts, id, index) with (ts, id) > key and ts <= until, in order."""
        i = self._first_base_after(key)
        j = bisect.bisect_right(self.overlay, (key[0], key[1], 1 << 62))
        base_next: tuple[int, int, int] | None = None
        while True:
            if base_next is None:
                while i < self.n_base and i in self.moved:
                    i += 1
                if i < self.n_base:
                    ts, rid = self.base_key(i)
                    base_next = (ts, rid, i)
                    i += 1
            over_next = self.overlay[j] if j < len(self.overlay) else None
            if base_next is not None and (over_next is None or base_next < over_next):
                item = base_next
                base_next = None
            elif over_next is not None:
                item = over_next
                j += 1
            else:
                return
            if item[0] > until:
                return
            yield item


def encode_export_cursor(key: Key) -> str:
    """Opaque cursor in Zendesk's look (`<epoch>.0||<id>|` base64); clients must not parse it."""
    return base64.urlsafe_b64encode(f"{key[0]}.0||{key[1]}|".encode()).decode().rstrip("=")


def decode_export_cursor(token: str) -> Key | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        ts_part, _, rest = raw.partition(".0||")
        id_part, bar, tail = rest.partition("|")
        if not bar or tail:
            return None
        return int(ts_part), int(id_part)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Listing:
    """A CBP/OBP list endpoint: positions 0..size-1, `get(pos)` is None for gaps and filtered records."""

    name: str
    size: int
    get: Callable[[int], dict[str, Any] | None]
    desc_default: bool = False
    lo: int = 0  # optional position bounds (e.g. from a time window) to avoid scanning everything
    hi: int | None = None

    def scan(self, after: int | None, desc: bool) -> Iterator[tuple[int, dict[str, Any]]]:
        hi = self.size if self.hi is None else min(self.size, self.hi)
        if desc:
            pos = hi - 1 if after is None else min(after - 1, hi - 1)
            while pos >= self.lo:
                rec = self.get(pos)
                if rec is not None:
                    yield pos, rec
                pos -= 1
        else:
            pos = self.lo if after is None else max(after + 1, self.lo)
            while pos < hi:
                rec = self.get(pos)
                if rec is not None:
                    yield pos, rec
                pos += 1


def encode_page_cursor(listing: str, pos: int, desc: bool) -> str:
    raw = orjson.dumps({"l": listing, "p": pos, "d": desc})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_cursor(token: str, listing: str) -> tuple[int, bool] | None:
    """Position and direction of a CBP cursor; None when garbage or minted for another endpoint."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("l") != listing:
        return None
    pos, desc = data.get("p"), data.get("d")
    if not isinstance(pos, int) or not isinstance(desc, bool):
        return None
    return pos, desc


SortKey = tuple[int, int]  # (key or -key, id or -id): what a sliding order sorts by, ascending


class SlidingOrder:
    """Records sorted by a key that is not monotonic in the base index but stays within `width`
    seconds below a non-decreasing bound (the base generated_timestamp): a ticket's updated_at or
    created_at, a user's updated_at (width 0). Pages come lazily from a small heap instead of a sort
    of the whole account, merged with an overlay of changed records (sorted, small).

    Modes: "asc" sorts by (key, id); "desc" by (-key, -id); "desc_id_asc" by (-key, id).
    """

    def __init__(self, n_base: int, bound: Callable[[int], int], key: Callable[[int], int],
                 record_id: Callable[[int], int], width: int) -> None:
        self.n_base = n_base
        self.bound = bound
        self.key = key
        self.record_id = record_id
        self.width = width

    def _sort_key(self, mode: str, key: int, rid: int) -> SortKey:
        if mode == "asc":
            return key, rid
        return -key, (-rid if mode == "desc" else rid)

    def iter(self, mode: str, after: SortKey | None, moved: set[int] | dict[int, Any],
             overlay: list[tuple[int, int, int]]) -> Iterator[tuple[SortKey, int]]:
        """(sort key, index) in ascending sort-key order, strictly after `after`.

        `overlay` holds (key, id, index) of changed/created records; `moved` base indices are skipped.
        """
        over = sorted((self._sort_key(mode, k, rid), idx) for k, rid, idx in overlay)
        if after is not None:
            over = [item for item in over if item[0] > after]
        return heapq.merge(self._base(mode, after, moved), iter(over))

    def _base(self, mode: str, after: SortKey | None, moved: set[int] | dict[int, Any]
              ) -> Iterator[tuple[SortKey, int]]:
        n, bound, width = self.n_base, self.bound, self.width
        heap: list[tuple[SortKey, int]] = []
        if mode == "asc":
            i = 0 if after is None else first_at_least(n, bound, after[0])
            while True:
                while i < n and (not heap or bound(i) - width <= heap[0][0][0]):
                    if i not in moved:
                        item = ((self.key(i), self.record_id(i)), i)
                        if after is None or item[0] > after:
                            heapq.heappush(heap, item)
                    i += 1
                if not heap:
                    return
                yield heapq.heappop(heap)
        else:
            i = n - 1 if after is None else first_at_least(n, bound, -after[0] + width + 1) - 1
            while True:
                while i >= 0 and (not heap or -bound(i) <= heap[0][0][0]):
                    if i not in moved:
                        item = (self._sort_key(mode, self.key(i), self.record_id(i)), i)
                        if after is None or item[0] > after:
                            heapq.heappush(heap, item)
                    i -= 1
                if not heap:
                    return
                yield heapq.heappop(heap)


def first_at_least(n: int, key: Callable[[int], int], target: int) -> int:
    """The first index i in [0, n) with key(i) >= target (key non-decreasing); n when there is none."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if key(mid) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def encode_keyset_cursor(order: str, values: tuple[tuple[str, int], ...]) -> str:
    """A list cursor in the observed keyset form: base64 of {"o": order, "v": base64(type byte +
    int64 little-endian, ...)} ("d" an epoch, "i" an id). Clients must treat it as opaque."""
    packed = b"".join(kind.encode() + struct.pack("<q", value) for kind, value in values)
    raw = orjson.dumps({"o": order, "v": base64.b64encode(packed).decode()})
    return base64.b64encode(raw).decode()


def decode_keyset_cursor(token: str, order: str) -> tuple[int, ...] | None:
    """The values of a keyset cursor minted for `order`; None when garbage or for another order."""
    try:
        data = orjson.loads(base64.b64decode(token + "=" * (-len(token) % 4), validate=True))
        if not isinstance(data, dict) or data.get("o") != order or not isinstance(data.get("v"), str):
            return None
        packed = base64.b64decode(data["v"], validate=True)
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not packed or len(packed) % 9:
        return None
    return tuple(struct.unpack("<q", packed[n + 1: n + 9])[0] for n in range(0, len(packed), 9))
