"""What the service says about one counter at one instant, in one language.

The JSON API, the CLI and (later) the badges and pages all start from this one
dictionary, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from voipdown.counting import Count, count_at
from voipdown.isolation import isolate
from voipdown.languages import language
from voipdown.palette import PALETTE, STATUS_COLORS
from voipdown.tallies.collect.state import CollectState
from voipdown.tallies.model import Tally, from_ms, shown
from voipdown.tallies.series import Summary
from voipdown.texts import count_message, tally_message
from voipdown.timeline import Counter


def describe(counter: Counter, instant: dt.datetime, lang: str) -> dict[str, Any]:
    """The counter's state at `instant`, with its texts in `lang`."""
    count = count_at(counter, instant)
    return describe_count(counter, count, lang)


def describe_count(counter: Counter, count: Count, lang: str) -> dict[str, Any]:
    title = isolate(counter.title_in(lang), lang)  # plain text: Latin runs isolated in Arabic
    return {
        "slug": counter.slug,
        "status": count.status.value,
        "days": count.days,
        "start": counter.start.isoformat(),
        "end": counter.end.isoformat() if counter.end else None,
        "timezone": counter.timezone,
        "as_of": count.as_of.isoformat(),
        "next_change": count.next_change.isoformat() if count.next_change else None,
        "lang": lang,
        "dir": language(lang).direction,
        "label": title,
        "message": isolate(count_message(counter, count, lang), lang),
        "title": title,
        "url": counter.url,
    }


def describe_collect(tally: Tally, state: CollectState | None) -> dict[str, Any]:
    """Where a collected tally's figures come from and how its collecting goes: a `state`
    (pending, ok, failing), its last success and error, and when it is asked next."""
    state = state or CollectState()
    error = state.last_error
    return {
        "source": tally.collect.host,
        "every": tally.collect.every,
        "state": state.state,
        "since": shown(from_ms(state.first_ms)) if state.first_ms is not None else None,
        "last_success": shown(from_ms(state.last_success_ms)) if state.last_success_ms is not None else None,
        "last_error": {"kind": error.kind, "at": shown(from_ms(error.at_ms))} if error else None,
        "next": shown(from_ms(state.next_ms)) if state.next_ms else None,
    }


def describe_tally(
    counter: Counter, tally: Tally, summary: Summary, lang: str, collect: CollectState | None = None
) -> dict[str, Any]:
    """A tally's state, with its texts in `lang`: what the tally JSON says (and, for a tally
    the service collects, how its collecting goes)."""
    title = isolate(tally.title_in(lang), lang)
    latest = summary.latest
    value = latest.value if latest else None
    return {
        "slug": tally.name,
        "counter": counter.slug,
        "title": title,
        "url": tally.url,
        "unit": tally.unit,
        "value": value,
        "at": shown(latest.at) if latest else None,
        "at_precision": latest.precision if latest else None,
        "start": shown(tally.start),
        "change": summary.change,
        "rate_per_minute": summary.rate_per_minute,
        "rate_per_hour": summary.rate_per_hour,
        "samples": summary.samples,
        "interval": tally.interval,
        "closed": tally.closed,
        "stale": summary.stale,
        "lang": lang,
        "dir": language(lang).direction,
        "label": title,
        "message": isolate(tally_message(value, tally.unit, lang, tally.locale_in(lang)), lang),
        **({"collect": describe_collect(tally, collect)} if tally.collect else {}),
    }


def shields_endpoint(counter: Counter, count: Count, lang: str) -> dict[str, Any]:
    """shields.io's endpoint-badge schema, so a shields.io badge can show our count."""
    return {
        "schemaVersion": 1,
        "label": counter.title_in(lang),
        "message": count_message(counter, count, lang),
        "color": PALETTE[STATUS_COLORS[count.status.value].badge],  # the colour of our own badge
    }
