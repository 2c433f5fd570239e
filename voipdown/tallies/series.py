"""What is said of a tally's series: the latest value, the change, the rates, staleness, and
its shape at a smaller size.

One series: the timeline's historical samples and the pushed ones. No value is invented: no
implicit zero, no sample between two real ones. A summary is computed from exactly what the
store's summary query returns (`StoredSummary`: the count, the earliest, the latest and the
earliest inside each rate's window), merged with the timeline's few samples, so it is right
whatever else the store holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from voipdown.tallies.model import Point, StoredSample, Tally, stored_point, timeline_points
from voipdown.tallies.store.protocol import StoredSummary

RATE_WINDOWS = {"minute": 5 * 60, "hour": 60 * 60}
"""The trailing window each rate is measured over, in seconds."""
RATE_UNITS = {"minute": 60, "hour": 3600}
"""Each rate is a change per this many seconds."""
STALE_INTERVALS = 3
"""An open tally with no sample for this many intervals is stale."""


def merged(tally: Tally, rows: Iterable[StoredSample], timeline: Sequence[Point] | None = None) -> list[Point]:
    """The timeline's samples (all of them, or those given) and the stored `rows`, by instant;
    a stored sample at the instant of a timeline's one is hidden by it."""
    points = {point.instant: point for point in (timeline_points(tally) if timeline is None else timeline)}
    for row in rows:
        point = stored_point(row)
        points.setdefault(point.instant, point)
    return [points[instant] for instant in sorted(points)]


@dataclass(frozen=True)
class Summary:
    earliest: Point | None
    latest: Point | None
    change: int | None
    """Latest value minus earliest, by instant; None before the first sample."""
    rate_per_minute: float | None
    rate_per_hour: float | None
    samples: int
    """How many samples the series holds: the timeline's and the stored ones (the reader's
    count leaves out a stored sample hidden by the timeline's at its instant)."""
    stale: bool


def _rate(earlier: Point | None, latest: Point, per: int) -> float | None:
    if earlier is None:
        return None
    seconds = (latest.instant - earlier.instant).total_seconds()
    return round((latest.value - earlier.value) * per / seconds, 1)


def summarize(tally: Tally, stored: StoredSummary, now: dt.datetime) -> Summary:
    """The tally's summary at `now` from the store's summary query (windows of RATE_WINDOWS, in
    that order, measured from the series' latest instant) and the timeline's samples."""
    timeline = timeline_points(tally)
    ends = [row for row in (stored.earliest, stored.latest) if row is not None]
    bounds = merged(tally, ends, timeline)
    earliest, latest = (bounds[0], bounds[-1]) if bounds else (None, None)
    rates: dict[str, float | None] = dict.fromkeys(RATE_WINDOWS)
    if latest is not None:
        for (name, seconds), row in zip(RATE_WINDOWS.items(), stored.window_earliest, strict=True):
            since = latest.instant - dt.timedelta(seconds=seconds)
            inside = merged(tally, [row] if row is not None else [], timeline)
            earlier = next((p for p in inside if since <= p.instant < latest.instant), None)
            rates[name] = _rate(earlier, latest, RATE_UNITS[name])
    return Summary(
        earliest=earliest,
        latest=latest,
        change=(latest.value - earliest.value) if latest and earliest else None,
        rate_per_minute=rates["minute"],
        rate_per_hour=rates["hour"],
        samples=len(timeline) + stored.count,
        stale=stale_at(tally, latest, now),
    )


def stale_at(tally: Tally, latest: Point | None, now: dt.datetime) -> bool:
    """Whether an open tally has had no sample for STALE_INTERVALS intervals at `now`."""
    last_seen = latest.instant if latest else tally.started
    return not tally.closed and (now - last_seen).total_seconds() > STALE_INTERVALS * tally.interval


def downsample(points: Sequence[Point], limit: int) -> list[Point]:
    """At most `limit` of the real samples, keeping the shape: the first and the last, and
    in each of (limit - 2) / 2 equal buckets between them its lowest and its highest."""
    return [points[index] for index in kept_indices([point.value for point in points], limit)]


def kept_indices(values: Sequence[int], limit: int) -> list[int]:
    """The indices `downsample` keeps of a series of these values (all, if they fit)."""
    if len(values) <= limit:
        return list(range(len(values)))
    last = len(values) - 1  # the middle runs from 1 to last - 1
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
    return kept
