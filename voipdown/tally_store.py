"""Where pushed tally samples are kept: SQLite by default (one file, WAL, safe for several
worker processes), committed before a push is answered.

A sample is (counter, tally, instant in milliseconds, value). A request's samples are
stored whole or not at all; an instant already stored with the same value is a duplicate
(harmless: a value is a running total), with another value a conflict. Every write moves
the tally's version, which answers and caches read to know a sample came.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from voipdown.clock import now
from voipdown.tallies import to_ms


class StoreUnavailable(Exception):
    """The store cannot be read or written now; nothing was stored."""


@contextmanager
def unavailable_on(*errors: type[BaseException]) -> Iterator[None]:
    """A store's own errors (SQLite's, Redis's, the file system's) raised as StoreUnavailable,
    which the web layer answers with a 503 or the last values it saw."""
    try:
        yield
    except errors as error:
        raise StoreUnavailable(str(error) or type(error).__name__) from error


SQLITE_ERRORS = (sqlite3.Error, OSError)


class Conflict(Exception):
    """A sample's instant is already stored with another value (a plain exception: Python
    sets a traceback on it as it goes up)."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index
        """Its position in the request."""


@dataclass(frozen=True)
class Stored:
    accepted: int
    duplicates: int


SYNC_MODES = {"normal": "NORMAL", "full": "FULL"}
"""NORMAL survives a killed process (WAL), not a power cut; FULL survives both, slower."""


