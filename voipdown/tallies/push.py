"""Reading a push: the samples of a POST body, checked one by one, never echoed.

JSON (`{"value": 123}`, `{"at": "...", "value": 123}` or `{"samples": [...]}`) or CSV
(the header `at,value`, LF or CRLF, no quoting: what samples.csv writes), each with an
optional UTF-8 BOM (as some editors and PowerShell write).
`at` is RFC 3339 with an offset, compared as an instant; values are whole numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from voipdown.tallies.model import MAX_SAMPLE_VALUE, StoredSample, Tally, to_ms

MAX_SAMPLES = 1_000
MAX_BYTES = 256 * 1024
MAX_AHEAD = dt.timedelta(minutes=5)
_INTEGER = re.compile(r"^-?[0-9]{1,16}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Sent:
    """One sample as the body gave it, not checked yet."""

    index: int
    at: object
    """None when the push gave no instant (then: now)."""
    value: object


class BadBody(Exception):
    """The body cannot be read at all (not JSON, not CSV with its header)."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


class BadSample(Exception):
    """Sample `index` has a bad `field`; `why` is ours, never the sent value."""

    def __init__(self, index: int, field: str, why: str):
        super().__init__(index, field, why)
        self.index, self.field, self.why = index, field, why


class TooMany(Exception):
    """More than MAX_SAMPLES samples."""


def parse_json(data: bytes) -> list[Sent]:
    """The samples as sent, from a JSON body."""
    try:
        document = json.loads(data.decode("utf-8").removeprefix("\ufeff"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadBody("the body is not JSON") from None
    if not isinstance(document, dict):
        raise BadBody('the body must be an object: {"value": ...}, {"at": ..., "value": ...} or {"samples": [...]}')
    if "samples" in document:
        if set(document) != {"samples"} or not isinstance(document["samples"], list):
            raise BadBody('"samples" must be the only key, and a list')
        items = document["samples"]
    else:
        items = [document]
    if len(items) > MAX_SAMPLES:
        raise TooMany()
    samples = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadSample(index, "sample", 'each sample must be an object {"at": ..., "value": ...}')
        unknown = sorted(set(item) - {"at", "value"})
        if unknown:
            raise BadSample(index, "sample", "unknown field (a sample has only at and value)")
        if "value" not in item:
            raise BadSample(index, "value", "missing")
        if "at" in item and not isinstance(item["at"], str):
            raise BadSample(index, "at", "must be an RFC 3339 date-time with its offset, as a string")
        if "at" not in item and "samples" in document:
            raise BadSample(index, "at", "missing: each sample of a list has its own instant")
        samples.append(Sent(index, item.get("at"), item["value"]))
    return samples


def _no_constant(name: str):
    raise ValueError("NaN and Infinity are not numbers here")


def parse_csv(data: bytes) -> list[Sent]:
    """The samples as sent, from a CSV body with the header `at,value`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8") from None
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "at,value":
        raise BadBody("the first line must be the header at,value")
    rows = lines[1:]
    if len(rows) > MAX_SAMPLES:
        raise TooMany()
    samples = []
    for index, row in enumerate(rows):
        parts = row.split(",")
        if len(parts) != 2 or '"' in row:
            raise BadSample(index, "sample", "each line is at,value, without quotes")
        raw_value = parts[1].strip()
        value = int(raw_value) if _INTEGER.match(raw_value) else raw_value
        if not parts[0].strip():
            raise BadSample(index, "at", "missing: each line has its instant")
        samples.append(Sent(index, parts[0].strip(), value))
    return samples


def parse_instant(raw: str) -> dt.datetime | None:
    """An RFC 3339 date-time with its offset, in UTC; None if it is not one (or not a real one)."""
    if not RFC3339.match(raw):
        return None
    try:
        instant = dt.datetime.fromisoformat(raw.replace("z", "Z").replace("t", "T")).astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):  # no such day; or, with its offset, before year 1 or after 9999
        return None
    if instant.year in (dt.MINYEAR, dt.MAXYEAR):
        return None  # a day from the calendar's ends: nothing is measured there, and arithmetic would overflow
    return instant


def checked(tally: Tally, sent: list[Sent], now: dt.datetime) -> list[StoredSample]:
    """Each sample as the store keeps it, or BadSample for the first bad one."""
    start = tally.started
    result = []
    for index, at, value in ((item.index, item.at, item.value) for item in sent):
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadSample(index, "value", "must be a whole number (not a string, a boolean or a decimal)")
        if abs(value) > MAX_SAMPLE_VALUE:
            raise BadSample(index, "value", f"must be at most {MAX_SAMPLE_VALUE:,} in size")
        instant = now if at is None else parse_instant(at) if isinstance(at, str) else None
        if instant is None:
            raise BadSample(
                index, "at", "must be a real RFC 3339 date-time with its offset, such as 2026-11-23T14:05:00Z"
            )
        if instant < start:
            raise BadSample(index, "at", "is before the tally's start")
        if instant > now + MAX_AHEAD:
            raise BadSample(index, "at", "is more than 5 minutes ahead of the service's clock")
        result.append(StoredSample(to_ms(instant), value))
    return result
