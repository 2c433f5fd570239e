"""The server-side cache (flask-caching; in-process unless configured otherwise).

What a counter says changes once a day, so it is kept per local date and timeline
version: a new day or an edited timeline simply makes new keys, and old ones expire.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_caching import Cache

from voipdown.counting import Count
from voipdown.timeline import Counter

cache = Cache()
log = logging.getLogger(__name__)

DAY_SECONDS = 86_400


def texts_of_the_day(
    kind: str, counter: Counter, count: Count, lang: str, version: str, build: Callable[[Counter, Count, str], dict]
) -> dict:
    """`build(counter, count, lang)`, computed once per counter, language, local date and timeline version.

    Every part of the key is canonical (a known slug, a supported language, a date, a
    hash), so no request can grow the key space."""
    key = f"{kind}:{counter.slug}:{lang}:{count.as_of.isoformat()}:{version}"
    return dict(cached(key, lambda: build(counter, count, lang), DAY_SECONDS))


class CacheHealth:
    """Whether the cache answers. After a failure it is left alone for a few seconds, so
    that a dead or slow Redis costs one timeout now and then, not one per request."""

    PAUSE = 5.0

    def __init__(self) -> None:
        self.error: str | None = None
        self._paused_until = 0.0
        self._failed_at = float("-inf")

    @property
    def usable(self) -> bool:
        return time.monotonic() >= self._paused_until

    def failed(self, error: Exception) -> None:
        if self.error is None:
            log.error("cache unavailable, serving uncached: %s", error)
        self.error = f"{type(error).__name__}: {error}"
        self._failed_at = time.monotonic()
        self._paused_until = self._failed_at + self.PAUSE

    def answered(self, asked_at: float) -> None:
        """The cache answered a call made at `asked_at` (monotonic). A call that began before
        the last failure says nothing of now: with threads, it may finish after the failure."""
        if asked_at <= self._failed_at:
            return
        if self.error is not None:
            log.info("cache available again")
        self.error = None


def cache_health() -> CacheHealth:
    return current_app.extensions["voipdown_cache_health"]


def cached(key: str, build: Callable[[], Any], timeout: int) -> Any:
    """The value stored under `key`, built and stored first if absent; if the cache fails,
    the value is built and served anyway.

    Keys are made by the views from canonical values only (validated parameters, known
    slugs, dates, hashes), never from raw request text, so the key space is bounded."""
    health = cache_health()
    if not health.usable:
        return build()
    asked_at = time.monotonic()
    try:
        value = cache.get(key)
    except Exception as error:  # the cache's client raises its own kinds
        health.failed(error)
        return build()
    if value is not None:
        health.answered(asked_at)
        return value
    value = build()
    asked_at = time.monotonic()
    try:
        cache.set(key, value, timeout=timeout)
        health.answered(asked_at)
    except Exception as error:
        health.failed(error)
    return value
