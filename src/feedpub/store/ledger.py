"""The ledger, .feedpub/feedpub.sqlite: the one record of what was published and sent.

One schema, grown by numbered migrations (PRAGMA user_version). The ledger is the
truth, never a cache: one that exists but cannot be read is an error to fix (restore
the backup), never silently replaced; only a missing ledger starts a new site.
This module owns the file (its schema, the meta facts, the output manifest); the other
store modules query their tables through a Ledger: published (posts and their ids),
digests.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Literal, overload

from feedpub.errors import StateError

DB_NAME = "feedpub.sqlite"
# MIGRATIONS[n] takes a ledger from version n to n + 1. Version 0 is a ledger made
# before migrations were numbered (posts, files and meta; digest tables made on use).
MIGRATIONS = (
    """
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
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS digests (
        id TEXT PRIMARY KEY,             -- 2026-11-23-1: the date in the site zone, a counter
        created TEXT NOT NULL,           -- UTC ISO 8601: the digest's time (its Date header)
        kind TEXT NOT NULL,              -- 'next' (since the last digest) or 'explicit'
        label TEXT NOT NULL,             -- the window, in words
        subject TEXT NOT NULL,
        scheduled_for TEXT UNIQUE        -- UTC ISO 8601 cron slot of a scheduled run, else NULL
    );
    CREATE TABLE IF NOT EXISTS digest_posts (
        digest_id TEXT NOT NULL REFERENCES digests(id),
        position INTEGER NOT NULL,
        post_id TEXT NOT NULL,
        slug TEXT NOT NULL,              -- the post's slug then: finds it if its id changes
        PRIMARY KEY (digest_id, position)
    );
    CREATE TABLE IF NOT EXISTS digest_skips (
        at TEXT NOT NULL,                -- UTC ISO 8601: a regular run found nothing to send
        scheduled_for TEXT UNIQUE        -- the cron slot it was for, else NULL
    );
    """,
    # 1 -> 2: an id minted from the placeholder url is provisional (posts.identity).
    "ALTER TABLE posts ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;",
    # 2 -> 3: the newsletter's subscribers and the outbox of every send (store.subscribers,
    # store.outbox).
    """
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after an erasure
        key TEXT NOT NULL UNIQUE,        -- the address lower-cased: one row per person
        address TEXT NOT NULL,           -- the address, normalised, as they gave it
        status TEXT NOT NULL,            -- pending, active, unsubscribed or bounced
        source TEXT NOT NULL,            -- cli, import or web
        subscribed TEXT NOT NULL,        -- UTC ISO 8601: when added
        confirmed TEXT,                  -- when confirmed (added or imported as active)
        left_at TEXT,                    -- when they unsubscribed or bounced
        failures INTEGER NOT NULL DEFAULT 0  -- permanent delivery failures in a row
    );
    CREATE TABLE erased (
        hash TEXT PRIMARY KEY,           -- HMAC of a removed address: never added back
        at TEXT NOT NULL
    );
    CREATE TABLE sends (
        digest_id TEXT PRIMARY KEY REFERENCES digests(id),
        frozen TEXT NOT NULL,            -- when its audience was frozen into the outbox
        finished TEXT                    -- when nothing was left to try
    );
    CREATE TABLE outbox (
        digest_id TEXT NOT NULL REFERENCES sends(digest_id),
        subscriber_id INTEGER NOT NULL,
        address TEXT NOT NULL,           -- as frozen ('' once erased)
        state TEXT NOT NULL,             -- queued, sending, sent, deferred, rejected, skipped
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt TEXT,               -- a deferred message is tried again from then
        detail TEXT,                     -- the server's last answer
        done TEXT,                       -- when it was sent, rejected or skipped
        uncertain INTEGER NOT NULL DEFAULT 0,  -- sent again after a cut mid-transaction
        PRIMARY KEY (digest_id, subscriber_id)
    );
    CREATE INDEX outbox_state ON outbox (digest_id, state);
    """,
)
VERSION = len(MIGRATIONS)
_RESTORE = "restore it from your backup (or delete it to start over: every post is then new)"


class Ledger:
    """An open ledger; use as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def output_files(self) -> dict[str, tuple[str, str]]:
        """Relative path -> (sha256, inputs key) of every file the last build left in output/."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute("SELECT path, sha256, key FROM files")}

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, values: Mapping[str, str]) -> None:
        """Remember facts about the site (build inputs, the daemon's first start...)."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """All or nothing: the statements run inside it commit together."""
        return _transaction(self.db)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except sqlite3.OperationalError as exc:  # a full disk, a read-only folder, a lock
        raise StateError(f"cannot write the ledger: {exc} (is the disk full, or the state "
                         "folder read-only?)") from None


@overload
def open_ledger(state_dir: Path) -> Ledger: ...
@overload
def open_ledger(state_dir: Path, create: Literal[True]) -> Ledger: ...
@overload
def open_ledger(state_dir: Path, create: bool) -> Ledger | None: ...
def open_ledger(state_dir: Path, create: bool = True) -> Ledger | None:
    """The ledger, upgraded to this feedpub's schema; a new one only when none exists
    and `create`; None when none exists and not `create`. StateError when it is damaged."""
    path = state_dir / DB_NAME
    if not path.exists():
        if not create:
            return None
        _create(state_dir, path)
    return _checked(path, _connect(path, f"{path.resolve().as_uri()}?mode=rw"), write=True)


def read_ledger(state_dir: Path) -> Ledger | None:
    """The ledger opened read-only, without writing a byte (no -wal/-shm files when no
    process has it open); None when there is none yet."""
    path = state_dir / DB_NAME
    if not path.exists():
        return None
    # immutable=1 creates no side files; while a daemon holds the database open (its -wal
    # exists) a plain read-only connection sees its latest commits.
    mode = "mode=ro" if path.with_name(DB_NAME + "-wal").exists() else "immutable=1"
    return _checked(path, _connect(path, f"{path.resolve().as_uri()}?{mode}"), write=False)


def _create(state_dir: Path, path: Path) -> None:
    """A new ledger, made aside and renamed into place: a crash never leaves half of one."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{DB_NAME}.new")
        temp.unlink(missing_ok=True)
        db = sqlite3.connect(temp, isolation_level=None)
        with db:
            db.executescript("".join(MIGRATIONS) + f"PRAGMA user_version = {VERSION};")
        db.close()
        os.replace(temp, path)
    except (OSError, sqlite3.Error) as exc:
        raise StateError(f"{path}: cannot create the state database: {exc} "
                         "(is the folder writable?)") from None


def _connect(path: Path, uri: str) -> sqlite3.Connection:
    try:
        return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise StateError(f"{path}: cannot open the state database: {exc} (is the folder "
                         "readable and writable?)") from None


def _checked(path: Path, db: sqlite3.Connection, write: bool) -> Ledger:
    """`db` checked and, when `write`, migrated to VERSION; StateError when it is damaged."""
    try:
        if path.stat().st_size == 0:
            raise sqlite3.DatabaseError("the file is empty")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise StateError(f"{path}: made by a newer feedpub (schema {version}, this one "
                             f"knows {VERSION}); upgrade feedpub")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = _tables(version) - tables
        if missing:  # checked before anything is written
            raise sqlite3.DatabaseError(f"tables missing: {', '.join(sorted(missing))}")
        if not write and version < VERSION:
            raise StateError(f"{path}: made by an older feedpub; run 'feedpub build' once to "
                             "upgrade it")
        if write:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            _migrate(db, version)
    except (sqlite3.DatabaseError, OSError) as exc:
        db.close()
        raise StateError(f"{path}: the ledger is damaged ({exc}); {_RESTORE}") from None
    except StateError:
        db.close()
        raise
    return Ledger(db, path)


def _tables(version: int) -> set[str]:
    """The tables a ledger of `version` has (the ones its migrations created)."""
    return set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", "".join(MIGRATIONS[:version])))


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Each migration and its version number in one transaction."""
    for number in range(version, VERSION):
        with _transaction(db):
            for statement in _statements(MIGRATIONS[number]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of `script`, one by one (executescript would commit each)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
