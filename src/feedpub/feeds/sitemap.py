"""sitemap.xml (sitemaps.org protocol 0.9): every page of the site and when it last changed.
No I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape  # xml.sax.saxutils' escape imports urllib.request: ~25 ms a build
from itertools import islice
from urllib.parse import quote

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit for one file


def sitemap(pages: Iterable[tuple[str, dt.datetime]]) -> bytes:
    """A <urlset> of (absolute URL, last modified) pairs, the first MAX_URLS in the order
    given (pages first, then posts newest first: past the limit, the oldest posts are left
    to be found by their links)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{NAMESPACE}">']
    for url, lastmod in islice(pages, MAX_URLS):
        lines.append(f"<url><loc>{escape(_uri(url), quote=False)}</loc>"
                     f"<lastmod>{lastmod.isoformat(timespec='seconds')}</lastmod></url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _uri(url: str) -> str:
    """`url` with anything a URI may not hold (spaces, non-ASCII) percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")
