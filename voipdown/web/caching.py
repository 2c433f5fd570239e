"""The server-side cache (flask-caching; in-process unless configured otherwise).

What a counter says changes once a day, so it is kept per local date and timeline
version: a new day or an edited timeline simply makes new keys, and old ones expire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_caching import Cache

from voipdown.counting import Count
from voipdown.timeline import Counter

cache = Cache()

DAY_SECONDS = 86_400


def texts_of_the_day(
    kind: str, counter: Counter, count: Count, lang: str, version: str, build: Callable[[Counter, Count, str], dict]
) -> dict:
    """`build(counter, count, lang)`, computed once per counter, language, local date and timeline version.

    Every part of the key is canonical (a known slug, a supported language, a date, a
    hash), so no request can grow the key space."""
    key = f"{kind}:{counter.slug}:{lang}:{count.as_of.isoformat()}:{version}"
    return dict(cached(key, lambda: build(counter, count, lang), DAY_SECONDS))


def cached(key: str, build: Callable[[], Any], timeout: int) -> Any:
    """The value stored under `key`, built and stored first if absent.

    Keys are made by the views from canonical values only (validated parameters, known
    slugs, dates, hashes), never from raw request text, so the key space is bounded."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=timeout)
    return value
