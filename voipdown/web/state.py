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

WORKER_THREADS = 40
"""Threads of each `voipdown serve` worker (granian's blocking threads; voipdown/server.py):
more than the shares below can hold together, so that counts, badges, pages and the embed
always have eight. A waiting thread costs no CPU: a client made to wait for its turn asks
nothing meanwhile, where one refused at once asks again at once (docs/concurrency.md says
how the figures were chosen)."""


@dataclass(frozen=True)
class ShareSize:
    slots: int
    """Threads of a worker doing this kind of work at once."""
    queue: int
    """Threads that may wait for one of them besides; any more are refused at once (a waiting
    thread is a thread taken from the rest)."""
    wait: float
    """Seconds a thread waits for a slot before its request is refused."""


SHARES = {
    "write": ShareSize(slots=2, queue=14, wait=0.5),
    "expensive": ShareSize(slots=1, queue=15, wait=10.0),
}
"""The bounded shares of a worker's threads (voipdown/web/slots.py): writes (a push's body
read, the store written: a slow pusher or a locked store holds no more), and reads whose
cost grows with a tally (a window, a CSV, a page of the table, a chart drawn afresh)."""


class Share:
    """One kind's share of a worker's threads: who works, and who may wait."""

    def __init__(self, size: ShareSize):
        self.size = size
        self.working = threading.BoundedSemaphore(size.slots)
        self.admitted = threading.BoundedSemaphore(size.slots + size.queue)


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
    shares: dict[str, Share] = field(default_factory=lambda: {kind: Share(size) for kind, size in SHARES.items()})
    """This worker's bounded shares of its threads (SHARES), by kind."""


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
