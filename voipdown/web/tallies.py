"""Tallies in the JSON API: `/api/v1/counters/<slug>/tallies` and `.../tallies/<name>`.

Answers live for the tally's interval (a closed tally's, an hour) and are never replayed
(a push changes them at any moment). While the store cannot be read, an answer is made
from the timeline's samples and the last stored ones this worker saw, and says so.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from voipdown.summary import describe_tally
from voipdown.tallies import series, summarize
from voipdown.tally_store import StoreUnavailable
from voipdown.timeline import Counter, Tally
from voipdown.web.errors import Refusal
from voipdown.web.freshness import MAX_LIFETIME, cache_for, conditional
from voipdown.web.links import absolute
from voipdown.web.resolver import Asked, resolve
from voipdown.web.state import service

blueprint = Blueprint("tallies", __name__, url_prefix="/api/v1")


def stored_samples(counter: Counter, tally: Tally) -> tuple[list[tuple[int, int]], bool]:
    """The stored samples of a tally, and whether they are current (False: the store failed,
    these are the last ones this worker saw)."""
    key = (counter.slug, tally.name)
    state = service()
    try:
        samples = state.tally_store.samples(*key)
    except StoreUnavailable:
        return state.last_tally_samples.get(key, []), False
    state.last_tally_samples[key] = samples  # one assignment of a new list: atomic under the GIL
    return samples, True


def _body(asked: Asked, tally: Tally) -> dict:
    stored, current = stored_samples(asked.counter, tally)
    points = series(asked.counter, tally, stored)
    summary = summarize(asked.counter, tally, points, asked.instant)
    body = describe_tally(asked.counter, tally, summary, asked.lang)
    body["links"] = {
        "self": absolute("tallies.show_tally", slug=asked.counter.slug, name=tally.name, lang=asked.lang),
        "counter": absolute("api.show_counter", slug=asked.counter.slug, lang=asked.lang),
    }
    if not current:
        body["store"] = "unavailable: the timeline's samples and the last stored ones this worker saw"
    return body


def _lifetime(tallies) -> int:
    open_intervals = [tally.interval for tally in tallies if not tally.closed]
    return min([MAX_LIFETIME, *open_intervals])


@blueprint.get("/counters/<slug>/tallies")
def list_tallies(slug: str):
    asked = resolve("tallies.list_tallies", slug)
    tallies = list(asked.counter.tallies.values())
    response = jsonify(tallies=[_body(asked, tally) for tally in tallies])
    lifetime = _lifetime(tallies)
    return conditional(cache_for(response, lifetime, stale=lifetime), None)


@blueprint.get("/counters/<slug>/tallies/<name>")
def show_tally(slug: str, name: str):
    asked = resolve("tallies.show_tally", slug, address=lambda slug: {"slug": slug, "name": name})
    tally = asked.counter.tallies.get(name)
    if tally is None:
        raise Refusal(404, "unknown_tally", "This counter has no tally of this name; GET …/tallies lists them.")
    lifetime = _lifetime([tally])
    return conditional(cache_for(jsonify(_body(asked, tally)), lifetime, stale=lifetime), None)
