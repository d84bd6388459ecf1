"""output/digests/index.html and feed.xml: every recorded digest, newest first. No I/O."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from feedpub import __version__
from feedpub.config import Config
from feedpub.feeds.pages import subscribe_action
from feedpub.posts.text import xml_safe
from feedpub.store.digests import PastDigest
from feedpub.templating import render
from feedpub.urls import DIGESTS, archive_url, digest_url, digests_feed_url

if TYPE_CHECKING:
    import jinja2

INDEX = DIGESTS + "index.html"  # the archive page, under output/
FEED = DIGESTS + "feed.xml"  # the feed of digests
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ArchiveEntry:
    """One digest as the archive page and the digest feed show it."""

    id: str
    created: dt.datetime  # in the site zone
    subject: str
    url: str
    titles: tuple[str, ...]


def entries(config: Config, digests: Sequence[PastDigest],
            titles: Mapping[str, str]) -> list[ArchiveEntry]:
    """Archive entries, newest first; `titles` maps post ids to their current titles."""
    zone: ZoneInfo = config.site.zone
    found = [
        ArchiveEntry(d.id, d.created.astimezone(zone), d.subject, digest_url(config.site.url, d.id),
                     tuple(titles[p] for p in d.post_ids if p in titles))
        for d in digests
    ]
    return sorted(found, key=lambda e: (e.created, e.id), reverse=True)


def archive_page(env: jinja2.Environment, config: Config,
                 archive: Sequence[ArchiveEntry]) -> bytes:
    """The archive page, from templates/email/archive.html."""
    return render(env, "archive.html", site=config.site, digests=archive,
                  feed_url=digests_feed_url(config.site.url),
                  subscribe=subscribe_action(config)).encode("utf-8")


def digests_feed(config: Config, archive: Sequence[ArchiveEntry]) -> bytes:
    """An RSS 2.0 feed of the digests; its dates come from the digests, never the clock."""
    from feedgen.feed import FeedGenerator  # heavy

    fg = FeedGenerator()
    title = xml_safe(f"{config.site.title} · digests")
    fg.id(archive_url(config.site.url))
    fg.title(title)
    fg.description(f"Every email digest of {xml_safe(config.site.title)}")
    # RSS takes the last link as the channel <link>: self first, alternate last.
    fg.link(href=digests_feed_url(config.site.url), rel="self", type="application/rss+xml")
    fg.link(href=archive_url(config.site.url), rel="alternate")
    fg.language(config.site.language)
    fg.generator("feedpub", __version__, "https://pypi.org/project/feedpub/")
    updated = max((e.created for e in archive), default=_EPOCH)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for entry in archive:
        fe = fg.add_entry(order="append")
        fe.title(xml_safe(entry.subject))
        fe.link(href=entry.url)
        fe.guid(entry.url, permalink=True)
        fe.published(entry.created)
        fe.updated(entry.created)
        items = "".join(f"<li>{html.escape(xml_safe(t))}</li>" for t in entry.titles)
        fe.description(f"<ul>{items}</ul>" if items else xml_safe(entry.subject))
    return bytes(fg.rss_str(pretty=True))
