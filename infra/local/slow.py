"""Names what was slow in the local stack: a request, a handler or a snapshot taking longer than
a person would wait for without noticing. One process serves everything locally, so a stall in
one part shows in all of them; these lines say which part stalled."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

SLOW_SECONDS = 1.0


@contextmanager
def timed(log: logging.Logger, what: str, *, slow_seconds: float = SLOW_SECONDS) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        took = time.perf_counter() - started
        if took >= slow_seconds:
            log.warning("slow: %s took %.1f s", what, took)


def watch_for_stalls(log: logging.Logger, stop: threading.Event, *, tick_seconds: float = 0.1) -> None:
    """Runs in a thread: a tick that wakes up late means the whole process was held up (the
    machine's CPUs busy elsewhere, or one thread holding the interpreter), not one part."""
    while True:
        started = time.perf_counter()
        if stop.wait(tick_seconds):
            return
        late = time.perf_counter() - started - tick_seconds
        if late >= SLOW_SECONDS:
            log.warning("slow: the whole stack process was held up for %.1f s", late)