class SqliteTallyStore:
    def __init__(self, path: str | Path, sync: str = "normal"):
        self.path = Path(path)
        self.sync = SYNC_MODES[sync]
        self._local = threading.local()
        self._writing = threading.Lock()
        """One writer at a time in this process: SQLite's own busy wait sleeps in steps of up
        to 100 ms, so threads queue here instead (other processes still meet the busy wait)."""

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3's rule), opened on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            self._setup(connection)
            self._local.connection = connection
        return connection

    def _setup(self, connection: sqlite3.Connection) -> None:
        """WAL and the tables. Switching to WAL takes the file's exclusive lock without waiting
        for it (SQLite's busy handler does not apply there), so two workers opening a new
        file at once retry for a while instead of failing a push."""
        for attempt in range(100):
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    connection.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 99:
                    raise
                time.sleep(0.01)
        connection.execute(f"PRAGMA synchronous={self.sync}")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS samples (counter TEXT NOT NULL, tally TEXT NOT NULL,"
            " at_ms INTEGER NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (counter, tally, at_ms)) WITHOUT ROWID"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS versions (counter TEXT NOT NULL, tally TEXT NOT NULL,"
            " version INTEGER NOT NULL, changed_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (counter, tally))"
        )
        columns = {row[1] for row in connection.execute("PRAGMA table_info(versions)")}
        if "changed_ms" not in columns:  # a store made before writes were dated
            try:
                connection.execute("ALTER TABLE versions ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0")
            except sqlite3.OperationalError as error:
                if "duplicate column" not in str(error):  # another worker added it first
                    raise

    def add(self, counter: str, tally: str, samples: Sequence[tuple[int, int]]) -> Stored:
        """Store `samples` ((instant in ms, value), ...) whole or not at all, committed on return."""
        with unavailable_on(*SQLITE_ERRORS), self._writing:
            return self._add(counter, tally, samples)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed on leaving, rolled back on any error."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every read inside sees the same state (WAL: no writer waits)."""
        connection = self._connection()
        connection.execute("BEGIN")
        try:
            yield connection
        finally:
            connection.execute("COMMIT")

    def _add(self, counter: str, tally: str, samples: Sequence[tuple[int, int]]) -> Stored:
        accepted = duplicates = 0
        seen: dict[int, int] = {}
        with self._transaction() as connection:
            for index, (at_ms, value) in enumerate(samples):
                if at_ms in seen:
                    if seen[at_ms] != value:
                        raise Conflict(index)
                    duplicates += 1
                    continue
                row = connection.execute(
                    "SELECT value FROM samples WHERE counter = ? AND tally = ? AND at_ms = ?",
                    (counter, tally, at_ms),
                ).fetchone()
                if row is not None:
                    if row[0] != value:
                        raise Conflict(index)
                    duplicates += 1
                else:
                    connection.execute(
                        "INSERT INTO samples (counter, tally, at_ms, value) VALUES (?, ?, ?, ?)",
                        (counter, tally, at_ms, value),
                    )
                    accepted += 1
                seen[at_ms] = value
            if accepted:
                self._bump(connection, counter, tally)
        return Stored(accepted, duplicates)

    def remove(self, counter: str, tally: str, at_ms: int) -> bool:
        """Remove one sample (to correct a mistake); whether there was one."""
        with unavailable_on(*SQLITE_ERRORS), self._writing, self._transaction() as connection:
            removed = connection.execute(
                "DELETE FROM samples WHERE counter = ? AND tally = ? AND at_ms = ?", (counter, tally, at_ms)
            ).rowcount
            if removed:
                self._bump(connection, counter, tally)
        return bool(removed)

    @staticmethod
    def _bump(connection: sqlite3.Connection, counter: str, tally: str) -> None:
        connection.execute(
            "INSERT INTO versions (counter, tally, version, changed_ms) VALUES (?, ?, 1, ?)"
            " ON CONFLICT(counter, tally) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms",
            (counter, tally, to_ms(now())),
        )

    def samples(self, counter: str, tally: str) -> list[tuple[int, int]]:
        """Every stored sample of the tally, (instant in ms, value), by instant."""
        with unavailable_on(*SQLITE_ERRORS):
            return (
                self._connection()
                .execute(
                    "SELECT at_ms, value FROM samples WHERE counter = ? AND tally = ? ORDER BY at_ms", (counter, tally)
                )
                .fetchall()
            )

    def summary_samples(self, counter: str, tally: str, windows_ms: Sequence[int]) -> tuple[int, list[tuple[int, int]]]:
        """How many samples are stored, and the few a summary needs: the earliest, the latest,
        and the earliest inside each trailing window (of `windows_ms`) that ends at the latest:
        a count over the tally's stretch of the index, then a few lookups, all in one snapshot
        (a write or a removal between them cannot mix two states)."""
        where = "WHERE counter = ? AND tally = ?"
        with unavailable_on(*SQLITE_ERRORS), self._snapshot() as connection:
            count, first, last = connection.execute(
                f"SELECT count(*), min(at_ms), max(at_ms) FROM samples {where}", (counter, tally)
            ).fetchone()
            if not count:
                return 0, []
            instants = {first, last}
            for window in windows_ms:
                row = connection.execute(
                    f"SELECT min(at_ms) FROM samples {where} AND at_ms >= ?", (counter, tally, last - window)
                ).fetchone()
                instants.add(row[0])
            marks = ", ".join("?" * len(instants))
            rows = connection.execute(
                f"SELECT at_ms, value FROM samples {where} AND at_ms IN ({marks}) ORDER BY at_ms",
                (counter, tally, *sorted(instants)),
            ).fetchall()
        return count, rows

    def version(self, counter: str, tally: str) -> tuple[int, int]:
        """A number that changes at every write to the tally (0 before the first), and when
        the last write was (ms since the epoch, 0 before the first)."""
        with unavailable_on(*SQLITE_ERRORS):
            row = (
                self._connection()
                .execute("SELECT version, changed_ms FROM versions WHERE counter = ? AND tally = ?", (counter, tally))
                .fetchone()
            )
        return (row[0], row[1]) if row else (0, 0)

    def check(self) -> None:
        """Raise StoreUnavailable unless the file can be opened and read now (a new connection:
        a kept one would not see the file go)."""
        with unavailable_on(*SQLITE_ERRORS):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=1)
            try:
                connection.execute("PRAGMA schema_version").fetchall()
            finally:
                connection.close()

    def tallies(self) -> list[tuple[str, str, int, int | None]]:
        """(counter, tally, samples stored, latest instant in ms) for every tally with stored samples,
        including tallies the timeline no longer has."""
        with unavailable_on(*SQLITE_ERRORS):
            return (
                self._connection()
                .execute(
                    "SELECT counter, tally, count(*), max(at_ms) FROM samples"
                    " GROUP BY counter, tally ORDER BY counter, tally"
                )
                .fetchall()
            )


# Redis, for several hosts: the same promises, each write one Lua script (atomic in Redis).

_ADD = """
local accepted, duplicates, seen, new = 0, 0, {}, {}
for i = 3, #ARGV, 2 do
  local at, value, index = ARGV[i], ARGV[i + 1], (i - 3) / 2
  if seen[at] == nil then
    local found = redis.call('ZRANGEBYSCORE', KEYS[1], at, at)
    if #found > 0 then seen[at] = string.match(found[1], ':(.*)$') end
    if seen[at] == nil then
      table.insert(new, at)
      table.insert(new, at .. ':' .. value)
      accepted = accepted + 1
      seen[at] = value
    elseif seen[at] == value then
      duplicates = duplicates + 1
    else
      return {-1, index}
    end
  elseif seen[at] == value then
    duplicates = duplicates + 1
  else
    return {-1, index}
  end
end
for i = 1, #new, 2000 do
  redis.call('ZADD', KEYS[1], unpack(new, i, math.min(i + 1999, #new)))
end
if accepted > 0 then
  redis.call('HINCRBY', KEYS[2], 'version', 1)
  redis.call('HSET', KEYS[2], 'changed_ms', ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[1])
end
return {accepted, duplicates}
"""
"""Checks every sample of a request, then stores them all, or returns the first conflict
({-1, its index}) having stored nothing: a request is stored whole or not at all."""

