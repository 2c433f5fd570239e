"""Replaying whole responses without Flask, for the hot count-bearing routes.

The count changes once a day, so the same badge, JSON or script is answered thousands of
times a day. The first answer is built by Flask as usual; this WSGI layer keeps it (body
and headers) until the counter's next local midnight or a timeline edit, and replays it
for the same address, language and host, recomputing only what depends on the clock
(`max-age`) and answering `If-None-Match` with a 304. The key is made of the path, the
parameters its route reads (voipdown/web/parameters.py; validated by the view that first
answered, which also tells which they are: until a path has been answered once, it is not
looked up), `Accept-Language` unless `?lang=` chose the language, and, unless
VOIPDOWN_PUBLIC_URL fixes the absolute addresses, the `Host`; the store is an LRU of
bounded size, so no request can make it grow.

Shortly before a counter's midnight, the next day's answer of each entry is drawn ahead
(voipdown/web/rollover.py) and kept aside, to be replayed from midnight on: the day's
change costs no burst of drawing (docs/benchmarks.md). An answer drawn ahead is never
served before its midnight, nor after a timeline edit.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl

from werkzeug.test import EnvironBuilder

from voipdown.clock import now, pinned_clock
from voipdown.web.compression import chosen_encoding
from voipdown.web.freshness import (
    REPLAY_MARK,
    ReplayTerms,
    cache_control,
    client_has,
    lifetime_until,
    not_modified_headers,
)
from voipdown.web.rollover import Rollover
from voipdown.web.state import SERVED_KEY

MAX_ENTRIES = 4096
MAX_PATHS = 4 * MAX_ENTRIES
"""Paths whose route's parameters are remembered (forgotten all at once beyond: relearnt)."""
REQUEST_PARTS = (
    "PATH_INFO",
    "QUERY_STRING",
    "SCRIPT_NAME",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_HOST",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    "wsgi.url_scheme",
)
"""What of a request an answer depends on: kept with its entry, to draw the next day's answer ahead."""


@dataclass(frozen=True)
class Entry:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None
    last_modified: str | None
    next_change: dt.datetime | None
    version: str
    stale_while_revalidate: int
    request: tuple[tuple[str, str], ...] = ()
    """The parts of the first request (REQUEST_PARTS) that made this answer."""
    valid_from: dt.datetime | None = None
    """For an answer drawn ahead: the midnight from which it is true."""
    brief: bool = False
    """Kept for a moment (a tally's answer, until `next_change`), its own Cache-Control
    replayed as it is, never drawn ahead."""
    write_stamp: int = 0
    """The tally reader's write stamp when it was drawn: a brief answer is not served once
    this worker has written to a tally since (it may not show the write)."""
    private: bool = False
    """Its Cache-Control was private (it holds the request's host): replayed private."""

    def serves(self, version: str, instant: dt.datetime, write_stamp: int) -> bool:
        """Whether this answer is the right one at `instant` for timeline `version`."""
        return (
            self.version == version
            and (self.next_change is None or instant < self.next_change)
            and (self.valid_from is None or instant >= self.valid_from)
            and (not self.brief or self.write_stamp == write_stamp)
        )


