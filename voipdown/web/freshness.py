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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Response, request
from werkzeug.http import is_resource_modified, remove_entity_headers

from voipdown.clock import now
from voipdown.counting import Count, Status
from voipdown.timeline import Counter
from voipdown.web.parameters import parameters_of, replayed
from voipdown.web.state import served
from voipdown.zones import start_of_day

if TYPE_CHECKING:
    from voipdown.web.resolver import Asked

MAX_LIFETIME = 3600
REPLAY_MARK = "voipdown.replay"
"""Where a view tells the replay layer (voipdown/web/replay.py) it may keep its answer: ReplayTerms."""
STALE_WHILE_REVALIDATE = 60
ENDED_STALE_WHILE_REVALIDATE = 86_400
UNKNOWN_LIFETIME = 300
BAD_PARAMETER_LIFETIME = 3600


@dataclass(frozen=True)
class ReplayTerms:
    """How long the replay layer may answer a response again, as it is."""

    next_change: dt.datetime | None
    """Until this instant (None: until a timeline edit)."""
    stale_while_revalidate: int
    timeline_version: str
    """The timeline edit it was drawn from: another edit ends it."""
    brief: bool = False
    """A tally's answer: its own Cache-Control replayed as it is, never drawn ahead, and not
    trusted once this worker has written to a tally since it was drawn."""
    reads: tuple[str, ...] = ()
    """The parameters its route reads: the only ones that key it (any other parameter of
    the query string, ours or junk, is the same answer, so it makes no new entry)."""


def _reads(endpoint: str | None) -> tuple[str, ...]:
    return tuple(parameter.name for parameter in parameters_of(endpoint or ""))


def seconds_until(moment: dt.datetime, instant: dt.datetime) -> int:
    """Whole seconds from `instant` to `moment`, at least 1."""
    return max(1, math.ceil((moment - instant).total_seconds()))


def lifetime_until(next_change: dt.datetime | None, instant: dt.datetime) -> int:
    """Seconds a response stays true: to the next change (local midnight), at most an hour."""
    return MAX_LIFETIME if next_change is None else min(MAX_LIFETIME, seconds_until(next_change, instant))


def lifetime(count: Count, instant: dt.datetime) -> int:
    return lifetime_until(count.next_change, instant)


def cache_control(seconds: int, stale: int = STALE_WHILE_REVALIDATE, private: bool = False) -> str:
    if private:  # the reader's own cache only (see `private_copy`)
        return f"private, max-age={seconds}, stale-while-revalidate={stale}"
    return f"public, max-age={seconds}, s-maxage={seconds}, stale-while-revalidate={stale}"


def private_copy(response: Response) -> Response:
    """An answer that holds the request's own Host (its absolute addresses, without
    VOIPDOWN_PUBLIC_URL) is kept by the reader's browser, never by a shared cache: one request
    with `Host: evil.example` would otherwise put that host's addresses into every reader's
    embed script, through any cache whose key has no host (the documented nginx's has none)."""
    control = response.headers.get("Cache-Control", "")
    if control.startswith("public"):
        parts = [part.strip() for part in control.split(",")]
        kept = ["private", *(part for part in parts[1:] if not part.startswith("s-maxage"))]
        response.headers["Cache-Control"] = ", ".join(kept)
    return response


def cache_for(response: Response, seconds: int, stale: int = STALE_WHILE_REVALIDATE) -> Response:
    response.headers["Cache-Control"] = cache_control(seconds, stale)
    return response


def cache_error(response: Response) -> Response:
    """The lifetime of an error response, by its status; an error to a write is never kept
    (a shared cache must not answer the next GET of that address with it)."""
    if request.method not in ("GET", "HEAD"):
        response.headers["Cache-Control"] = "no-store"
    elif response.status_code == 404:
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


def client_has(environ, etag: str | None, modified: str | None) -> bool:
    """Whether the client's copy is this version: by If-None-Match (weak comparison, as RFC 9110
    asks), else by If-Modified-Since. The one test of both Flask's path and the replay's."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not (etag or modified):
        return False
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is None and "HTTP_IF_MODIFIED_SINCE" not in environ:
        return False  # the usual case, decided without parsing anything
    if match is not None and match == etag:
        return True  # the ETag sent back as we gave it: the usual revalidation, without parsing
    return not is_resource_modified(environ, etag=etag, last_modified=modified)


def not_modified_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of a 304 made from a 200's: without the body's own (werkzeug's rule, which
    Flask's path applies to its 304s too)."""
    kept = list(headers)
    remove_entity_headers(kept)
    return kept


def conditional(response: Response, modified: dt.datetime | None) -> Response:
    """A strong ETag and Last-Modified; a 304 with no body when the client has this version."""
    if response.status_code != 200 or request.method not in ("GET", "HEAD"):
        return response
    if "ETag" not in response.headers:  # a streamed answer sets its own: its body is not read here
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    if modified is not None:
        response.last_modified = min(modified, now()).replace(microsecond=0)
    if client_has(request.environ, response.headers.get("ETag"), response.headers.get("Last-Modified")):
        response.status_code = 304  # werkzeug then sends no body and drops the entity headers
    return response


def replay_briefly(response: Response, seconds: float) -> Response:
    """Let the replay layer (voipdown/web/replay.py) answer this again, as it is, Cache-Control
    included, for `seconds`: an answer that may change at any moment (a tally's), but that
    no worker would draw differently sooner (it reads the tally's version that seldom)."""
    if REPLAY_MARK in request.environ and response.status_code == 200 and replayed(request.endpoint):
        until = now() + dt.timedelta(seconds=seconds)
        request.environ[REPLAY_MARK] = ReplayTerms(
            until, 0, served().timeline.version, brief=True, reads=_reads(request.endpoint)
        )
    return response


def count_response(response: Response, asked: Asked, replayable: bool = True, at_most: int | None = None) -> Response:
    """Headers of a response that tells the asked counter's count: lifetime, validators, 304.
    `replayable` is False for a body that depends on the instant, not only on the day; a
    route with a free-form parameter is never replayed (voipdown/web/parameters.py).
    `at_most` caps the lifetime (and its stale-while-revalidate): a page that shows a live tally."""
    snapshot = served()
    counter, count, instant = asked.counter, asked.count, asked.instant
    stale = ENDED_STALE_WHILE_REVALIDATE if count.status is Status.ENDED else STALE_WHILE_REVALIDATE
    seconds = lifetime(count, instant)
    if at_most is not None:
        seconds, stale = min(seconds, at_most), min(stale, at_most)
    cache_for(response, seconds, stale)
    replayable = replayable and replayed(asked.endpoint)
    if replayable and REPLAY_MARK in request.environ and response.status_code == 200:
        # The whole response may be replayed until the count changes (voipdown/web/replay.py).
        request.environ[REPLAY_MARK] = ReplayTerms(
            count.next_change, stale, snapshot.timeline.version, reads=_reads(asked.endpoint)
        )
    return conditional(response, last_modified(counter, count, snapshot.modified))
