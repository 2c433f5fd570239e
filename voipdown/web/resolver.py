"""From a request to "this counter, in this language, with these validated parameters".

Every route finds its counter here, in one order: a bad parameter is a 400, then an
unknown counter a 404, then an old alias a 301 to the current slug that keeps the
validated parameters (and nothing else of the query string). The errors are raised;
voipdown/web/errors.py answers them in the route's own format (JSON, image, script, page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import request, url_for

from voipdown.clock import now
from voipdown.counting import Count, count_at
from voipdown.tallies.push import parse_instant
from voipdown.timeline import Counter, Timeline
from voipdown.web.errors import Moved, Refusal
from voipdown.web.negotiation import negotiated
from voipdown.web.parameters import BY_NAME, WHOLE_NUMBER, parameters_of
from voipdown.web.state import current_timeline


@dataclass(frozen=True)
class Asked:
    """What a request asks for, validated."""

    endpoint: str
    timeline: Timeline
    language: str
    """The language asked for (`lang` reads it, and notes whether Accept-Language chose it)."""
    values: Mapping[str, str]
    """The route's parameters that were given (not empty), each one of its allowed values."""
    counter: Counter | None = None
    """None for a route about every counter."""
    instant: dt.datetime = field(default_factory=now)
    count: Count | None = field(init=False)
    """The counter's count at `instant`; None for a route about every counter."""

    @property
    def lang(self) -> str:
        """The answer's language; reading it says the answer has words in it, so if
        Accept-Language chose it, the answer varies on it."""
        if "lang" not in self.values:
            negotiated("Accept-Language")
        return self.language

    def __post_init__(self):
        object.__setattr__(self, "count", count_at(self.counter, self.instant) if self.counter else None)

    def value(self, name: str, default: str | None = None) -> str | None:
        if not BY_NAME[name].read_by(self.endpoint):
            raise KeyError(f"{self.endpoint} does not read '{name}' (voipdown/web/parameters.py)")
        return self.values.get(name, default)

    def whole_number(self, name: str, low: int, high: int, default: int) -> int:
        """A free-form whole-number parameter, the one way: ASCII digits only ("²" and "①" are
        digits to `str.isdigit`, not to `int`), from `low` to `high`, else a 400 naming it."""
        raw = self.value(name)
        if raw is None:
            return default
        if not WHOLE_NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
            raise bad_parameter(name, (f"a whole number from {low:,} to {high:,}",), self.language, self.values)
        return int(raw)

    def instant_value(self, name: str) -> dt.datetime | None:
        """A free-form RFC 3339 date-time parameter, the one way (tallies.push.parse_instant:
        strict, and an instant beyond the calendar's ends is no instant), else a 400 naming it."""
        raw = self.value(name)
        if raw is None:
            return None
        instant = parse_instant(raw)
        if instant is None:
            raise bad_parameter(name, ("a real RFC 3339 date-time with its offset",), self.language, self.values)
        return instant


def bad_parameter(name: str, allowed: tuple[str, ...], lang: str | None, values: Mapping[str, str]) -> Refusal:
    """A 400 that says what is allowed and does not repeat what was sent; `values` are the
    parameters found good so far (an error badge keeps the asked style)."""
    message = f"Invalid value for '{name}': use one of {', '.join(allowed)}."
    return Refusal(400, "bad_parameter", message, lang, values, parameter=name)


def _given(endpoint: str, fmt: str | None, timeline: Timeline) -> dict[str, str]:
    """The route's parameters that were given, checked in the table's order."""
    values = {}
    for parameter in parameters_of(endpoint, fmt):
        raw = request.args.get(parameter.name, "")
        if not raw:  # empty means absent, as a form sends it
            continue
        if parameter.names_counter or parameter.free_form:
            # A counter is found (404) or followed (301) after every other parameter; a
            # free-form value (a date, a range) is checked by its route.
            values[parameter.name] = raw
            continue
        allowed = parameter.values(timeline)
        if raw not in allowed:
            raise bad_parameter(parameter.name, allowed, values.get("lang"), values)
        values[parameter.name] = raw
    return values


def resolve(
    endpoint: str,
    slug: str | None = None,
    *,
    fmt: str | None = None,
    address: Callable[[str], dict] = lambda slug: {"slug": slug},
) -> Asked:
    """The counter `slug` (or the one a `counter` parameter names, or none for a route about
    every counter) as `endpoint` asks for it. `address` gives the path's values for a slug
    (for the 301); `fmt` is the image format, for the parameters only one format reads."""
    timeline = current_timeline()
    if BY_NAME["counter"].read_by(endpoint):
        slug = request.args.get("counter") or timeline.default_slug
    counter, is_alias = timeline.find(slug) if slug else (None, False)
    fallback = (counter or timeline.default_counter).default_lang
    values = _given(endpoint, fmt, timeline)
    if slug is not None and counter is None:
        raise Refusal(
            404,
            "unknown_counter",
            "No counter has this name; GET /api/v1/counters lists them.",
            values.get("lang"),
            values,
        )
    if is_alias:
        if "counter" in values:
            location = url_for(endpoint, **{**values, "counter": counter.slug})
        else:
            location = url_for(endpoint, **address(counter.slug), **values)
        raise Moved(location)
    language = values.get("lang") or request.accept_languages.best_match(timeline.site.languages) or fallback
    return Asked(endpoint, timeline, language, values, counter)


def resolve_default(endpoint: str) -> Asked:
    """A route about the default counter (`/`, `/feed.atom`, the badge gallery)."""
    return resolve(endpoint, current_timeline().default_slug)
