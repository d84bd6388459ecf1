"""Text hygiene shared by every output: XML-safe characters."""

from __future__ import annotations

import re

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
