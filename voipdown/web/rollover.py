"""Midnight without a burst: the next day's answers, drawn shortly before it begins.

Every kept answer of an ongoing counter expires at its local midnight, and every browser
and cache asks again at once; drawing every badge, page and script again then, under
that load, made the first second after midnight 20 to 30 times slower than a warm one
(bench/midnight.py, docs/benchmarks.md). So, `LEAD_SECONDS` before a kept answer's
midnight, a thread of each worker draws the answer its request will get from midnight
on — the app itself, with the clock pinned to midnight in that thread only — and the
replay store keeps it aside until then (voipdown/web/replay.py). Nothing is served early:
an answer drawn ahead is replayed only from its midnight, and only if the timeline was
not edited meanwhile; yesterday's count is never served after midnight.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

from voipdown.clock import now

log = logging.getLogger(__name__)

LEAD_SECONDS = 30.0
"""How long before midnight the next day's answers are drawn."""
IDLE_SECONDS = 60.0
"""The longest sleep: kept answers and timelines change meanwhile."""


class Rollover:
    """A thread that draws ahead the replay store's answers whose midnight is near."""

    def __init__(self, replay, lead: float = LEAD_SECONDS):
        self._replay = weakref.ref(replay)  # the thread ends once its app is gone (tests make many)
        self.lead = lead
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether its thread is alive (it starts with the first answer kept to replay)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread if it is not running: in the serving process, at its first kept answer."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="voipdown-rollover", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while self._replay() is not None:
            try:
                wait = self.draw_due()
            except Exception:  # the thread must live on, or the next midnight is a burst again
                log.exception("drawing the next day's answers failed")
                wait = IDLE_SECONDS
            time.sleep(wait)

    def draw_due(self) -> float:
        """Draw every kept answer whose midnight is less than `lead` seconds away; return how
        long to sleep before looking again."""
        replay = self._replay()
        if replay is None:
            return 0.0
        instant = now()
        for key, entry in replay.due(instant, self.lead):
            try:
                replay.draw_ahead(key, entry)
            except Exception:
                log.exception("drawing %s ahead failed", key)
        left = replay.seconds_to_next_change(now())
        if left is None:
            return IDLE_SECONDS
        if left <= self.lead:
            return 1.0  # midnight is near: answers kept meanwhile are drawn ahead too
        return min(IDLE_SECONDS, left - self.lead)
