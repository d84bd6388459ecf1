"""Text hygiene shared by every output: XML-safe characters."""

from __future__ import annotations

import re

# Characters outside the XML 1.0 Char production (C0 controls but TAB/LF/CR,
# surrogates, U+FFFE/U+FFFF) break every XML parser; feedgen raises on them.
# DEL and the C1 controls are legal XML but "discouraged" (XML 1.0, 2.2): readers
# such as feedparser turn them into cp1252 punctuation, so they go too.
_NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", text)
