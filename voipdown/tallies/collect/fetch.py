"""One polite, bounded request for a source's body (httpx, asynchronous).

Polite: a User-Agent naming the service and its public address; If-None-Match and
If-Modified-Since when the source gave validators (a 304 is the same value, at a new
instant); a 429 or 503's Retry-After honoured by the caller. Bounded: at most
LIMITS.max_bytes read (streamed, decoded here with a bounded zlib, then cut), at most
LIMITS.max_redirects redirects, http(s) only, at most LIMITS.per_host at a time to one host,
no cookie ever kept, no proxy or netrc credentials from the environment, every address
reached checked (`addresses.py`) before connecting and again once connected. The caller
bounds the time.

Nothing raised names the URL's query string, its user-info or a header's value.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import socket
import ssl
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import httpx

from voipdown.clock import now
from voipdown.tallies.collect.addresses import address_class, allowed
from voipdown.tallies.collect.extract import Body, Failure
from voipdown.tallies.collect.spec import LIMITS, Collect

ACCEPT = {"json": "application/json", "csv": "text/csv, text/plain;q=0.5", "text": "text/html, text/plain;q=0.9"}
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Fetched:
    body: Body | None
    """None: the source said 304 Not Modified (the value it gave last)."""
    etag: str | None
    last_modified: str | None


class Session:
    """What the fetches run by one event loop share: one client, whose connections to a
    source are kept alive between the fetches of one round (a source many tallies read is
    connected to once, not once each), and a turn per host. Made and closed in that loop."""

    def __init__(self, tls: ssl.SSLContext | bool):
        """`tls`: the context to verify certificates with (made once by the caller: loading
        them is the dearest part of a fetch)."""
        self.client = httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            verify=tls,
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),  # a jar that accepts none
        )
        self._turns: dict[str, asyncio.Semaphore] = {}

    def turn(self, host: str) -> asyncio.Semaphore:
        """The right to fetch from `host` now: LIMITS.per_host of them at a time."""
        return self._turns.setdefault(host.lower(), asyncio.Semaphore(LIMITS.per_host))

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *_) -> None:
        await self.client.aclose()


def request_headers(
    collect: Collect, user_agent: str, environ: Mapping[str, str], etag: str | None, last_modified: str | None
) -> tuple[dict[str, str], set[str]]:
    """The request's headers, and the names of those whose values are secrets (never sent
    to another origin after a redirect)."""
    headers = {"User-Agent": user_agent, "Accept": ACCEPT[collect.format], "Accept-Encoding": "gzip, deflate"}
    headers.update(collect.headers)
    for name, variable in collect.secret_headers.items():
        value = environ.get(variable)
        if not value:
            raise Failure("missing_secret")
        headers[name] = value
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers, set(collect.secret_headers)


async def _classes(host: str, port: int) -> set[str | None]:
    """The classes of every address `host` resolves to."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Failure("unreachable") from None
    return {address_class(info[4][0]) for info in found}


def _port(parts) -> int:
    """The port of an address; Failure for one out of range (a hostile Location)."""
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Failure("unreachable") from None


async def fetch(
    collect: Collect,
    user_agent: str,
    environ: Mapping[str, str],
    etag: str | None,
    last_modified: str | None,
    session: Session,
) -> Fetched:
    """The source's body (or a 304's none), through `session`, in its host's turn."""
    headers, secret = request_headers(collect, user_agent, environ, etag, last_modified)
    url = collect.url
    first = urlsplit(url)
    async with session.turn(first.hostname or ""):
        return await _follow(session.client, url, headers, secret, httpx.Timeout(collect.timeout), etag, last_modified)


async def _follow(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    secret: set[str],
    timeout: httpx.Timeout,
    etag: str | None,
    last_modified: str | None,
) -> Fetched:
    """The answer of `url`, following at most LIMITS.max_redirects redirects, each checked."""
    first = urlsplit(url)
    origin_classes = await _classes(first.hostname or "", _port(first))
    # A name resolving to addresses of several classes is held to the strictest: public.
    origin = origin_classes.pop() if len(origin_classes) == 1 else "public"
    for _ in range(LIMITS.max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Failure("forbidden_redirect")
        _port(parts)  # an address out of range is refused before anything else
        if not all(allowed(origin, found) for found in await _classes(parts.hostname, _port(parts))):
            raise Failure("forbidden_address")
        try:
            async with client.stream("GET", url, headers=headers, timeout=timeout) as response:
                _check_peer(response, origin)
                if response.status_code in REDIRECTS and "location" in response.headers:
                    following = urljoin(url, response.headers["location"])
                    if _origin_of(following) != _origin_of(url):
                        headers = {name: value for name, value in headers.items() if name not in secret}
                    url = following
                    continue
                return await _answer(response, etag, last_modified)
        except httpx.TimeoutException:
            raise Failure("timeout") from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError):
            raise Failure("unreachable") from None
    raise Failure("too_many_redirects")


def _origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), _port(parts) if parts.scheme in ("http", "https") else 0


def _check_peer(response: httpx.Response, origin: str) -> None:
    """The address actually connected to (a name may resolve elsewhere the second time)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer and not allowed(origin, address_class(peer[0])):
        raise Failure("forbidden_address")


async def _answer(response: httpx.Response, etag: str | None, last_modified: str | None) -> Fetched:
    status = response.status_code
    if status == 304:
        return Fetched(None, response.headers.get("etag", etag), response.headers.get("last-modified", last_modified))
    if status in (429, 503):
        raise Failure("rate_limited", retry_after=retry_after(response.headers.get("retry-after")))
    if not 200 <= status < 300:
        raise Failure("http_status")
    data = await _bounded(response)
    return Fetched(
        Body(data, response.charset_encoding), response.headers.get("etag"), response.headers.get("last-modified")
    )


async def _bounded(response: httpx.Response) -> bytes:
    """The body, decoded from its Content-Encoding, at most LIMITS.max_bytes (raw and decoded)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        decoder = None
    elif encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    else:
        raise Failure("bad_encoding")
    limit = LIMITS.max_bytes
    raw = 0
    body = bytearray()
    try:
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            if raw > limit:
                raise Failure("too_large")
            if decoder is None:
                body += chunk
            while decoder is not None and chunk:
                body += decoder.decompress(chunk, limit + 1 - len(body))
                if len(body) > limit:
                    raise Failure("too_large")
                chunk = decoder.unconsumed_tail
            if len(body) > limit:
                raise Failure("too_large")
    except zlib.error:
        raise Failure("bad_encoding") from None
    return bytes(body)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - now()).total_seconds())
