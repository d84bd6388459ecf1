"""The ledger's outbox: every send of a digest, one row per digest x subscriber.

A send first freezes its audience (every active subscriber, in one transaction); then
each row goes queued -> sending -> sent (or deferred, rejected, skipped), each step
committed. A row found `sending` after a crash may have reached its subscriber: it is
sent again (same Message-ID) and counted as uncertain. Nobody else gets a digest twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedpub.store.ledger import Ledger
from feedpub.store.subscribers import ACTIVE

QUEUED, SENDING, SENT, DEFERRED, REJECTED, SKIPPED = (
    "queued", "sending", "sent", "deferred", "rejected", "skipped")
STATES = (QUEUED, SENDING, SENT, DEFERRED, REJECTED, SKIPPED)
DONE = (SENT, REJECTED, SKIPPED)


@dataclass(frozen=True)
class Row:
    subscriber_id: int
    address: str  # as frozen; '' once the subscriber was erased
    state: str
    attempts: int


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def freeze(ledger: Ledger, digest_id: str, now: dt.datetime) -> bool:
    """Freeze the audience of `digest_id` (its active subscribers) into the outbox, once;
    False when it was frozen before."""
    with ledger.transaction() as db:
        if db.execute("SELECT 1 FROM sends WHERE digest_id = ?", (digest_id,)).fetchone():
            return False
        db.execute("INSERT INTO sends (digest_id, frozen) VALUES (?, ?)", (digest_id, _iso(now)))
        db.execute("INSERT INTO outbox (digest_id, subscriber_id, address, state) "
                   "SELECT ?, id, address, ? FROM subscribers WHERE status = ? ORDER BY id",
                   (digest_id, QUEUED, ACTIVE))
    return True


def frozen(ledger: Ledger, digest_id: str) -> bool:
    """True when the audience of `digest_id` was frozen."""
    return ledger.db.execute("SELECT 1 FROM sends WHERE digest_id = ?",
                             (digest_id,)).fetchone() is not None


def due(ledger: Ledger, digest_id: str, now: dt.datetime, after: int, cut: bool = False,
        limit: int = 500) -> list[Row]:
    """The next rows to try, by subscriber id after `after`, at most `limit` (the outbox is
    read in chunks): queued ones and deferred ones whose time came; with `cut`, the ones a
    crash left `sending` instead."""
    which, args = (("state = ?", (SENDING,)) if cut else
                   ("(state = ? OR (state = ? AND next_attempt <= ?))",
                    (QUEUED, DEFERRED, _iso(now))))
    rows = ledger.db.execute(
        "SELECT subscriber_id, address, state, attempts FROM outbox WHERE digest_id = ? AND "
        f"subscriber_id > ? AND {which} ORDER BY subscriber_id LIMIT ?",
        (digest_id, after, *args, limit))
    return [Row(*r) for r in rows]


def sending(ledger: Ledger, digest_id: str, subscriber_id: int, uncertain: bool) -> None:
    """About to hand the message to the server: committed before the first byte goes."""
    with ledger.transaction() as db:
        db.execute("UPDATE outbox SET state = ?, attempts = attempts + 1, "
                   "uncertain = uncertain OR ? WHERE digest_id = ? AND subscriber_id = ?",
                   (SENDING, int(uncertain), digest_id, subscriber_id))


def settle(ledger: Ledger, digest_id: str, subscriber_id: int, state: str, detail: str,
           now: dt.datetime, retry_at: dt.datetime | None = None,
           uncertain: bool = False) -> None:
    """Record the outcome of one message (`uncertain`: it may have been delivered, so the
    next try may be a second copy)."""
    done = _iso(now) if state in DONE else None
    with ledger.transaction() as db:
        db.execute("UPDATE outbox SET state = ?, detail = ?, done = ?, next_attempt = ?, "
                   "uncertain = uncertain OR ? WHERE digest_id = ? AND subscriber_id = ?",
                   (state, detail[:500], done, _iso(retry_at), int(uncertain), digest_id,
                    subscriber_id))


def finish(ledger: Ledger, digest_id: str, now: dt.datetime) -> bool:
    """Mark the send finished when no row is left to try; True if it is."""
    with ledger.transaction() as db:
        left = db.execute("SELECT COUNT(*) FROM outbox WHERE digest_id = ? AND state NOT IN "
                          "(?, ?, ?)", (digest_id, *DONE)).fetchone()[0]
        if not left:
            db.execute("UPDATE sends SET finished = COALESCE(finished, ?) WHERE digest_id = ?",
                       (_iso(now), digest_id))
    return not left


def tally(ledger: Ledger, digest_id: str) -> dict[str, int]:
    """Rows of each state, and how many were uncertain."""
    found = dict.fromkeys(STATES, 0)
    found.update(ledger.db.execute("SELECT state, COUNT(*) FROM outbox WHERE digest_id = ? "
                                   "GROUP BY state", (digest_id,)))
    found["uncertain"] = ledger.db.execute("SELECT COUNT(*) FROM outbox WHERE digest_id = ? "
                                           "AND uncertain", (digest_id,)).fetchone()[0]
    return found


def next_retry(ledger: Ledger) -> dt.datetime | None:
    """When the earliest deferred message may be tried again, if any is waiting."""
    row = ledger.db.execute("SELECT MIN(next_attempt) FROM outbox WHERE state = ?",
                            (DEFERRED,)).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def unfinished(ledger: Ledger) -> list[str]:
    """Digests whose send is under way, oldest first."""
    return [r[0] for r in ledger.db.execute(
        "SELECT digest_id FROM sends WHERE finished IS NULL ORDER BY digest_id")]


def sent_digests(ledger: Ledger) -> set[str]:
    """Digests whose audience was frozen (sent, or being sent)."""
    return {r[0] for r in ledger.db.execute("SELECT digest_id FROM sends")}
