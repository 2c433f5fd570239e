"""Bounded shares of a worker's threads, so that no kind of request can take them all.

A worker answers on WORKER_THREADS threads (voipdown/web/state.py). Writes (a push whose
body arrives slowly, a store locked by a backup) may hold at most WRITE_SLOTS of them, and
reads whose cost grows with a tally (a window of samples, a CSV, a page of the table, a
chart drawn afresh) at most EXPENSIVE_SLOTS: counts, badges, pages and the embed always
keep the rest. A request that finds its kind's slots taken waits a moment, then gets
`503 busy` with Retry-After, in its own format (JSON, image, page).

This is not a blueprint: the blueprints share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from voipdown.web.errors import Refusal
from voipdown.web.state import service

RETRY_AFTER_SECONDS = 5
WAIT = {"write": 0.5, "expensive": 1.0}
"""Seconds a request waits for a slot of its kind before a 503."""


@dataclass(frozen=True)
class Kind:
    """A kind of request with its own share of threads."""

    name: str
    busy: str
    """What the 503 says."""

    def slots(self) -> threading.BoundedSemaphore:
        return getattr(service(), f"{self.name}_slots")


WRITE = Kind("write", "Too many writes are in progress on this server; try again.")
EXPENSIVE = Kind(
    "expensive",
    "Too many long reads of samples are in progress on this server; try again, or ask a shorter window.",
)


def take(kind: Kind, lang: str | None = None) -> Callable[[], None]:
    """One slot of `kind`, or a Refusal (503 busy, with Retry-After); returns its release,
    which may be called more than once (a streamed answer releases it when it ends)."""
    slots = kind.slots()
    if not slots.acquire(timeout=WAIT[kind.name]):
        raise Refusal(503, "busy", kind.busy, lang, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            slots.release()

    return release


@contextmanager
def slot(kind: Kind, lang: str | None = None) -> Iterator[None]:
    release = take(kind, lang)
    try:
        yield
    finally:
        release()
