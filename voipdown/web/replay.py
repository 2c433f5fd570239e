"""Replaying whole responses without Flask, for the hot count-bearing routes.

The count changes once a day, so the same badge, JSON or script is answered thousands of
times a day. The first answer is built by Flask as usual; this WSGI layer keeps it (body
and headers) until the counter's next local midnight or a timeline edit, and replays it
for the same address, language and host, recomputing only what depends on the clock
(`max-age`) and answering `If-None-Match` with a 304. The key is made of the path, our
own parameters (validated by the view that first answered), `Accept-Language` and, unless
VOIPDOWN_PUBLIC_URL fixes the absolute addresses, the `Host`; the store is an LRU of
bounded size, so no request can make it grow.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl

from werkzeug.http import parse_date

from voipdown.web.http_cache import REPLAY_MARK, cache_control, lifetime_until
from voipdown.web.state import SERVED_KEY

OUR_PARAMETERS = ("lang", "style", "color", "scale", "theme")
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class Entry:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None
    next_change: dt.datetime | None
    version: str
    stale_while_revalidate: int


class ReplayCache:
    def __init__(self, app, state, note_site):
        self.app = app
        self.state = state  # the ServiceState, for the timeline version and settings
        self.note_site = note_site
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, environ) -> str | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        query = environ.get("QUERY_STRING", "")
        params = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in OUR_PARAMETERS) if query else []
        host = "" if self.state.settings.public_url else environ.get("HTTP_HOST", "")
        language = "" if any(k == "lang" for k, _ in params) else environ.get("HTTP_ACCEPT_LANGUAGE", "")[:200]
        return f"{environ.get('PATH_INFO', '')}?{params}|{language}|{host}|{environ.get('wsgi.url_scheme', '')}"

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        # The timeline this request is answered from, replayed or not (voipdown/web/state.py).
        snapshot = environ[SERVED_KEY] = self.state.timelines.snapshot()
        entry = self._entries.get(key)
        now = dt.datetime.now(dt.timezone.utc)
        if entry is not None:
            if entry.version == snapshot.timeline.version and (
                entry.next_change is None or now < entry.next_change
            ):
                return self._replay(entry, environ, start_response, now)
            with self._lock:
                self._entries.pop(key, None)
        environ[REPLAY_MARK] = None
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        replay = environ.get(REPLAY_MARK)
        if replay is None or not captured.get("status", "").startswith("200") or environ["REQUEST_METHOD"] != "GET":
            return body
        chunks = list(body)
        if hasattr(body, "close"):
            body.close()
        headers = tuple((name, value) for name, value in captured["headers"] if name.lower() not in ("cache-control", "date"))
        etag = next((value for name, value in headers if name.lower() == "etag"), None)
        next_change, stale, version = replay
        with self._lock:
            self._entries[key] = Entry(captured["status"], headers, b"".join(chunks), etag, next_change, version, stale)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return chunks

    @staticmethod
    def _not_modified(entry: Entry, environ) -> bool:
        """The client's copy is this one: by ETag, or failing an If-None-Match, by date."""
        match = environ.get("HTTP_IF_NONE_MATCH")
        if match:
            return bool(entry.etag) and (match.strip() == "*" or entry.etag in [t.strip() for t in match.split(",")])
        since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        modified = parse_date(next((v for n, v in entry.headers if n.lower() == "last-modified"), None))
        return since is not None and modified is not None and modified <= since

    def _replay(self, entry: Entry, environ, start_response, now: dt.datetime):
        self.note_site(environ)
        control = ("Cache-Control", cache_control(lifetime_until(entry.next_change, now), entry.stale_while_revalidate))
        if self._not_modified(entry, environ):
            kept = [(n, v) for n, v in entry.headers if n.lower() in ("etag", "last-modified", "vary", "content-location")]
            start_response("304 Not Modified", kept + [control])
            return [b""]
        start_response(entry.status, list(entry.headers) + [control])
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]
