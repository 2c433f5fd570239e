"""The JSON API, `/api/v1/...`: the count and its texts, for other tools."""

from __future__ import annotations

from flask import Blueprint, jsonify

from voipdown.counting import count_at
from voipdown.isolation import isolate
from voipdown.summary import describe_count, shields_endpoint
from voipdown.web.freshness import cache_for, conditional, count_response, lifetime, seconds_until
from voipdown.web.links import absolute
from voipdown.web.resolver import resolve
from voipdown.web.server_cache import DAY_SECONDS, texts_of_the_day
from voipdown.web.state import served

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

SHIELDS_MIN_CACHE_SECONDS = 300  # shields.io's own floor
SHIELDS_MAX_CACHE_SECONDS = 3_600
"""At most an hour, then the seconds to midnight: shields.io never keeps a count past its day,
and a body that changes only in a day's last hour is the same file in every build of that
day (voipdown/web/freeze.py) but the last hour's."""


@blueprint.get("/counters")
def list_counters():
    asked = resolve("api.list_counters")
    items = []
    for counter in asked.timeline.counters.values():
        count = count_at(counter, asked.instant)
        items.append(
            {
                "slug": counter.slug,
                "title": isolate(counter.title_in(asked.lang), asked.lang),
                "status": count.status.value,
                "days": count.days,
                "url": absolute("api.show_counter", slug=counter.slug),
            }
        )
    response = jsonify(lang=asked.lang, default_counter=asked.timeline.default_slug, counters=items)
    counts = (count_at(counter, asked.instant) for counter in asked.timeline.counters.values())
    cache_for(response, min(lifetime(count, asked.instant) for count in counts))
    return conditional(response, served().modified)


@blueprint.get("/counters/<slug>")
def show_counter(slug: str):
    asked = resolve("api.show_counter", slug)
    body = texts_of_the_day("counter", asked.counter, asked.count, asked.lang, asked.timeline.version, describe_count)
    body["links"] = {"self": absolute("api.show_counter", slug=asked.counter.slug, lang=asked.lang)}
    if asked.counter.tallies:
        body["links"]["tallies"] = absolute("tallies.list_tallies", slug=asked.counter.slug, lang=asked.lang)
    return count_response(jsonify(body), asked)


@blueprint.get("/counters/<slug>/shields.json")
def shields(slug: str):
    asked = resolve("api.shields", slug)
    count = asked.count
    body = texts_of_the_day("shields", asked.counter, count, asked.lang, asked.timeline.version, shields_endpoint)
    if count.next_change is not None:
        until = seconds_until(count.next_change, asked.instant)
        body["cacheSeconds"] = max(SHIELDS_MIN_CACHE_SECONDS, min(SHIELDS_MAX_CACHE_SECONDS, until))
    else:
        body["cacheSeconds"] = DAY_SECONDS
    # Not replayed: its cacheSeconds counts down in the day's last hour, a body a second.
    return count_response(jsonify(body), asked, replayable=False)
