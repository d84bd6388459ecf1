"""Email addresses as people type them, to one normalised address, or the reason why not.

Syntax only (email-validator, no DNS): a subscriber's address is checked when it
arrives, never looked up. Its key, the address lower-cased, is what makes
Ada@Example.org and ada@example.org one subscriber.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from feedpub.errors import FeedpubError, shorten

# Characters no address may hold: line breaks and controls (header injection), and the
# ones that make one header carry several addresses or a display name.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f<>,;\"\s]")
MAX_LENGTH = 254  # RFC 5321's limit on a path


class BadAddress(FeedpubError, ValueError):
    """Not an address feedpub can send to; the message says why (exit 2 when it ends a
    command: `send --test`, `subscribers remove`)."""


@dataclass(frozen=True)
class Address:
    key: str  # lower-cased: one per person
    text: str  # normalised (the domain lower-cased, IDNA), as they gave it otherwise
    utf8: bool  # needs SMTPUTF8 to be sent to


def parse(text: str) -> Address:
    """The address in `text`, normalised; BadAddress saying what is wrong with it."""
    candidate = text.strip()
    if not candidate:
        raise BadAddress("empty")
    if len(candidate) > MAX_LENGTH or _FORBIDDEN.search(candidate):
        raise BadAddress(f"{shorten(candidate, 80)!r} is not one plain address "
                         "(no spaces, quotes, <>, commas or line breaks)")
    from email_validator import EmailNotValidError, validate_email  # heavy: dnspython

    try:
        found = validate_email(candidate, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise BadAddress(f"{shorten(candidate, 80)!r}: {exc}") from None
    address = str(found.normalized)
    return Address(address.lower(), address, not address.isascii())


def fingerprint(secret: bytes, key: str) -> str:
    """What the ledger keeps of an erased address: a keyed hash, not the address."""
    return hmac.new(secret, b"erased\0" + key.encode(), hashlib.sha256).hexdigest()
