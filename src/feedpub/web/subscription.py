"""What the web endpoints do to the list: ask to subscribe, confirm, leave.

Double opt-in: an address that asks becomes (or stays) pending until its owner presses
the button behind the link mailed to it. Someone who left, or bounced, and asks again
is pending again: asking is their new consent, confirming it makes them active.
Nothing here answers a client: the endpoints decide what each result may show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from feedpub.delivery import tokens
from feedpub.delivery.addresses import Address
from feedpub.store import subscribers as table
from feedpub.store.ledger import Ledger

SOURCE = "web"


def ask(ledger: Ledger, address: Address, now: dt.datetime) -> table.Subscriber | None:
    """Record that `address` asked to subscribe; the subscriber to mail a confirmation to
    (new, still pending, or back after leaving), or None when they are active already."""
    found = table.find(ledger, address.key)
    if found is None:
        return table.insert(ledger, address.key, address.text, table.PENDING, SOURCE, now)
    if found.status == table.ACTIVE:
        return None
    if found.status != table.PENDING:  # unsubscribed or bounced, and asking again
        table.set_status(ledger, found.id, table.PENDING, now)
    return table.get(ledger, found.id)


def confirm(ledger: Ledger, secret: bytes, token: str,
            now: dt.datetime) -> tuple[table.Subscriber, bool] | None:
    """The subscriber a confirm token stands for, active now, and True when this made them
    active; None for a token not ours or a subscriber neither pending nor active (who
    left, or bounced, since the link was sent: they ask again)."""
    found = _holder(ledger, secret, tokens.CONFIRM, token)
    if found is None or found.status not in (table.PENDING, table.ACTIVE):
        return None
    if found.status == table.ACTIVE:
        return found, False
    table.set_status(ledger, found.id, table.ACTIVE, now)
    done = table.get(ledger, found.id)
    assert done is not None
    return done, True


def leave(ledger: Ledger, secret: bytes, token: str, now: dt.datetime) -> bool:
    """Unsubscribe whoever the unsubscribe token stands for; False for a token not ours."""
    found = _holder(ledger, secret, tokens.UNSUBSCRIBE, token)
    if found is None:
        return False
    if found.status != table.UNSUBSCRIBED:  # a bounced one too: they said so themselves
        table.set_status(ledger, found.id, table.UNSUBSCRIBED, now)
    return True


def _holder(ledger: Ledger, secret: bytes, purpose: str, token: str) -> table.Subscriber | None:
    subscriber_id = tokens.read(secret, purpose, token, _key_of(ledger))
    return None if subscriber_id is None else table.get(ledger, subscriber_id)


def _key_of(ledger: Ledger) -> Callable[[int], str | None]:
    def key_of(subscriber_id: int) -> str | None:
        found = table.get(ledger, subscriber_id)
        return None if found is None else found.key

    return key_of
