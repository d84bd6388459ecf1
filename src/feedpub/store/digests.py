"""The digest tables of the ledger: every digest, its posts, and the cron slots done.

Enough is stored to re-render every digest from the current posts: its id, time, kind,
window label, subject, cron slot and post ids in order. `scheduled_for` is UNIQUE, so a
cron slot can never get two digests, whatever restarts or races happen.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from feedpub.config import Config
from feedpub.store.ledger import Ledger, read_ledger
from feedpub.urls import DIGEST_FILES, DIGESTS, digest_path

NEXT, EXPLICIT = "next", "explicit"  # a digest's kind: since the last one, or a window


@dataclass(frozen=True)
class PastDigest:
    """A recorded digest, as the ledger keeps it."""

    id: str
    created: dt.datetime
    kind: str
    label: str
    subject: str
    post_ids: tuple[str, ...]
    scheduled_for: dt.datetime | None = None
    post_slugs: tuple[str, ...] = ()  # beside post_ids: follows a post whose id was re-keyed


@dataclass(frozen=True)
class History:
    """Every recorded digest (oldest first) and when regular digests began."""

    digests: tuple[PastDigest, ...]
    baseline: dt.datetime | None


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def history(ledger: Ledger) -> History:
    """Every recorded digest, oldest first, and when regular digests began."""
    posts: dict[str, list[str]] = {}
    current = {slug: post_id for slug, post_id in ledger.db.execute(
        "SELECT slug, id FROM posts ORDER BY first_published, id")}  # as published.known_posts
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


def last_slot(ledger: Ledger, until: dt.datetime | None = None) -> dt.datetime | None:
    """The latest cron slot a digest or a skip was recorded for (at or before `until`)."""
    limit = _iso(until) or "9999"
    row = ledger.db.execute(
        "SELECT MAX(s) FROM (SELECT MAX(scheduled_for) AS s FROM digests WHERE scheduled_for "
        "<= ? UNION ALL SELECT MAX(scheduled_for) FROM digest_skips WHERE scheduled_for <= ?)",
        (limit, limit)).fetchone()
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


def has_digests(ledger: Ledger) -> bool:
    """True when a digest was ever recorded."""
    return ledger.db.execute("SELECT 1 FROM digests LIMIT 1").fetchone() is not None


def archive_wanted(config: Config) -> bool:
    """Whether output/digests/ is wanted before the first digest: the site's pages link to
    it ("Past digests") when the site sends email."""
    return bool(config.site.pages and config.smtp.host)


def lost(state_dir: Path, output: Path, archive: bool = False) -> list[str]:
    """The digest files (and archive) the ledger says exist that output/ does not hold,
    relative to output/; read-only and cheap: a build checks it every time. `archive`:
    the archive is wanted before the first digest too (the site's pages link to it)."""
    ledger = read_ledger(state_dir)
    if ledger is None:
        return []
    with ledger:
        ids = [row[0] for row in ledger.db.execute("SELECT id FROM digests ORDER BY id")]
    wanted = [digest_path(i, name) for i in ids for name in DIGEST_FILES]
    wanted += [DIGESTS + "index.html", DIGESTS + "feed.xml"] if ids or archive else []
    return [path for path in wanted if not (output / path).is_file()]
