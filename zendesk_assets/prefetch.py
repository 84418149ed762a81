"""One page ahead: the next API page downloads while the warehouse writes the current one.

A sweep's stream alternates two waits, Zendesk answering and the database committing; read in
one thread they add up. ``ahead`` runs the stream in a helper thread, holding at most ``depth``
finished pages, so the two overlap when the rate budget allows (under Zendesk's export budget the
wait for a slot dominates anyway). Nothing is committed out of order: the consumer still gets the
pages one by one, in order, and checkpoints follow the pages it wrote. At most ``depth`` pages are
alive beside the one being written: the helper starts reading a page only once the consumer is done
with an earlier one (a parsed page of 1,000 tickets is tens of MB of Python objects; the queue
alone would let a third page be read while one waits in it and one is written).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()
# After the consumer stops early (an error, an interrupt), how long to wait for the helper to end
# the page it is reading; a rate-limit wait may outlast it, and the thread is a daemon.
STOP_WAIT_SECONDS = 5.0


def ahead(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """Yield ``items`` in order while a helper thread reads up to ``depth`` of them in advance.

    An exception raised while reading is raised here, at the point the item would have come.
    Closing this generator (or an error in the consumer) stops the helper before its next item.
    """
    # The one bound: pages alive, the consumer's and those read ahead. The queue needs none of its own.
    room = threading.Semaphore(depth + 1)
    slots: queue.SimpleQueue[tuple[object, BaseException | None]] = queue.SimpleQueue()
    stop = threading.Event()

    def acquire() -> bool:
        while not stop.is_set():
            if room.acquire(timeout=0.1):
                return True
        return False

    def produce() -> None:
        try:
            while acquire():
                item = next(items, _END)
                slots.put((item, None))
                if item is _END:
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put((_END, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()  # the consumer left early: run the stream's own clean-up (in this thread)

    helper = threading.Thread(target=produce, name="zendesk-prefetch", daemon=True)
    helper.start()
    try:
        while True:
            item, error = slots.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item  # type: ignore[misc]
            del item  # the consumer is done with it: let it go before the helper reads another
            room.release()
    finally:
        stop.set()
        helper.join(STOP_WAIT_SECONDS)
