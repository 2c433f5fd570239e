"""What one app instance holds: its settings and its timeline; and the timeline one request is answered from."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app, request

from voipdown.participants import Recorder
from voipdown.render.font import Font
from voipdown.settings import Settings
from voipdown.tallies.reader import TallyReader
from voipdown.timeline import Timeline
from voipdown.timeline_source import Served, TimelineSource

WORKER_THREADS = 4
"""Threads of each `voipdown serve` worker (granian's blocking threads; voipdown/server.py)."""
WRITE_SLOTS = 2
"""Of them, at most this many write at once: a slow pusher or a locked store holds no more."""
EXPENSIVE_SLOTS = 1
"""Of them, at most this many read a tally's samples at a cost that grows with the tally
(a window, a CSV, a page of the table, a chart drawn afresh): counts and badges keep the rest."""


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    timelines: TimelineSource
    version: str
    font: Font | None
    """None when no usable font was found: badges are then drawn without words."""
    font_problem: str | None = None
    recorder: Recorder | None = None
    """Discovery of participating sites; None when VOIPDOWN_DISCOVERY is off."""
    tallies: TallyReader | None = None
    """This worker's view of the tally store (kept whatever VOIPDOWN_DISCOVERY says): SQLite, or Redis."""
    write_slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(WRITE_SLOTS))
    """Threads of this worker that may be writing at once (reading a push's body, waiting for
    the store): the others are left to reads, however slow the pushers or locked the store."""
    expensive_slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(EXPENSIVE_SLOTS)
    )
    """Threads of this worker that may be reading samples at a cost that grows with the tally."""


def service() -> ServiceState:
    return current_app.extensions["voipdown"]


SERVED_KEY = "voipdown.served"
"""Where a request keeps the timeline it is answered from (set by the replay layer, or at first use)."""


def served() -> Served:
    """The timeline this request is answered from, read once: the body, its validators and
    its replay entry all come from the same edit, even when the file changes meanwhile."""
    environ = request.environ
    snapshot = environ.get(SERVED_KEY)
    if snapshot is None:
        snapshot = environ[SERVED_KEY] = service().timelines.snapshot()
    return snapshot


def current_timeline() -> Timeline:
    return served().timeline
