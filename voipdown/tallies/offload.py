"""Long reads of a tally in a helper process of each worker, not in its serving threads.

A window of a large tally is tens of thousands of rows: read and thinned in a serving
thread, its CPU and the interpreter's lock were taken from every other request of the
worker (a badge's p99 went from 2 ms to over 100 ms beside sixteen clients asking such
windows; beside two processes burning both cores, it stayed under 5 ms: docs/benchmarks.md).
So the reading and thinning happen in a process of its own, started at the first long
read, at a lower scheduling priority; the serving thread waits for the kept samples
without holding the interpreter. Only a few hundred numbers cross back.

The helper opens the store file by its path; the worker has checked the file's identity
(voipdown/tallies/store/sqlite.py) just before, when it read the tally's version.
"""

from __future__ import annotations

import bisect
import concurrent.futures
import multiprocessing
import multiprocessing.util
import os
import threading
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from voipdown.tallies.series import kept_indices

HELPER_NICENESS = 10
"""Where the idle scheduling class is refused, the helper's priority below the serving
threads' (a niceness)."""


@dataclass(frozen=True)
class TimelineMark:
    """A timeline sample inside the window, as the thinning places it among stored ones."""

    at_ms: int
    value: int
    order: int
    """Against a stored sample at the same millisecond: 0 hides it (the same instant), -1
    sorts before it, 1 after it (an instant with a fraction of a millisecond)."""


@dataclass(frozen=True)
class Thinned:
    """The samples the thinning kept, oldest first, as columns: three lists of integers
    cross between processes in a fraction of the time 500 objects take (docs/benchmarks.md)."""

    at_ms: list[int]
    values: list[int]
    timeline: list[int]
    """For each kept sample, the index of the timeline's sample it is, or -1 for a stored one."""
    window: int
    """How many samples the window holds, the timeline's included."""


def thin(at_ms: Sequence[int], values: Sequence[int], marks: Sequence[TimelineMark], limit: int) -> Thinned:
    """The window's stored samples (two columns, oldest first) with the timeline's merged in,
    thinned by `series.kept_indices`: the same samples, in the same order, as downsampling
    the merged series of points."""
    at_ms, values = list(at_ms), list(values)
    ours: dict[int, int] = {}  # index in the merged columns → the timeline sample's index there
    for number, mark in enumerate(marks):  # few: each placed by bisection
        index = bisect.bisect_left(at_ms, mark.at_ms)
        same = index < len(at_ms) and at_ms[index] == mark.at_ms
        if same and mark.order == 0:
            values[index] = mark.value
        else:
            if same and mark.order > 0:
                index += 1
            at_ms.insert(index, mark.at_ms)
            values.insert(index, mark.value)
            ours = {(i + 1 if i >= index else i): n for i, n in ours.items()}
        ours[index] = number
    kept = kept_indices(values, limit)
    return Thinned([at_ms[i] for i in kept], [values[i] for i in kept], [ours.get(i, -1) for i in kept], len(values))


class Offload:
    """Each worker's helper process for long reads of its SQLite store file."""

    def __init__(self, path: str):
        self.path = path
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def thinned(
        self, key: tuple[str, str], since_ms: int | None, until_ms: int | None, limit: int, marks: list[TimelineMark]
    ) -> Thinned | None:
        """The window read and thinned in the helper (StoreUnavailable comes back as raised
        there); None when the helper cannot answer (killed, out of memory, stopping): the
        caller reads it itself, and a new helper starts at the next long read."""
        try:
            return self._helper().submit(_thinned, self.path, key, since_ms, until_ms, limit, marks).result()
        except (BrokenProcessPool, RuntimeError, OSError):
            with self._lock:
                self._pool = None
            return None

    def _helper(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # Started here, in the serving process (after any fork); a fresh interpreter.
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"), initializer=_yielding
                )
                multiprocessing.util.Finalize(self, self.close, exitpriority=10)
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def offload_for(store) -> Offload | None:
    """A helper for a SQLite store's file; none for Redis (its reads are the server's work)."""
    from voipdown.tallies.store.sqlite import SqliteTallyStore

    return Offload(store.path) if isinstance(store, SqliteTallyStore) else None


def _yielding() -> None:
    """The helper runs only on a core nothing else wants (Linux's SCHED_IDLE: any serving
    thread that wakes takes the core at once; at niceness 10 a window's read still delayed
    the badges' slowest answers by milliseconds, docs/benchmarks.md); else a lower priority."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or refused (a sandbox)
        os.nice(HELPER_NICENESS)


def _thinned(path, key, since_ms, until_ms, limit, marks) -> Thinned:
    """In the helper: the window read through a read-only connection, then thinned."""
    from voipdown.tallies.store.sqlite import read_only_columns

    columns = read_only_columns(path, *key, since_ms, until_ms)
    return thin(columns.at_ms, columns.values, marks, limit)
