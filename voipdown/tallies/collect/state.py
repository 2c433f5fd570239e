"""What the store keeps of a tally's collecting, shared by every worker of every host: the
last success and error, the next attempt (a failing source's back-off), and the source's
validators, written by the worker that held the interval's lease.

Kept as one small JSON text beside the tally's version (the store knows only the text).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, replace

from voipdown.tallies.collect.spec import LIMITS, Collect


@dataclass(frozen=True)
class LastError:
    kind: str
    """One of extract.KINDS."""
    at_ms: int


@dataclass(frozen=True)
class CollectState:
    first_ms: int | None = None
    """The first collected sample's instant: "collected since"."""
    last_success_ms: int | None = None
    last_value: int | None = None
    last_error: LastError | None = None
    failures: int = 0
    """Failed rounds since the last success: the back-off's exponent."""
    next_ms: int = 0
    """No round before this instant (ms since the epoch)."""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def state(self) -> str:
        """pending (never collected), ok, or failing (its figures may be behind)."""
        if self.failures:
            return "failing"
        return "ok" if self.last_success_ms is not None else "pending"

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | None) -> CollectState:
        """The stored state; a fresh one when there is none, or when it cannot be read (a
        state written by another version: the next round writes it again)."""
        if not text:
            return cls()
        try:
            found = json.loads(text)
            error = found.pop("last_error", None)
            return cls(**found, last_error=LastError(**error) if error else None)
        except (ValueError, TypeError):
            return cls()

    def succeeded(self, at_ms: int, value: int, etag: str | None, last_modified: str | None, collect: Collect):
        return replace(
            self,
            first_ms=self.first_ms if self.first_ms is not None else at_ms,
            last_success_ms=at_ms,
            last_value=value,
            failures=0,
            next_ms=next_interval(at_ms, collect.every),
            etag=etag,
            last_modified=last_modified,
        )

    def failed(self, at_ms: int, kind: str, collect: Collect, retry_after: float | None = None) -> CollectState:
        """Back off: the next attempt after twice the wait of the last, from one interval up to
        LIMITS.max_backoff intervals, a tenth either way at random (so that tallies failing at
        once do not all come back in the same interval), no sooner than the source's
        Retry-After; at the start of an interval, as every round is (so that a source is never
        asked twice within half an interval)."""
        failures = self.failures + 1
        intervals = min(2 ** (failures - 1), LIMITS.max_backoff)
        wait_ms = intervals * collect.every * 1000 * random.uniform(0.9, 1.1)
        if retry_after is not None:
            wait_ms = max(wait_ms, min(retry_after, LIMITS.max_retry_after) * 1000)
        next_ms = interval_start_at_or_after(at_ms + round(wait_ms), collect.every)
        return replace(self, last_error=LastError(kind, at_ms), failures=failures, next_ms=next_ms)


def next_interval(at_ms: int, every: int) -> int:
    """The start of the interval after the one `at_ms` is in (intervals are aligned on the
    epoch, so every worker of every host counts the same ones)."""
    span = every * 1000
    return (at_ms // span + 1) * span


def interval_start_at_or_after(at_ms: int, every: int) -> int:
    span = every * 1000
    return -(-at_ms // span) * span


def interval_of(at_ms: int, every: int) -> int:
    """The number of the interval `at_ms` is in: what a lease is taken for."""
    return at_ms // (every * 1000)
