"""The timeline the service serves: reloaded when the file changes, kept when it breaks.

A maintainer's edit shows up without a restart. An edit that does not validate is
logged and reported (`/healthz` says "stale"), and the last good timeline keeps
being served: a typo never takes the counters down.

What is served is one immutable `Served` value, replaced in a single assignment: a
thread never sees one edit's timeline with another edit's time or problems, and a
request that reads it once (voipdown/web/state.py) answers wholly from one edit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voipdown.clock import now
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
        return now()  # no file: as if edited now
    return dt.datetime.fromtimestamp(signature[0] / 1e9, dt.timezone.utc)


@dataclass(frozen=True)
class Served:
    """The timeline served now, with when its file was edited and why a newer edit is not served."""

    timeline: Timeline
    modified: dt.datetime
    """When the file now served was last edited (its modification time), in UTC."""
    problems: tuple[Problem, ...] = ()
    """Why the file on disk is not being served; empty when it is."""


class TimelineSource:
    """Holds the last good timeline of one file and checks the file for edits.

    The file is looked at (one `stat`) at most every `interval` seconds, and read
    again only when its modification time, size or inode changed. One thread reloads
    at a time; the others go on serving what was served until the new one is in place.
    """

    def __init__(self, path: str | Path, interval: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.path = Path(path)
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._signature = _signature(self.path)
        # No last good timeline yet: fail loudly.
        self._served = Served(load_timeline(self.path), _modified(self._signature))
        self._checked = clock()

    def snapshot(self) -> Served:
        """What to serve now, as one value (checking the file first if it is time)."""
        if self._clock() - self._checked >= self.interval:
            self.refresh()
        return self._served

    def current(self) -> Timeline:
        """The timeline to serve now (the file's, or the last good one if it broke)."""
        return self.snapshot().timeline

    def refresh(self) -> None:
        """Look at the file now and load it if it changed."""
        if not self._lock.acquire(blocking=False):
            return  # another thread is reloading; serve the current timeline meanwhile
        try:
            self._checked = self._clock()
            signature = _signature(self.path)
            if signature == self._signature:
                return
            served = self._served
            try:
                timeline = load_timeline(self.path)
            except TimelineError as error:
                timeline, problems = None, error.problems
            if _signature(self.path) != signature:
                return  # rewritten while it was read: what was read may be neither edit; read it again next time
            self._signature = signature
            if timeline is None:
                self._served = Served(served.timeline, served.modified, problems)
                log.error(
                    "timeline %s is invalid; still serving version %s:\n%s",
                    self.path,
                    served.timeline.version,
                    "\n".join(map(str, problems)),
                )
                return
            if served.problems or timeline.version != served.timeline.version:
                log.info("timeline %s loaded (version %s)", self.path, timeline.version)
            self._served = Served(timeline, _modified(signature))
        finally:
            self._lock.release()
