"""Byte ranges (RFC 9110 section 14): one range per request; anything else gets the whole file."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

# first-last, first- or -suffix; ASCII digits only (int() would take '+1', ' 1' and '١')
ONE_RANGE = re.compile(r"([0-9]*)-([0-9]*)")


class Unsatisfiable(Exception):
    """The one range asked for starts beyond the end of the file (416)."""


def byte_span(spec: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions a Range header asks for, within `size` bytes.

    None means "send the whole file": another unit, several ranges or a malformed header,
    all of which RFC 9110 lets a server ignore. Raises Unsatisfiable for a range past the end.
    """
    unit, _, ranges = spec.partition("=")
    match = ONE_RANGE.fullmatch(ranges.strip())
    if unit.strip().lower() != "bytes" or match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last `last` bytes
        if int(last) == 0 or size == 0:
            raise Unsatisfiable(spec)
        return max(size - int(last), 0), size - 1
    if last and int(last) < int(first):
        return None
    if int(first) >= size:
        raise Unsatisfiable(spec)
    return int(first), min(int(last), size - 1) if last else size - 1


def if_range_holds(value: str | None, etag: str, mtime: float) -> bool:
    """True unless If-Range names another version: a strong ETag must match, a date must equal."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):  # a weak tag never matches (strong comparison)
        return value == etag
    try:
        return parsedate_to_datetime(value).timestamp() == int(mtime)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
