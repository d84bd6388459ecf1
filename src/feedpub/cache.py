"""Caches in .feedpub/ that make a rebuild cost only what changed.

- rendered HTML, keyed by everything that affects it (cache.sqlite);
- serialised feed entries, keyed by their post, id and feed settings (cache.sqlite);
- where each entry sits in the feed files last written, so the next build can copy
  them from there (cache.sqlite);
- parsed posts, keyed by file path, size and mtime (posts.pickle).
A cache is never the truth: deleting .feedpub/cache.sqlite or posts.pickle only
makes the next build slower.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from feedpub import __version__
from feedpub.output import Layout
from feedpub.render import Rendered

CACHE_DB = "cache.sqlite"
POSTS_PICKLE = "posts.pickle"
_PICKLE_VERSION = f"{__version__}/1"  # feedpub's version: Post's fields may change with it
GARBAGE_RATIO = 1.25  # sweep the cache when a quarter of it is no longer used
CACHE_VERSION = 3  # bump when the tables below change: an old cache is dropped, not migrated
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rendered (key TEXT PRIMARY KEY, html TEXT, summary_html TEXT,
                                     summary_text TEXT);
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, data BLOB);
CREATE TABLE IF NOT EXISTS layouts (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,
                                    inode INTEGER, keys BLOB, spans BLOB);
"""


def digest(*parts: object) -> str:
    """A stable hex key for the given values."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


class BuildCache:
    """Rendered HTML and feed entries from earlier builds; use as a context manager."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.db = _connect(state_dir / CACHE_DB)
        except sqlite3.DatabaseError:  # a damaged cache is thrown away, never trusted
            (state_dir / CACHE_DB).unlink(missing_ok=True)
            self.db = _connect(state_dir / CACHE_DB)
        self.used: dict[str, set[str]] = {"rendered": set(), "entries": set()}
        self.pending: dict[str, bytes] = {}
        self.deferred: list[Callable[[], None]] = []  # stores to make before any read
        self.pending_layouts: dict[str, Layout] = {}

    def __enter__(self) -> BuildCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def defer(self, store: Callable[[], None]) -> None:
        """`store()` (results still being made elsewhere) runs before the next read."""
        self.deferred.append(store)

    def _settle(self) -> None:
        while self.deferred:
            self.deferred.pop(0)()

    def _select(self, table: str, columns: str, keys: Iterable[str]) -> Iterator[tuple[Any, ...]]:
        self._settle()
        wanted = list(dict.fromkeys(keys))
        self.used[table].update(wanted)
        for start in range(0, len(wanted), 500):  # SQLite caps the number of parameters
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(f"SELECT key, {columns} FROM {table} "
                                       f"WHERE key IN ({marks})", chunk)

    def known_renders(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` have a cached render (without loading the HTML)."""
        return {row[0] for row in self._select("rendered", "1", keys)}

    def render(self, key: str) -> Rendered:
        """One cached render; the key must be known."""
        self._settle()
        row = self.db.execute("SELECT html, summary_html, summary_text FROM rendered "
                              "WHERE key = ?", (key,)).fetchone()
        return Rendered(*row)

    def entries(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Cached feed entries for `keys` (the ones found, stored or pending)."""
        self._settle()
        wanted = list(keys)
        found = {k: self.pending[k] for k in wanted if k in self.pending}
        rest = [k for k in wanted if k not in found]
        found.update({row[0]: bytes(row[1]) for row in self._select("entries", "data", rest)})
        self.used["entries"].update(found)
        return found

    def store_made(self, made: Iterable[tuple[str, tuple[Rendered, dict[str, bytes]]]]) -> None:
        """Store renders and their feed entries, in one transaction."""
        made = list(made)
        entries = [item for _, (_, by_key) in made for item in by_key.items()]
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO rendered VALUES (?, ?, ?, ?)",
                                [(k, r.html, r.summary_html, r.summary_text)
                                 for k, (r, _) in made])
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", entries)
        self.used["rendered"].update(k for k, _ in made)
        self.used["entries"].update(k for k, _ in entries)

    def keep_entries(self, keys: Iterable[str]) -> None:
        """Count entries as in use without fetching them (a feed copies them from its
        last version): the sweep must not drop them."""
        self.used["entries"].update(keys)

    def layout(self, relpath: str) -> Layout | None:
        """Where each segment sits in the file the last build wrote at `relpath`."""
        row = self.db.execute("SELECT size, mtime_ns, inode, keys, spans FROM layouts "
                              "WHERE path = ?", (relpath,)).fetchone()
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
        """Files that are gone (stored by prune())."""
        with self.db:
            self.db.executemany("DELETE FROM layouts WHERE path = ?", ((p,) for p in relpaths))

    def store_entry(self, key: str, data: bytes) -> None:
        """Remember an entry; stored in one transaction by prune()."""
        self.pending[key] = data

    def prune(self) -> None:
        """Store pending entries; forget what this build did not use."""
        self._settle()
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


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30)
    # As the ledger: a commit appends to the WAL without waiting for the disk (a crash
    # may lose the last build's additions, which the next build makes again).
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    if db.execute("PRAGMA user_version").fetchone()[0] != CACHE_VERSION:
        db.executescript("DROP TABLE IF EXISTS rendered; DROP TABLE IF EXISTS entries; "
                         "DROP TABLE IF EXISTS layouts;")
        db.execute(f"PRAGMA user_version = {CACHE_VERSION}")
    db.executescript(_SCHEMA)
    return db


def load_pickle(path: Path) -> dict[str, Any]:
    """The parsed-post cache, or an empty one when missing, unreadable or from another
    version of feedpub (whose Post objects may have other fields)."""
    try:
        with open(path, "rb") as handle:
            data = pickle.load(handle)
    except Exception:  # any damage: start cold rather than fail the build
        return {}
    if not isinstance(data, dict) or data.get("version") != _PICKLE_VERSION:
        return {}
    posts = data.get("posts")
    return posts if isinstance(posts, dict) else {}


def save_pickle(path: Path, data: dict[str, Any]) -> None:
    """Write the parsed-post cache atomically."""
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as handle:
        pickle.dump({"version": _PICKLE_VERSION, "posts": data}, handle,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temp, path)
