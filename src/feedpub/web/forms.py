"""Request bodies read within a size limit, and the HTML form encoding parsed from them.

Only `application/x-www-form-urlencoded`: what an HTML form without `enctype` sends. A
multipart body is refused (415) rather than parsed: the subscribe form never sends one, and
the confirm and unsubscribe POSTs need no body at all (their token is in the URL).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import Receive

FORM = "application/x-www-form-urlencoded"
MAX_BODY = 4096  # bytes: an address (254) and a few fields, with room to spare
MAX_FIELDS = 16


class BadRequest(Exception):
    """A body we will not read or cannot parse: `status` and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(receive: Receive, headers: Headers, limit: int = MAX_BODY) -> bytes:
    """The whole body, or BadRequest 413 as soon as it (or its Content-Length) passes `limit`."""
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise BadRequest(413, f"the body is over {limit} bytes")
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest(400, "the client went away")
        body += message.get("body", b"")
        if len(body) > limit:
            raise BadRequest(413, f"the body is over {limit} bytes")
        more = bool(message.get("more_body", False))
    return bytes(body)


def form_fields(headers: Headers, body: bytes) -> dict[str, str]:
    """The fields of a urlencoded form (the first of each name); BadRequest 415 for another
    Content-Type, 400 for a body that is not one."""
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM:
        raise BadRequest(415, f"expected a form ({FORM})")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                          errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):  # bad UTF-8, too many fields
        raise BadRequest(400, "the form cannot be read") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields
