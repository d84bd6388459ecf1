"""The ledger's posts table: every post ever published, with its id for ever."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping

from feedpub.posts.identity import IdChange
from feedpub.posts.model import KnownPost
from feedpub.store.ledger import Ledger


def known_posts(ledger: Ledger) -> dict[str, KnownPost]:
    """Every post ever published, by id."""
    rows = ledger.db.execute("SELECT id, slug, source, title, body_hash, first_published, "
                             "provisional FROM posts ORDER BY first_published, id")
    return {r[0]: KnownPost(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5]),
                            bool(r[6])) for r in rows}


def sent_ids(ledger: Ledger) -> set[str]:
    """The ids of every post a digest carried."""
    return {r[0] for r in ledger.db.execute("SELECT DISTINCT post_id FROM digest_posts")}


def record_build(ledger: Ledger, changes: Iterable[IdChange],
                 files: Mapping[str, tuple[str, str]], meta: Mapping[str, str]) -> None:
    """Post ids, the output manifest and build facts, in one transaction."""
    with ledger.transaction() as db:
        for change in changes:
            _apply(db, change)
        db.execute("DELETE FROM files")
        db.executemany("INSERT INTO files VALUES (?, ?, ?)",
                       sorted((p, *v) for p, v in files.items()))
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())


def _apply(db: sqlite3.Connection, change: IdChange) -> None:
    row = change.post
    values = (row.id, row.slug, row.source, row.title, row.body_hash,
              row.first_published.astimezone(dt.UTC).isoformat(), int(row.provisional))
    if change.old_id is not None and change.old_id != row.id:
        db.execute("DELETE FROM posts WHERE id = ?", (change.old_id,))
    db.execute("DELETE FROM posts WHERE slug = ? AND id != ?", (row.slug, row.id))
    db.execute("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?, ?, ?, ?)", values)
