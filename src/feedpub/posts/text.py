"""Text hygiene shared by every output: XML-safe characters and safe URL slugs."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Characters outside the XML 1.0 Char production (C0 controls but TAB/LF/CR,
# surrogates, U+FFFE/U+FFFF) break every XML parser; feedgen raises on them.
# DEL and the C1 controls are legal XML but "discouraged" (XML 1.0, 2.2): readers
# such as feedparser turn them into cp1252 punctuation, so they go too.
# Spelled as the characters to drop, not as "[^...allowed...]": the same set, but
# compiling the negated class over all of Unicode costs ~5 ms at every start.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", text)


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
