"""A tally's `collect` table: where its number is read, how often, and how it is found.

One table of limits (`LIMITS`) is what the timeline's checks, the fetch and the docs say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol
from urllib.parse import urlsplit

import jsonpath_rfc9535
import jsonpointer
import regex

from voipdown.tallies.model import MAX_INTERVAL, MAX_SAMPLE_VALUE

FORMATS = ("json", "csv", "text")
"""How a body is read: JSON (a pointer or a path), CSV (a column of the last row), text (a pattern)."""


@dataclass(frozen=True)
class Limits:
    min_every: int = 10
    """Seconds: no source is asked more often."""
    default_timeout: float = 10.0
    """Seconds a fetch may take, when less than `every` (else half of `every`)."""
    max_bytes: int = 1024 * 1024
    """A body is read up to this, then cut and refused."""
    max_redirects: int = 3
    per_host: int = 4
    """Fetches of one worker to one host at a time (the rest wait their turn within their
    own time budget): a campaign's many tallies from one source never arrive as a burst."""
    max_backoff: int = 10
    """A failing source is asked again after at most this many intervals."""
    max_retry_after: int = 86_400
    """Seconds: a source's Retry-After is honoured up to this."""
    pattern_timeout: float = 0.1
    """Seconds a `pattern` may spend matching one body (the `regex` package's timeout)."""


LIMITS = Limits()


@dataclass(frozen=True)
class Collect:
    """Where and how a tally's number is read, every `every` seconds."""

    url: str
    every: int
    timeout: float
    format: str = "json"
    pointer: str | None = None
    """RFC 6901 JSON Pointer, for format json (or `path`)."""
    path: str | None = None
    """RFC 9535 JSONPath selecting one number, for format json (or `pointer`)."""
    column: str | None = None
    """The CSV column whose last row holds the number."""
    pattern: str | None = None
    """A regular expression with one group around the number, for format text."""
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Literal request headers."""
    secret_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Request header -> the environment variable holding its value (never in the timeline)."""
    monotonic: bool = False
    """A count that should not fall: a collected value that falls by more than `max_drop` is kept out."""
    max_drop: int = 0

    @property
    def host(self) -> str:
        """What a message, a log line or the page may name of the source: its host, never its
        query string or user-info."""
        return urlsplit(self.url).hostname or ""


_FORMAT_KEYS = {"json": {"pointer", "path"}, "csv": {"column"}, "text": {"pattern"}}
_COMMON_KEYS = {"url", "format", "every", "timeout", "headers", "secret_headers", "monotonic", "max_drop"}
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
NOT_LITERAL = {"authorization", "proxy-authorization", "cookie"}
"""Headers whose values are secrets: only in secret_headers (read from the environment)."""
NOT_SENT = {"host", "content-length", "transfer-encoding", "connection", "te", "upgrade", "accept-encoding"}
"""Headers the fetch sets itself, or that no GET may carry."""


class Reporter(Protocol):
    """What reading a `collect` table needs of the timeline's reader: its problem list and typed fields."""

    problems: list

    def problem(self, path: tuple, message: str) -> None: ...

    def check_keys(self, table: dict, path: tuple, allowed: set[str]) -> None: ...

    def url(self, table: dict, key: str, path: tuple, required: bool = True) -> str | None: ...


def read_collect(reader: Reporter, table: dict, path: tuple, interval: int | None) -> Collect | None:
    """The `collect` table at `path` of a tally whose interval is `interval`; None (with the
    problems reported) if it cannot be used."""
    problems = len(reader.problems)
    fmt = table.get("format", "json")
    if fmt not in FORMATS:
        reader.problem(path + ("format",), f"unknown format (use one of: {', '.join(FORMATS)})")
        fmt = None
    reader.check_keys(table, path, _COMMON_KEYS | set().union(*_FORMAT_KEYS.values()))
    for other, keys in _FORMAT_KEYS.items():
        for key in sorted(keys & set(table)):
            if fmt is not None and other != fmt:
                reader.problem(path + (key,), f"is for format {other} (this one reads {fmt})")
    url = reader.url(table, "url", path)
    every = _every(reader, table, path, interval)
    timeout = _timeout(reader, table, path, every)
    found = _finder(reader, table, path, fmt) if fmt else None
    headers = _headers(reader, table, path, "headers")
    secrets = _headers(reader, table, path, "secret_headers")
    monotonic = table.get("monotonic", False)
    if not isinstance(monotonic, bool):
        reader.problem(path + ("monotonic",), "must be true or false")
    max_drop = table.get("max_drop", 0)
    if isinstance(max_drop, bool) or not isinstance(max_drop, int) or not 0 <= max_drop <= MAX_SAMPLE_VALUE:
        reader.problem(path + ("max_drop",), "must be a whole number from 0")
    elif "max_drop" in table and monotonic is not True:
        reader.problem(
            path + ("max_drop",), "needs monotonic = true (a drop is allowed only of a count that should not fall)"
        )
    if len(reader.problems) != problems or None in (url, every, timeout, found):
        return None
    return Collect(
        url,
        every,
        timeout,
        fmt,
        **found,
        headers=MappingProxyType(headers),
        secret_headers=MappingProxyType(secrets),
        monotonic=monotonic,
        max_drop=max_drop,
    )


def _every(reader: Reporter, table: dict, path: tuple, interval: int | None) -> int | None:
    every = table.get("every", interval)
    where = path + ("every",)
    if every is None:
        return None
    if isinstance(every, bool) or not isinstance(every, int) or not LIMITS.min_every <= every <= MAX_INTERVAL:
        said = "" if "every" in table else f" (the tally's interval, {every} s, is its default)"
        reader.problem(where, f"must be a whole number of seconds from {LIMITS.min_every} to {MAX_INTERVAL}{said}")
        return None
    return every


def _timeout(reader: Reporter, table: dict, path: tuple, every: int | None) -> float | None:
    if "timeout" not in table:
        return None if every is None else min(LIMITS.default_timeout, every / 2)
    timeout = table["timeout"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout:
        reader.problem(path + ("timeout",), "must be a number of seconds above 0")
        return None
    if every is not None and timeout >= every:
        reader.problem(path + ("timeout",), f"must be less than every ({every} s): a fetch never outlives its interval")
        return None
    return float(timeout)


def _finder(reader: Reporter, table: dict, path: tuple, fmt: str) -> dict | None:
    """The format's one way of finding the number, checked: a pointer or a path, a column, a pattern."""
    if fmt == "json":
        given = [key for key in ("pointer", "path") if key in table]
        if len(given) != 1:
            reader.problem(
                path + ("pointer",), 'give one of pointer (RFC 6901, "/data/count") or path (RFC 9535, "$.data.count")'
            )
            return None
        key = given[0]
        value = table[key]
        if not isinstance(value, str):
            reader.problem(path + (key,), "must be a string")
            return None
        try:
            if key == "pointer":
                jsonpointer.JsonPointer(value)
            else:
                jsonpath_rfc9535.compile(value)
        except (jsonpointer.JsonPointerException, jsonpath_rfc9535.JSONPathError) as error:
            kind = "an RFC 6901 JSON Pointer" if key == "pointer" else "an RFC 9535 JSONPath query"
            reader.problem(path + (key,), f"is not {kind} ({error})")
            return None
        return {key: value}
    key = "column" if fmt == "csv" else "pattern"
    value = table.get(key)
    if not isinstance(value, str) or not value:
        what = "the CSV column holding the number" if fmt == "csv" else "a regular expression with one group"
        reader.problem(path + (key,), f"missing ({what})")
        return None
    if fmt == "text":
        try:
            groups = regex.compile(value).groups
        except regex.error as error:
            reader.problem(path + (key,), f"is not a regular expression ({error})")
            return None
        if groups != 1:
            reader.problem(path + (key,), f"must have exactly one group, around the number (it has {groups})")
            return None
    return {key: value}


def _headers(reader: Reporter, table: dict, path: tuple, key: str) -> dict[str, str]:
    found = table.get(key, {})
    if not isinstance(found, dict):
        reader.problem(path + (key,), "must be a table of header = value")
        return {}
    headers = {}
    for name, value in found.items():
        where = path + (key, name)
        if not _HEADER_NAME.match(name) or name.lower() in NOT_SENT:
            reader.problem(where, "is not a header a fetch may set")
        elif key == "headers" and name.lower() in NOT_LITERAL:
            reader.problem(where, "holds a secret: put it in secret_headers, read from the environment")
        elif not isinstance(value, str) or any(ord(char) < 32 or ord(char) == 127 for char in value):
            reader.problem(where, "must be a string without control characters")
        elif key == "secret_headers" and not _VARIABLE.match(value):
            reader.problem(where, "must name an environment variable (letters, digits and _)")
        else:
            headers[name] = value
    return headers


def unset_variables(collect: Collect, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(header, variable) of each secret header whose variable is not set in `environ`."""
    return [(name, variable) for name, variable in collect.secret_headers.items() if not environ.get(variable)]
