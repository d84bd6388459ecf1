"""Where things live: every output path and its public URL, spelled once, from slugs only."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

FEED_FILES = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}
FEED_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
FEED_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
DIGESTS = "digests/"
DIGEST_FILES = ("index.html", "digest.txt", "digest.eml")


def post_path(slug: str) -> str:
    return f"posts/{slug}/index.html"


def post_url(site_url: str, slug: str) -> str:
    return f"{site_url}posts/{slug}/"


def feed_path(fmt: str, tag_slug: str | None = None) -> str:
    prefix = f"tags/{tag_slug}/" if tag_slug else ""
    return prefix + FEED_FILES[fmt]


def tag_page_path(tag_slug: str) -> str:
    return f"tags/{tag_slug}/index.html"


def tag_page_url(site_url: str, tag_slug: str) -> str:
    return f"{site_url}tags/{tag_slug}/"


def digest_path(digest_id: str, name: str) -> str:
    """One file of a digest (`index.html`, `digest.txt`, `digest.eml`)."""
    return f"{DIGESTS}{digest_id}/{name}"


def digest_url(site_url: str, digest_id: str) -> str:
    """The public URL of a digest's web version."""
    return f"{site_url}{DIGESTS}{digest_id}/"


def archive_url(site_url: str) -> str:
    """The public URL of the digest archive (`digests/index.html`)."""
    return site_url + DIGESTS


def digests_feed_url(site_url: str) -> str:
    """The public URL of the RSS feed of digests (`digests/feed.xml`)."""
    return f"{site_url}{DIGESTS}feed.xml"


def newsletter_url(site_url: str, delivery_url: str) -> str:
    """Where the newsletter's endpoints (subscribe/, confirm/, unsubscribe/) answer: under
    [delivery] url when set, else under the site (ends with /)."""
    return delivery_url or site_url


def site_path(site_url: str) -> str:
    """The URL path the site lives under, such as '/' or '/blog/'."""
    return urlsplit(site_url).path or "/"


def site_host(site_url: str) -> str:
    """The site's host name (for Message-IDs and the default sender)."""
    return urlsplit(site_url).hostname or "localhost"


def minted_id(site_url: str, date: dt.datetime, slug: str) -> str:
    """A tag: URI (RFC 4151) for a new post: no scheme, so http<->https leaves it alone."""
    parts = urlsplit(site_url)
    return f"tag:{parts.hostname},{date:%Y-%m-%d}:{parts.path}posts/{slug}/"
