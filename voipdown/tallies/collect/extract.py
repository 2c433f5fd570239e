"""The number in a source's body: what a JSON Pointer (RFC 6901) or a JSONPath (RFC 9535)
selects, the named column of a CSV's last row, or a pattern's one group on a page.

Every failure is a `Failure` with a kind from `KINDS` and words of ours: never the body's
text, which is the source's (nothing we serve can be made to say words that are not ours).
JSON numbers must be whole (no float, NaN, Infinity or 1e400); a JSON string of plain
digits is read too (some APIs quote their counts). Libraries, not hand-written engines:
jsonpointer, jsonpath-rfc9535 (which evaluates no code) and regex (a match timeout).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

import jsonpath_rfc9535
import jsonpointer
import regex

from voipdown.tallies.collect.spec import LIMITS, Collect
from voipdown.tallies.model import MAX_SAMPLE_VALUE

KINDS = {
    "timeout": "the source did not answer within the timeout",
    "unreachable": "the source could not be reached (name, connection or TLS)",
    "http_status": "the source answered with an error status",
    "rate_limited": "the source asks us to wait (429 or 503 with Retry-After)",
    "too_large": f"the body is larger than {LIMITS.max_bytes // 1024 // 1024} MiB",
    "too_many_redirects": f"more than {LIMITS.max_redirects} redirects",
    "forbidden_redirect": "a redirect to another scheme than http(s)",
    "forbidden_address": "an address the source may not lead to (loopback, private or link-local)",
    "bad_encoding": "a body in an encoding we do not read",
    "not_json": "the body is not JSON",
    "not_csv": "the body is not CSV with the named column",
    "no_match": "the pattern is not found in the body",
    "pattern_timeout": "the pattern took too long on the body",
    "pointer_missing": "the pointer or path selects nothing",
    "path_not_one": "the path selects more than one value",
    "not_integer": "the value is not a whole number",
    "out_of_range": f"the value is larger than {MAX_SAMPLE_VALUE:,} in size",
    "implausible": "the value falls by more than the tally allows",
    "missing_secret": "an environment variable named by secret_headers is not set",
    "store_unavailable": "the value could not be stored",
}
"""Every way a round can fail, in words an operator reads (the tally's JSON gives the kind)."""


class Failure(Exception):
    """A round that failed, of a `KINDS` kind; `retry_after`: seconds the source asked to wait."""

    def __init__(self, kind: str, retry_after: float | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        super().__init__(KINDS[kind])
        self.kind = kind
        self.retry_after = retry_after


@dataclass(frozen=True)
class Body:
    """What a fetch read: at most LIMITS.max_bytes, decoded from its transfer encoding."""

    data: bytes
    charset: str | None = None
    """The Content-Type's charset, if any (UTF-8 else)."""

    def text(self) -> str:
        try:
            return self.data.decode(self.charset or "utf-8").removeprefix("\ufeff")
        except (LookupError, UnicodeDecodeError):
            raise Failure("bad_encoding") from None


_DIGITS = re.compile(r"-?[0-9]{1,16}")
_GROUPED = re.compile(r"[0-9][0-9 ,.'\u2019\u00a0\u202f]*")
"""A number on a page, with its thousands separators: « 1 260 », "1,260", "1.260", "1'260"."""
_SEPARATORS = re.compile(r"[ ,.'\u2019\u00a0\u202f]")


def _no_constant(name: str):
    raise ValueError(name)


def number_in(collect: Collect, body: Body) -> int:
    """The number `collect` finds in `body`; Failure else."""
    if collect.format == "json":
        return _in_json(collect, body)
    if collect.format == "csv":
        return _in_csv(collect, body)
    return _in_text(collect, body)


def _in_json(collect: Collect, body: Body) -> int:
    try:
        document = json.loads(body.text(), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Failure("not_json") from None
    if collect.pointer is not None:
        try:
            found = jsonpointer.resolve_pointer(document, collect.pointer)
        except jsonpointer.JsonPointerException:
            raise Failure("pointer_missing") from None
    else:
        values = compiled_path(collect.path).find(document).values()
        if not values:
            raise Failure("pointer_missing")
        if len(values) > 1:
            raise Failure("path_not_one")
        found = values[0]
    return whole(found)


def compiled_path(path: str) -> jsonpath_rfc9535.JSONPathQuery:
    """An RFC 9535 query (the timeline's checks compiled it once already: it is valid)."""
    return jsonpath_rfc9535.compile(path)


def whole(value: object) -> int:
    """A JSON value as a sample's value: an integer (not a boolean, a float or a decimal), or
    a string of plain digits."""
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Failure("not_integer")
    if abs(value) > MAX_SAMPLE_VALUE:
        raise Failure("out_of_range")
    return value


def _in_csv(collect: Collect, body: Body) -> int:
    try:
        rows = list(csv.DictReader(io.StringIO(body.text(), newline="")))
    except csv.Error:
        raise Failure("not_csv") from None
    if not rows or collect.column not in rows[-1] or rows[-1][collect.column] is None:
        raise Failure("not_csv")
    return _grouped(rows[-1][collect.column])


def _in_text(collect: Collect, body: Body) -> int:
    try:
        match = regex.search(collect.pattern, body.text(), timeout=LIMITS.pattern_timeout)
    except TimeoutError:
        raise Failure("pattern_timeout") from None
    if match is None or match.group(1) is None:
        raise Failure("no_match")
    return _grouped(match.group(1))


def _grouped(text: str) -> int:
    text = text.strip()
    if not _GROUPED.fullmatch(text):
        raise Failure("not_integer")
    digits = _SEPARATORS.sub("", text)
    if len(digits) > 16:
        raise Failure("out_of_range")
    return whole(int(digits))
