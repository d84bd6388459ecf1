"""`feedpub send`: a digest by SMTP to the list (or one test copy, or who would get it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from feedpub.build.items import Progress
from feedpub.build.pipeline import load_posts
from feedpub.config import Config
from feedpub.delivery.addresses import parse
from feedpub.delivery.send import NothingToSend, Summary, next_to_send, send_digest, send_test
from feedpub.delivery.smtp import Outcome
from feedpub.errors import plural
from feedpub.store import outbox
from feedpub.store import subscribers as table
from feedpub.store.ledger import read_ledger


def send_now(config: Config, digest_id: str | None, progress: Progress | None = None,
             stop: Callable[[], bool] = lambda: False) -> Summary:
    """Send a digest (default: the one waiting) to every active subscriber, once each."""
    return send_digest(config, load_posts(config).posts, digest_id, progress=progress,
                       stop=stop)


def waiting(config: Config) -> tuple[list[str], dt.datetime | None]:
    """Sends under way (digest ids), and when the earliest deferred message is due."""
    ledger = read_ledger(config.paths.state)
    if ledger is None:
        return [], None
    with ledger:
        return outbox.unfinished(ledger), outbox.next_retry(ledger)


def test_copy(config: Config, address: str, digest_id: str | None) -> Outcome:
    """One copy to `address`; nothing recorded."""
    return send_test(config, load_posts(config).posts, parse(address), digest_id)


def dry_run(config: Config, digest_id: str | None) -> list[str]:
    """Who would get which digest, and where each message of a send under way stands."""
    ledger = read_ledger(config.paths.state)
    if ledger is None:
        return ["nothing to send: no digest yet"]
    with ledger:
        try:
            digest_id = digest_id or next_to_send(ledger)
        except NothingToSend as exc:  # said, as `feedpub send` says it: not an error
            return [str(exc)]
        if outbox.frozen(ledger, digest_id):
            rows = ledger.db.execute("SELECT address, state FROM outbox WHERE digest_id = ? "
                                     "ORDER BY subscriber_id", (digest_id,)).fetchall()
            return [f"digest {digest_id}: its send is under way"] + [
                f"  {state:8}  {address or '(erased)'}" for address, state in rows]
        active = [s.address for s in table.listing(ledger, table.ACTIVE)]
    return [f"digest {digest_id} would go to {len(active)} active subscribers:"] + [
        f"  {address}" for address in active]


def summary_line(summary: Summary) -> str:
    """One line: what this run did, and where the digest's send stands."""
    done = ", ".join(f"{n} {state}" for state, n in summary.done.items() if n) or "nothing to do"
    total, left = summary.totals, sum(summary.totals.get(s, 0) for s in ("queued", "deferred"))
    extra = f"; {plural(summary.bounced, 'subscriber')} bounced" if summary.bounced else ""
    uncertain = (f"; {total['uncertain']} uncertain (cut between the server's acceptance and "
                 "the ledger: sent again, same Message-ID)") if total.get("uncertain") else ""
    return (f"digest {summary.digest_id}: {done}{extra}; in all {total.get('sent', 0)} sent, "
            f"{left} waiting, {total.get('rejected', 0)} rejected, "
            f"{total.get('skipped', 0)} skipped{uncertain}")