class Replay:
    def __init__(self, app, state):
        self.app = app
        self.state = state  # the ServiceState, for the timeline version and settings
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._ahead: dict[str, Entry] = {}
        """Next days' answers, drawn before their midnight."""
        self._reads: dict[str, tuple[str, ...]] = {}
        """Path → the parameters its route reads, learnt from its first kept answer."""
        self._lock = threading.Lock()
        self.rollover = Rollover(self)

    def __len__(self) -> int:
        """How many answers are kept (at most MAX_ENTRIES)."""
        return len(self._entries)

    @property
    def drawn_ahead(self) -> int:
        """How many next days' answers wait for their midnight."""
        return len(self._ahead)

    def keeps(self, path: str) -> bool:
        """Whether an answer to `path` (any query, language or host) is kept to be replayed."""
        with self._lock:
            return any(key.startswith(path + "?") for key in self._entries)

    def _write_stamp(self) -> int:
        return self.state.tallies.write_stamp if self.state.tallies is not None else 0

    def _key(self, environ, reads: tuple[str, ...]) -> str:
        query = environ.get("QUERY_STRING", "")
        params = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in reads) if query else []
        host = "" if self.state.settings.public_url else environ.get("HTTP_HOST", "")
        # An empty ?lang= means absent: then Accept-Language chose the language.
        language = "" if any(k == "lang" and v for k, v in params) else environ.get("HTTP_ACCEPT_LANGUAGE", "")[:200]
        # The encoding, not the header: a stored answer is already compressed (voipdown/web/compression.py).
        encoding = chosen_encoding(environ.get("HTTP_ACCEPT_ENCODING")) or ""
        scheme = environ.get("wsgi.url_scheme", "")
        return f"{environ.get('PATH_INFO', '')}?{params}|{language}|{encoding}|{host}|{scheme}"

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        # The timeline this request is answered from, replayed or not (voipdown/web/state.py).
        snapshot = environ.get(SERVED_KEY) or self.state.timelines.snapshot()  # a path form's, if read
        environ[SERVED_KEY] = snapshot
        instant = now()
        stamp = self._write_stamp()  # before drawing: a write meanwhile makes a brief answer unfit
        path = environ.get("PATH_INFO", "")
        reads = self._reads.get(path)
        if reads is not None:
            entry = self._entry_for(self._key(environ, reads), snapshot.timeline.version, instant, stamp)
            if entry is not None:
                return self._replay(entry, environ, start_response, instant)
        environ[REPLAY_MARK] = None
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        if (
            environ.get(REPLAY_MARK) is None
            or not captured.get("status", "").startswith("200")
            or environ["REQUEST_METHOD"] != "GET"
        ):
            return body
        chunks = _read(body)
        terms = environ[REPLAY_MARK]
        request = tuple((name, environ[name]) for name in REQUEST_PARTS if name in environ)
        entry = _entry(captured, chunks, terms, request, write_stamp=stamp)
        if entry.brief and stamp != self._write_stamp():
            return chunks  # drawn while this worker wrote to a tally: maybe without the write
        key = self._key(environ, terms.reads)
        with self._lock:
            if path not in self._reads and len(self._reads) >= MAX_PATHS:
                self._reads.clear()
            self._reads[path] = terms.reads
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        self.rollover.start()
        return chunks

    def _entry_for(self, key: str, version: str, instant: dt.datetime, write_stamp: int) -> Entry | None:
        """The answer to replay for `key`: today's, or the one drawn ahead once its midnight has come."""
        entry = self._entries.get(key)
        if entry is not None and entry.serves(version, instant, write_stamp):
            return entry
        with self._lock:
            ahead = self._ahead.get(key)
            if ahead is not None and ahead.serves(version, instant, write_stamp):
                del self._ahead[key]
                self._entries[key] = ahead
                return ahead
            if ahead is not None and (
                ahead.version != version or (ahead.next_change is not None and instant >= ahead.next_change)
            ):
                del self._ahead[key]  # drawn from an edit no longer served, or for a day already past
            if entry is not None and self._entries.get(key) is entry:
                del self._entries[key]
        return None

    # Drawing ahead, for the rollover thread.

    def due(self, instant: dt.datetime, lead: float) -> list[tuple[str, Entry]]:
        """Entries whose answer changes less than `lead` seconds after `instant` and whose next
        answer is not drawn yet, the most recently stored last."""
        with self._lock:
            return [
                (key, entry)
                for key, entry in self._entries.items()
                if entry.next_change is not None
                and not entry.brief
                and 0 < (entry.next_change - instant).total_seconds() <= lead
                and (key not in self._ahead or self._ahead[key].valid_from != entry.next_change)
            ]

    def seconds_to_next_change(self, instant: dt.datetime) -> float | None:
        """Seconds from `instant` to the soonest change of a kept answer; None if none will change."""
        with self._lock:
            changes = [
                e.next_change
                for e in self._entries.values()
                if e.next_change is not None and e.next_change > instant and not e.brief
            ]
        return (min(changes) - instant).total_seconds() if changes else None

    def draw_ahead(self, key: str, entry: Entry) -> bool:
        """Draw the answer `entry`'s request will get from its next change on, as the app would
        then (the clock pinned to that instant, in this thread only), and keep it for then."""
        snapshot = self.state.timelines.snapshot()
        if snapshot.timeline.version != entry.version:
            return False  # edited since: the first request after midnight draws it
        environ = EnvironBuilder().get_environ()
        environ.update(entry.request)
        environ[SERVED_KEY] = snapshot
        environ[REPLAY_MARK] = None
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        with pinned_clock(entry.next_change):
            chunks = _read(self.app(environ, capture))
        if environ.get(REPLAY_MARK) is None or not captured.get("status", "").startswith("200"):
            return False
        ahead = _entry(captured, chunks, environ[REPLAY_MARK], entry.request, valid_from=entry.next_change)
        with self._lock:
            if key in self._entries or len(self._ahead) < MAX_ENTRIES:
                self._ahead[key] = ahead
        return True

    def _replay(self, entry: Entry, environ, start_response, instant: dt.datetime):
        if entry.brief:  # its own Cache-Control is among its headers
            if client_has(environ, entry.etag, entry.last_modified):
                start_response("304 Not Modified", not_modified_headers(entry.headers))
                return []
            start_response(entry.status, list(entry.headers))
            return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]
        control = (
            "Cache-Control",
            cache_control(lifetime_until(entry.next_change, instant), entry.stale_while_revalidate, entry.private),
        )
        if client_has(environ, entry.etag, entry.last_modified):
            start_response("304 Not Modified", not_modified_headers(entry.headers) + [control])
            return []
        start_response(entry.status, list(entry.headers) + [control])
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]


def _read(body) -> list[bytes]:
    """All of a WSGI body, closed after, as WSGI asks."""
    try:
        return list(body)
    finally:
        if hasattr(body, "close"):
            body.close()


def _entry(
    captured: dict, chunks: list[bytes], terms: ReplayTerms, request: tuple, valid_from=None, write_stamp: int = 0
) -> Entry:
    """What is kept of a 200 answer: all but its Date and (unless it is brief) its Cache-Control,
    recomputed at each replay."""
    dropped = ("date",) if terms.brief else ("cache-control", "date")
    private = any(
        name.lower() == "cache-control" and value.startswith("private") for name, value in captured["headers"]
    )
    headers = tuple((name, value) for name, value in captured["headers"] if name.lower() not in dropped)
    etag = next((value for name, value in headers if name.lower() == "etag"), None)
    modified = next((value for name, value in headers if name.lower() == "last-modified"), None)
    return Entry(
        captured["status"],
        headers,
        b"".join(chunks),
        etag,
        modified,
        terms.next_change,
        terms.timeline_version,
        terms.stale_while_revalidate,
        request,
        valid_from,
        terms.brief,
        write_stamp,
        private,
    )
