"""Compressing text answers, Brotli or gzip, as the client accepts.

Each distinct body is compressed once per encoding (a bounded cache keyed by the body's
digest), and a replayed answer is kept already compressed (the replay key holds the chosen
encoding, voipdown/web/replay.py), so the work is not repeated per request. An answer that
may be compressed says `Vary: Accept-Encoding`; its ETag names its encoding (`"…-br"`), so
a cache never revalidates one encoding's copy with another's.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict

import brotli
from flask import Response, request
from werkzeug.http import parse_accept_header

from voipdown.web.freshness import client_has
from voipdown.web.negotiation import negotiated

COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/atom+xml",
    "application/xml",
    "image/svg+xml",
)
MIN_SIZE = 256
"""Below this many bytes, compressing saves less than a packet's headers."""
ENCODINGS = {"br": "br", "gzip": "gz"}
"""Content-Encoding → the suffix it adds to an ETag."""
MAX_KEPT = 512


def compressible(response: Response) -> bool:
    if not response.mimetype.startswith(COMPRESSIBLE) or response.is_streamed:
        return False
    length = response.calculate_content_length()
    return "Content-Encoding" not in response.headers and length is not None and length >= MIN_SIZE


def chosen_encoding(accept_encoding: str | None) -> str | None:
    """Brotli if the client takes it, else gzip, else none (q=0 refuses one)."""
    if not accept_encoding:
        return None
    accepted = parse_accept_header(accept_encoding)
    for encoding in ENCODINGS:
        if accepted[encoding] > 0 or (encoding not in accepted and accepted["*"] > 0):
            return encoding
    return None


class _Kept:
    """Compressed bodies by (digest, encoding): each body compressed once, a bounded number kept."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[bytes, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def encoded(self, body: bytes, encoding: str) -> bytes:
        key = (hashlib.sha256(body).digest(), encoding)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        if encoding == "br":
            packed = brotli.compress(body, quality=11)
        else:
            packed = gzip.compress(body, compresslevel=9, mtime=0)
        with self._lock:
            self._items[key] = packed
            while len(self._items) > MAX_KEPT:
                self._items.popitem(last=False)
        return packed


KEPT = _Kept()


def compress(response: Response) -> Response:
    """The answer in the encoding the client prefers among ours, with its ETag tagged."""
    if response.status_code == 304 or not compressible(response):
        return response
    negotiated("Accept-Encoding")
    encoding = chosen_encoding(request.headers.get("Accept-Encoding"))
    if encoding is None:
        return response
    etag, weak = response.get_etag()
    if etag and not weak and response.status_code == 200:
        response.set_etag(f"{etag}-{ENCODINGS[encoding]}")
        if client_has(request.environ, response.headers["ETag"], response.headers.get("Last-Modified")):
            response.status_code = 304  # werkzeug then sends no body
            return response
    response.set_data(KEPT.encoded(response.get_data(), encoding))
    response.headers["Content-Encoding"] = encoding
    return response
