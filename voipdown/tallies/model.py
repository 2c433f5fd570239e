"""A tally as the timeline declares it, its samples, and how their instants are kept and written.

A tally knows its counter and its counter's zone, so no function needs the counter beside it
to place a date-only sample (the start of that day in the zone, as the timeline's checks and a
push both do). Stored instants are whole milliseconds since the epoch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from voipdown.languages import DEFAULT_LANGUAGE
from voipdown.zones import instant_of

if TYPE_CHECKING:
    from voipdown.tallies.collect.spec import Collect
    from voipdown.timeline import Source

UNITS = ("likes-lost", "likes", "signatures", "sites", "people")
"""What a tally counts: each has its words and CLDR plurals in every catalog (voipdown/texts.py)."""
MAX_SAMPLE_VALUE = 10**15
MAX_INTERVAL = 86_400


@dataclass(frozen=True)
class Sample:
    """A tally's running total at an instant, from the timeline; `at` is a date when only the day is known."""

    at: dt.date | dt.datetime
    value: int
    source: Source | None = None

    @property
    def precision(self) -> str:
        """`day` for a date-only `at` (no time of day is invented), else `instant`."""
        return "instant" if isinstance(self.at, dt.datetime) else "day"


@dataclass(frozen=True)
class Tally:
    """A number a maintainer pushes samples to (likes lost, signatures...), shown with its rate."""

    name: str
    title: Mapping[str, str]
    unit: str
    start: dt.date | dt.datetime
    interval: int
    """Seconds between two samples, as the feed intends to push them."""
    token_sha256: str | None = None
    """The SHA-256 (hex) of the push token; None: the tally is closed to pushes."""
    url: str | None = None
    samples: tuple[Sample, ...] = ()
    """The timeline's own (historical) samples, by `at`."""
    note: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """What a reader should know beside the figures (how they were measured, their limits)."""
    default_lang: str = DEFAULT_LANGUAGE
    """Its counter's language: the one its texts are always written in."""
    counter: str = ""
    """Its counter's slug: the store keeps samples under (counter, name)."""
    timezone: str = "UTC"
    """Its counter's zone: where a date-only sample or start begins."""
    action: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The words of the link to `url` (« Signer la pétition »); empty: its unit's."""
    locales: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Its counter's `locale`: language -> the CLDR locale that writes its numbers and dates."""
    collect: Collect | None = None
    """Where the service reads its number itself (voipdown/tallies/collect/); None: pushes only."""

    def locale_in(self, lang: str) -> str | None:
        return self.locales.get(lang)

    @property
    def pushable(self) -> bool:
        """Whether it takes pushes (its timeline entry has a token)."""
        return self.token_sha256 is not None

    @property
    def closed(self) -> bool:
        """It takes no new samples at all: no pushes, and nothing collects it."""
        return self.token_sha256 is None and self.collect is None

    @property
    def key(self) -> tuple[str, str]:
        """(counter, name): what the store and the reader know it by."""
        return self.counter, self.name

    def title_in(self, lang: str) -> str:
        """The title in `lang`, else in the counter's language (always present)."""
        return self.title.get(lang) or self.title[self.default_lang]

    def instant_of(self, moment: dt.date | dt.datetime) -> dt.datetime:
        """An instant in UTC: a date-time as it is, a date as the start of that day in the counter's zone."""
        return instant_of(moment, self.timezone)

    @property
    def started(self) -> dt.datetime:
        return self.instant_of(self.start)


@dataclass(frozen=True, slots=True)
class StoredSample:
    """A pushed sample as a store keeps it."""

    at_ms: int
    value: int


@dataclass(frozen=True)
class StoredColumns:
    """Many stored samples as two columns, oldest first: a long window costs two sequences of
    integers, not an object per sample (made from the store's rows in C, by `zip`)."""

    at_ms: Sequence[int]
    values: Sequence[int]


@dataclass(frozen=True)
class Point:
    """A sample of the series, timeline's or pushed, as it is shown and placed."""

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


def shown(moment: dt.date | dt.datetime) -> str:
    """How an `at` is written: `2016-02-29` for a day, RFC 3339 in UTC to the millisecond else."""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat()


def timeline_points(tally: Tally) -> list[Point]:
    """The timeline's own samples as points, by instant."""
    points = [Point(sample.at, tally.instant_of(sample.at), sample.value, sample.source) for sample in tally.samples]
    return sorted(points, key=lambda point: point.instant)


def stored_point(row: StoredSample) -> Point:
    instant = from_ms(row.at_ms)
    return Point(instant, instant, row.value)
