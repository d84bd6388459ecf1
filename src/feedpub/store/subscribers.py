"""The ledger's subscribers table: one row per address, and the hashes of erased ones.

A subscriber is pending (asked, not confirmed), active, unsubscribed or bounced. An
address is known by its key (lower-cased), so Ada@Example.org and ada@example.org are
one person. Rows change status; only `erase` deletes one, leaving a hash behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from feedpub.store.ledger import Ledger

PENDING, ACTIVE, UNSUBSCRIBED, BOUNCED = "pending", "active", "unsubscribed", "bounced"
STATUSES = (PENDING, ACTIVE, UNSUBSCRIBED, BOUNCED)
_COLUMNS = "id, key, address, status, source, subscribed, confirmed, left_at, failures"


@dataclass(frozen=True)
class Subscriber:
    id: int
    key: str  # the address lower-cased: what makes two spellings one subscriber
    address: str
    status: str
    source: str  # cli, import or web
    subscribed: dt.datetime
    confirmed: dt.datetime | None
    left: dt.datetime | None
    failures: int  # permanent delivery failures in a row


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _row(r: tuple[object, ...]) -> Subscriber:
    def when(value: object) -> dt.datetime | None:
        return dt.datetime.fromisoformat(str(value)) if value else None

    return Subscriber(int(str(r[0])), str(r[1]), str(r[2]), str(r[3]), str(r[4]),
                      dt.datetime.fromisoformat(str(r[5])), when(r[6]), when(r[7]),
                      int(str(r[8])))


def find(ledger: Ledger, key: str) -> Subscriber | None:
    """The subscriber with this key, if any."""
    row = ledger.db.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE key = ?",
                            (key,)).fetchone()
    return _row(row) if row else None


def get(ledger: Ledger, subscriber_id: int) -> Subscriber | None:
    """The subscriber with this id, if any."""
    row = ledger.db.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?",
                            (subscriber_id,)).fetchone()
    return _row(row) if row else None


def insert(ledger: Ledger, key: str, address: str, status: str, source: str,
           now: dt.datetime) -> Subscriber:
    """A new subscriber (the key must be new)."""
    confirmed = now if status == ACTIVE else None
    with ledger.transaction() as db:
        cursor = db.execute("INSERT INTO subscribers (key, address, status, source, subscribed, "
                            "confirmed) VALUES (?, ?, ?, ?, ?, ?)",
                            (key, address, status, source, _iso(now), _iso(confirmed)))
    found = get(ledger, int(cursor.lastrowid or 0))
    assert found is not None
    return found


def set_status(ledger: Ledger, subscriber_id: int, status: str, now: dt.datetime) -> None:
    """Move a subscriber to `status`, stamping when they confirmed or left."""
    stamp = {ACTIVE: "confirmed", UNSUBSCRIBED: "left_at", BOUNCED: "left_at",
             PENDING: "subscribed"}[status]
    with ledger.transaction() as db:
        db.execute(f"UPDATE subscribers SET status = ?, {stamp} = ?, failures = 0 WHERE id = ?",
                   (status, _iso(now), subscriber_id))


def failed(ledger: Ledger, subscriber_id: int, bounce_after: int, now: dt.datetime) -> bool:
    """Count one permanent failure; True when it made the subscriber bounced."""
    with ledger.transaction() as db:
        db.execute("UPDATE subscribers SET failures = failures + 1 WHERE id = ?",
                   (subscriber_id,))
        db.execute("UPDATE subscribers SET status = ?, left_at = ? WHERE id = ? AND "
                   "failures >= ? AND status = ?",
                   (BOUNCED, _iso(now), subscriber_id, bounce_after, ACTIVE))
        return bool(db.execute("SELECT changes()").fetchone()[0] > 0)


def delivered(ledger: Ledger, subscriber_id: int) -> None:
    """A message reached them: the run of permanent failures is over."""
    with ledger.transaction() as db:
        db.execute("UPDATE subscribers SET failures = 0 WHERE id = ? AND failures > 0",
                   (subscriber_id,))


def counts(ledger: Ledger) -> dict[str, int]:
    """How many subscribers there are of each status (every status named)."""
    found = dict.fromkeys(STATUSES, 0)
    found.update(ledger.db.execute("SELECT status, COUNT(*) FROM subscribers GROUP BY status"))
    return found


def listing(ledger: Ledger, status: str | None = None) -> Iterator[Subscriber]:
    """Every subscriber (of `status`), in the order they came."""
    where, args = ("WHERE status = ?", (status,)) if status else ("", ())
    for row in ledger.db.execute(f"SELECT {_COLUMNS} FROM subscribers {where} ORDER BY id",
                                 args):
        yield _row(row)


def erase(ledger: Ledger, subscriber_id: int, fingerprint: str, now: dt.datetime) -> None:
    """Delete a subscriber, their address in the outbox too, keeping only `fingerprint`."""
    with ledger.transaction() as db:
        db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))
        db.execute("UPDATE outbox SET address = '' WHERE subscriber_id = ?", (subscriber_id,))
        db.execute("INSERT OR IGNORE INTO erased VALUES (?, ?)", (fingerprint, _iso(now)))


def erased(ledger: Ledger, fingerprint: str) -> bool:
    """True when an address with this fingerprint was erased."""
    return ledger.db.execute("SELECT 1 FROM erased WHERE hash = ?",
                             (fingerprint,)).fetchone() is not None
