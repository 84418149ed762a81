"""``prefetch.ahead``: pages in order, a reading error raised where it happened, an early stop that
stops reading and runs the stream's own clean-up."""

from __future__ import annotations

import threading
import time
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
        time.sleep(0.005)  # a slow write: the helper runs as far ahead as it may
        # read so far: what was consumed (the last of it still being written) and one page ahead;
        # a third page is read only once the consumer is done with this one
        assert len(read) <= len(got) + 1
    assert got == list(range(50))


def test_the_consumer_has_let_go_of_a_page_before_the_helper_reads_another() -> None:
    """Pages alive at once: the one being written and one read ahead, not also the one before."""

    class Page:
        alive = 0

        def __init__(self) -> None:
            Page.alive += 1

        def __del__(self) -> None:
            Page.alive -= 1

    most = 0

    def source() -> Iterator[Page]:
        nonlocal most
        for _ in range(30):
            page = Page()
            most = max(most, Page.alive)
            yield page
            del page

    for page in ahead(source(), depth=1):
        time.sleep(0.005)
        del page  # as write_stream does once a page is committed
    assert most <= 2, most


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
