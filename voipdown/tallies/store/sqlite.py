"""The SQLite tally store, the default: one file in WAL mode, safe for several worker
processes, committed before a push is answered.

Samples live in one table keyed by (counter, tally, at_ms), so every read is a range of
that primary key; a tally's version, last write and count live in `versions`, so the
cheap read every worker makes twice a second touches one row.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from voipdown.clock import now
from voipdown.tallies.model import StoredColumns, StoredSample, to_ms
from voipdown.tallies.store.protocol import (
    Conflict,
    Lease,
    Stored,
    StoredSummary,
    StoredTally,
    StoreUnavailable,
    Version,
)

SQLITE_ERRORS = (sqlite3.Error, OSError)
REOPEN = "nothing is written until the service is restarted (it then opens the file at that path; restore it first)"
IN_WORDS = {
    "database or disk is full": "the disk holding the tally store is full",
    "attempt to write a readonly database": "the tally store cannot be written: its file or its disk is read-only",
    "disk I/O error": "the disk holding the tally store fails (I/O error)",
}
"""SQLite's words for a failed write, and an operator's."""


def _in_words(error: sqlite3.Error) -> str:
    text = str(error)
    return next((words for known, words in IN_WORDS.items() if known in text), text or type(error).__name__)


def _explained(error: BaseException, file: Path) -> str:
    """An error in an operator's words: SQLite's "unable to open database file" covers a disk
    mounted read-only, a file or folder the service may not write, and a missing folder, so
    the file system is asked which it is."""
    text = _in_words(error) if isinstance(error, sqlite3.Error) else str(error) or type(error).__name__
    if not isinstance(error, sqlite3.Error) or ("unable to open" not in text and "read-only" not in text):
        return text
    folder = file.parent
    if not folder.is_dir():
        return f"the tally store's folder {folder} does not exist"
    with suppress(OSError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"the disk holding the tally store ({folder}) is mounted read-only"
    if not os.access(folder, os.W_OK) or (file.exists() and not os.access(file, os.W_OK)):
        return f"the tally store file {file} or its folder cannot be written by this user"
    return text


def _identity_of(path: Path) -> tuple[int, int]:
    found = os.stat(path)
    return found.st_dev, found.st_ino


SYNC_MODES = {"normal": "NORMAL", "full": "FULL"}
"""NORMAL survives a killed process (WAL), not a power cut; FULL survives both, slower."""
_TALLY = "counter = ? AND tally = ?"
LOCK_WAIT = 5.0
"""Seconds a write waits for another process's write lock before the store is unavailable."""
LOCK_RETRY = 0.0005


def _window_rows(
    connection: sqlite3.Connection, counter: str, tally: str, since_ms: int | None, until_ms: int | None, limit: int
) -> list[tuple[int, int]]:
    """(at_ms, value) of the window, oldest first; a limit of -1: all of them."""
    low = -(2**63) if since_ms is None else since_ms
    high = 2**63 - 1 if until_ms is None else until_ms
    return connection.execute(
        f"SELECT at_ms, value FROM samples WHERE {_TALLY} AND at_ms BETWEEN ? AND ? ORDER BY at_ms LIMIT ?",
        (counter, tally, low, high, limit),
    ).fetchall()


def _columns(rows: list[tuple[int, int]]) -> StoredColumns:
    at_ms, values = zip(*rows, strict=True) if rows else ((), ())
    return StoredColumns(at_ms, values)


_READ_ONLY: dict[str, sqlite3.Connection] = {}
"""Connections of `read_only_columns`, by path (a helper process's, one thread)."""


def read_only_columns(path: str, counter: str, tally: str, since_ms: int | None, until_ms: int | None) -> StoredColumns:
    """A window as columns, read through a read-only connection of the file at `path` (made
    once): for a helper process (voipdown/tallies/offload.py), which must never create or
    change the store, only read what the worker asked."""
    try:
        connection = _READ_ONLY.get(path)
        if connection is None:
            address = f"{Path(path).resolve().as_uri()}?mode=ro"
            connection = _READ_ONLY[path] = sqlite3.connect(address, uri=True, timeout=LOCK_WAIT)
        return _columns(_window_rows(connection, counter, tally, since_ms, until_ms, -1))
    except SQLITE_ERRORS as error:
        _READ_ONLY.pop(path, None)
        raise StoreUnavailable(_explained(error, Path(path))) from error


