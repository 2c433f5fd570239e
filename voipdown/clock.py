"""The service's one wall clock.

Every module that needs the current instant calls `now()` (tests travel it with
time-machine); the rollover pins it, in one thread only, to draw tomorrow's answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_PINNED: ContextVar[dt.datetime | None] = ContextVar("voipdown_pinned_clock", default=None)


def now() -> dt.datetime:
    """The current instant, aware, in UTC: the only clock the service reads (unless this
    thread pinned another instant with `pinned_clock`)."""
    return _PINNED.get() or dt.datetime.now(dt.timezone.utc)


@contextmanager
def pinned_clock(instant: dt.datetime) -> Iterator[None]:
    """Answer as of `instant`, in this thread only: how the next day's answers are drawn
    shortly before midnight (voipdown/web/rollover.py) while other threads serve today's."""
    token = _PINNED.set(instant)
    try:
        yield
    finally:
        _PINNED.reset(token)
