"""The timeline the service serves: reloaded when the file changes, kept when it breaks.

A maintainer's edit shows up without a restart. An edit that does not validate is
logged and reported (`/healthz` says "stale"), and the last good timeline keeps
being served: a typo never takes the counters down.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from voipdown.timeline import Problem, Timeline, TimelineError, load_timeline

log = logging.getLogger(__name__)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _modified(signature: tuple[int, int, int] | None) -> dt.datetime:
    if signature is None:
        return dt.datetime.now(dt.timezone.utc)
    return dt.datetime.fromtimestamp(signature[0] / 1e9, dt.timezone.utc)


class TimelineSource:
    """Holds the last good timeline of one file and checks the file for edits.

    The file is looked at (one `stat`) at most every `interval` seconds, and read
    again only when its modification time, size or inode changed.
    """

    def __init__(self, path: str | Path, interval: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.path = Path(path)
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._signature = _signature(self.path)
        self._timeline: Timeline = load_timeline(self.path)  # no last good one yet: fail loudly
        self._modified = _modified(self._signature)
        self._problems: tuple[Problem, ...] = ()
        self._checked = clock()

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Why the file on disk is not being served; empty when it is."""
        return self._problems

    @property
    def modified(self) -> dt.datetime:
        """When the file now served was last edited (its modification time), in UTC."""
        return self._modified

    @property
    def stale(self) -> bool:
        return bool(self._problems)

    def current(self) -> Timeline:
        """The timeline to serve now (the file's, or the last good one if it broke)."""
        if self._clock() - self._checked >= self.interval:
            self.refresh()
        return self._timeline

    def refresh(self) -> None:
        """Look at the file now and load it if it changed."""
        if not self._lock.acquire(blocking=False):
            return  # another thread is reloading; serve the current timeline meanwhile
        try:
            self._checked = self._clock()
            signature = _signature(self.path)
            if signature == self._signature:
                return
            self._signature = signature
            try:
                timeline = load_timeline(self.path)
            except TimelineError as error:
                self._problems = error.problems
                log.error(
                    "timeline %s is invalid; still serving version %s:\n%s", self.path, self._timeline.version, error
                )
                return
            if self._problems or timeline.version != self._timeline.version:
                log.info("timeline %s loaded (version %s)", self.path, timeline.version)
            self._timeline = timeline
            self._modified = _modified(signature)
            self._problems = ()
        finally:
            self._lock.release()