class SqliteTallyStore:
    def __init__(self, path: str | Path, sync: str = "normal"):
        self.file = Path(path)
        self.path = str(self.file)
        self.sync = SYNC_MODES[sync]
        self._local = threading.local()
        self._identity: tuple[int, int] | None = None
        """(device, inode) of the file this store first opened: every later read and write is
        of that file or of none (a file removed or replaced under a running service would
        take acknowledged pushes into a deleted inode, lost at the next start)."""
        self._opening = threading.Lock()
        self._write_failure: str | None = None
        """Why the last write failed (disk full, read-only), until one succeeds: /healthz says it."""
        self._writing = threading.Lock()
        """One writer at a time in this process: SQLite's own busy wait sleeps in steps of up
        to 100 ms, so threads queue here instead (other processes still meet the busy wait)."""

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        """SQLite's and the file system's errors as StoreUnavailable, in an operator's words."""
        try:
            yield
        except SQLITE_ERRORS as error:
            raise StoreUnavailable(_explained(error, self.file)) from error

    def open(self) -> None:
        """Open (or create) the file now, so that its identity is known from the service's start."""
        with self._unavailable():
            self._connection()

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3's rule), opened on first use; the store's first
        opening may create the file, no later one does."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            with self._opening:
                if self._identity is None:
                    self.file.parent.mkdir(parents=True, exist_ok=True)
                    connection = sqlite3.connect(self.file, timeout=LOCK_WAIT, isolation_level=None)
                else:
                    self._same_file()  # before connecting: a missing file is not made again
                    address = f"{self.file.resolve().as_uri()}?mode=rw"
                    connection = sqlite3.connect(address, uri=True, timeout=LOCK_WAIT, isolation_level=None)
                self._setup(connection)
                if self._identity is None:
                    self._identity = _identity_of(self.file)
            self._local.connection = connection
        self._same_file()
        return connection

    def _same_file(self) -> None:
        """StoreUnavailable, in an operator's words, unless the path still names the file opened."""
        try:
            found = _identity_of(self.file)
        except FileNotFoundError:
            raise StoreUnavailable(f"the tally store file {self.file} was removed: {REOPEN}") from None
        except OSError as error:
            raise StoreUnavailable(f"the tally store file {self.file} cannot be reached ({error.strerror})") from None
        if found != self._identity:
            raise StoreUnavailable(f"the tally store file {self.file} was replaced by another file: {REOPEN}")

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
            " version INTEGER NOT NULL, changed_ms INTEGER NOT NULL DEFAULT 0, samples INTEGER,"
            " PRIMARY KEY (counter, tally))"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS collectors (counter TEXT NOT NULL, tally TEXT NOT NULL,"
            " interval INTEGER NOT NULL DEFAULT -1, holder TEXT, expires_ms INTEGER NOT NULL DEFAULT 0, state TEXT,"
            " PRIMARY KEY (counter, tally))"
        )
        columns = {row[1] for row in connection.execute("PRAGMA table_info(versions)")}
        if not {"changed_ms", "samples"} <= columns:
            self._migrate(connection)

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """A store made before writes were dated, or before counts were kept: the columns added
        and the counts taken, in one transaction (another worker may be doing the same)."""
        connection.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(versions)")}
            if "changed_ms" not in columns:
                connection.execute("ALTER TABLE versions ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0")
            if "samples" not in columns:
                connection.execute("ALTER TABLE versions ADD COLUMN samples INTEGER")
                connection.execute(
                    "UPDATE versions SET samples = (SELECT count(*) FROM samples AS s"
                    " WHERE s.counter = versions.counter AND s.tally = versions.tally)"
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """This process's write turn, then the file's write lock, both within LOCK_WAIT of
        asking; then a transaction, committed on leaving (see `_write`)."""
        deadline = time.monotonic() + LOCK_WAIT
        if not self._writing.acquire(timeout=LOCK_WAIT):
            raise StoreUnavailable(f"the tally store is busy: another write of this worker took over {LOCK_WAIT:g} s")
        try:
            with self._write(deadline) as connection:
                yield connection
        finally:
            self._writing.release()

    @contextmanager
    def _write(self, deadline: float) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed on leaving, rolled back on any error (a failed COMMIT
        may have ended it already: that rollback's own error would hide the first)."""
        connection = self._connection()
        self._begin_immediate(connection, deadline)
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                self._write_failure = _explained(error, self.file)
                raise StoreUnavailable(self._write_failure) from error
            raise
        self._write_failure = None

    @staticmethod
    def _begin_immediate(connection: sqlite3.Connection, deadline: float) -> None:
        """Take the file's write lock, asking again every half millisecond while another process
        holds it (for as long as SQLite's own wait would): SQLite's busy wait sleeps in steps of
        up to 100 ms, so under a steady stream of pushes from two workers a push of one could
        wait behind dozens of the other's."""
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error):
                        raise
                    if time.monotonic() > deadline:
                        raise StoreUnavailable(
                            f"the tally store file is locked by another process (a backup, the sqlite3 shell,"
                            f" another service?) for over {LOCK_WAIT:g} s"
                        ) from None
                time.sleep(LOCK_RETRY)
        finally:
            connection.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT * 1000)}")

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every read inside sees the same state (WAL: no writer waits)."""
        with self._unavailable():
            connection = self._connection()
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                connection.execute("COMMIT")

    def add(self, counter: str, tally: str, samples: Sequence[StoredSample], collector: str | None = None) -> Stored:
        with self._unavailable(), self._transaction() as connection:
            accepted = duplicates = 0
            seen: dict[int, int] = {}
            for index, sample in enumerate(samples):
                at_ms, value = sample.at_ms, sample.value
                if at_ms in seen:
                    if seen[at_ms] != value:
                        raise Conflict(index)
                    duplicates += 1
                    continue
                row = connection.execute(
                    f"SELECT value FROM samples WHERE {_TALLY} AND at_ms = ?", (counter, tally, at_ms)
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
            if collector is not None:
                self._set_collector(connection, counter, tally, collector)
            if accepted or collector is not None:
                self._bump(connection, counter, tally, accepted)
        return Stored(accepted, duplicates)

    def claim(self, leases: Sequence[Lease], holder: str) -> list[bool]:
        """A read first (every worker asks at each interval's start, and one of them wins):
        only the leases still free are written, in one transaction."""
        with self._snapshot() as connection:
            held = [self._held(connection, lease) for lease in leases]
        taken = [False] * len(leases)
        if all(interval >= lease.interval for interval, lease in zip(held, leases, strict=True)):
            return taken
        with self._unavailable(), self._transaction() as connection:
            for index, lease in enumerate(leases):
                taken[index] = (
                    connection.execute(
                        "INSERT INTO collectors (counter, tally, interval, holder, expires_ms) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT(counter, tally) DO UPDATE SET interval = excluded.interval,"
                        " holder = excluded.holder, expires_ms = excluded.expires_ms"
                        " WHERE collectors.interval < excluded.interval",
                        (lease.counter, lease.tally, lease.interval, holder, lease.expires_ms),
                    ).rowcount
                    == 1
                )
        return taken

    @staticmethod
    def _held(connection: sqlite3.Connection, lease: Lease) -> int:
        row = connection.execute(
            f"SELECT interval FROM collectors WHERE {_TALLY}", (lease.counter, lease.tally)
        ).fetchone()
        return row[0] if row else -1

    def collectors(self, keys: Sequence[tuple[str, str]]) -> list[str | None]:
        with self._snapshot() as connection:
            rows = [connection.execute(f"SELECT state FROM collectors WHERE {_TALLY}", key).fetchone() for key in keys]
        return [row[0] if row else None for row in rows]

    def set_collector(self, counter: str, tally: str, state: str) -> None:
        with self._unavailable(), self._transaction() as connection:
            self._set_collector(connection, counter, tally, state)
            self._bump(connection, counter, tally, 0)

    @staticmethod
    def _set_collector(connection: sqlite3.Connection, counter: str, tally: str, state: str) -> None:
        connection.execute(
            "INSERT INTO collectors (counter, tally, state) VALUES (?, ?, ?)"
            " ON CONFLICT(counter, tally) DO UPDATE SET state = excluded.state",
            (counter, tally, state),
        )

    def remove(self, counter: str, tally: str, at_ms: int) -> bool:
        with self._unavailable(), self._transaction() as connection:
            removed = connection.execute(
                f"DELETE FROM samples WHERE {_TALLY} AND at_ms = ?", (counter, tally, at_ms)
            ).rowcount
            if removed:
                self._bump(connection, counter, tally, -removed)
        return bool(removed)

    @staticmethod
    def _bump(connection: sqlite3.Connection, counter: str, tally: str, added: int) -> None:
        connection.execute(
            "INSERT INTO versions (counter, tally, version, changed_ms, samples) VALUES (?, ?, 1, ?, ?)"
            " ON CONFLICT(counter, tally) DO UPDATE SET version = version + 1,"
            " changed_ms = excluded.changed_ms, samples = samples + ?",
            (counter, tally, to_ms(now()), added, added),
        )

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One statement's read (atomic by itself: no transaction needed)."""
        with self._unavailable():
            yield self._connection()

    def version(self, counter: str, tally: str) -> Version:
        """Every worker asks twice a second per tally: one row, without a context manager's cost."""
        try:
            row = (
                self._connection()
                .execute(f"SELECT version, changed_ms, samples FROM versions WHERE {_TALLY}", (counter, tally))
                .fetchone()
            )
        except SQLITE_ERRORS as error:
            raise StoreUnavailable(str(error) or type(error).__name__) from error
        return Version(row[0], row[1], row[2]) if row else Version(0, 0, 0)

    @staticmethod
    def _one(connection: sqlite3.Connection, query: str, arguments: tuple) -> StoredSample | None:
        row = connection.execute(query, arguments).fetchone()
        return StoredSample(row[0], row[1]) if row else None

    def summary(
        self, counter: str, tally: str, windows_ms: Sequence[int], reference_ms: int | None = None
    ) -> StoredSummary:
        select = f"SELECT at_ms, value FROM samples WHERE {_TALLY}"
        with self._snapshot() as connection:
            found = connection.execute(f"SELECT samples FROM versions WHERE {_TALLY}", (counter, tally)).fetchone()
            earliest = self._one(connection, f"{select} ORDER BY at_ms LIMIT 1", (counter, tally))
            if earliest is None:
                return StoredSummary(0, None, None, (None,) * len(windows_ms))
            latest = self._one(connection, f"{select} ORDER BY at_ms DESC LIMIT 1", (counter, tally))
            end = max(latest.at_ms, reference_ms or latest.at_ms)
            windows = tuple(
                self._one(connection, f"{select} AND at_ms >= ? ORDER BY at_ms LIMIT 1", (counter, tally, end - window))
                for window in windows_ms
            )
        return StoredSummary(found[0] if found else 0, earliest, latest, windows)

    def window(
        self, counter: str, tally: str, since_ms: int | None, until_ms: int | None, limit: int
    ) -> list[StoredSample]:
        return [StoredSample(at_ms, value) for at_ms, value in self._rows(counter, tally, since_ms, until_ms, limit)]

    def columns(self, counter: str, tally: str, since_ms: int | None, until_ms: int | None) -> StoredColumns:
        with self._reading() as connection:
            return _columns(_window_rows(connection, counter, tally, since_ms, until_ms, -1))

    def _rows(
        self, counter: str, tally: str, since_ms: int | None, until_ms: int | None, limit: int
    ) -> list[tuple[int, int]]:
        with self._reading() as connection:
            return _window_rows(connection, counter, tally, since_ms, until_ms, limit)

    def newest(self, counter: str, tally: str, offset: int, limit: int) -> list[StoredSample]:
        with self._reading() as connection:
            rows = connection.execute(
                f"SELECT at_ms, value FROM samples WHERE {_TALLY} ORDER BY at_ms DESC LIMIT ? OFFSET ?",
                (counter, tally, limit, offset),
            ).fetchall()
        return [StoredSample(at_ms, value) for at_ms, value in rows]

    def count(self, counter: str, tally: str, until_ms: int) -> int:
        with self._reading() as connection:
            return connection.execute(
                f"SELECT count(*) FROM samples WHERE {_TALLY} AND at_ms <= ?", (counter, tally, until_ms)
            ).fetchone()[0]

    def check(self) -> None:
        """The file opened is still there and readable (a new connection, which creates
        nothing), and the last write did not fail."""
        with self._unavailable():
            if self._identity is None:
                self._connection()  # the store's first opening
            self._same_file()
            connection = sqlite3.connect(f"{self.file.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
            try:
                connection.execute("PRAGMA schema_version").fetchall()
            finally:
                connection.close()
        if self._write_failure:
            raise StoreUnavailable(f"the last write failed: {self._write_failure}")

    def tallies(self) -> list[StoredTally]:
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT counter, tally, count(*), max(at_ms) FROM samples"
                " GROUP BY counter, tally ORDER BY counter, tally"
            ).fetchall()
        return [StoredTally(*row) for row in rows]
