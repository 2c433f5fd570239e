"""How every tally answer is kept: one decision, made from the readings it was drawn from.

A tally answer (the JSON, the samples, the CSV, shields, the badge, the chart, the tally's
page and the campaign page with its tallies) lives for the shortest interval of its open
tallies (an hour if all are closed). When any reading it was drawn from was made without
the store, it lives at most UNAVAILABLE_LIFETIME seconds in every cache (max-age,
s-maxage, stale-while-revalidate), so the right figures return soon after the store does.
There is no flag to pass: the readings say it.

This is not a blueprint: the blueprints that answer tallies share it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response

from voipdown.clock import now
from voipdown.tallies.model import Tally
from voipdown.tallies.reader import VERSION_TTL, TallyReader, TallyReading
from voipdown.web.errors import Refusal
from voipdown.web.freshness import MAX_LIFETIME, cache_for, conditional, replay_briefly
from voipdown.web.resolver import Asked, resolve
from voipdown.web.state import served, service

UNAVAILABLE_LIFETIME = 5
"""Seconds an answer made while the store cannot be read may be kept: it is made again soon."""
SETTLED = dt.timedelta(seconds=1 + VERSION_TTL)
"""How old the last change must be before an answer says when it was (Last-Modified): HTTP
dates count whole seconds, so two pushes in one second would give a changed answer the date
of the unchanged one, and a client asking with If-Modified-Since alone a 304 (RFC 9110
8.8.2.2 calls a date that close to the answer's weak). Until then the ETag alone validates."""


@dataclass(frozen=True)
class TallyFreshness:
    """How long a tally answer may be kept, and when what it says last changed."""

    seconds: int
    stale: int
    """stale-while-revalidate."""
    modified: dt.datetime


def freshness(
    readings: Sequence[TallyReading], tallies: Sequence[Tally], timeline_modified: dt.datetime
) -> TallyFreshness:
    """The one cache decision of a tally answer drawn from `readings` of `tallies`."""
    lifetime = min([MAX_LIFETIME, *(tally.interval for tally in tallies if not tally.closed)])
    answered = all(reading.store_answered for reading in readings)
    changes = [reading.changed for reading in readings if reading.changed is not None]
    if not answered:
        lifetime = min(lifetime, UNAVAILABLE_LIFETIME)
    return TallyFreshness(lifetime, lifetime, max([timeline_modified, *changes]))


def reader() -> TallyReader:
    return service().tallies


def tally_answer(response: Response, readings: Sequence[TallyReading], *tallies: Tally) -> Response:
    """Cache-Control, ETag and Last-Modified of a tally answer, replayed by this worker for
    VERSION_TTL (the reader reads the store's version that seldom)."""
    fresh = freshness(readings, tallies, served().modified)
    cache_for(response, fresh.seconds, stale=fresh.stale)
    settled = now() - fresh.modified >= SETTLED
    return replay_briefly(conditional(response, fresh.modified if settled else None), VERSION_TTL)


def asked_tally(slug: str, name: str, endpoint: str) -> tuple[Asked, Tally]:
    """The asked counter and its tally `name`, or a refusal (the counter's first: 400, 404, 301)."""
    asked = resolve(endpoint, slug, address=lambda slug: {"slug": slug, "name": name})
    tally = asked.counter.tallies.get(name)
    if tally is None:
        raise Refusal(404, "unknown_tally", "This counter has no tally of this name; GET …/tallies lists them.")
    return asked, tally
