"""The digest tables of the ledger (.feedpub/feedpub.sqlite): every digest, its posts, slots.

Enough is stored to re-render every digest from the current posts: its id, time, kind,
window label, subject, cron slot and post ids in order. `scheduled_for` is UNIQUE, so a
cron slot can never get two digests, whatever restarts or races happen.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from feedpub.digest import NEXT, History, PastDigest
from feedpub.state import Ledger

SCHEMA = """
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
    slug TEXT NOT NULL,              -- the post's slug then: finds it again if its id changes
    PRIMARY KEY (digest_id, position)
);
CREATE TABLE IF NOT EXISTS digest_skips (
    at TEXT NOT NULL,                -- UTC ISO 8601: a regular run found nothing to send
    scheduled_for TEXT UNIQUE        -- the cron slot it was for, else NULL
);
"""


def ensure_schema(ledger: Ledger) -> None:
    """Create the digest tables if this ledger has none yet."""
    ledger.db.executescript(SCHEMA)


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def history(ledger: Ledger) -> History:
    """Every recorded digest, oldest first, and when regular digests began."""
    posts: dict[str, list[str]] = {}
    current = {row.slug: row.id for row in ledger.posts().values()}
    known = set(current.values())
    for digest_id, post_id, slug in ledger.db.execute(
            "SELECT digest_id, post_id, slug FROM digest_posts ORDER BY digest_id, position"):
        # An id the ledger re-keyed (an `id:` added later) is followed through the slug.
        if post_id not in known:
            post_id = current.get(slug, post_id)
        posts.setdefault(digest_id, []).append(post_id)
    rows = ledger.db.execute("SELECT id, created, kind, label, subject, scheduled_for "
                             "FROM digests ORDER BY created, id").fetchall()
    digests = tuple(
        PastDigest(r[0], dt.datetime.fromisoformat(r[1]), r[2], r[3], r[4],
                   tuple(posts.get(r[0], ())), _time(r[5]))
        for r in rows
    )
    return History(digests, _baseline(ledger, digests))


def _baseline(ledger: Ledger, digests: tuple[PastDigest, ...]) -> dt.datetime | None:
    starts = [d.created for d in digests if d.kind == NEXT]
    skip = ledger.db.execute("SELECT MIN(at) FROM digest_skips").fetchone()[0]
    if skip is not None:
        starts.append(dt.datetime.fromisoformat(skip))
    return min(starts, default=None)


def slot_taken(ledger: Ledger, slot: dt.datetime) -> bool:
    """True when a digest (or a skip) is already recorded for this cron slot."""
    iso = _iso(slot)
    return any(ledger.db.execute(f"SELECT 1 FROM {table} WHERE scheduled_for = ?", (iso,))
               .fetchone() for table in ("digests", "digest_skips"))


def last_slot(ledger: Ledger) -> dt.datetime | None:
    """The latest cron slot a digest or a skip was recorded for."""
    row = ledger.db.execute(
        "SELECT MAX(s) FROM (SELECT MAX(scheduled_for) AS s FROM digests "
        "UNION ALL SELECT MAX(scheduled_for) FROM digest_skips)").fetchone()
    return _time(row[0])


def record_digest(ledger: Ledger, digest: PastDigest) -> bool:
    """Record a digest and its posts in one transaction; False if its slot was taken."""
    try:
        with ledger.transaction() as db:
            db.execute("INSERT INTO digests VALUES (?, ?, ?, ?, ?, ?)",
                       (digest.id, _iso(digest.created), digest.kind, digest.label,
                        digest.subject, _iso(digest.scheduled_for)))
            db.executemany("INSERT INTO digest_posts VALUES (?, ?, ?, ?)",
                           [(digest.id, n, pid, slug) for n, (pid, slug)
                            in enumerate(zip(digest.post_ids, digest.post_slugs, strict=True))])
    except sqlite3.IntegrityError:
        return False
    return True


def record_skip(ledger: Ledger, at: dt.datetime, slot: dt.datetime | None) -> bool:
    """Record a regular run that had nothing to send; False if its slot was taken."""
    try:
        with ledger.transaction() as db:
            db.execute("INSERT INTO digest_skips VALUES (?, ?)", (_iso(at), _iso(slot)))
    except sqlite3.IntegrityError:
        return False
    return True
