"""The HTML pages that make every feed link resolve: index, posts, tags. No I/O."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from feedpub.config import Config
from feedpub.feeds import Item
from feedpub.templating import render
from feedpub.urls import FEED_TYPES, feed_path, post_path, site_path


@dataclass(frozen=True)
class FeedLink:
    title: str
    href: str
    type: str


def feed_links(config: Config, tag_slug: str | None = None, label: str = "") -> list[FeedLink]:
    """Autodiscovery links for the site's (or a tag's) feeds."""
    names = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
    return [
        FeedLink(f"{config.site.title}{label} ({names[fmt]})",
                 config.site.url + feed_path(fmt, tag_slug), FEED_TYPES[fmt])
        for fmt in config.feeds.formats
    ]


def _context(config: Config, **extra: Any) -> dict[str, Any]:
    return {"site": config.site, "base": site_path(config.site.url), **extra}


def pages(env: jinja2.Environment, config: Config, items: Sequence[Item],
          tags: dict[str, tuple[Any, list[Item]]]) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the index, every post page and every tag page."""
    site_feeds = feed_links(config)
    yield "index.html", _page(env, "index.html", _context(config, items=items,
                                                              feeds=site_feeds, tags=tags))
    for item in items:
        yield post_path(item.post.slug), _page(env, "post.html", _context(
            config, item=item, feeds=site_feeds))
    if config.feeds.tags:
        for slug, (tag, tag_items) in tags.items():
            links = feed_links(config, slug, f" · {tag.name}")
            yield f"tags/{slug}/index.html", _page(env, "tag.html", _context(
                config, tag=tag, items=tag_items, feeds=links))


def _page(env: jinja2.Environment, name: str, context: dict[str, Any]) -> bytes:
    return render(env, name, **context).encode("utf-8")


def stylesheet(env: jinja2.Environment, config: Config) -> bytes:
    """The XSL that makes the XML feeds readable, with a subscribe hint, in a browser."""
    return _page(env, "feed.xsl", _context(config))
