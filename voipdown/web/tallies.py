"""Tallies in the JSON API: `/api/v1/counters/<slug>/tallies`, `.../tallies/<name>`, its
samples (JSON, CSV, shields) and pushes.

Views only: what a tally holds comes from the worker's TallyReader (voipdown/tallies/reader.py)
and how an answer is kept from web/tally_answers.py. While the store cannot be read, an
answer is made from the timeline's samples and the last stored ones this worker saw, says
so (`store`), and lives a few seconds.
"""

from __future__ import annotations

import hashlib
import itertools
import logging

from flask import Blueprint, Response, jsonify, request, stream_with_context

from voipdown.clock import now
from voipdown.palette import PALETTE, TALLY_COLOR
from voipdown.summary import describe_tally
from voipdown.tallies.model import Tally, shown, to_ms
from voipdown.tallies.push import (
    MAX_BYTES,
    MAX_SAMPLES,
    BadBody,
    BadSample,
    Sent,
    TooMany,
    checked,
    parse_csv,
    parse_json,
)
from voipdown.tallies.reader import STREAM_CHUNK, TallyReading
from voipdown.tallies.store.protocol import Conflict, StoreUnavailable
from voipdown.tallies.tokens import token_matches
from voipdown.web.bodies import read_body
from voipdown.web.errors import Refusal
from voipdown.web.links import absolute
from voipdown.web.resolver import Asked, resolve
from voipdown.web.slots import RETRY_AFTER_SECONDS, WRITE, long_read, slot, take_long_read
from voipdown.web.tally_answers import asked_tally, reader, tally_answer

blueprint = Blueprint("tallies", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)
STORE_UNAVAILABLE = "unavailable: the timeline's samples and the last stored ones this worker saw"


def _body(asked: Asked, tally: Tally, reading: TallyReading) -> dict:
    body = describe_tally(asked.counter, tally, reading.summary, asked.lang, reading.collect)
    body["links"] = {
        "self": absolute("tallies.show_tally", slug=asked.counter.slug, name=tally.name, lang=asked.lang),
        "counter": absolute("api.show_counter", slug=asked.counter.slug, lang=asked.lang),
    }
    if not reading.store_answered:
        body["store"] = STORE_UNAVAILABLE
    return body


@blueprint.get("/counters/<slug>/tallies")
def list_tallies(slug: str):
    asked = resolve("tallies.list_tallies", slug)
    tallies = list(asked.counter.tallies.values())
    readings = [reader().summary(tally, asked.instant) for tally in tallies]
    bodies = [_body(asked, tally, reading) for tally, reading in zip(tallies, readings, strict=True)]
    return tally_answer(jsonify(tallies=bodies), readings, *tallies)


@blueprint.get("/counters/<slug>/tallies/<name>")
def show_tally(slug: str, name: str):
    asked, tally = asked_tally(slug, name, "tallies.show_tally")
    reading = reader().summary(tally, asked.instant)
    return tally_answer(jsonify(_body(asked, tally, reading)), [reading], tally)


# Writing: pushes from a maintainer's script, with the tally's token.

PUSH_TYPES = {"application/json": parse_json, "text/csv": parse_csv}


def _writable(slug: str, name: str, endpoint: str) -> tuple[Asked, Tally]:
    """The tally written to, in the order the API promises: unknown tally (404), then the
    token (401, or 403 for a tally closed to pushes), before anything of the body is read."""
    asked, tally = asked_tally(slug, name, endpoint)
    if not tally.pushable:
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
    if request.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        raise Refusal(415, "unsupported_media_type", "Send the body as it is, without a Content-Encoding.")
    if (request.content_length or 0) > MAX_BYTES:
        raise _too_large()
    with slot(WRITE):  # the body is read, and the store written, in one of the worker's few write slots
        return _push(asked, tally, parse)


def _too_large() -> Refusal:
    return Refusal(413, "too_large", f"At most {MAX_BYTES // 1024} KiB and {MAX_SAMPLES:,} samples a request.")


