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

from voipdown.clock import now


class StoreUnavailable(Exception):
    """The store cannot be read or written now; nothing was stored."""


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
        try:
            with self._writing:
                return self._add(counter, tally, samples)
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(str(error)) from error

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
        try:
            with self._writing, self._transaction() as connection:
                removed = connection.execute(
                    "DELETE FROM samples WHERE counter = ? AND tally = ? AND at_ms = ?", (counter, tally, at_ms)
                ).rowcount
                if removed:
                    self._bump(connection, counter, tally)
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(str(error)) from error
        return bool(removed)

    @staticmethod
    def _bump(connection: sqlite3.Connection, counter: str, tally: str) -> None:
        connection.execute(
            "INSERT INTO versions (counter, tally, version, changed_ms) VALUES (?, ?, 1, ?)"
            " ON CONFLICT(counter, tally) DO UPDATE SET version = version + 1, changed_ms = excluded.changed_ms",
            (counter, tally, round(now().timestamp() * 1000)),
        )

    def samples(self, counter: str, tally: str) -> list[tuple[int, int]]:
        """Every stored sample of the tally, (instant in ms, value), by instant."""
        try:
            return (
                self._connection()
                .execute(
                    "SELECT at_ms, value FROM samples WHERE counter = ? AND tally = ? ORDER BY at_ms", (counter, tally)
                )
                .fetchall()
            )
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(str(error)) from error

    def summary_samples(self, counter: str, tally: str, window_ms: int) -> tuple[int, list[tuple[int, int]]]:
        """How many samples are stored, and the ones a summary needs: the earliest, and every
        one in the `window_ms` before the latest (bounded work, however long the series)."""
        try:
            connection = self._connection()
            count, first, last = connection.execute(
                "SELECT count(*), min(at_ms), max(at_ms) FROM samples WHERE counter = ? AND tally = ?",
                (counter, tally),
            ).fetchone()
            if not count:
                return 0, []
            rows = connection.execute(
                "SELECT at_ms, value FROM samples WHERE counter = ? AND tally = ? AND (at_ms = ? OR at_ms >= ?)"
                " ORDER BY at_ms",
                (counter, tally, first, last - window_ms),
            ).fetchall()
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(str(error)) from error
        return count, rows

    def version(self, counter: str, tally: str) -> tuple[int, int]:
        """A number that changes at every write to the tally (0 before the first), and when
        the last write was (ms since the epoch, 0 before the first)."""
        try:
            row = (
                self._connection()
                .execute("SELECT version, changed_ms FROM versions WHERE counter = ? AND tally = ?", (counter, tally))
                .fetchone()
            )
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(str(error)) from error
        return (row[0], row[1]) if row else (0, 0)

    def check(self) -> None:
        """Raise StoreUnavailable unless the file can be opened and read now (a new connection:
        a kept one would not see the file go)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=1)
            try:
                connection.execute("PRAGMA schema_version").fetchall()
            finally:
                connection.close()
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(str(error)) from error

    def tallies(self) -> list[tuple[str, str, int, int | None]]:
        """(counter, tally, samples stored, latest instant in ms) for every tally with stored samples,
        including tallies the timeline no longer has."""
        try:
            return (
                self._connection()
                .execute(
                    "SELECT counter, tally, count(*), max(at_ms) FROM samples"
                    " GROUP BY counter, tally ORDER BY counter, tally"
                )
                .fetchall()
            )
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(str(error)) from error
