"""The HTML pages that make every feed link resolve: index, posts, tags. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feedpub.config import Config
from feedpub.feeds.model import Item
from feedpub.posts.model import Tag
from feedpub.templating import render
from feedpub.urls import FEED_NAMES, FEED_TYPES, feed_path, newsletter_url, site_path

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class FeedLink:
    title: str
    href: str
    type: str


def feed_links(config: Config, tag: Tag | None = None) -> list[FeedLink]:
    """Autodiscovery links for the site's (or a tag's) feeds."""
    label = f" · {tag.name}" if tag else ""
    return [
        FeedLink(f"{config.site.title}{label} ({FEED_NAMES[fmt]})",
                 config.site.url + feed_path(fmt, tag.slug if tag else None), FEED_TYPES[fmt])
        for fmt in config.feeds.formats
    ]


def subscribe_action(config: Config) -> str | None:
    """The subscribe form's target, or None when the site sends no email ([smtp] host
    unset): then no form."""
    if not config.smtp.host:
        return None
    return newsletter_url(config.site.url, config.delivery.url) + "subscribe/"


def _page(env: jinja2.Environment, name: str, config: Config, **context: Any) -> bytes:
    html = render(env, name, site=config.site, base=site_path(config.site.url), **context)
    return html.encode("utf-8")


def index_page(env: jinja2.Environment, config: Config, items: Sequence[Item],
               tags: dict[str, tuple[Tag, list[Item]]]) -> bytes:
    """output/index.html: every published post, newest first, and the tags."""
    return _page(env, "index.html", config, items=items, tags=tags, feeds=feed_links(config),
                 subscribe=subscribe_action(config))


def post_page(env: jinja2.Environment, config: Config, item: Item) -> bytes:
    """output/posts/<slug>/index.html."""
    return _page(env, "post.html", config, item=item, feeds=feed_links(config),
                 subscribe=subscribe_action(config))


def tag_page(env: jinja2.Environment, config: Config, tag: Tag, items: Sequence[Item]) -> bytes:
    """output/tags/<slug>/index.html, the home page of the tag's feeds."""
    return _page(env, "tag.html", config, tag=tag, items=items, feeds=feed_links(config, tag))


def stylesheet(env: jinja2.Environment, config: Config) -> bytes:
    """The XSL that makes the XML feeds readable, with a subscribe hint, in a browser."""
    return _page(env, "feed.xsl", config)