def _push(asked: Asked, tally: Tally, parse) -> Response:
    too_large = _too_large()
    data = read_body(MAX_BYTES)  # however the length was announced, no more is read
    if len(data) > MAX_BYTES:
        raise too_large
    instant = now()
    instant = instant.replace(microsecond=instant.microsecond // 1000 * 1000)  # kept to the millisecond
    try:
        samples = checked(tally, parse(data), instant)
    except TooMany:
        raise too_large from None
    except BadBody as error:
        raise Refusal(400, "bad_body", error.why) from None
    except BadSample as error:
        raise Refusal(400, "bad_sample", error.why, details={"index": error.index, "field": error.field}) from None
    _plausible(tally, samples, asked)
    try:
        stored = reader().store.add(*tally.key, samples)
    except Conflict as error:
        message = "A sample at this instant is already stored with another value; DELETE it first to correct it."
        raise Refusal(409, "conflicting_sample", message, details={"index": error.index}) from None
    except StoreUnavailable as error:
        raise _store_failed(error) from None
    reader().wrote(tally)
    reading = reader().summary(tally, asked.instant)
    body = {"accepted": stored.accepted, "duplicates": stored.duplicates, "tally": _body(asked, tally, reading)}
    response = jsonify(body)
    response.status_code = 201 if stored.accepted else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def _plausible(tally: Tally, samples, asked: Asked) -> None:
    """A count that should not fall (its collect table's `monotonic`): a pushed sample later
    than the latest that falls by more than `max_drop` is refused, as a collected one is kept out."""
    collect = tally.collect
    if collect is None or not collect.monotonic:
        return
    latest = reader().summary(tally, asked.instant).summary.latest
    if latest is None:
        return
    for index, sample in enumerate(samples):
        if sample.at_ms > to_ms(latest.instant) and sample.value < latest.value - collect.max_drop:
            message = f"The value falls by more than {collect.max_drop:,} from the latest: this count should not fall."
            raise Refusal(409, "implausible_value", message, details={"index": index})


@blueprint.delete("/counters/<slug>/tallies/<name>/samples")
def delete_sample(slug: str, name: str):
    asked, tally = _writable(slug, name, "tallies.delete_sample")
    with slot(WRITE):
        return _delete(asked, tally)


def _delete(asked: Asked, tally: Tally) -> Response:
    try:
        (sample,) = checked(tally, [Sent(0, asked.value("at") or "", 0)], now())
    except BadSample as error:
        raise Refusal(400, "bad_parameter", f"Invalid value for 'at': {error.why}.", parameter="at") from None
    try:
        removed = reader().store.remove(*tally.key, sample.at_ms)
    except StoreUnavailable as error:
        raise _store_failed(error) from None
    reader().wrote(tally)
    if not removed:
        raise Refusal(404, "unknown_sample", "No pushed sample is stored at this instant.")
    return Response(status=204, headers={"Cache-Control": "no-store"})


# The samples themselves.

DEFAULT_POINTS = 500
MAX_POINTS = 2_000


@blueprint.get("/counters/<slug>/tallies/<name>/samples")
def samples(slug: str, name: str):
    asked, tally = asked_tally(slug, name, "tallies.samples")
    limit = asked.whole_number("points", 1, MAX_POINTS, DEFAULT_POINTS)
    since, until = asked.instant_value("since"), asked.instant_value("until")
    gate = long_read(reader().state(tally).count)
    reading = reader().thinned(tally, since, until, limit, gate=gate)
    items = []
    for point in reading.points:
        item = {"at": shown(point.at), "value": point.value}
        if point.source is not None:
            item["source"] = {"name": point.source.name, **({"url": point.source.url} if point.source.url else {})}
        items.append(item)
    body = jsonify(samples=items, downsampled=len(reading.points) < reading.window_count)
    return tally_answer(body, [reading], tally)


@blueprint.get("/counters/<slug>/tallies/<name>/samples.csv")
def samples_csv(slug: str, name: str):
    """Every sample of the window in the format a push takes; a long one streamed from the
    store in chunks (a tally of any size in bounded memory)."""
    asked, tally = asked_tally(slug, name, "tallies.samples_csv")
    since, until = asked.instant_value("since"), asked.instant_value("until")
    # Held until the last line is sent: a slow reader of a long CSV holds no other thread.
    release = take_long_read(reader().state(tally).count)
    try:
        stream = reader().stream(tally, since, until)
        chunks = _csv_chunks(stream.points)
        head = next(chunks)
    except BaseException:
        release()
        raise
    if len(head) < STREAM_CHUNK:  # the whole answer in hand: sent as any other (compressed, its own ETag)
        release()
        response = Response("at,value\n" + "".join(head), content_type="text/csv; charset=utf-8")
    else:
        lines = itertools.chain(["at,value\n", "".join(head)], ("".join(chunk) for chunk in chunks), _ran(release))
        response = Response(stream_with_context(lines), content_type="text/csv; charset=utf-8")
        response.call_on_close(release)  # a client gone before the end
        # Its bytes follow from the store's version, the timeline's and the window: so does its ETag.
        key = f"{stream.reading.version}|{asked.timeline.version}|{'/'.join(tally.key)}|{since}|{until}"
        response.set_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
    response.headers["Content-Disposition"] = f'attachment; filename="{asked.counter.slug}-{tally.name}.csv"'
    answer = tally_answer(response, [stream.reading], tally)
    if answer.status_code == 304:  # nothing of it will be read
        release()
    return answer


def _ran(then):
    """Nothing, and `then()` once what comes before it has been sent."""
    then()
    yield from ()


def _csv_chunks(points):
    """Lists of CSV lines, STREAM_CHUNK at a time (a write a line would cost more than the
    lines); the first may be empty, none after it is. Every `at` is an instant, a day's the one
    it begins at in the counter's zone: a bare date would be read as UTC midnight, and refused
    by a push."""

    def chunk() -> list[str]:
        return [f"{shown(point.instant)},{point.value}\n" for point in itertools.islice(points, STREAM_CHUNK)]

    yield chunk()
    while lines := chunk():
        yield lines


@blueprint.get("/counters/<slug>/tallies/<name>/shields.json")
def shields(slug: str, name: str):
    asked, tally = asked_tally(slug, name, "tallies.shields")
    reading = reader().summary(tally, asked.instant)
    body = _body(asked, tally, reading)
    return tally_answer(
        jsonify(schemaVersion=1, label=body["label"], message=body["message"], color=PALETTE[TALLY_COLOR]),
        [reading],
        tally,
    )
