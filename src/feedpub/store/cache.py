"""The build cache, .feedpub/cache.sqlite: what makes a rebuild cost only what changed.

- rendered HTML, keyed by everything that affects it, with the files of the site the
  post points at (for the build's warnings about files that are not published);
- serialised feed entries, keyed by their post, id, URL and feed settings;
- where each entry sits in the feed files last written (their Layout), so the next
  build can copy them from there.
A cache, never the truth: deleting it only makes the next build slower, and a damaged
one is dropped and rebuilt (CacheDamaged tells the build to start again without it).
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from feedpub.errors import StateError
from feedpub.output.segments import Layout
from feedpub.render.post import Rendered

Refs = tuple[tuple[int, str, str], ...]  # a post's links: (file line, as written, URL)
Made = tuple[str, Rendered, dict[str, bytes], Refs]  # a render as a build stores it
NAME = "cache.sqlite"
GARBAGE_RATIO = 1.25  # sweep the cache when a quarter of it is no longer used
VERSION = 6  # bump when the tables below change: an old cache is dropped, not migrated
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rendered (key TEXT PRIMARY KEY, html TEXT, summary_html TEXT,
                                     summary_text TEXT, refs TEXT);
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, data BLOB);
CREATE TABLE IF NOT EXISTS layouts (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,
                                    inode INTEGER, keys BLOB, spans BLOB);
"""


class CacheDamaged(Exception):
    """cache.sqlite cannot be read or written; it was deleted."""


