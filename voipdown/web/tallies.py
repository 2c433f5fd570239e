"""Tallies in the JSON API: `/api/v1/counters/<slug>/tallies` and `.../tallies/<name>`.

Answers live for the tally's interval (a closed tally's, an hour). A push may change them
at any moment: each worker reads a tally's version in the store at most every half second
(VERSION_TTL), reads its samples again only when the version moved, and replays its
answers for that half second only; a push it takes itself shows at once. While the store
cannot be read, an answer is made from the timeline's samples and the last stored ones
this worker saw, and says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, replace

from flask import Blueprint, Response, current_app, jsonify, request

from voipdown.clock import now
from voipdown.render.styles import PALETTE, TALLY_COLOR
from voipdown.summary import describe_tally
from voipdown.tallies import RATE_WINDOWS, downsample, from_ms, series, shown, summarize
from voipdown.tally_push import (
    MAX_BYTES,
    MAX_SAMPLES,
    BadBody,
    BadSample,
    TooMany,
    checked,
    parse_csv,
    parse_instant,
    parse_json,
)
from voipdown.tally_store import Conflict, StoreUnavailable
from voipdown.tally_tokens import token_matches
from voipdown.timeline import Counter, Tally
from voipdown.web.errors import Refusal
from voipdown.web.freshness import MAX_LIFETIME, cache_for, conditional, replay_briefly
from voipdown.web.links import absolute
from voipdown.web.resolver import Asked, bad_parameter, resolve
from voipdown.web.state import served, service

blueprint = Blueprint("tallies", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


VERSION_TTL = 0.5
"""Seconds a worker trusts the store's version of a tally before reading it again: every
worker serves a new sample within this (plus the answer's own lifetime in caches)."""


@dataclass(frozen=True)
class Seen:
    """What this worker last read of a tally's version in the store."""

    version: int
    changed: dt.datetime | None
    """The store's last write to the tally; None before the first."""
    read_at: float
    written: int
    """This worker's last write to the tally when the version was read (see _wrote)."""


def store_version(counter: Counter, tally: Tally) -> Seen | None:
    """The tally's version in the store, read at most every VERSION_TTL seconds per worker;
    None while the store cannot be read."""
    state, key = service(), (counter.slug, tally.name)
    known = state.tally_versions.get(key)
    moment = time.monotonic()
    written = state.tally_writes.get(key, 0)
    if known is not None and moment - known.read_at < VERSION_TTL and known.written == written:
        return known
    try:
        version, changed_ms = state.tally_store.version(counter.slug, tally.name)
    except StoreUnavailable:
        return None
    seen = Seen(version, from_ms(changed_ms) if changed_ms else None, moment, written)
    state.tally_versions[key] = seen  # one assignment: atomic under the GIL
    return seen


def _wrote(counter: Counter, tally: Tally) -> None:
    """This worker wrote to the tally: its next read of the version goes to the store, and the
    tally answers it keeps to replay are dropped (a push's answer, and this worker's next
    answers, show the push at once)."""
    state = service()
    # A new stamp, unique (itertools.count is thread-safe): a version read before this write,
    # even one stored after it by a slower thread, is not trusted any more.
    state.tally_writes[(counter.slug, tally.name)] = next(state.write_stamps)
    replay = current_app.extensions.get("voipdown_replay")
    if replay is not None:
        replay.forget_brief()


def _remembered(counter: Counter, tally: Tally, read, kind: str) -> tuple[int, list[tuple[int, int]], bool]:
    """`read(store)` -> (how many are stored, the samples read), read again only when the
    tally's version moved; while the store fails, the last samples this worker read of the
    tally the same way (`kind`). Whether the store answered, last."""
    key = (counter.slug, tally.name, kind)
    state = service()
    last = state.last_tally_samples.get(key)
    seen = store_version(counter, tally)
    if seen is None:
        return (last[1], last[2], False) if last else (0, [], False)
    if last is not None and last[0] == seen.version:
        return last[1], last[2], True
    try:
        count, samples = read(state.tally_store)  # read after the version: never older than it
    except StoreUnavailable:
        return (last[1], last[2], False) if last else (0, [], False)
    state.last_tally_samples[key] = (seen.version, count, samples)
    return count, samples, True


def stored_samples(counter: Counter, tally: Tally) -> tuple[list[tuple[int, int]], bool]:
    """Every stored sample of a tally, and whether the store answered."""

    def every(store):
        samples = store.samples(counter.slug, tally.name)
        return len(samples), samples

    _, samples, current = _remembered(counter, tally, every, "every")
    return samples, current


def summary_points(counter: Counter, tally: Tally) -> tuple[list, int, bool]:
    """The points a summary needs (the earliest, the latest, the earliest of each rate's
    window), how many samples the series holds, and whether the store answered."""
    windows = [seconds * 1000 for seconds in RATE_WINDOWS.values()]
    count, stored, current = _remembered(
        counter, tally, lambda store: store.summary_samples(counter.slug, tally.name, windows), "summary"
    )
    return series(counter, tally, stored), len(tally.samples) + count, current


def latest_value(counter: Counter, tally: Tally) -> tuple[int | None, bool]:
    """The tally's latest value (None before its first sample), and whether the store answered."""
    points, _, current = summary_points(counter, tally)
    return (points[-1].value if points else None), current


def _body(asked: Asked, tally: Tally) -> dict:
    points, count, current = summary_points(asked.counter, tally)
    summary = replace(summarize(asked.counter, tally, points, asked.instant), samples=count)
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
    bodies = [_body(asked, tally) for tally in tallies]
    answered = not any("store" in body for body in bodies)
    return cached_answer(jsonify(tallies=bodies), asked.counter, *tallies, store_answered=answered)


@blueprint.get("/counters/<slug>/tallies/<name>")
def show_tally(slug: str, name: str):
    asked, tally = asked_tally(slug, name, "tallies.show_tally")
    body = _body(asked, tally)
    return cached_answer(jsonify(body), asked.counter, tally, store_answered="store" not in body)


# Writing: pushes from a maintainer's script, with the tally's token.

PUSH_TYPES = {"application/json": parse_json, "text/csv": parse_csv}


def _writable(slug: str, name: str, endpoint: str) -> tuple[Asked, Tally]:
    """The tally written to, in the order the API promises: unknown tally (404), then the
    token (401, or 403 for a tally closed to pushes), before anything of the body is read."""
    asked, tally = asked_tally(slug, name, endpoint)
    if tally.closed:
        raise Refusal(403, "pushes_disabled", "This tally takes no pushes: its timeline entry has no token_sha256.")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token_matches(token.strip(), tally.token_sha256):
        raise Refusal(
            401,
            "unauthorized",
            "A push needs the tally's token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="voipdown"'},
        )
    return asked, tally


def _store_failed(error: Exception) -> Refusal:
    log.error("tally store unavailable: %s", error)
    return Refusal(
        503,
        "store_unavailable",
        "The samples could not be stored; nothing was. Try again.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@blueprint.post("/counters/<slug>/tallies/<name>/samples")
def push_samples(slug: str, name: str):
    asked, tally = _writable(slug, name, "tallies.push_samples")
    parse = PUSH_TYPES.get(request.mimetype)
    if parse is None:
        raise Refusal(415, "unsupported_media_type", "Send application/json or text/csv.")
    too_large = Refusal(413, "too_large", f"At most {MAX_BYTES // 1024} KiB and {MAX_SAMPLES:,} samples a request.")
    if (request.content_length or 0) > MAX_BYTES:
        raise too_large
    data = request.stream.read(MAX_BYTES + 1)  # however the length was announced, no more is read
    if len(data) > MAX_BYTES:
        raise too_large
    instant = now()
    instant = instant.replace(microsecond=instant.microsecond // 1000 * 1000)  # kept to the millisecond
    try:
        samples = checked(tally, asked.counter.timezone, parse(data), instant)
    except TooMany:
        raise too_large from None
    except BadBody as error:
        raise Refusal(400, "bad_body", error.why) from None
    except BadSample as error:
        raise Refusal(400, "bad_sample", error.why, details={"index": error.index, "field": error.field}) from None
    try:
        stored = service().tally_store.add(asked.counter.slug, tally.name, samples)
    except Conflict as error:
        message = "A sample at this instant is already stored with another value; DELETE it first to correct it."
        raise Refusal(409, "conflicting_sample", message, details={"index": error.index}) from None
    except StoreUnavailable as error:
        raise _store_failed(error) from None
    _wrote(asked.counter, tally)
    body = {"accepted": stored.accepted, "duplicates": stored.duplicates, "tally": _body(asked, tally)}
    response = jsonify(body)
    response.status_code = 201 if stored.accepted else 200
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.delete("/counters/<slug>/tallies/<name>/samples")
def delete_sample(slug: str, name: str):
    asked, tally = _writable(slug, name, "tallies.delete_sample")
    try:
        ((at_ms, _),) = checked(tally, asked.counter.timezone, [(0, asked.value("at") or "", 0)], now())
    except BadSample as error:
        raise Refusal(400, "bad_parameter", f"Invalid value for 'at': {error.why}.", parameter="at") from None
    try:
        removed = service().tally_store.remove(asked.counter.slug, tally.name, at_ms)
    except StoreUnavailable as error:
        raise _store_failed(error) from None
    _wrote(asked.counter, tally)
    if not removed:
        raise Refusal(404, "unknown_sample", "No pushed sample is stored at this instant.")
    return Response(status=204, headers={"Cache-Control": "no-store"})


# The samples themselves.

DEFAULT_POINTS = 500
MAX_POINTS = 2_000


def asked_tally(slug: str, name: str, endpoint: str) -> tuple[Asked, Tally]:
    asked = resolve(endpoint, slug, address=lambda slug: {"slug": slug, "name": name})
    tally = asked.counter.tallies.get(name)
    if tally is None:
        raise Refusal(404, "unknown_tally", "This counter has no tally of this name; GET …/tallies lists them.")
    return asked, tally


def _instant(asked: Asked, name: str):
    raw = asked.value(name)
    if raw is None:
        return None
    instant = parse_instant(raw)
    if instant is None:
        raise bad_parameter(name, ("a real RFC 3339 date-time with its offset",), None, asked.values)
    return instant


def _window(asked: Asked, tally: Tally) -> list:
    since, until = _instant(asked, "since"), _instant(asked, "until")
    stored, _ = stored_samples(asked.counter, tally)
    return [
        point
        for point in series(asked.counter, tally, stored)
        if (since is None or point.instant >= since) and (until is None or point.instant <= until)
    ]


def last_change(counter: Counter, *tallies: Tally) -> dt.datetime:
    """When what is said of `tallies` last changed: the timeline's edit or the store's last write."""
    changes = [seen.changed for tally in tallies if (seen := store_version(counter, tally)) and seen.changed]
    return max([served().modified, *changes])


UNAVAILABLE_LIFETIME = 5
"""Seconds an answer made while the store cannot be read may be kept: it is made again soon."""


def cached_answer(response, counter: Counter, *tallies: Tally, store_answered: bool = True):
    """Every tally answer (JSON, CSV, badge, chart): kept for the shortest interval of `tallies`
    (an hour if all are closed; a few seconds if made without the store), with an ETag and
    Last-Modified, and replayed by this worker for VERSION_TTL."""
    lifetime = _lifetime(tallies)
    cache_for(response, lifetime if store_answered else UNAVAILABLE_LIFETIME, stale=lifetime)
    return replay_briefly(conditional(response, last_change(counter, *tallies)), VERSION_TTL)


@blueprint.get("/counters/<slug>/tallies/<name>/samples")
def samples(slug: str, name: str):
    asked, tally = asked_tally(slug, name, "tallies.samples")
    raw_points = asked.value("points")
    if raw_points is not None and (not raw_points.isdigit() or not 1 <= int(raw_points) <= MAX_POINTS):
        raise bad_parameter("points", (f"a whole number from 1 to {MAX_POINTS:,}",), None, asked.values)
    limit = int(raw_points) if raw_points else DEFAULT_POINTS
    points = _window(asked, tally)
    kept = downsample(points, limit)
    items = []
    for point in kept:
        item = {"at": shown(point.at), "value": point.value}
        if point.source is not None:
            item["source"] = {"name": point.source.name, **({"url": point.source.url} if point.source.url else {})}
        items.append(item)
    return cached_answer(jsonify(samples=items, downsampled=len(kept) < len(points)), asked.counter, tally)


@blueprint.get("/counters/<slug>/tallies/<name>/samples.csv")
def samples_csv(slug: str, name: str):
    asked, tally = asked_tally(slug, name, "tallies.samples_csv")
    rows = ["at,value"] + [f"{shown(point.at)},{point.value}" for point in _window(asked, tally)]
    response = Response("\n".join(rows) + "\n", content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{asked.counter.slug}-{tally.name}.csv"'
    return cached_answer(response, asked.counter, tally)


@blueprint.get("/counters/<slug>/tallies/<name>/shields.json")
def shields(slug: str, name: str):
    asked, tally = asked_tally(slug, name, "tallies.shields")
    body = _body(asked, tally)
    return cached_answer(
        jsonify(schemaVersion=1, label=body["label"], message=body["message"], color=PALETTE[TALLY_COLOR]),
        asked.counter,
        tally,
    )
