"""``prefetch.ahead``: pages in order, a reading error raised where it happened, an early stop that
stops reading and runs the stream's own clean-up."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from zendesk_assets.prefetch import ahead


def test_items_come_in_order_and_reading_runs_ahead_by_at_most_depth() -> None:
    read: list[int] = []

    def source() -> Iterator[int]:
        for i in range(50):
            read.append(i)
            yield i

    got = []
    for item in ahead(source(), depth=1):
        got.append(item)
        # read so far: what was consumed, the one waiting in the slot, and the one being handed over
        assert len(read) <= len(got) + 2
    assert got == list(range(50))


def test_an_error_while_reading_is_raised_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    got = []
    with pytest.raises(ValueError, match="page 3 failed"):
        for item in ahead(source()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_reading_and_closes_the_stream() -> None:
    read: list[int] = []
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            for i in range(1000):
                read.append(i)
                yield i
        finally:
            closed.set()

    stream = ahead(source())
    assert next(stream) == 0
    stream.close()
    assert closed.wait(5), "the stream's clean-up did not run"
    assert len(read) <= 3
