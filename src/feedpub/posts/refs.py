"""The files a post's Markdown points at on its own site: images, media, downloads.

Read from the source (so each comes with its line): Markdown images, the src and
poster of raw HTML, and links to files (a name with an extension, not a page).
Fenced code is skipped: what it shows is not a link.
"""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_LINK = re.compile(r"(?<![!\]])\[[^\]]*\]\(\s*<?([^)\s>]+)")
_HTML = re.compile(r"""\s(?:src|poster)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_PAGE = re.compile(r"(^|/)[^/.]*$|\.(html?|md)$", re.IGNORECASE)  # a folder or a page


def local_refs(body: str) -> list[tuple[int, str]]:
    """(line in the body, 1-based; reference) for every file the body points at that is
    relative to the post or to the site (no scheme, no //, not a fragment)."""
    found: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(body.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        refs = _IMAGE.findall(line) + _HTML.findall(line)
        refs += [r for r in _LINK.findall(line) if not _PAGE.search(r.split("?")[0].split("#")[0])]
        found += [(number, ref) for ref in refs if _local(ref)]
    return found


def _local(ref: str) -> bool:
    return not (ref.startswith(("#", "//", "data:")) or re.match(r"^[a-zA-Z][\w+.-]*:", ref))
