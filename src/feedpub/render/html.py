"""HTML fragments: URLs made absolute, footnote ids made unique per post, plain text."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_URL_ATTR = re.compile(
    r"""(\s(?:href|src|poster|cite|background)\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+)""",
    re.IGNORECASE,
)
_SRCSET = re.compile(r"""(\ssrcset\s*=\s*)("[^"]*"|'[^']*')""", re.IGNORECASE)
_FOOTNOTE_ID = re.compile(r'(id="|href="#)(fnref|fn):')
_ANY_TAG = re.compile(r"<[^>]*>")


def absolute_urls(fragment: str, base: str) -> str:
    """Every href/src/srcset in `fragment`'s tags made absolute against `base`."""

    def fix_tag(tag: re.Match[str]) -> str:
        text = _URL_ATTR.sub(lambda m: m.group(1) + _join(m.group(2), base), tag.group(0))
        return _SRCSET.sub(lambda m: m.group(1) + _join_srcset(m.group(2), base), text)

    return _TAG.sub(fix_tag, fragment)


def _join(quoted: str, base: str) -> str:
    value = html.unescape(quoted.strip("\"'")).strip()
    return '"' + html.escape(urljoin(base, value), quote=True) + '"'


def _join_srcset(quoted: str, base: str) -> str:
    parts = []
    for candidate in html.unescape(quoted[1:-1]).split(","):
        url, _, size = candidate.strip().partition(" ")
        parts.append((urljoin(base, url) + (" " + size.strip() if size else "")).strip())
    return '"' + html.escape(", ".join(parts), quote=True) + '"'


def unique_footnotes(fragment: str, prefix: str) -> str:
    """Footnote ids made unique per post, so posts can share a page or an email."""
    return _FOOTNOTE_ID.sub(lambda m: f"{m.group(1)}{m.group(2)}-{prefix}-", fragment)


def plain_text(fragment: str) -> str:
    """Tags dropped, entities decoded, white space folded."""
    return " ".join(html.unescape(_ANY_TAG.sub("", fragment)).split())
