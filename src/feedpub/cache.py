"""Caches in .feedpub/ that make a rebuild cost only what changed.

- rendered HTML, keyed by everything that affects it (cache.sqlite);
- serialised feed entries, keyed by their post, id and feed settings (cache.sqlite);
- parsed posts, keyed by file path, size and mtime (posts.pickle).
A cache is never the truth: deleting .feedpub/cache.sqlite or posts.pickle only
makes the next build slower.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from feedpub.render import Rendered

CACHE_DB = "cache.sqlite"
POSTS_PICKLE = "posts.pickle"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rendered (key TEXT PRIMARY KEY, html TEXT, summary_html TEXT,
                                     summary_text TEXT);
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, text TEXT);
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
        self.db = sqlite3.connect(state_dir / CACHE_DB, timeout=30)
        try:
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError:  # a damaged cache is thrown away, never trusted
            self.db.close()
            (state_dir / CACHE_DB).unlink(missing_ok=True)
            self.db = sqlite3.connect(state_dir / CACHE_DB, timeout=30)
            self.db.executescript(_SCHEMA)
        self.used: dict[str, set[str]] = {"rendered": set(), "entries": set()}
        self.pending: dict[str, str] = {}

    def __enter__(self) -> BuildCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def rendered(self, keys: Iterable[str]) -> dict[str, Rendered]:
        """Cached renders for `keys` (the ones found)."""
        found = {}
        for key in keys:
            self.used["rendered"].add(key)
            row = self.db.execute("SELECT html, summary_html, summary_text FROM rendered "
                                  "WHERE key = ?", (key,)).fetchone()
            if row is not None:
                found[key] = Rendered(*row)
        return found

    def store_rendered(self, renders: dict[str, Rendered]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO rendered VALUES (?, ?, ?, ?)",
                                [(k, r.html, r.summary_html, r.summary_text)
                                 for k, r in renders.items()])

    def entry(self, key: str) -> str | None:
        self.used["entries"].add(key)
        row = self.db.execute("SELECT text FROM entries WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def store_entry(self, key: str, text: str) -> None:
        """Remember an entry; stored in one transaction by prune()."""
        self.pending[key] = text

    def prune(self) -> None:
        """Store pending entries; forget what this build did not use."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)",
                                self.pending.items())
            self.pending.clear()
            for table, keys in self.used.items():
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM keep")
                self.db.executemany("INSERT OR IGNORE INTO keep VALUES (?)",
                                    ((k,) for k in keys))
                self.db.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM keep)")


def load_pickle(path: Path) -> dict[str, Any]:
    """The parsed-post cache, or an empty one when missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            data = pickle.load(handle)
        return data if isinstance(data, dict) else {}
    except Exception:  # any damage: start cold rather than fail the build
        return {}


def save_pickle(path: Path, data: dict[str, Any]) -> None:
    """Write the parsed-post cache atomically."""
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temp, path)
