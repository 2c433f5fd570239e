"""What every tally store promises (`TallyStore`), and the frozen answers of its queries.

A sample is kept under (counter, tally) at an instant in milliseconds. A request's samples
are stored whole or not at all; an instant already stored with the same value is a
duplicate (harmless: a value is a running total), with another value a conflict. Every
write moves the tally's version, which readers compare to know a sample came.

Every read goes through an index and returns at most what it is asked for: a window
(`since`, `until`, a limit), a page (newest first, an offset, a limit), the summary's few
rows, a count. The cost of a read grows with the rows it returns (and, for a page, the
rows it skips), not with the tally.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from voipdown.tallies.model import StoredColumns, StoredSample


class StoreUnavailable(Exception):
    """The store cannot be read or written now; nothing was stored."""


@contextmanager
def unavailable_on(*errors: type[BaseException]) -> Iterator[None]:
    """A store's own errors (SQLite's, Redis's, the file system's) raised as StoreUnavailable,
    which the web layer answers with a 503 or the last values it saw."""
    try:
        yield
    except errors as error:
        raise StoreUnavailable(str(error) or type(error).__name__) from error


class Conflict(Exception):
    """A sample's instant is already stored with another value (a plain exception: Python
    sets a traceback on it as it goes up)."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index
        """Its position in the request."""


@dataclass(frozen=True)
class Stored:
    accepted: int
    duplicates: int


@dataclass(frozen=True)
class Version:
    """What a store says of one tally in one cheap read."""

    number: int
    """Changes at every write to the tally; 0 before the first."""
    changed_ms: int
    """When the last write was (ms since the epoch); 0 before the first."""
    samples: int
    """How many samples are stored."""


@dataclass(frozen=True)
class StoredSummary:
    """The summary query's rows: the count, the earliest and the latest stored samples, and for
    each window asked (in its order) the earliest stored sample at or after the series' latest
    instant minus that window (None if there is none)."""

    count: int
    earliest: StoredSample | None
    latest: StoredSample | None
    window_earliest: tuple[StoredSample | None, ...]


@dataclass(frozen=True)
class Lease:
    """The right to collect a tally in one interval (intervals numbered from the epoch)."""

    counter: str
    tally: str
    interval: int
    expires_ms: int
    """The interval's end: a holder that dies costs that interval alone, since the next is anyone's."""


@dataclass(frozen=True)
class StoredTally:
    """A tally with stored samples, as `voipdown tally list` shows it."""

    counter: str
    tally: str
    samples: int
    latest_ms: int


class TallyStore(Protocol):
    """SQLite (one file, several workers) and Redis (several hosts) keep these promises; the
    same tests check both."""

    path: str
    """Where it is, as a message may name it (never with a password)."""

    def add(self, counter: str, tally: str, samples: Sequence[StoredSample], collector: str | None = None) -> Stored:
        """Store `samples` whole or not at all (Conflict for the first conflicting one), stored on
        return; with `collector`, the tally's collecting state in the same write."""

    def remove(self, counter: str, tally: str, at_ms: int) -> bool:
        """Remove the sample at `at_ms` (to correct a mistake); whether there was one."""

    def version(self, counter: str, tally: str) -> Version: ...

    def summary(
        self, counter: str, tally: str, windows_ms: Sequence[int], reference_ms: int | None = None
    ) -> StoredSummary:
        """The summary's rows in one snapshot; windows end at the later of the latest stored
        instant and `reference_ms` (the timeline's latest sample)."""

    def window(
        self, counter: str, tally: str, since_ms: int | None, until_ms: int | None, limit: int
    ) -> list[StoredSample]:
        """The first `limit` samples with since_ms <= at_ms <= until_ms (None: no bound), oldest first."""

    def columns(self, counter: str, tally: str, since_ms: int | None, until_ms: int | None) -> StoredColumns:
        """Every sample with since_ms <= at_ms <= until_ms (None: no bound), oldest first, as
        columns: for a long window read only to be thinned."""

    def newest(self, counter: str, tally: str, offset: int, limit: int) -> list[StoredSample]:
        """`limit` samples, newest first, after skipping the `offset` newest."""

    def count(self, counter: str, tally: str, until_ms: int) -> int:
        """How many samples are stored at or before `until_ms`."""

    def open(self) -> None:
        """Reach the store at the service's start (SQLite: open or create its file, whose
        identity every later read and write then checks); StoreUnavailable if it cannot."""

    def check(self) -> None:
        """Raise StoreUnavailable unless the store can be reached now."""

    def tallies(self) -> list[StoredTally]:
        """Every tally with stored samples, those the timeline no longer has included."""

    def claim(self, leases: Sequence[Lease], holder: str) -> list[bool]:
        """Take each lease for `holder`, unless its interval, or a later one of its tally, was
        taken already (by any worker of any host): exactly one taker per interval. Whether
        each was taken, in order; one write for them all (none when every one is taken)."""

    def collectors(self, keys: Sequence[tuple[str, str]]) -> list[str | None]:
        """Each (counter, tally)'s collecting state as last written (collect/state.py reads
        it), or None; in order, in one read."""

    def set_collector(self, counter: str, tally: str, state: str) -> None:
        """Write the tally's collecting state alone (a failed round): the version moves."""
