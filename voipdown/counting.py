"""How many days: the count at an instant, in the counter's own time zone.

A day begins at midnight where the event happened (Africa/Casablanca for Morocco,
with its Ramadan clock changes), never at the server's or the visitor's midnight.
Everything here takes an aware instant and returns plain values: no clock is read
(voipdown/clock.py has the one clock), so tests and the CLI can ask about any instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from voipdown.timeline import Counter
from voipdown.zones import load_zone, start_of_day


class Status(str, Enum):
    UPCOMING = "upcoming"
    ONGOING = "ongoing"
    ENDED = "ended"


@dataclass(frozen=True)
class Count:
    status: Status
    days: int
    as_of: dt.date
    """Today's date in the counter's time zone."""
    next_change: dt.datetime | None
    """The next local midnight, as an aware instant in the counter's zone; None once ended."""


def local_date(instant: dt.datetime, timezone: str) -> dt.date:
    """The calendar date at `instant` in `timezone`."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(load_zone(timezone)).date()


def count_at(counter: Counter, instant: dt.datetime) -> Count:
    """The count of `counter` at `instant`.

    Before `start`: upcoming, 0 days. From `end` on: ended, frozen at end - start.
    Otherwise: ongoing, today - start.
    """
    today = local_date(instant, counter.timezone)
    tomorrow = start_of_day(today + dt.timedelta(days=1), counter.timezone)
    if counter.end is not None and today >= counter.end:
        return Count(Status.ENDED, (counter.end - counter.start).days, today, None)
    if today < counter.start:
        return Count(Status.UPCOMING, 0, today, tomorrow)
    return Count(Status.ONGOING, (today - counter.start).days, today, tomorrow)


def coming_counts(counter: Counter, count: Count, days: int) -> list[Count]:
    """The counts of the `days` days after `count`'s, each as of its first instant: what a
    script written today shows after each coming midnight. Nothing for an ended count, which
    never changes again."""
    if count.next_change is None:
        return []
    return [
        count_at(counter, start_of_day(count.as_of + dt.timedelta(days=ahead), counter.timezone))
        for ahead in range(1, days + 1)
    ]
