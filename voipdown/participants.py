"""Discovering participating sites: which hosts show our badge, frame or script.

When one of those is requested with an `Origin` or `Referer` of another site, the host
name alone is kept (never a path, an address or a cookie), with when it was first and
last seen and how often. Maintainers list the hosts the timeline does not list yet
(`voipdown participants`); nothing discovered is ever shown publicly.

Recording never slows or fails a request: `Recorder.record` only updates a bounded
dictionary in memory; a background thread writes batches to the store, and a broken
store only logs and makes `/healthz` say degraded.

Anyone can send a `Referer`, so the store is bounded (`Limits`, from the settings): at most
so many hosts, at most so many new ones an hour (more are not kept, and counted as
dropped), and when it is full the least useful go first: those seen on the fewest days,
then the longest unseen. A site that shows the counter is seen day after day; hosts made
up by someone filling the store are seen on one day each, so they cannot push it out.
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
    days: int = 1
    """On how many days (UTC) it was seen: the measure of a site that really shows the counter."""


@dataclass(frozen=True)
class Limits:
    """What the store keeps at most (VOIPDOWN_PARTICIPANTS_MAX, VOIPDOWN_PARTICIPANTS_NEW_PER_HOUR)."""

    hosts: int = 5_000
    new_per_hour: int = 500


DEFAULT_LIMITS = Limits()


def _usefulness(sighting: Sighting) -> tuple:
    """The order `voipdown participants` lists hosts in: seen on most days first, then most often."""
    return (-sighting.days, -sighting.count, sighting.host)


class Store(Protocol):
    def save(self, batch: dict[str, Sighting]) -> int:
        """Store the batch; returns how many new hosts were not kept (the hourly cap)."""

    def sightings(self, since: dt.datetime | None = None) -> list[Sighting]:
        """Every host kept, seen since `since`, the most useful first."""


class SqliteStore:
    """One SQLite file, safe for several worker processes (WAL, one transaction a batch)."""

    def __init__(self, path: str | Path, limits: Limits = DEFAULT_LIMITS):
        self.path = Path(path)
        self.limits = limits

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=2, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS participants ("
            " host TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL,"
            " days INTEGER NOT NULL DEFAULT 1)"
        )
        if "days" not in {row[1] for row in connection.execute("PRAGMA table_info(participants)")}:
            connection.execute("ALTER TABLE participants ADD COLUMN days INTEGER NOT NULL DEFAULT 1")  # a 2026-11 file
        connection.execute("CREATE INDEX IF NOT EXISTS participants_first ON participants (first_seen)")
        connection.execute("CREATE INDEX IF NOT EXISTS participants_use ON participants (days, last_seen)")
        return connection

    def save(self, batch: dict[str, Sighting]) -> int:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")  # the hourly count and the inserts, one worker at a time
            try:
                dropped = self._save(connection, batch)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        finally:
            connection.close()
        return dropped

    def _save(self, connection: sqlite3.Connection, batch: dict[str, Sighting]) -> int:
        hosts = list(batch)
        known: set[str] = set()
        for start in range(0, len(hosts), 500):
            chunk = hosts[start : start + 500]
            marks = ",".join("?" * len(chunk))
            known.update(
                row[0] for row in connection.execute(f"SELECT host FROM participants WHERE host IN ({marks})", chunk)
            )
        connection.executemany(
            # The batch's days, less the first if the store has seen the host that day already.
            "UPDATE participants SET days = days + ? - (substr(?, 1, 10) <= substr(last_seen, 1, 10)),"
            " first_seen = min(first_seen, ?), last_seen = max(last_seen, ?), count = count + ? WHERE host = ?",
            [(batch[host].days, _utc(batch[host].first_seen), *_row(batch[host])[1:4], host) for host in known],
        )
        hour_ago = _utc(max(s.last_seen for s in batch.values()) - dt.timedelta(hours=1))
        (recent,) = connection.execute(
            "SELECT count(*) FROM participants WHERE first_seen >= ?", (hour_ago,)
        ).fetchone()
        new = sorted((s for host, s in batch.items() if host not in known), key=_usefulness)
        kept = new[: max(0, self.limits.new_per_hour - recent)]
        connection.executemany(
            "INSERT INTO participants (host, first_seen, last_seen, count, days) VALUES (?, ?, ?, ?, ?)",
            [_row(s) + (s.days,) for s in kept],
        )
        connection.execute(
            "DELETE FROM participants WHERE host IN (SELECT host FROM participants ORDER BY days, last_seen, count"
            " LIMIT max(0, (SELECT count(*) FROM participants) - ?))",
            (self.limits.hosts,),
        )
        return len(new) - len(kept)

    def sightings(self, since: dt.datetime | None = None) -> list[Sighting]:
        connection = self._connect()
        try:
            rows = connection.execute(
                "SELECT host, first_seen, last_seen, count, days FROM participants WHERE last_seen >= ?",
                ((since or dt.datetime.min.replace(tzinfo=dt.timezone.utc)).isoformat(),),
            ).fetchall()
        finally:
            connection.close()
        parse = dt.datetime.fromisoformat
        found = [Sighting(host, parse(first), parse(last), count, days) for host, first, last, count, days in rows]
        return sorted(found, key=_usefulness)


def _row(s: Sighting) -> tuple:
    """As stored: instants in UTC, so that they compare as text (and a day is its first ten characters)."""
    return (s.host, _utc(s.first_seen), _utc(s.last_seen), s.count)


def _utc(instant: dt.datetime) -> str:
    return instant.astimezone(dt.timezone.utc).isoformat()


def _day(instant: dt.datetime) -> str:
    """The UTC day of an instant, as the stores compare it."""
    return _utc(instant)[:10]


# One host's sighting, its hourly cap and the store's bound, at once (Redis runs a script alone).
_SAVE = """
local hash, last, useful, firsts = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local host, first_seen, last_ts, count, day = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local hour_ago, new_per_hour, max_hosts, prefix = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local first_day, batch_days = ARGV[10], tonumber(ARGV[11])
if redis.call('EXISTS', hash) == 0 then
  redis.call('ZREMRANGEBYSCORE', firsts, '-inf', '(' .. hour_ago)
  if redis.call('ZCARD', firsts) >= new_per_hour then return 0 end
  redis.call('HSET', hash, 'first_seen', first_seen, 'count', 0, 'days', 0, 'last_day', '')
  redis.call('ZADD', firsts, last_ts, host)
