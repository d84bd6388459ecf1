"""Where things live: output paths and their public URLs, from slugs only."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

FEED_FILES = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}
FEED_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


def post_path(slug: str) -> str:
    return f"posts/{slug}/index.html"


def post_url(site_url: str, slug: str) -> str:
    return f"{site_url}posts/{slug}/"


def feed_path(fmt: str, tag_slug: str | None = None) -> str:
    prefix = f"tags/{tag_slug}/" if tag_slug else ""
    return prefix + FEED_FILES[fmt]


def tag_page_url(site_url: str, tag_slug: str) -> str:
    return f"{site_url}tags/{tag_slug}/"


def site_path(site_url: str) -> str:
    """The URL path the site lives under, such as '/' or '/blog/'."""
    return urlsplit(site_url).path or "/"


def minted_id(site_url: str, date: dt.datetime, slug: str) -> str:
    """A tag: URI (RFC 4151) for a new post: no scheme, so http<->https leaves it alone."""
    parts = urlsplit(site_url)
    return f"tag:{parts.hostname},{date:%Y-%m-%d}:{parts.path}posts/{slug}/"
