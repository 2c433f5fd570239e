"""The JSON API, `/api/v1/...`: the count and its texts, for other tools."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from voipdown.counting import Count, count_at, now
from voipdown.summary import describe_count, shields_endpoint
from voipdown.timeline import Counter
from voipdown.web.caching import DAY_SECONDS, texts_of_the_day
from voipdown.web.errors import ApiError
from voipdown.web.http_cache import cache_for, conditional, count_response, lifetime, seconds_until
from voipdown.web.links import absolute
from voipdown.web.negotiation import requested_language
from voipdown.web.state import current_timeline, served

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

SHIELDS_MIN_CACHE_SECONDS = 300  # shields.io's own floor


@blueprint.after_request
def api_headers(response):
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Language")
    return response


@blueprint.get("/counters")
def list_counters():
    timeline = current_timeline()
    lang = requested_language(timeline.default_counter.default_lang)
    instant = now()
    items = []
    for counter in timeline.counters.values():
        count = count_at(counter, instant)
        items.append(
            {
                "slug": counter.slug,
                "title": counter.title_in(lang),
                "status": count.status.value,
                "days": count.days,
                "url": absolute("api.show_counter", slug=counter.slug),
            }
        )
    response = jsonify(lang=lang, default_counter=timeline.default_slug, counters=items)
    cache_for(response, min(lifetime(count_at(c, instant), instant) for c in timeline.counters.values()))
    return conditional(response, served().modified)


@blueprint.get("/counters/<slug>")
def show_counter(slug: str):
    return _respond(slug, "api.show_counter", _counter_body)


@blueprint.get("/counters/<slug>/shields.json")
def shields(slug: str):
    # Not replayed: its cacheSeconds counts down to midnight, so the body changes every second.
    return _respond(slug, "api.shields", _shields_body, replayable=False)


def _respond(slug: str, endpoint: str, body, replayable: bool = True):
    timeline = current_timeline()
    counter, is_alias = timeline.find(slug)
    # The language is read first, so that a bad parameter is a 400 whatever the slug.
    lang = requested_language((counter or timeline.default_counter).default_lang)
    if counter is None:
        raise ApiError(404, "unknown_counter", "No counter has this name; GET /api/v1/counters lists them.")
    if is_alias:
        # Rebuilt from canonical parameters only: nothing of the query string is reflected.
        params = {"lang": lang} if request.args.get("lang") else {}
        location = url_for(endpoint, slug=counter.slug, **params)
        return Response(status=301, mimetype="text/plain", headers={"Location": location})
    instant = now()
    count = count_at(counter, instant)
    response = jsonify(body(counter, count, lang, instant, timeline.version))
    return count_response(response, counter, count, instant, replayable)


def _counter_body(counter: Counter, count: Count, lang: str, instant, version: str) -> dict:
    body = texts_of_the_day("counter", counter, count, lang, version, describe_count)
    body["links"] = {"self": absolute("api.show_counter", slug=counter.slug, lang=lang)}
    return body


def _shields_body(counter: Counter, count: Count, lang: str, instant, version: str) -> dict:
    body = texts_of_the_day("shields", counter, count, lang, version, shields_endpoint)
    if count.next_change is not None:
        body["cacheSeconds"] = max(SHIELDS_MIN_CACHE_SECONDS, seconds_until(count.next_change, instant))
    else:
        body["cacheSeconds"] = DAY_SECONDS
    return body
