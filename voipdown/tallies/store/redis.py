"""The Redis tally store (VOIPDOWN_REDIS_URL), for several hosts: the same promises as SQLite.

Per tally a sorted set of `at_ms:value` members scored by instant (every read a range of
scores or ranks: O(log n) plus the rows returned) and a hash of its version and last write;
each write is one Lua script, atomic in Redis. Durable only as Redis is: with `appendonly
yes` and `appendfsync always`, an acknowledged push survives a crash of Redis; with the
default `everysec`, up to a second of pushes may be lost (docs/tallies.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from voipdown.clock import now
from voipdown.tallies.model import StoredColumns, StoredSample, to_ms
from voipdown.tallies.store.protocol import (
    Conflict,
    Lease,
    Stored,
    StoredSummary,
    StoredTally,
    Version,
    unavailable_on,
)

_ADD = """
local accepted, duplicates, seen, new = 0, 0, {}, {}
for i = 4, #ARGV, 2 do
  local at, value, index = ARGV[i], ARGV[i + 1], (i - 4) / 2
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
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], 'collector', ARGV[3])
end
if accepted > 0 or ARGV[3] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'version', 1)
  redis.call('HSET', KEYS[2], 'changed_ms', ARGV[2])
end
if accepted > 0 then
  redis.call('SADD', KEYS[3], ARGV[1])
