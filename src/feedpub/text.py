"""Text hygiene shared by every output: XML-safe characters."""

from __future__ import annotations

import re

# Characters outside the XML 1.0 Char production (C0 controls but TAB/LF/CR,
# surrogates, U+FFFE/U+FFFF) break every XML parser; feedgen raises on them.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", text)
