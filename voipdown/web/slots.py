"""Bounded shares of a worker's threads, so that no kind of request can take them all.

A worker answers on WORKER_THREADS threads (voipdown/web/state.py). Writes (a push whose
body arrives slowly, a store locked by a backup) and reads whose cost grows with a tally (a
window of samples, a CSV, a page of the table, a chart drawn afresh) each have a share of
them (state.SHARES): a few working, a few waiting a moment for a turn; a request beyond
those gets `503 busy` with Retry-After at once, in its own format (JSON, image, page), so
counts, badges, pages and the embed always keep the rest.

This is not a blueprint: the blueprints share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

from voipdown.tallies.reader import LONG_READ_FROM
from voipdown.web.errors import Refusal
from voipdown.web.state import service

RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class Kind:
    """A kind of request with its own share of threads (its size: state.SHARES)."""

    name: str
    busy: str
    """What the 503 says."""


WRITE = Kind("write", "Too many writes are in progress on this server; try again.")
EXPENSIVE = Kind(
    "expensive",
    "Too many long reads of samples are in progress on this server; try again, or ask a shorter window.",
)


def take(kind: Kind, lang: str | None = None) -> Callable[[], None]:
    """One slot of `kind`: at once if one is free, after a short wait if few wait already, else
    a Refusal (503 busy, with Retry-After). Returns its release, which may be called more than
    once (a streamed answer releases it when it ends)."""
    share = service().shares[kind.name]
    if not share.admitted.acquire(blocking=False):
        raise _busy(kind, lang)
    if not share.working.acquire(timeout=share.size.wait):
        share.admitted.release()
        raise _busy(kind, lang)
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            share.working.release()
            share.admitted.release()

    return release


def _busy(kind: Kind, lang: str | None) -> Refusal:
    return Refusal(503, "busy", kind.busy, lang, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@contextmanager
def slot(kind: Kind, lang: str | None = None) -> Iterator[None]:
    release = take(kind, lang)
    try:
        yield
    finally:
        release()


def long_read(samples: int, lang: str | None = None) -> Callable[[], AbstractContextManager]:
    """The gate of a read of many of a tally's `samples`: the `expensive` share's slot for a
    tally of more than LONG_READ_FROM samples, none for a smaller one."""
    if samples <= LONG_READ_FROM:
        return nullcontext
    return lambda: slot(EXPENSIVE, lang)


def take_long_read(samples: int, lang: str | None = None) -> Callable[[], None]:
    """`long_read`'s slot taken now, for an answer that holds it while it is sent; its release."""
    return take(EXPENSIVE, lang) if samples > LONG_READ_FROM else _nothing


def _nothing() -> None:
    """Nothing to release: a small tally's read took no slot."""
