"""A whole post's HTML made fit for an email, and a post's hero image. No I/O: the sizes
of the site's own images come from a lookup the caller passes (digest.images).

The post keeps its author's HTML; what changes is what mail clients need: every image
with an alt and, when its size is known, width and height attributes no wider than the
column (Outlook ignores CSS widths); tables in a wrapper that scrolls sideways instead of
widening the email; ids prefixed so that they stay unique across the digest's posts; and
what no mail client runs (scripts, styles, embedded players) replaced or left out.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from feedpub.digest.images import Size, SizeOf

CONTENT_WIDTH = 536  # the 600 px column less the post's 32 px padding either side
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_ID = re.compile(r"""(\sid\s*=\s*)("[^"]*"|'[^']*')""", re.IGNORECASE)
_TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)
_TABLE_CLOSE = re.compile(r"</table\s*>", re.IGNORECASE)
_DROPPED = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_PLAYER = re.compile(r"<(iframe|video|audio|object)\b.*?</\1\s*>|<embed\b[^>]*>",
                     re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Picture:
    """An image the digest shows itself: a post's hero image."""

    url: str
    alt: str
    width: int | None  # attributes for Outlook, when the size is known
    height: int | None


def hero_image(image: str, post_url: str, title: str, size_of: SizeOf) -> Picture | None:
    """A post's `image:` (relative to the post) as the picture above it, its title as alt;
    None without one, or for a URL that is no http(s) address."""
    if not image:
        return None
    url = urljoin(post_url, image)
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    size = fit(size_of(url))
    return Picture(url, title, *(size or (None, None)))


def email_html(fragment: str, prefix: str, post_url: str, size_of: SizeOf) -> str:
    """A post's whole HTML (absolute URLs) as the email shows it: images sized and given an
    alt, tables wrapped to scroll, ids prefixed with `prefix`, players made links."""
    fragment = _DROPPED.sub("", fragment)
    fragment = _PLAYER.sub(lambda _: _player_link(post_url), fragment)
    fragment = _IMG.sub(lambda m: _image_tag(m.group(0), size_of), fragment)
    fragment = _TABLE_OPEN.sub('<div class="wide"><table', fragment)
    fragment = _TABLE_CLOSE.sub("</table></div>", fragment)
    return prefix_ids(fragment, prefix)


def prefix_ids(fragment: str, prefix: str) -> str:
    """Every id in `fragment` with `prefix` before it: posts share one document."""
    def fix(m: re.Match[str]) -> str:
        quoted = m.group(2)
        return f'{m.group(1)}{quoted[0]}{prefix}{quoted[1:]}'

    return _ID.sub(fix, fragment)


def fit(size: Size | None) -> Size | None:
    """`size` scaled down (never up) to the column's width, proportions kept."""
    if size is None:
        return None
    width, height = size
    if width <= CONTENT_WIDTH:
        return size
    return CONTENT_WIDTH, max(1, round(height * CONTENT_WIDTH / width))


def _player_link(post_url: str) -> str:
    return f'<p><a href="{html.escape(post_url, quote=True)}">Play it on the site</a></p>'


def _image_tag(tag: str, size_of: SizeOf) -> str:
    attrs = _attributes(tag)
    attrs.setdefault("alt", "")  # a missing alt is invalid HTML; "" says "decorative"
    size = fit(_given_size(attrs) or size_of(attrs.get("src", "")))
    if size is not None:
        attrs["width"], attrs["height"] = str(size[0]), str(size[1])
    elif attrs.get("width", "").isdigit() and int(attrs["width"]) > CONTENT_WIDTH:
        attrs["width"] = str(CONTENT_WIDTH)  # too wide for Outlook; its height is unknown
        attrs.pop("height", None)
    return "<img " + " ".join(f'{k}="{html.escape(v, quote=True)}"'
                              for k, v in attrs.items()) + ">"


def _attributes(tag: str) -> dict[str, str]:
    """An <img> tag's attributes, in order, values unescaped (the first of a repeated one)."""
    found: dict[str, str] = {}
    body = tag[4:].rstrip(">").rstrip("/")
    for m in _ATTR.finditer(body):
        value = m.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found.setdefault(m.group(1).lower(), html.unescape(value))
    return found


def _given_size(attrs: dict[str, str]) -> Size | None:
    """The size the author wrote, when both attributes are whole numbers of pixels."""
    width, height = attrs.get("width", ""), attrs.get("height", "")
    if width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
        return int(width), int(height)
    return None
