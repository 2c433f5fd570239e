"""`voipdown backup DIR`: a consistent copy of the SQLite stores while the service runs.

SQLite's online backup copies a store in one read transaction: the copy is the store as
of the moment that transaction began (every push answered `201` before then is in it), and
since the stores are in WAL mode, pushes go on meanwhile. Each copy is written beside its
final name, checked, flushed to disk, then renamed over the previous one, so that an
interrupted backup never leaves a half-written file under a store's name. Redis stores are
backed up by Redis itself (its RDB snapshots or AOF), not here.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from voipdown.settings import Settings


@dataclass(frozen=True)
class StoreFile:
    """A store to copy: what it keeps, where (its copy gets the same file name), and the
    table whose rows the copy reports."""

    what: str
    path: Path
    table: str


@dataclass(frozen=True)
class Copied:
    what: str
    source: Path
    target: Path | None
    """None: there was no such file yet (nothing pushed or seen)."""
    size: int = 0
    rows: int = 0


class BackupRefused(Exception):
    """The stores are not files this command can copy (Redis), or the folder cannot be written."""


def store_files(settings: Settings) -> list[StoreFile]:
    """The SQLite stores the service with `settings` writes."""
    if settings.redis_url:
        raise BackupRefused(
            "the stores are in Redis (VOIPDOWN_REDIS_URL): back up Redis itself, from its RDB snapshot"
            " (BGSAVE, then copy dump.rdb) or its append-only file (docs/deploy.md, 'Backups')"
        )
    files = [StoreFile("tally samples", settings.tally_store, "samples")]
    if settings.discovery:
        files.append(StoreFile("participating sites", settings.store, "participants"))
    return files


def back_up(settings: Settings, folder: Path) -> list[Copied]:
    """Copy every store of `settings` into `folder` (made if missing), one file each, named as the store."""
    files = store_files(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupRefused(f"cannot make the folder {folder}: {error.strerror}") from None
    targets = [folder / store.path.name for store in files]
    if len(set(targets)) < len(targets):
        raise BackupRefused("the two stores have the same file name: their copies would be one file")
    for store, target in zip(files, targets, strict=True):
        if target.resolve() == store.path.resolve():
            raise BackupRefused(f"{folder} holds the store itself: give another folder for its copy")
    return [_copy(store, target) for store, target in zip(files, targets, strict=True)]


def _copy(store: StoreFile, target: Path) -> Copied:
    if not store.path.exists():
        return Copied(store.what, store.path, None)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # mode=rw: never make an empty store where the service's is missing; its own WAL settings stay.
    source = sqlite3.connect(f"file:{store.path}?mode=rw", uri=True, timeout=10)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # every page in one step: one read transaction, one moment
            if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupRefused(f"the copy of {store.path} failed SQLite's integrity check")
            rows = copy.execute(f"SELECT count(*) FROM {store.table}").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"cannot copy {store.path}: {error}") from None
    finally:
        source.close()
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
    return Copied(store.what, store.path, target, target.stat().st_size, rows)