_REMOVE = """
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
redis.call('ZREM', KEYS[1], found[1])
redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('HSET', KEYS[2], 'changed_ms', ARGV[2])
return 1
"""


class RedisTallyStore:
    """Pushed samples in Redis (VOIPDOWN_REDIS_URL), for several hosts: per tally a sorted set
    of `at_ms:value` scored by instant and a hash of its version. Durable only as Redis is:
    with `appendonly yes` and `appendfsync always`, an acknowledged push survives a crash of
    Redis; with the default `everysec`, up to a second of pushes may be lost (docs/tallies.md)."""

    PREFIX = "voipdown:tally"

    def __init__(self, url: str):
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._add = self.client.register_script(_ADD)
        self._remove = self.client.register_script(_REMOVE)
        parts = urlsplit(url)
        # What the CLI names in a message: the address without its password.
        self.path = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()

    def _keys(self, counter: str, tally: str) -> list[str]:
        return [f"{self.PREFIX}:{counter}:{tally}:samples", f"{self.PREFIX}:{counter}:{tally}", f"{self.PREFIX}s"]

    def _call(self, work):
        with unavailable_on(*self._errors):
            return work()

    def add(self, counter: str, tally: str, samples: Sequence[tuple[int, int]]) -> Stored:
        """Store `samples` whole or not at all; stored (as Redis stores) on return."""
        arguments = [f"{counter}\0{tally}", to_ms(now())]
        for at_ms, value in samples:
            arguments += [at_ms, value]
        accepted, duplicates = self._call(lambda: self._add(keys=self._keys(counter, tally), args=arguments))
        if accepted == -1:
            raise Conflict(duplicates)
        return Stored(accepted, duplicates)

    def remove(self, counter: str, tally: str, at_ms: int) -> bool:
        keys = self._keys(counter, tally)[:2]
        return bool(self._call(lambda: self._remove(keys=keys, args=[at_ms, to_ms(now())])))

    @staticmethod
    def _parse(members) -> list[tuple[int, int]]:
        rows = []
        for member in members:
            at_ms, _, value = member.decode().partition(":")
            rows.append((int(at_ms), int(value)))
        return rows

    def samples(self, counter: str, tally: str) -> list[tuple[int, int]]:
        return self._parse(self._call(lambda: self.client.zrange(self._keys(counter, tally)[0], 0, -1)))

    def summary_samples(self, counter: str, tally: str, windows_ms: Sequence[int]) -> tuple[int, list[tuple[int, int]]]:
        """As SqliteTallyStore.summary_samples: the earliest, the latest, and the earliest inside
        each trailing window."""
        key = self._keys(counter, tally)[0]

        def read():
            pipe = self.client.pipeline(transaction=True)  # one snapshot
            pipe.zcard(key).zrange(key, 0, 0).zrange(key, -1, -1)
            count, first, last = pipe.execute()
            if not count:
                return 0, []
            rows = {*self._parse(first), *self._parse(last)}
            latest = self._parse(last)[0][0]
            pipe = self.client.pipeline(transaction=False)
            for window in windows_ms:
                pipe.zrangebyscore(key, latest - window, "+inf", start=0, num=1)
            for found in pipe.execute():
                rows.update(self._parse(found))
            return count, sorted(rows)

        return self._call(read)

    def version(self, counter: str, tally: str) -> tuple[int, int]:
        version, changed = self._call(lambda: self.client.hmget(self._keys(counter, tally)[1], "version", "changed_ms"))
        return int(version or 0), int(changed or 0)

    def check(self) -> None:
        self._call(self.client.ping)

    def tallies(self) -> list[tuple[str, str, int, int | None]]:
        def read():
            found = []
            for member in sorted(self.client.smembers(f"{self.PREFIX}s")):
                counter, _, tally = member.decode().partition("\0")
                key = self._keys(counter, tally)[0]
                count, last = self.client.zcard(key), self._parse(self.client.zrange(key, -1, -1))
                if count:
                    found.append((counter, tally, count, last[0][0]))
            return found

        return self._call(read)


def open_tally_store(settings) -> SqliteTallyStore | RedisTallyStore:
    """Redis when VOIPDOWN_REDIS_URL is set (several hosts), else the SQLite file VOIPDOWN_TALLY_STORE."""
    if settings.redis_url:
        return RedisTallyStore(settings.redis_url)
    return SqliteTallyStore(settings.tally_store, settings.tally_sync)
