"""`feedpub send`: a digest by SMTP to the list (or one test copy, or who would get it)."""

from __future__ import annotations

from feedpub.build.items import Progress
from feedpub.build.pipeline import load_posts
from feedpub.config import Config
from feedpub.delivery.addresses import parse
from feedpub.delivery.send import Summary, next_to_send, send_digest, send_test
from feedpub.delivery.smtp import Outcome
from feedpub.store import outbox
from feedpub.store import subscribers as table
from feedpub.store.ledger import read_ledger


def send_now(config: Config, digest_id: str | None,
             progress: Progress | None = None) -> Summary:
    """Send a digest (default: the one waiting) to every active subscriber, once each."""
    return send_digest(config, load_posts(config).posts, digest_id, progress=progress)


def test_copy(config: Config, address: str, digest_id: str | None) -> Outcome:
    """One copy to `address`; nothing recorded."""
    return send_test(config, load_posts(config).posts, parse(address), digest_id)


def dry_run(config: Config, digest_id: str | None) -> list[str]:
    """Who would get which digest, and where each message of a send under way stands."""
    ledger = read_ledger(config.paths.state)
    if ledger is None:
        return ["nothing to send: no digest yet"]
    with ledger:
        digest_id = digest_id or next_to_send(ledger)
        if outbox.frozen(ledger, digest_id):
            rows = ledger.db.execute("SELECT address, state FROM outbox WHERE digest_id = ? "
                                     "ORDER BY subscriber_id", (digest_id,)).fetchall()
            return [f"digest {digest_id}: its send is under way"] + [
                f"  {state:8}  {address or '(erased)'}" for address, state in rows]
        active = [s.address for s in table.listing(ledger, table.ACTIVE)]
    return [f"digest {digest_id} would go to {len(active)} active subscribers:"] + [
        f"  {address}" for address in active]
