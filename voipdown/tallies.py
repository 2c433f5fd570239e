"""A tally's series and what is said of it: the latest value, the change, the rates.

One series: the timeline's historical samples (a date-only `at` is placed at the start of
that day in the counter's zone, for ordering and rates only; it is always shown as a date)
and the pushed ones (instants, to the millisecond). No value is invented: no implicit zero,
no sample between two real ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from voipdown.timeline import Counter, Source, Tally
from voipdown.zones import instant_of

RATE_WINDOWS = {"minute": 5 * 60, "hour": 60 * 60}
"""The trailing window each rate is measured over, in seconds."""
STALE_INTERVALS = 3
"""An open tally with no sample for this many intervals is stale."""


@dataclass(frozen=True)
class Point:
    at: dt.date | dt.datetime
    """As it is shown: a date when only the day is known, else an instant in UTC."""
    instant: dt.datetime
    value: int
    source: Source | None = None

    @property
    def precision(self) -> str:
        return "instant" if isinstance(self.at, dt.datetime) else "day"


def from_ms(at_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(at_ms / 1000, dt.timezone.utc)


def to_ms(instant: dt.datetime) -> int:
    return round(instant.timestamp() * 1000)


def series(counter: Counter, tally: Tally, stored: Sequence[tuple[int, int]]) -> list[Point]:
    """The timeline's samples and the stored ones, by instant (the timeline's win a tie)."""
    points = {
        instant_of(sample.at, counter.timezone): Point(
            sample.at, instant_of(sample.at, counter.timezone), sample.value, sample.source
        )
        for sample in tally.samples
    }
    for at_ms, value in stored:
        instant = from_ms(at_ms)
        points.setdefault(instant, Point(instant, instant, value))
    return [points[instant] for instant in sorted(points)]


@dataclass(frozen=True)
class Summary:
    latest: Point | None
    change: int | None
    """Latest value minus earliest, by instant; None with fewer than one sample."""
    rate_per_minute: float | None
    rate_per_hour: float | None
    samples: int
    stale: bool


def rate(points: Sequence[Point], window: int, per: int) -> float | None:
    """The change per `per` seconds from the earliest sample inside the trailing `window`
    seconds ending at the latest sample, to the latest; None if the window holds no earlier one."""
    if len(points) < 2:
        return None
    latest = points[-1]
    since = latest.instant - dt.timedelta(seconds=window)
    earlier = next((p for p in points if since <= p.instant < latest.instant), None)
    if earlier is None:
        return None
    seconds = (latest.instant - earlier.instant).total_seconds()
    return round((latest.value - earlier.value) * per / seconds, 1)


def summarize(counter: Counter, tally: Tally, points: Sequence[Point], now: dt.datetime) -> Summary:
    latest = points[-1] if points else None
    last_seen = latest.instant if latest else instant_of(tally.start, counter.timezone)
    stale = not tally.closed and (now - last_seen).total_seconds() > STALE_INTERVALS * tally.interval
    return Summary(
        latest=latest,
        change=(latest.value - points[0].value) if latest else None,
        rate_per_minute=rate(points, RATE_WINDOWS["minute"], 60),
        rate_per_hour=rate(points, RATE_WINDOWS["hour"], 3600),
        samples=len(points),
        stale=stale,
    )


def shown(moment: dt.date | dt.datetime) -> str:
    """How an `at` is written: `2016-02-29` for a day, RFC 3339 in UTC to the millisecond else."""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat()


def downsample(points: Sequence[Point], limit: int) -> list[Point]:
    """At most `limit` of the real samples, keeping the shape: the first and the last, and
    in each of (limit - 2) / 2 equal buckets between them its lowest and its highest."""
    if len(points) <= limit:
        return list(points)
    values = [point.value for point in points]
    last = len(points) - 1  # the middle runs from 1 to last - 1
    buckets = max(1, (limit - 2) // 2)
    kept = [0]
    for index in range(buckets):
        begin = 1 + index * (last - 1) // buckets
        end = 1 + (index + 1) * (last - 1) // buckets
        if begin == end:
            continue
        bucket = values[begin:end]  # min, max and index run in C: 10,000 samples in a millisecond
        low = begin + bucket.index(min(bucket))
        high = begin + bucket.index(max(bucket))
        kept += sorted({low, high})
    kept.append(last)
    if len(kept) > limit:  # a limit under four: the first buckets give way, the last sample stays
        kept = [*kept[: limit - 1], last]
    return [points[index] for index in kept]
