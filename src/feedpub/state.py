"""The ledger in .feedpub/: published posts, written files, digests. SQLite, one file."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, overload

from feedpub.errors import StateError
from feedpub.records import record

DB_NAME = "feedpub.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    first_published TEXT NOT NULL  -- UTC ISO 8601: when a build first saw it published
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,  -- relative to output/
    sha256 TEXT NOT NULL,
    key TEXT NOT NULL DEFAULT ''  -- hash of the file's inputs: same key, same bytes
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@record
class LedgerPost:
    """What the ledger remembers of a published post."""

    id: str
    slug: str
    source: str
    title: str
    body_hash: str
    first_published: dt.datetime


@record
class LedgerChange:
    """Insert `row`, or re-key the row whose id was `old_id` into `row`."""

    row: LedgerPost
    old_id: str | None = None


class Ledger:
    """An open ledger; use as a context manager."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def posts(self) -> dict[str, LedgerPost]:
        """Every post ever published, by id."""
        rows = self.db.execute("SELECT id, slug, source, title, body_hash, first_published "
                               "FROM posts ORDER BY first_published, id")
        return {r[0]: LedgerPost(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5]))
                for r in rows}

    def output_files(self) -> dict[str, tuple[str, str]]:
        """Relative path -> (sha256, inputs key) of every file the last build left in output/."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute("SELECT path, sha256, key FROM files")}

    def has_digests(self) -> bool:
        """True when a digest was ever recorded (its tables belong to digest_ledger.py)."""
        table = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'digests'").fetchone()
        return bool(table and self.db.execute("SELECT 1 FROM digests LIMIT 1").fetchone())

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def record_build(self, changes: Iterable[LedgerChange],
                     files: Mapping[str, tuple[str, str]] | None,
                     meta: Mapping[str, str]) -> None:
        """Post ids, the output manifest and build facts, in one transaction."""
        with self.transaction():
            for change in changes:
                _apply(self.db, change)
            if files is not None:
                self.db.execute("DELETE FROM files")
                self.db.executemany("INSERT INTO files VALUES (?, ?, ?)",
                                    sorted((p, *v) for p, v in files.items()))
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def _apply(db: sqlite3.Connection, change: LedgerChange) -> None:
    row = change.row
    values = (row.id, row.slug, row.source, row.title, row.body_hash,
              row.first_published.astimezone(dt.UTC).isoformat())
    if change.old_id is not None and change.old_id != row.id:
        db.execute("DELETE FROM posts WHERE id = ?", (change.old_id,))
    db.execute("DELETE FROM posts WHERE slug = ? AND id != ?", (row.slug, row.id))
    db.execute("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?, ?, ?)", values)


@overload
def open_ledger(state_dir: Path) -> Ledger: ...
@overload
def open_ledger(state_dir: Path, create: Literal[True]) -> Ledger: ...
@overload
def open_ledger(state_dir: Path, create: bool) -> Ledger | None: ...
def open_ledger(state_dir: Path, create: bool = True) -> Ledger | None:
    """Open (and create) the ledger; None when it does not exist and create is False."""
    path = state_dir / DB_NAME
    if not create and not path.exists():
        return None
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
    except (OSError, sqlite3.Error) as exc:
        raise StateError(f"{path}: cannot open the state database: {exc} (is the folder "
                         "writable? delete it only if you accept re-announcing posts)") from None
    return Ledger(db)


@contextmanager
def exclusive(state_dir: Path, name: str, wait: bool = True) -> Iterator[int]:
    """Hold an flock on .feedpub/<name>; yields the file descriptor."""
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        raise
    try:
        yield fd
    finally:
        # Unlocked before closing: a worker forked meanwhile shares the descriptor, and
        # closing this copy alone would leave the lock held until that worker exits.
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
