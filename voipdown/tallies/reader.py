"""`TallyReader`: each worker's one view of the tally store.

It reads a tally's version at most every `version_ttl` seconds, reads samples again only
when the version moved, and remembers the last reading of each query so that, while the
store cannot be read, it answers from what it last saw and says so (`store_answered`).
A write this worker makes (`wrote`) is its one notice: the next read goes to the store,
and anything drawn before the write (a reading, a replayed answer) stops being trusted.
It reads the service's wall clock (or a clock it is given), so tests travel time instead of
sleeping.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace

from voipdown.clock import now
from voipdown.tallies.collect.state import CollectState
from voipdown.tallies.model import Point, StoredSample, Tally, from_ms, stored_point, timeline_points, to_ms
from voipdown.tallies.offload import Offload, TimelineMark, thin
from voipdown.tallies.series import RATE_WINDOWS, Summary, kept_indices, merged, stale_at, summarize
from voipdown.tallies.store.protocol import StoredSummary, StoreUnavailable, TallyStore

VERSION_TTL = 0.5
"""Seconds a worker trusts the store's version of a tally before reading it again: every
worker serves a new sample within this (plus the answer's own lifetime in caches)."""
MEMO_ENTRIES = 1024
"""Readings remembered per worker (least recently used first out)."""
MEMO_POINTS = 10_000
"""A reading of more points than this is not remembered (a whole large tally)."""
STREAM_CHUNK = 5_000
WINDOW_ALL = 2**62
"""No limit: a window read whole."""
LONG_READ_FROM = 5_000
"""Stored samples beyond which reading many of them is a long read: thinned in the helper
process (offload.py) and, in the web layer, in the `expensive` share of a worker's threads.
A smaller tally costs no more than a badge (a page of charts of the bundled tallies, drawn
cold at once, must not wait for each other)."""

Gate = Callable[[], AbstractContextManager]
"""Held around a read of the store whose cost grows with the tally (the web layer's share
of threads for such reads, which may refuse); a reading remembered for its version passes
without it."""


@dataclass(frozen=True)
class Seen:
    """What this worker last read of a tally's version in the store."""

    version: int
    changed: dt.datetime | None
    """The store's last write to the tally; None before the first."""
    samples: int
    """How many samples the store holds."""
    read_at: float
    written: int
    """This worker's write stamp of the tally when the version was read."""


@dataclass(frozen=True)
class TallyReading:
    """One answer of the reader: what was read, and how much to trust it."""

    points: tuple[Point, ...]
    """The series' points asked for (a window oldest first, a page newest first)."""
    count: int
    """How many samples the whole series holds (the timeline's and the stored ones)."""
    version: int
    """The store's version these points were read at (-1 if never read)."""
    changed: dt.datetime | None
    """The store's last write to the tally, as last seen; None if none is known."""
    store_answered: bool
    """False when the store could not be read: the timeline's samples and the last stored
    ones this worker saw, which may be behind."""
    summary: Summary | None = None
    """A summary reading's figures."""
    window_count: int | None = None
    """A thinned window's: how many samples the window holds (its points are fewer)."""
    collect: CollectState | None = None
    """A summary reading's, for a tally the service collects: its collecting state, as stored."""

    @property
    def latest_value(self) -> int | None:
        latest = self.summary.latest if self.summary else None
        return latest.value if latest else None


@dataclass(frozen=True)
class TallyStream:
    """A window too long to hold: how far to trust it, and its points as they are read."""

    reading: TallyReading
    """Its version, last change and whether the store answered (no points: they follow)."""
    points: Iterator[Point]


class TallyReader:
    def __init__(
        self,
        store: TallyStore,
        *,
        clock: Callable[[], float] | None = None,
        version_ttl: float = VERSION_TTL,
        offload: Offload | None = None,
    ):
        self.store = store
        self.offload = offload
        """The helper process long windows are read and thinned in (None: read here)."""
        self._clock = clock or _wall_seconds
        self._ttl = version_ttl
        self._versions: dict[tuple[str, str], Seen] = {}
        self._memo: OrderedDict[Hashable, TallyReading] = OrderedDict()
        self._written: dict[tuple[str, str], int] = {}
        self._stamps = itertools.count(1)
        self._stamp = 0
        self._lock = threading.Lock()

    # Writes.

    @property
    def write_stamp(self) -> int:
        """Moves at every write this worker makes to any tally: an answer drawn while it moved
        may not show the write."""
        return self._stamp

    def wrote(self, tally: Tally) -> None:
        """This worker wrote to `tally`: its next read of the version goes to the store, and a
        version or reading taken before this moment is not trusted any more."""
        with self._lock:
            self._stamp = next(self._stamps)
            self._written[tally.key] = self._stamp

    # The version.

    def seen(self, tally: Tally) -> Seen | None:
        """The tally's version, read at most every `version_ttl` seconds; None while the store
        cannot be read."""
        known = self._versions.get(tally.key)
        moment = self._clock()
        written = self._written.get(tally.key, 0)  # before the read: a write after it distrusts it
        if known is not None and 0 <= moment - known.read_at < self._ttl and known.written == written:
            return known
        try:
            version = self.store.version(*tally.key)
        except StoreUnavailable:
            return None
        changed = from_ms(version.changed_ms) if version.changed_ms else None
        seen = Seen(version.number, changed, version.samples, moment, written)
        self._versions[tally.key] = seen  # one assignment: atomic under the GIL
        return seen

    # Readings.

    def state(self, tally: Tally) -> TallyReading:
        """The tally's version, last change and count, and whether the store answered, without
        its points: for an answer kept elsewhere by version (a chart), read only when drawn.
        It is the summary's reading (remembered per version) without its figures."""
        return replace(self.summary(tally, now()), points=(), summary=None)

    def _read(
        self,
        tally: Tally,
        query: Hashable,
        read: Callable[[Seen], TallyReading],
        offline: Callable[[], tuple[Point, ...]],
        gate: Gate = nullcontext,
    ) -> TallyReading:
        """`read(seen)` again only when the tally's version moved (or the timeline's own samples
        did: a reading holds them too); while the store fails, the last reading of the same
        query, else `offline()`: the timeline's samples alone."""
        key = (tally.key, tally.samples, tally.timezone, query)
        last = self._memo.get(key)
        seen = self.seen(tally)
        if seen is not None and last is not None and last.version == seen.version:
            with self._lock:
                if key in self._memo:
                    self._memo.move_to_end(key)
            return last
        if seen is not None:
            try:
                with gate():
                    reading = read(seen)  # read after the version: never older than it
            except StoreUnavailable:
                pass
            else:
                if len(reading.points) <= MEMO_POINTS:
                    with self._lock:
                        self._memo[key] = reading
                        self._memo.move_to_end(key)
                        while len(self._memo) > MEMO_ENTRIES:
                            self._memo.popitem(last=False)
                return reading
        if last is not None:
            return replace(last, store_answered=False)
        known = self._versions.get(tally.key)
        return TallyReading(offline(), len(tally.samples), -1, known.changed if known else None, False)

    def summary(self, tally: Tally, now: dt.datetime) -> TallyReading:
        """The tally's summary (value, change, rates, staleness at `now`): the store's summary
        query, a few index lookups whatever the tally's size."""
        windows = [seconds * 1000 for seconds in RATE_WINDOWS.values()]

        def figures(stored: StoredSummary) -> Summary:
            return summarize(tally, stored, now)

        def read(seen: Seen) -> TallyReading:
            timeline = timeline_points(tally)
            reference = to_ms(timeline[-1].instant) if timeline else None
            stored = self.store.summary(*tally.key, windows, reference)
            hidden = self._hidden(tally, timeline) if stored.count else set()
            summary = figures(replace(stored, count=stored.count - len(hidden)))
            collect = CollectState.loads(self.store.collectors([tally.key])[0]) if tally.collect else None
            return TallyReading(
                _ends(summary), summary.samples, seen.version, seen.changed, True, summary, collect=collect
            )

        def offline() -> Summary:
            return figures(StoredSummary(0, None, None, (None,) * len(windows)))

        reading = self._read(tally, ("summary",), read, lambda: _ends(offline()))
        summary = reading.summary or offline()
        stale = stale_at(tally, summary.latest, now)  # remembered at another instant: said at this one
        if reading.summary is not None and summary.stale == stale:
            return reading
        return replace(reading, summary=replace(summary, stale=stale))

    def window(
        self, tally: Tally, since: dt.datetime | None, until: dt.datetime | None, gate: Gate = nullcontext
    ) -> TallyReading:
        """Every sample of the series with since <= instant <= until (None: no bound), oldest first."""
        every = timeline_points(tally)
        timeline = [p for p in every if _inside(p, since, until)]

        def read(seen: Seen) -> TallyReading:
            rows = self.store.window(*tally.key, _since_ms(since), _until_ms(until), WINDOW_ALL)
            points = merged(tally, rows, timeline)
            count = _series_count(seen, every, self._hidden(tally, every))
            return TallyReading(tuple(points), count, seen.version, seen.changed, True)

        return self._read(tally, ("window", since, until), read, lambda: tuple(timeline), gate)

    def thinned(
        self, tally: Tally, since: dt.datetime | None, until: dt.datetime | None, limit: int, gate: Gate = nullcontext
    ) -> TallyReading:
        """The window's samples as `series.downsample` keeps `limit` of them, oldest first: the
        same points as downsampling `window()`, but read as two columns of integers and made
        into points only once kept, so a long window costs a fifth as much (docs/benchmarks.md)."""
        every = timeline_points(tally)
        timeline = [p for p in every if _inside(p, since, until)]

        def read(seen: Seen) -> TallyReading:
            count = _series_count(seen, every, self._hidden(tally, every))
            marks = [_mark(point) for point in timeline]
            bounds = (_since_ms(since), _until_ms(until))
            thinned = None
            if self.offload is not None and seen.samples > LONG_READ_FROM:
                thinned = self.offload.thinned(tally.key, *bounds, limit, marks)
            if thinned is None:  # a short tally, or no helper to answer
                columns = self.store.columns(*tally.key, *bounds)
                thinned = thin(columns.at_ms, columns.values, marks, limit)
            points = tuple(
                timeline[ours] if ours >= 0 else stored_point(StoredSample(at_ms, value))
                for at_ms, value, ours in zip(thinned.at_ms, thinned.values, thinned.timeline, strict=True)
            )
            return TallyReading(points, count, seen.version, seen.changed, True, window_count=thinned.window)

        def offline() -> tuple[Point, ...]:
            return tuple(timeline[i] for i in kept_indices([p.value for p in timeline], limit))

        reading = self._read(tally, ("thinned", since, until, limit), read, offline, gate)
        return reading if reading.window_count is not None else replace(reading, window_count=len(reading.points))

    def _hidden(self, tally: Tally, timeline: list[Point]) -> set[dt.datetime]:
        """The instants of the timeline's samples at which a sample is stored too (the timeline's
        shows, the stored one is hidden): a lookup each, and the timeline holds few."""
        return {p.instant for p in timeline if self.store.window(*tally.key, to_ms(p.instant), to_ms(p.instant), 1)}

    def page(self, tally: Tally, number: int, size: int, gate: Gate = nullcontext) -> TallyReading:
        """Page `number` (from 1) of the series, `size` samples a page, newest first: the store
        skips to it through its index, whatever the tally's size. A stored sample's rank in the
        series is its rank among the stored ones, less the hidden ones newer than it, plus the
        timeline's newer samples; a timeline sample's, the other way round (the timeline holds few)."""
        timeline = timeline_points(tally)
        offset = (number - 1) * size

        def read(seen: Seen) -> TallyReading:
            hidden = self._hidden(tally, timeline)
            skipped = max(0, offset - len(timeline))
            rows = self.store.newest(*tally.key, skipped, size + len(timeline) + len(hidden))
            ranked: list[tuple[int, Point]] = []
            for index, row in enumerate(rows):
                point = stored_point(row)
                if point.instant not in hidden:
                    newer = sum(p.instant > point.instant for p in timeline) - sum(h > point.instant for h in hidden)
                    ranked.append((skipped + index + newer, point))
            for index, point in enumerate(timeline):
                newer_stored = seen.samples - self.store.count(*tally.key, to_ms(point.instant))
                newer_hidden = sum(h > point.instant for h in hidden)
                ranked.append((len(timeline) - 1 - index + newer_stored - newer_hidden, point))
            chosen = sorted((p for rank, p in ranked if offset <= rank < offset + size), key=lambda p: p.instant)
            count = _series_count(seen, timeline, hidden)
            return TallyReading(tuple(reversed(chosen)), count, seen.version, seen.changed, True)

        newest = timeline[::-1][offset : offset + size]
        return self._read(tally, ("page", number, size), read, lambda: tuple(newest), gate)

    def stream(self, tally: Tally, since: dt.datetime | None, until: dt.datetime | None) -> TallyStream:
        """The window's samples, oldest first, read from the store in chunks as they are taken
        (a CSV of any size in bounded memory); while the store fails, the window's reading
        (the timeline's samples and the last this worker saw), said so."""
        every = timeline_points(tally)
        timeline = [p for p in every if _inside(p, since, until)]
        seen = self.seen(tally)
        try:
            first = self.store.window(*tally.key, _since_ms(since), _until_ms(until), STREAM_CHUNK) if seen else None
        except StoreUnavailable:
            first = None
        if seen is None or first is None:
            fallback = self.window(tally, since, until)
            return TallyStream(replace(fallback, points=()), iter(fallback.points))

        def chunks():
            rows, pending = first, list(timeline)
            while True:
                if not rows:
                    yield from pending
                    return
                last = rows[-1].at_ms
                upto = [p for p in pending if to_ms(p.instant) <= last]
                if upto:
                    pending = pending[len(upto) :]
                    yield from merged(tally, rows, upto)
                else:  # the usual case: no timeline sample among these rows
                    yield from map(stored_point, rows)
                if len(rows) < STREAM_CHUNK:
                    yield from pending
                    return
                rows = self.store.window(*tally.key, last + 1, _until_ms(until), STREAM_CHUNK)

        count = _series_count(seen, every, self._hidden(tally, every))
        return TallyStream(TallyReading((), count, seen.version, seen.changed, True), chunks())


def _mark(point: Point) -> TimelineMark:
    """A timeline sample as the thinning places it among the stored ones."""
    at_ms = to_ms(point.instant)
    stored = from_ms(at_ms)
    return TimelineMark(at_ms, point.value, 0 if stored == point.instant else 1 if point.instant > stored else -1)


def _wall_seconds() -> float:
    """The service's one wall clock (voipdown/clock.py), so that a test that travels it, or
    pins it, moves the reader's memo too; a clock set back never extends it."""
    return now().timestamp()


def _series_count(seen: Seen, timeline: list[Point], hidden: set[dt.datetime]) -> int:
    """How many samples the series holds: the timeline's and the stored ones, less those hidden."""
    return len(timeline) + seen.samples - len(hidden)


def _ends(summary: Summary) -> tuple[Point, ...]:
    return tuple(p for p in (summary.earliest, summary.latest) if p is not None)


def _since_ms(instant: dt.datetime | None) -> int | None:
    """The first whole millisecond at or after `instant`."""
    return None if instant is None else math.ceil(instant.timestamp() * 1000 - 1e-6)


def _until_ms(instant: dt.datetime | None) -> int | None:
    """The last whole millisecond at or before `instant`."""
    return None if instant is None else math.floor(instant.timestamp() * 1000 + 1e-6)


def _inside(point: Point, since: dt.datetime | None, until: dt.datetime | None) -> bool:
    return (since is None or point.instant >= since) and (until is None or point.instant <= until)
