"""Running one piece of work from many threads at once, to prove shared objects safe.

The threads wait at a barrier and start together, and the interpreter switches between
threads every 20 microseconds instead of every 5 milliseconds: a window in which another
thread can see half-done work is then crossed thousands of times more often, so a race
shows up in one run rather than one run in a hundred.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
THREADS = 16
SWITCH_INTERVAL = 0.00002


@contextmanager
def frequent_switches(interval: float = SWITCH_INTERVAL):
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def hammer(work: Callable[[int], T], threads: int = THREADS) -> list[T]:
    """`work(n)` for n in range(threads), all started at once; the results in order of n.
    The first exception any thread raised is raised here."""
    start = threading.Barrier(threads)
    results: list = [None] * threads
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            results[n] = work(n)
        except BaseException as error:  # noqa: BLE001  (every failure is reported to the test)
            errors.append(error)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    with frequent_switches():
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    if errors:
        raise errors[0]
    return results
