"""A digest made once, then addressed to each subscriber by substitution.

The digest is rendered once with a placeholder where the unsubscribe link goes, and
each part is encoded (quoted-printable) once, cut where the placeholder was; each
message puts the subscriber's own link into the cuts and adds their To, Message-ID and
List-Unsubscribe headers (RFC 8058 one-click). Addressing a message is joining bytes:
sending 100,000 messages costs no more memory than sending one, and little more time
than the SMTP itself.
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
    parts: tuple[tuple[bytes, ...], ...]  # text, HTML: header and body encoded, cut at the link
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
    boundary = f"=_feedpub_{seed}"
    return Letter(digest_id, head.as_bytes().rstrip(b"\r\n") + b"\r\n",
                  (_part(boundary, "plain", rendered.text), _part(boundary, "html", rendered.html)),
                  boundary, site_host(config.site.url))


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
    link = _qp_open(unsubscribe)
    return b"".join((item.head, headers, *(link.join(part) for part in item.parts),
                     f"--{item.boundary}--\r\n".encode()))


def _part(boundary: str, subtype: str, body: str) -> tuple[bytes, ...]:
    """The part's header and body, encoded, in pieces cut where PLACEHOLDER was (each
    piece encoded on its own, so that no encoded line holds a bit of the link)."""
    *before, last = body.split(PLACEHOLDER)
    pieces = [_qp_open(piece) for piece in before] + [_qp(last) + b"\r\n"]
    pieces[0] = (f"--{boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode() + pieces[0]
    return tuple(pieces)


def _qp_open(text: str) -> bytes:
    """`text` encoded, ending with a soft line break (invisible once decoded): what is
    joined after it starts a new encoded line, and no line passes 76 characters."""
    encoded = _qp(text + "X")[:-1]  # "X": `text`'s end is not a line end (no =20 there)
    return encoded if encoded.endswith(b"=\r\n") else encoded + b"=\r\n"


def _qp(text: str) -> bytes:
    return binascii.b2a_qp(text.encode(), istext=True).replace(b"\n", b"\r\n")
