"""`feedpub subscribers add|import|export|list|remove`: the list, kept in the ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TextIO

from feedpub.config import Config
from feedpub.delivery import subscribers
from feedpub.delivery.subscribers import Outcome
from feedpub.errors import Problem
from feedpub.store import subscribers as table
from feedpub.store.ledger import open_ledger, read_ledger
from feedpub.store.secret import site_secret


def add(config: Config, addresses: list[str], confirmed: bool,
        now: dt.datetime) -> list[Outcome]:
    """Add addresses typed on the command line."""
    with open_ledger(config.paths.state) as ledger:
        return subscribers.add(ledger, site_secret(config.paths.state), addresses, confirmed,
                               "cli", now)


def import_file(config: Config, path: Path, pending: bool,
                now: dt.datetime) -> tuple[list[Outcome], list[Problem]]:
    """Import a CSV export; active unless `pending`."""
    with open_ledger(config.paths.state) as ledger:
        return subscribers.import_csv(ledger, site_secret(config.paths.state), path, pending,
                                      now)


def export(config: Config, out: TextIO) -> int:
    """Every subscriber as CSV on `out`."""
    ledger = read_ledger(config.paths.state)
    if ledger is None:
        return subscribers.export_csv_empty(out)
    with ledger:
        return subscribers.export_csv(ledger, out)


def listing(config: Config, status: str | None) -> tuple[dict[str, int], list[str]]:
    """Counts by status, and the addresses of `status` (none when not given)."""
    ledger = read_ledger(config.paths.state)
    if ledger is None:
        return dict.fromkeys(table.STATUSES, 0), []
    with ledger:
        shown = [s.address for s in table.listing(ledger, status)] if status else []
        return table.counts(ledger), shown


def remove(config: Config, address: str, now: dt.datetime) -> bool:
    """Erase one address; False when it was not on the list."""
    with open_ledger(config.paths.state) as ledger:
        return subscribers.remove(ledger, site_secret(config.paths.state), address, now)
