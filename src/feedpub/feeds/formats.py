"""Items to RSS 2.0, Atom 1.0 and JSON Feed 1.1 bytes. No I/O, no clock.

Each entry is serialised on its own (feedgen builds it) and a feed is its Frame
(the document without entries) around them: an entry shared by the site feed and
its tag feeds is serialised once, a feed of every post is never one big tree in
memory, and a writer can copy unchanged entries from the feed's last version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urljoin

from feedpub import __version__
from feedpub.feeds.model import FeedInfo, Item
from feedpub.urls import FEED_TYPES

_ENCODED_OPEN = '<ns0:encoded xmlns:ns0="http://purl.org/rss/1.0/modules/content/">'


def _entry(item: Item, info: FeedInfo) -> Any:
    from feedgen.entry import FeedEntry  # heavy: a build with every entry cached skips it

    post, rendered = item.post, item.rendered
    entry = FeedEntry()
    entry.title(post.title)
    entry.id(item.id)
    entry.guid(item.id, permalink=item.id == item.url)
    entry.link(href=item.url, rel="alternate", type="text/html")
    entry.published(post.date)
    entry.updated(item.updated)
    name = post.author or info.author_name
    if name:
        entry.author({"name": name, **({"email": info.author_email} if info.author_email
                                       and not post.author else {})})
    for tag in post.tags:
        entry.category(term=tag.name)
    if rendered.summary_html:
        entry.summary(rendered.summary_html, type="html")
    if info.full_content:
        entry.content(rendered.html, type="html")
    return entry


def rss_item(item: Item, info: FeedInfo) -> bytes:
    """One `<item>`, serialised."""
    entry = _entry(item, info)
    if not item.rendered.summary_html and not info.full_content:
        entry.description(item.post.title)
    if item.enclosure:  # a string length: an int crashes feedgen's rss_str
        entry.enclosure(item.enclosure.url, str(item.enclosure.length), item.enclosure.type)
    from lxml import etree  # heavy

    text = str(etree.tostring(entry.rss_entry(), encoding="unicode", pretty_print=True))
    # Serialised alone, lxml names the content namespace ns0; the feed declares `content:`.
    if _ENCODED_OPEN in text:
        text = text.replace(_ENCODED_OPEN, "<content:encoded>", 1)
        text = text.replace("</ns0:encoded>", "</content:encoded>", 1)
    return text.encode("utf-8")


def atom_entry(item: Item, info: FeedInfo) -> bytes:
    """One `<entry>`, serialised."""
    from lxml import etree  # heavy

    text = bytes(etree.tostring(_entry(item, info).atom_entry(), encoding="utf-8",
                                pretty_print=True))
    if item.enclosure:  # written here: feedgen drops an Atom link's rel, type and length
        link = etree.Element("link", rel="enclosure", href=item.enclosure.url,
                             type=item.enclosure.type, length=str(item.enclosure.length))
        close = text.rindex(b"</entry>")
        text = text[:close] + b"  " + etree.tostring(link) + b"\n" + text[close:]
    return text


def json_item(item: Item, info: FeedInfo) -> bytes:
    """One JSON Feed item, serialised on one line."""
    post, rendered = item.post, item.rendered
    data: dict[str, object] = {"id": item.id, "url": item.url, "title": post.title}
    # JSON Feed 1.1 requires content_html or content_text on every item: in summary
    # mode the content is the summary.
    data["content_html"] = rendered.html if info.full_content else rendered.summary_html
    if rendered.summary_text:
        data["summary"] = rendered.summary_text
    if post.image:
        data["image"] = data["banner_image"] = urljoin(item.url, post.image)
    data["date_published"] = post.date.isoformat()
    data["date_modified"] = item.updated.isoformat()
    if post.author:
        data["authors"] = [{"name": post.author}]
    if post.tags:
        data["tags"] = [t.name for t in post.tags]
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _generator(info: FeedInfo, updated: dt.datetime, self_type: str) -> Any:
    from feedgen.feed import FeedGenerator  # heavy

    fg = FeedGenerator()
    fg.id(info.home_url)
    fg.title(info.title)
    fg.description(info.description or info.title)
    fg.subtitle(info.description or info.title)
    # RSS takes the last link as the channel <link>: self first, alternate last.
    fg.link(href=info.self_url, rel="self", type=self_type)
    fg.link(href=info.home_url, rel="alternate")
    fg.language(info.language)
    fg.author({"name": info.author_name or info.title,
               **({"email": info.author_email} if info.author_email else {})})
    fg.generator("feedpub", __version__, "https://pypi.org/project/feedpub/")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    return fg


class Frame(NamedTuple):
    """A feed without its entries: the bytes before and after them (SEPARATORS go
    between them)."""

    head: bytes
    tail: bytes


SEPARATORS = {"rss": b"", "atom": b"", "json": b",\n    "}  # between two entries


def frame(fmt: str, info: FeedInfo, updated: dt.datetime, empty: bool) -> Frame:
    """The document of a feed in `fmt` last updated at `updated`, with room for its
    entries (none when `empty`)."""
    return _FRAMES[fmt](info, updated, empty)


def _xml_frame(document: bytes, closing: bytes, info: FeedInfo) -> Frame:
    if info.stylesheet:
        end = document.index(b"?>") + 2
        pi = f'\n<?xml-stylesheet href="{info.stylesheet}" type="text/xsl"?>'.encode()
        document = document[:end] + pi + document[end:]
    cut = document.rindex(closing)
    return Frame(document[:cut], document[cut:])


def _rss_frame(info: FeedInfo, updated: dt.datetime, empty: bool) -> Frame:
    fg = _generator(info, updated, FEED_TYPES["rss"])
    return _xml_frame(fg.rss_str(pretty=True), b"</channel>", info)


def _atom_frame(info: FeedInfo, updated: dt.datetime, empty: bool) -> Frame:
    fg = _generator(info, updated, FEED_TYPES["atom"])
    return _xml_frame(fg.atom_str(pretty=True), b"</feed>", info)


def _json_frame(info: FeedInfo, updated: dt.datetime, empty: bool) -> Frame:
    head = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": info.home_url,
        "feed_url": info.self_url,
        "description": info.description,
        "language": info.language,
        "authors": [{"name": info.author_name or info.title}],
    }
    text = json.dumps(head, ensure_ascii=False, indent=2)[:-2].encode("utf-8")
    if empty:
        return Frame(text + b',\n  "items": []\n}\n', b"")
    return Frame(text + b',\n  "items": [\n    ', b"\n  ]\n}\n")


_FRAMES: dict[str, Callable[[FeedInfo, dt.datetime, bool], Frame]] = {
    "rss": _rss_frame, "atom": _atom_frame, "json": _json_frame}


SERIALISERS: dict[str, Callable[[Item, FeedInfo], bytes]] = {
    "rss": rss_item,
    "atom": atom_entry,
    "json": json_item,
}
