"""A digest made once, then addressed to each subscriber by substitution.

The digest is rendered once with a placeholder where the unsubscribe link goes; each
message replaces it with the subscriber's own link and adds their To, Message-ID and
List-Unsubscribe headers (RFC 8058 one-click). The bodies are encoded per message by
binascii's quoted-printable (C code): sending 100,000 messages costs no more memory
than sending one.
"""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from feedpub.config import Config
from feedpub.delivery.addresses import Address
from feedpub.digest.email import POLICY, RenderedDigest, set_from
from feedpub.urls import site_host

# Where the unsubscribe link goes while the digest is rendered: a name no real link has.
PLACEHOLDER = "https://feedpub.invalid/unsubscribe-link"


@dataclass(frozen=True)
class Letter:
    """One digest ready to be addressed."""

    digest_id: str
    head: bytes  # From, Subject, Date, MIME-Version: the same for everyone
    text: str  # the plain-text part, the placeholder in it
    html: str  # the HTML part, the placeholder in it
    boundary: str
    host: str  # of the Message-ID


def letter(config: Config, digest_id: str, rendered: RenderedDigest,
           created: object) -> Letter:
    """The digest `rendered` (with PLACEHOLDER as its unsubscribe link) made ready."""
    head = EmailMessage(policy=POLICY)
    set_from(head, config)
    head["Subject"] = rendered.subject
    head["Date"] = format_datetime(created)  # type: ignore[arg-type]
    head["MIME-Version"] = "1.0"
    seed = hashlib.sha256((rendered.text + rendered.html).encode()).hexdigest()[:32]
    return Letter(digest_id, head.as_bytes().rstrip(b"\r\n") + b"\r\n", rendered.text,
                  rendered.html, f"=_feedpub_{seed}", site_host(config.site.url))


def addressed(item: Letter, to: Address, subscriber_id: int, unsubscribe: str) -> bytes:
    """The message for one subscriber: their To, Message-ID (stable: a message sent again
    after a crash is the same message) and unsubscribe link, in headers and body."""
    headers = (
        f"To: {to.text}\r\n"
        f"Message-ID: <digest-{item.digest_id}.{subscriber_id}@{item.host}>\r\n"
        f"List-Unsubscribe: <{unsubscribe}>\r\n"
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        f'Content-Type: multipart/alternative; boundary="{item.boundary}"\r\n\r\n'
    ).encode()
    return b"".join((item.head, headers,
                     _part(item.boundary, "plain", item.text.replace(PLACEHOLDER, unsubscribe)),
                     _part(item.boundary, "html", item.html.replace(PLACEHOLDER, unsubscribe)),
                     f"--{item.boundary}--\r\n".encode()))


def _part(boundary: str, subtype: str, body: str) -> bytes:
    encoded = binascii.b2a_qp(body.encode(), istext=True).replace(b"\n", b"\r\n")
    return (f"--{boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode() + encoded + b"\r\n"
