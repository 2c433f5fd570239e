"""Discovering participating sites: which hosts show our badge, frame or script.

When one of those is requested with an `Origin` or `Referer` of another site, the host
name alone is kept (never a path, an address or a cookie), with when it was first and
last seen and how often. Maintainers list the hosts the timeline does not list yet
(`voipdown participants`); nothing discovered is ever shown publicly.

Recording never slows or fails a request: `Recorder.record` only updates a bounded
dictionary in memory; a background thread writes batches to the store, and a broken
store only logs and makes `/healthz` say degraded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import multiprocessing.util
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_PENDING_HOSTS = 10_000


def host_of(header: str | None) -> str | None:
    """The host name of an `Origin` or `Referer` value, if it names a public web site."""
    if not header or len(header) > 2048:
        return None
    try:
        parts = urlsplit(header.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    try:
        ipaddress.ip_address(host)
        return None  # an address, not a site's name
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1] in ("localhost", "local", "internal", "test", "invalid", "example") or labels[-1].isdigit():
        return None
    return ".".join(labels)


def site_host(url: str) -> str:
    """The host of a timeline participant's URL, compared without `www.`."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


@dataclass(frozen=True)
class Sighting:
    host: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    count: int


class Store(Protocol):
    def save(self, batch: dict[str, Sighting]) -> None: ...

    def sightings(self, since: dt.datetime | None = None) -> list[Sighting]: ...


class SqliteStore:
    """One SQLite file, safe for several worker processes (WAL, upserts)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=2)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS participants ("
            " host TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL)"
        )
        return connection

    def save(self, batch: dict[str, Sighting]) -> None:
        connection = self._connect()
        try:
            with connection:
                connection.executemany(
                    "INSERT INTO participants (host, first_seen, last_seen, count) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(host) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),"
                    " last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count",
                    [(s.host, s.first_seen.isoformat(), s.last_seen.isoformat(), s.count) for s in batch.values()],
                )
        finally:
            connection.close()

    def sightings(self, since: dt.datetime | None = None) -> list[Sighting]:
        connection = self._connect()
        try:
            rows = connection.execute(
                "SELECT host, first_seen, last_seen, count FROM participants"
                " WHERE last_seen >= ? ORDER BY count DESC, host",
                ((since or dt.datetime.min.replace(tzinfo=dt.timezone.utc)).isoformat(),),
            ).fetchall()
        finally:
            connection.close()
        parse = dt.datetime.fromisoformat
        return [Sighting(host, parse(first), parse(last), count) for host, first, last, count in rows]


class RedisStore:
    """Redis, for several hosts: a hash per site and a sorted set by last sighting."""

    PREFIX = "voipdown:participants"

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def save(self, batch: dict[str, Sighting]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for s in batch.values():
            key = f"{self.PREFIX}:{s.host}"
            pipe.hsetnx(key, "first_seen", s.first_seen.isoformat())
            pipe.hincrby(key, "count", s.count)
            pipe.zadd(self.PREFIX, {s.host: s.last_seen.timestamp()}, gt=True)
        pipe.execute()

    def sightings(self, since: dt.datetime | None = None) -> list[Sighting]:
        low = since.timestamp() if since else "-inf"
        found = []
        for host, last in self.client.zrangebyscore(self.PREFIX, low, "+inf", withscores=True):
            host = host.decode()
            fields = self.client.hgetall(f"{self.PREFIX}:{host}")
            found.append(
                Sighting(
                    host,
                    dt.datetime.fromisoformat(fields[b"first_seen"].decode()),
                    dt.datetime.fromtimestamp(last, dt.timezone.utc),
                    int(fields[b"count"]),
                )
            )
        return sorted(found, key=lambda s: (-s.count, s.host))


class Recorder:
    """Counts sightings in memory and writes them to `store` in batches, from a thread."""

    def __init__(self, store: Store, interval: float = 5.0):
        self.store = store
        self.interval = interval
        self.error: str | None = None
        self.dropped = 0
        self._pending: dict[str, Sighting] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    def record(self, host: str, when: dt.datetime) -> None:
        """Note a sighting; constant time, no I/O."""
        with self._lock:
            seen = self._pending.get(host)
            if seen is not None:
                self._pending[host] = Sighting(host, seen.first_seen, when, seen.count + 1)
            elif len(self._pending) < MAX_PENDING_HOSTS:
                self._pending[host] = Sighting(host, when, when, 1)
            else:
                self.dropped += 1
            if not self._closed and (self._thread is None or not self._thread.is_alive()):
                # Started here, in the serving process (after any fork), not at import.
                if self._thread is None:
                    # At exit, write what is pending. A multiprocessing finalizer runs both in a plain
                    # process (multiprocessing registers them with atexit) and in a worker process such
                    # as granian's, which leaves by os._exit and skips atexit.
                    multiprocessing.util.Finalize(self, self.close, exitpriority=10)
                self._thread = threading.Thread(target=self._run, name="voipdown-participants", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def close(self) -> None:
        """Stop the batching thread and write what is pending (at exit: nothing seen is lost)."""
        with self._lock:
            self._closed, thread = True, self._thread
        if thread is not None:
            self._wake.set()
            thread.join(timeout=10)
        self.flush()

    def flush(self) -> None:
        """Write what is pending now; on failure keep it for the next try and say why."""
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return
        try:
            self.store.save(batch)
            if self.error is not None:
                log.info("participants store works again")
            self.error = None
        except Exception as error:  # a store may fail in many ways; none may reach a request
            message = f"{type(error).__name__}: {error}"
            if message != self.error:  # said once, not at every retry
                log.warning("participants store failed, will retry: %s", message)
            self.error = message
            with self._lock:
                for host, old in batch.items():
                    new = self._pending.get(host)
                    if new is None:
                        if len(self._pending) < MAX_PENDING_HOSTS:
                            self._pending[host] = old
                    else:
                        self._pending[host] = Sighting(host, old.first_seen, new.last_seen, old.count + new.count)


def open_store(settings) -> Store:
    """Redis when VOIPDOWN_REDIS_URL is set, else the SQLite file VOIPDOWN_STORE."""
    if settings.redis_url:
        return RedisStore(settings.redis_url)
    return SqliteStore(settings.store)
