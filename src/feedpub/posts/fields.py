"""Front-matter values (YAML 1.1, loosely typed) to typed values, or a reason why not."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from feedpub.posts.text import xml_safe

UTC = dt.UTC
DATE_HINT = ("use 2026-11-22, 2026-11-22 09:30 or an ISO 8601 date-time such as "
             "2026-11-22T09:30:00+01:00")


class FieldError(ValueError):
    """A front-matter value that cannot be used; the message says what to write."""


def to_datetime(value: Any, zone: ZoneInfo) -> dt.datetime:
    """Any YAML date shape as an aware datetime in `zone` (naive values are in `zone`)."""
    if isinstance(value, dt.datetime):
        return _in_zone(value, zone)
    if isinstance(value, dt.date):
        return _in_zone(dt.datetime.combine(value, dt.time(), tzinfo=zone), zone)
    if isinstance(value, str) and value.strip():
        return _in_zone(_parse_date_text(value.strip()), zone)
    if isinstance(value, int) and not isinstance(value, bool):
        raise FieldError(f"{value!r} is a number: YAML read a time such as 10:00 as minutes "
                         f"(quote the date; {DATE_HINT})")
    raise FieldError(f"{value!r} is not a date ({DATE_HINT})")


def _parse_date_text(text: str) -> dt.datetime:
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time())  # naive: _in_zone puts it in the site zone
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(f"{text!r} is not a date ({DATE_HINT})") from None


def _in_zone(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    # The round trip through UTC moves a wall time that a DST gap skips
    # (02:30 on a spring-forward day) to the real instant, the way clocks do.
    try:
        return value.astimezone(UTC).astimezone(zone)
    except (OverflowError, ValueError):  # year 1 or 9999 pushed past the calendar's ends
        raise FieldError(f"{value.isoformat()} is out of range (use a year from 2 to "
                         "9998)") from None


def to_text(value: Any, raw: str | None) -> str:
    """A scalar as the text the author typed (YAML turns `no` into False, `10:00` into 600)."""
    if isinstance(value, str):
        return xml_safe(value)
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, dt.date)):
        return xml_safe(raw if raw is not None else str(value))
    raise FieldError(f"expected text, got a {type(value).__name__} (quote the value)")


def to_bool(value: Any) -> bool:
    """YAML 1.1 and string spellings of true/false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLS:
        return _BOOLS[value.strip().lower()]
    raise FieldError(f"{value!r} is not true or false (write true or false)")


_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
DIGEST_CONTENTS = ("full", "summary")


def to_digest(value: Any) -> tuple[bool, str | None]:
    """`digest:` as (in digests at all, the content it chooses): true/false keep the post
    in or out, `full` or `summary` put it in showing that."""
    if isinstance(value, str) and value.strip().lower() in DIGEST_CONTENTS:
        return True, value.strip().lower()
    try:
        return to_bool(value), None
    except FieldError:
        raise FieldError(f"{value!r} is not true, false, full or summary (write digest: false "
                         "to keep the post out of digests, digest: full to send it whole, "
                         "digest: summary to send an excerpt)") from None


def to_tags(value: Any) -> list[str]:
    """A list of tag names from a YAML list or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise FieldError(f"{value!r} is not a list of tags (write tags: [python, web])")
    names = []
    for item in items:
        if isinstance(item, (dict, list)):
            raise FieldError(f"{item!r} is not a tag name (write tags: [python, web])")
        name = " ".join(xml_safe(str(item)).split())
        if name:
            names.append(name)
    return names


def to_author(value: Any, raw: str | None) -> str:
    """An author name, from text or from a {name, email} mapping."""
    if isinstance(value, dict):
        return to_text(value.get("name", ""), None)
    return to_text(value, raw)


def raw_scalar(front_matter: str, key: str) -> str | None:
    """The literal text after `key:` on its line, unquoted, for values YAML retyped."""
    match = re.search(rf"^{re.escape(key)}\s*:[ \t]*(.*?)[ \t]*$", front_matter, re.MULTILINE)
    if not match or not match.group(1) or match.group(1).startswith("#"):
        return None
    return match.group(1).split(" #")[0].strip("'\"")


def yaml_printable(front_matter: str) -> str:
    """Front matter without the characters a YAML reader rejects (line numbers kept).

    They are the ones XML forbids or discourages (C0/C1 controls, U+FFFE...): invisible,
    and dropped from every output anyway, so a pasted one must not cost the author the
    whole post. NEL (U+0085) goes too: YAML would read it as a line break, splitting a
    title in two.
    """
    return xml_safe(front_matter)


def load_yaml_dates_as_text(text: str) -> Any:
    """Front matter parsed with every date left as the text the author typed."""
    import yaml  # heavy: only for a post whose date YAML could not construct

    class DatesAsText(yaml.SafeLoader):  # type: ignore[misc]
        """YAML 1.1 without timestamps: a date such as 2024-13-45 stays text to report."""

    DatesAsText.add_constructor("tag:yaml.org,2002:timestamp",
                                yaml.SafeLoader.construct_yaml_str)
    return yaml.load(text, Loader=DatesAsText)  # noqa: S506 (a SafeLoader subclass)


_KEY_LINE = re.compile(r"^([\w-]+\s*:|[ \t]|- |#)")


def runs_into_body(front_matter: str) -> bool:
    """True when the front matter has no closing '---' of its own and ran into the post:
    after its first blank line comes a line that is no YAML (the '---' found was a rule)."""
    lines = front_matter.strip("\n").split("\n")
    if "" not in lines:
        return False
    rest = [line for line in lines[lines.index(""):] if line.strip()]
    return bool(rest) and not _KEY_LINE.match(rest[0])


def key_line(front_matter: str, key: str) -> int:
    """0-based line of `key:` within the front matter, or -1."""
    match = re.search(rf"^{re.escape(key)}\s*:", front_matter, re.MULTILINE)
    return front_matter.count("\n", 0, match.start()) if match else -1
