"""The tokens in confirm and unsubscribe links: unguessable, checked in constant time.

A token is `<subscriber id>-<MAC>`, the MAC an HMAC-SHA256 (the site's secret) of the
link's purpose, the id and the address: it cannot be forged, it dies with the address
(an erased subscriber's links open nothing), and it says nothing of who it is for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

CONFIRM, UNSUBSCRIBE = "confirm", "unsubscribe"
_MAC_CHARS = 22  # 132 bits


def make(secret: bytes, purpose: str, subscriber_id: int, key: str) -> str:
    """The token of a link for `purpose` to the subscriber `subscriber_id` (address `key`)."""
    return f"{subscriber_id}-{_mac(secret, purpose, subscriber_id, key)}"


def read(secret: bytes, purpose: str, token: str,
         key_of: Callable[[int], str | None]) -> int | None:
    """The subscriber id a token for `purpose` stands for, or None when it is not one of
    ours; `key_of(id)` gives the subscriber's address key (None when there is none)."""
    head, _, mac = token.partition("-")
    if not head.isdigit() or len(head) > 18 or len(mac) != _MAC_CHARS:
        return None
    key = key_of(int(head))
    # The same work whether or not the subscriber exists: timing says nothing either.
    expected = _mac(secret, purpose, int(head), key if key is not None else "\0")
    return int(head) if hmac.compare_digest(expected, mac) and key is not None else None


def _mac(secret: bytes, purpose: str, subscriber_id: int, key: str) -> str:
    digest = hmac.new(secret, f"{purpose}\0{subscriber_id}\0{key}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_CHARS]