end
redis.call('HINCRBY', hash, 'count', count)
local last_day = redis.call('HGET', hash, 'last_day') or ''
local added = batch_days
if first_day <= last_day then added = added - 1 end
redis.call('HINCRBY', hash, 'days', added)
if last_day < day then redis.call('HSET', hash, 'last_day', day) end
local days = tonumber(redis.call('HGET', hash, 'days'))
redis.call('ZADD', last, 'GT', last_ts, host)
redis.call('ZADD', useful, days * 1e10 + last_ts, host)
local excess = redis.call('ZCARD', useful) - max_hosts
if excess > 0 then
  local gone = redis.call('ZPOPMIN', useful, excess)
  for i = 1, #gone, 2 do
    redis.call('DEL', prefix .. ':' .. gone[i])
    redis.call('ZREM', last, gone[i])
    redis.call('ZREM', firsts, gone[i])
  end
end
return 1
"""


class RedisStore:
    """Redis, for several hosts: a hash per site, sorted sets by last sighting, by usefulness
    (days seen, then last sighting: the first to go) and of the last hour's new hosts."""

    PREFIX = "voipdown:participants"

    def __init__(self, url: str, limits: Limits = DEFAULT_LIMITS):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.limits = limits
        self._save = self.client.register_script(_SAVE)

    def save(self, batch: dict[str, Sighting]) -> int:
        pipe = self.client.pipeline(transaction=False)
        sets = [self.PREFIX, f"{self.PREFIX}:~useful", f"{self.PREFIX}:~new"]  # "~": never a host's name
        for s in sorted(batch.values(), key=_usefulness):
            hour_ago = (s.last_seen - dt.timedelta(hours=1)).timestamp()
            arguments = [s.host, _utc(s.first_seen), s.last_seen.timestamp(), s.count, _day(s.last_seen), hour_ago]
            arguments += [self.limits.new_per_hour, self.limits.hosts, self.PREFIX, _day(s.first_seen), s.days]
            self._save(keys=[f"{self.PREFIX}:{s.host}", *sets], args=arguments, client=pipe)
        return sum(1 for stored in pipe.execute() if not stored)

    def sightings(self, since: dt.datetime | None = None) -> list[Sighting]:
        low = since.timestamp() if since else "-inf"
        found = []
        for host, last in self.client.zrangebyscore(self.PREFIX, low, "+inf", withscores=True):
            host = host.decode()
            fields = self.client.hgetall(f"{self.PREFIX}:{host}")
            if not fields:
                continue
            found.append(
                Sighting(
                    host,
                    dt.datetime.fromisoformat(fields[b"first_seen"].decode()),
                    dt.datetime.fromtimestamp(last, dt.timezone.utc),
                    int(fields[b"count"]),
                    int(fields.get(b"days", b"1")),
                )
            )
        return sorted(found, key=_usefulness)


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
                another_day = _day(when) > _day(seen.last_seen)
                self._pending[host] = Sighting(host, seen.first_seen, when, seen.count + 1, seen.days + another_day)
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
            refused = self.store.save(batch)
            if refused:
                with self._lock:
                    self.dropped += refused
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
    """Redis when VOIPDOWN_REDIS_URL is set, else the SQLite file VOIPDOWN_STORE; bounded as set."""
    limits = Limits(settings.participants_max, settings.participants_new_per_hour)
    if settings.redis_url:
        return RedisStore(settings.redis_url, limits)
    return SqliteStore(settings.store, limits)
