"""HTTP caching: how long a response may be kept, and answering revalidations with 304.

Lifetimes (docs/caching.md explains them):
- a count-bearing response lives until the next midnight in the counter's time zone,
  capped at one hour so that a timeline edit shows within the hour; a cache may serve it
  stale for one minute while it revalidates (an ended counter, whose count never changes,
  for a day);
- an unknown counter: 5 minutes (the timeline may add it); a bad parameter: an hour (the
  same address stays bad); a failure: not stored.
Every cacheable 200 carries a strong ETag (a hash of the body) and a Last-Modified (the
later of the local day's start and the timeline file's edit), so a revalidation costs a
304 with no body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from flask import Response, request

from voipdown.counting import Count, Status, now, start_of_day
from voipdown.timeline import Counter
from voipdown.web.state import served

MAX_LIFETIME = 3600
REPLAY_MARK = "voipdown.replay"
STALE_WHILE_REVALIDATE = 60
ENDED_STALE_WHILE_REVALIDATE = 86_400
UNKNOWN_LIFETIME = 300
BAD_PARAMETER_LIFETIME = 3600


def seconds_until(moment: dt.datetime, instant: dt.datetime) -> int:
    """Whole seconds from `instant` to `moment`, at least 1."""
    return max(1, math.ceil((moment - instant).total_seconds()))


def lifetime_until(next_change: dt.datetime | None, instant: dt.datetime) -> int:
    """Seconds a response stays true: to the next change (local midnight), at most an hour."""
    return MAX_LIFETIME if next_change is None else min(MAX_LIFETIME, seconds_until(next_change, instant))


def lifetime(count: Count, instant: dt.datetime) -> int:
    return lifetime_until(count.next_change, instant)


def cache_control(seconds: int, stale: int = STALE_WHILE_REVALIDATE) -> str:
    return f"public, max-age={seconds}, s-maxage={seconds}, stale-while-revalidate={stale}"


def cache_for(response: Response, seconds: int, stale: int = STALE_WHILE_REVALIDATE) -> Response:
    response.headers["Cache-Control"] = cache_control(seconds, stale)
    return response


def cache_error(response: Response) -> Response:
    """The lifetime of an error response, by its status."""
    if response.status_code == 404:
        response.headers["Cache-Control"] = f"public, max-age={UNKNOWN_LIFETIME}"
    elif response.status_code == 400:
        response.headers["Cache-Control"] = f"public, max-age={BAD_PARAMETER_LIFETIME}"
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def last_modified(counter: Counter, count: Count, timeline_modified: dt.datetime) -> dt.datetime:
    """When what we say about `counter` last changed: today's start, or the timeline's edit."""
    day = counter.end if count.status is Status.ENDED else count.as_of
    began = start_of_day(day, counter.timezone).astimezone(dt.timezone.utc)
    return max(began, timeline_modified)


def conditional(response: Response, modified: dt.datetime | None) -> Response:
    """A strong ETag and Last-Modified; a 304 with no body when the client has this version."""
    if response.status_code != 200 or request.method not in ("GET", "HEAD"):
        return response
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    if modified is not None:
        response.last_modified = min(modified, now()).replace(microsecond=0)
    return response.make_conditional(request)


def count_response(
    response: Response, counter: Counter, count: Count, instant: dt.datetime, replayable: bool = True
) -> Response:
    """Headers of a response that tells `counter`'s count: lifetime, validators, 304.
    `replayable` is False for a body that depends on the instant, not only on the day."""
    snapshot = served()
    stale = ENDED_STALE_WHILE_REVALIDATE if count.status is Status.ENDED else STALE_WHILE_REVALIDATE
    cache_for(response, lifetime(count, instant), stale)
    if replayable and REPLAY_MARK in request.environ and response.status_code == 200:
        # The whole response may be replayed until the count changes (voipdown/web/replay.py).
        request.environ[REPLAY_MARK] = (count.next_change, stale, snapshot.timeline.version)
    return conditional(response, last_modified(counter, count, snapshot.modified))
