"""Safe URL slugs: ASCII letters, digits and dashes, never a path."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WORDS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 80) -> str:
    """A slug for `text`; never empty, never containing '/', '.' or '..'."""
    spelled = "".join(_WORDS.get(c, c) for c in text)
    ascii_text = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:max_length].strip("-")
    if slug:
        return slug
    return "x-" + hashlib.sha1(text.encode()).hexdigest()[:10]