class BuildCache:
    """Renders, feed entries and file layouts of earlier builds; use as a context manager."""

    def __init__(self, state_dir: Path | None) -> None:
        """The cache in `state_dir`; None: an empty one in memory, for planning a build
        without touching the state folder (feedpub check)."""
        self.path = state_dir / NAME if state_dir else Path(":memory:")
        self.db = self._guarded(_connect, state_dir and self.path)
        self.used: dict[str, set[str]] = {"rendered": set(), "entries": set()}
        self.pending: dict[str, bytes] = {}
        self.pending_layouts: dict[str, Layout] = {}

    def __enter__(self) -> BuildCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def _guarded(self, action: Any, *args: Any) -> Any:
        """`action(*args)`; a database error deletes the cache and raises CacheDamaged."""
        try:
            return action(*args)
        except sqlite3.OperationalError as exc:  # a full disk or a read-only folder: not damage
            raise StateError(f"{self.path}: {exc} (is the disk full, or the state folder "
                             "read-only?)") from None
        except sqlite3.DatabaseError as exc:
            for suffix in ("", "-wal", "-shm"):
                self.path.with_name(NAME + suffix).unlink(missing_ok=True)
            raise CacheDamaged(f"{self.path}: damaged ({exc}); deleted, to be rebuilt") from None

    def _select(self, table: str, columns: str, keys: Iterable[str]) -> list[tuple[Any, ...]]:
        wanted = list(dict.fromkeys(keys))
        self.used[table].update(wanted)
        rows: list[tuple[Any, ...]] = self._guarded(self._query, table, columns, wanted)
        return rows

    def _query(self, table: str, columns: str, wanted: list[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), 500):  # SQLite caps the number of parameters
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(f"SELECT key, {columns} FROM {table} "
                                    f"WHERE key IN ({marks})", chunk)
        return rows

    def known_renders(self, keys: Iterable[str]) -> dict[str, Refs]:
        """Which of `keys` have a cached render, each with what its post points at
        (without loading the HTML)."""
        return {row[0]: _refs(row[1]) for row in self._select("rendered", "refs", keys)}

    def renders(self, keys: Iterable[str]) -> dict[str, Rendered]:
        """The cached renders of `keys` (those found)."""
        columns = "html, summary_html, summary_text"
        return {row[0]: Rendered(*row[1:]) for row in self._select("rendered", columns, keys)}

    def store_renders(self, made: Iterable[Made]) -> None:
        """Store renders (key, HTML, its feed entries by key, what it points at) in one
        transaction."""
        made = list(made)
        self._guarded(self._store_renders, made)
        self.used["rendered"].update(k for k, _, _, _ in made)
        self.used["entries"].update(k for _, _, entries, _ in made for k in entries)

    def _store_renders(self, made: list[Made]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO rendered VALUES (?, ?, ?, ?, ?)",
                                [(k, r.html, r.summary_html, r.summary_text,
                                  json.dumps(refs) if refs else "")
                                 for k, r, _, refs in made])
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)",
                                [item for _, _, entries, _ in made for item in entries.items()])

    def entries(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Cached feed entries for `keys` (the ones found, stored or pending)."""
        wanted = list(keys)
        found = {k: self.pending[k] for k in wanted if k in self.pending}
        rest = [k for k in wanted if k not in found]
        found.update({row[0]: bytes(row[1]) for row in self._select("entries", "data", rest)})
        return found

    def store_entry(self, key: str, data: bytes) -> None:
        """Remember an entry; stored in one transaction by prune()."""
        self.pending[key] = data
        self.used["entries"].add(key)

    def keep_entries(self, keys: Iterable[str]) -> None:
        """Count entries as in use without fetching them (a feed copies them from its
        last version): the sweep must not drop them."""
        self.used["entries"].update(keys)

    def layout(self, relpath: str) -> Layout | None:
        """Where each segment sits in the file the last build wrote at `relpath`."""
        row = self._guarded(lambda: self.db.execute(
            "SELECT size, mtime_ns, inode, keys, spans FROM layouts WHERE path = ?",
            (relpath,)).fetchone())
        if row is None:
            return None
        size, mtime_ns, inode, keys, spans = row
        hexed, numbers = bytes(keys).hex(), array("q", bytes(spans))
        if len(hexed) != 32 * len(numbers):  # 64 hex digits and two numbers per key
            return None
        return Layout((size, mtime_ns, inode),
                      {hexed[i * 64:i * 64 + 64]: (numbers[2 * i], numbers[2 * i + 1])
                       for i in range(len(numbers) // 2)})

    def store_layout(self, relpath: str, layout: Layout) -> None:
        """Remember a written file's layout; stored in one transaction by prune()."""
        self.pending_layouts[relpath] = layout

    def forget_layouts(self, relpaths: Iterable[str]) -> None:
        """Files that are gone."""
        self._guarded(self._forget_layouts, list(relpaths))

    def _forget_layouts(self, relpaths: list[str]) -> None:
        with self.db:
            self.db.executemany("DELETE FROM layouts WHERE path = ?", ((p,) for p in relpaths))

    def prune(self) -> None:
        """Store pending entries and layouts; forget what this build did not use."""
        self._guarded(self._prune)

    def _prune(self) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)",
                                self.pending.items())
            self.pending.clear()
            self.db.executemany("INSERT OR REPLACE INTO layouts VALUES (?, ?, ?, ?, ?, ?)",
                                [(path, *layout.identity, *_packed(layout))
                                 for path, layout in self.pending_layouts.items()])
            self.pending_layouts.clear()
            for table, keys in self.used.items():
                (rows,) = self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
                if rows <= len(keys) * GARBAGE_RATIO:  # a little garbage is cheaper than sweeping
                    continue
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM keep")
                self.db.executemany("INSERT OR IGNORE INTO keep VALUES (?)",
                                    ((k,) for k in keys))
                self.db.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM keep)")


def _packed(layout: Layout) -> tuple[bytes, bytes]:
    """A layout's keys (hex digests) as bytes, and its spans as 64-bit numbers."""
    keys = bytes.fromhex("".join(layout.spans))
    numbers = array("q", [n for span in layout.spans.values() for n in span])
    return keys, numbers.tobytes()


def _refs(stored: str | None) -> Refs:
    return tuple((line, ref, url) for line, ref, url in json.loads(stored)) if stored else ()


def _connect(path: Path | None) -> sqlite3.Connection:
    if path is None:
        db = sqlite3.connect(":memory:")
        db.executescript(_SCHEMA)
        return db
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30)
    # As the ledger: a commit appends to the WAL without waiting for the disk (a crash
    # may lose the last build's additions, which the next build makes again).
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
        db.executescript("DROP TABLE IF EXISTS rendered; DROP TABLE IF EXISTS entries; "
                         "DROP TABLE IF EXISTS layouts;")
        db.execute(f"PRAGMA user_version = {VERSION}")
    db.executescript(_SCHEMA)
    return db

