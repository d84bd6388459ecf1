"""The list, as its owner manages it: add, import, export, remove.

Imported and confirmed addresses are active (the owner vouches for them); others wait
for their confirmation. Nobody who unsubscribed is made active again, and an erased
address leaves only a keyed hash, which keeps a later import from adding it back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from feedpub.delivery.addresses import BadAddress, fingerprint, parse
from feedpub.errors import Problem, StateError
from feedpub.store import subscribers as table
from feedpub.store.ledger import Ledger

# The address column of the exports people bring: Mailchimp ("Email Address"),
# Buttondown, listmonk and Substack ("email"), and a few spellings besides.
EMAIL_COLUMNS = ("email address", "email", "e-mail", "email_address", "subscriber", "address")
STATUS_COLUMNS = ("status", "subscriber_type", "type", "subscription_status")
GONE = frozenset({"unsubscribed", "blocklisted", "blacklisted", "cleaned", "bounced",
                  "complained", "removed", "spam", "spammy", "undeliverable", "disabled",
                  "inactive"})
# Never confirmed where they come from (Buttondown "unactivated"): imported pending.
UNCONFIRMED = frozenset({"unactivated", "unconfirmed", "pending"})
# Columns that say an address left when they hold a value, in exports with no status:
# Mailchimp's unsubscribed and cleaned files, Substack's email_disabled.
LEFT_COLUMNS = {"unsub_time": "unsubscribed", "clean_time": "cleaned",
                "email_disabled": "email disabled"}
_NO = frozenset({"", "false", "0", "no"})


@dataclass(frozen=True)
class Outcome:
    address: str
    added: bool
    note: str  # what happened, in words


def add(ledger: Ledger, secret: bytes, texts: Iterable[str], confirmed: bool, source: str,
        now: dt.datetime) -> list[Outcome]:
    """Add each address (active when `confirmed`, else pending); what became of each."""
    return [_add(ledger, secret, text, confirmed, source, now, may_unerase=True)
            for text in texts]


def _add(ledger: Ledger, secret: bytes, text: str, confirmed: bool, source: str,
         now: dt.datetime, may_unerase: bool) -> Outcome:
    try:
        address = parse(text)
    except BadAddress as exc:
        return Outcome(text, False, f"not added: {exc}")
    if not may_unerase and table.erased(ledger, fingerprint(secret, address.key)):
        return Outcome(address.text, False, "not added: it was removed from the list "
                       "(erased), so an import never adds it back")
    found = table.find(ledger, address.key)
    status = table.ACTIVE if confirmed else table.PENDING
    if found is None:
        table.insert(ledger, address.key, address.text, status, source, now)
        return Outcome(address.text, True, "added" if confirmed else
                       "added, waiting for confirmation")
    return _again(ledger, found, status, now)


def _again(ledger: Ledger, found: table.Subscriber, status: str, now: dt.datetime) -> Outcome:
    """An address already known: made active only if the owner says it was confirmed and
    they never left."""
    if found.status == table.UNSUBSCRIBED:
        return Outcome(found.address, False, f"not added: unsubscribed on {found.left:%Y-%m-%d} "
                       "(only they can subscribe again, from the form)")
    if found.status != table.ACTIVE and status == table.ACTIVE:
        table.set_status(ledger, found.id, table.ACTIVE, now)
        return Outcome(found.address, True, f"made active (was {found.status})")
    return Outcome(found.address, False, f"already {found.status}")


def import_csv(ledger: Ledger, secret: bytes, path: Path, pending: bool,
               now: dt.datetime) -> tuple[list[Outcome], list[Problem]]:
    """Every row of a CSV export (Mailchimp, Buttondown, listmonk, Substack...); rows
    that cannot be imported are problems naming their line, and the rest goes in."""
    outcomes, problems = [], []
    for line, address, gone, unconfirmed in _rows(path):
        if gone:
            problems.append(Problem(str(path), line, "", f"{address}: {gone} in the export: "
                                    "not imported", "warning"))
            continue
        outcome = _add(ledger, secret, address, not (pending or unconfirmed), "import", now,
                       may_unerase=False)
        outcomes.append(outcome)
        if not outcome.added and outcome.note.startswith("not added"):
            problems.append(Problem(str(path), line, "", outcome.note, "warning"
                                    if "unsubscribed" in outcome.note or "erased" in outcome.note
                                    else "error"))
    return outcomes, problems


def _rows(path: Path) -> Iterator[tuple[int, str, str, bool]]:
    """(line, address, why it left or '', never confirmed) for every data row of the
    export; the line is the row's first (a quoted cell may hold line breaks)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    # newline="": records end at CR/LF only, not at the other breaks str.splitlines knows
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text[:4096]))
    header = [h.strip().lower() for h in next(reader, [])]
    email = _column(header, EMAIL_COLUMNS)
    if email is None:
        raise StateError(f"{path}:1: no email column (expected one named "
                         f"{', '.join(repr(c) for c in EMAIL_COLUMNS[:3])}...)")
    status = _column(header, STATUS_COLUMNS)
    marks = [(header.index(name), why) for name, why in LEFT_COLUMNS.items() if name in header]
    end = reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        said = _cell(row, status).lower()
        left = [why for column, why in marks if _cell(row, column).lower() not in _NO]
        gone = said if said in GONE else (left[0] if left else "")
        yield start, _cell(row, email), gone, said in UNCONFIRMED


def _cell(row: list[str], column: int | None) -> str:
    return row[column].strip() if column is not None and column < len(row) else ""


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


HEADER = ["email", "status", "source", "subscribed", "confirmed", "left"]


def export_csv_empty(out: TextIO) -> int:
    """The export of a site with no list yet: the header alone."""
    csv.writer(out, lineterminator="\n").writerow(HEADER)
    return 0


def export_csv(ledger: Ledger, out: TextIO) -> int:
    """Every subscriber as CSV (email, status, source, dates); how many."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for sub in table.listing(ledger):
        writer.writerow([sub.address, sub.status, sub.source, _day(sub.subscribed),
                         _day(sub.confirmed), _day(sub.left)])
        count += 1
    return count


def _day(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else ""


def remove(ledger: Ledger, secret: bytes, text: str, now: dt.datetime) -> bool:
    """Erase an address: its row goes, a keyed hash stays; False when it was not there."""
    address = parse(text)
    found = table.find(ledger, address.key)
    if found is None:
        return False
    table.erase(ledger, found.id, fingerprint(secret, address.key), now)
    return True