end
return {accepted, duplicates}
"""
"""Checks every sample of a request, then stores them all (and the collector's state, ARGV[3],
unless empty), or returns the first conflict ({-1, its index}) having stored nothing: a
request is stored whole or not at all."""

_CLAIM = """
local held = tonumber(redis.call('HGET', KEYS[1], 'interval') or '-1')
if held >= tonumber(ARGV[1]) and redis.call('PTTL', KEYS[1]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'interval', ARGV[1], 'holder', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
"""The lease of interval ARGV[1] to ARGV[2], unless it or a later one is held: a hash that
expires (PEXPIRE) when the interval ends, so a dead holder keeps it no longer."""

_SET_COLLECTOR = """
redis.call('HSET', KEYS[1], 'collector', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'changed_ms', ARGV[2])
"""

_REMOVE = """
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
redis.call('ZREM', KEYS[1], found[1])
redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('HSET', KEYS[2], 'changed_ms', ARGV[2])
return 1
"""


def _parsed(members) -> list[StoredSample]:
    rows = []
    for member in members:
        at_ms, _, value = member.decode().partition(":")
        rows.append(StoredSample(int(at_ms), int(value)))
    return rows


def _first(members) -> StoredSample | None:
    rows = _parsed(members)
    return rows[0] if rows else None


class RedisTallyStore:
    PREFIX = "voipdown:tally"

    def __init__(self, url: str):
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._add = self.client.register_script(_ADD)
        self._remove = self.client.register_script(_REMOVE)
        self._set_collector = self.client.register_script(_SET_COLLECTOR)
        self._claim = self.client.register_script(_CLAIM)
        parts = urlsplit(url)
        # What the CLI names in a message: the address without its password.
        self.path = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()

    def _samples_key(self, counter: str, tally: str) -> str:
        return f"{self.PREFIX}:{counter}:{tally}:samples"

    def _keys(self, counter: str, tally: str) -> list[str]:
        """The samples, the version hash, and the set of every tally with samples."""
        return [self._samples_key(counter, tally), f"{self.PREFIX}:{counter}:{tally}", f"{self.PREFIX}s"]

    def _call(self, work):
        with unavailable_on(*self._errors):
            return work()

    def add(self, counter: str, tally: str, samples: Sequence[StoredSample], collector: str | None = None) -> Stored:
        arguments = [f"{counter}\0{tally}", to_ms(now()), collector or ""]
        for sample in samples:
            arguments += [sample.at_ms, sample.value]
        accepted, duplicates = self._call(lambda: self._add(keys=self._keys(counter, tally), args=arguments))
        if accepted == -1:
            raise Conflict(duplicates)
        return Stored(accepted, duplicates)

    def remove(self, counter: str, tally: str, at_ms: int) -> bool:
        keys = self._keys(counter, tally)[:2]
        return bool(self._call(lambda: self._remove(keys=keys, args=[at_ms, to_ms(now())])))

    def version(self, counter: str, tally: str) -> Version:
        samples_key, version_key, _ = self._keys(counter, tally)

        def read():
            pipe = self.client.pipeline(transaction=True)
            pipe.hmget(version_key, "version", "changed_ms").zcard(samples_key)
            (version, changed), count = pipe.execute()
            return Version(int(version or 0), int(changed or 0), count)

        return self._call(read)

    def summary(
        self, counter: str, tally: str, windows_ms: Sequence[int], reference_ms: int | None = None
    ) -> StoredSummary:
        key = self._samples_key(counter, tally)

        def read():
            pipe = self.client.pipeline(transaction=True)
            pipe.zcard(key).zrange(key, 0, 0).zrange(key, -1, -1)
            count, first, last = pipe.execute()
            if not count:
                return StoredSummary(0, None, None, (None,) * len(windows_ms))
            earliest, latest = _first(first), _first(last)
            end = max(latest.at_ms, reference_ms or latest.at_ms)
            pipe = self.client.pipeline(transaction=True)
            for window in windows_ms:
                pipe.zrangebyscore(key, end - window, "+inf", start=0, num=1)
            windows = tuple(_first(found) for found in pipe.execute())
            return StoredSummary(count, earliest, latest, windows)

        return self._call(read)

    def window(
        self, counter: str, tally: str, since_ms: int | None, until_ms: int | None, limit: int
    ) -> list[StoredSample]:
        low = "-inf" if since_ms is None else since_ms
        high = "+inf" if until_ms is None else until_ms
        key = self._samples_key(counter, tally)
        return _parsed(self._call(lambda: self.client.zrangebyscore(key, low, high, start=0, num=limit)))

    def columns(self, counter: str, tally: str, since_ms: int | None, until_ms: int | None) -> StoredColumns:
        low = "-inf" if since_ms is None else since_ms
        high = "+inf" if until_ms is None else until_ms
        key = self._samples_key(counter, tally)
        members = self._call(lambda: self.client.zrangebyscore(key, low, high))
        at_ms, values = [], []
        for member in members:
            at, _, value = member.partition(b":")
            at_ms.append(int(at))
            values.append(int(value))
        return StoredColumns(at_ms, values)

    def newest(self, counter: str, tally: str, offset: int, limit: int) -> list[StoredSample]:
        key = self._samples_key(counter, tally)
        return _parsed(self._call(lambda: self.client.zrevrange(key, offset, offset + limit - 1)))

    def count(self, counter: str, tally: str, until_ms: int) -> int:
        key = self._samples_key(counter, tally)
        return self._call(lambda: self.client.zcount(key, "-inf", until_ms))

    def open(self) -> None:
        """Nothing to open: a connection is made at the first command, and again after a failure."""

    def check(self) -> None:
        self._call(self.client.ping)

    def claim(self, leases: Sequence[Lease], holder: str) -> list[bool]:
        at_ms = to_ms(now())

        def claim_all():
            pipe = self.client.pipeline(transaction=False)
            for lease in leases:
                key = f"{self.PREFIX}:{lease.counter}:{lease.tally}:lease"
                self._claim(keys=[key], args=[lease.interval, holder, max(1, lease.expires_ms - at_ms)], client=pipe)
            return [bool(taken) for taken in pipe.execute()]

        return self._call(claim_all)

    def collectors(self, keys: Sequence[tuple[str, str]]) -> list[str | None]:
        def read():
            pipe = self.client.pipeline(transaction=False)
            for counter, tally in keys:
                pipe.hget(self._keys(counter, tally)[1], "collector")
            return [found.decode() if found is not None else None for found in pipe.execute()]

        return self._call(read)

    def set_collector(self, counter: str, tally: str, state: str) -> None:
        key = self._keys(counter, tally)[1]
        self._call(lambda: self._set_collector(keys=[key], args=[state, to_ms(now())]))

    def tallies(self) -> list[StoredTally]:
        def read():
            found = []
            for member in sorted(self.client.smembers(f"{self.PREFIX}s")):
                counter, _, tally = member.decode().partition("\0")
                key = self._samples_key(counter, tally)
                count, last = self.client.zcard(key), _first(self.client.zrange(key, -1, -1))
                if count:
                    found.append(StoredTally(counter, tally, count, last.at_ms))
            return found

        return self._call(read)
