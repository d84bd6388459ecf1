"""The site's HTML pages: index, posts, tags, the subscribe page, and the files that help
crawlers and browsers (feed.xsl, robots.txt). No I/O.

Every page links to the others root-relative, from `base` (the path of `[site] url`), so
the same files work on the production host and in a local preview; only what must be
absolute (canonical, og:url, feed autodiscovery, the feed addresses people copy) is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feedpub.config import Config
from feedpub.feeds.model import Item
from feedpub.posts.model import Tag
from feedpub.templating import render
from feedpub.urls import FEED_NAMES, FEED_TYPES, feed_path, newsletter_url, site_path

if TYPE_CHECKING:
    import jinja2

TagItems = Mapping[str, tuple[Tag, Sequence[Item]]]
TOPICS = 12  # tags the index page shows


@dataclass(frozen=True)
class FeedLink:
    title: str  # for autodiscovery: "Site · tag (RSS)"
    href: str  # absolute: what a reader subscribes to
    type: str
    name: str = ""  # the format as people call it: "RSS", "Atom", "JSON Feed"
    file: str = ""  # its path under output/ ("tags/x/feed.xml"): links are `base` + file


@dataclass(frozen=True)
class Neighbour:
    """The post before or after one, as its page links to it."""

    title: str
    url: str


@dataclass(frozen=True)
class TagFeeds:
    """A tag as the subscribe and tags pages list it."""

    tag: Tag
    count: int  # its published posts
    feeds: list[FeedLink]


def feed_links(config: Config, tag: Tag | None = None) -> list[FeedLink]:
    """Autodiscovery links for the site's (or a tag's) feeds."""
    label = f" · {tag.name}" if tag else ""
    links = []
    for fmt in config.feeds.formats:
        file = feed_path(fmt, tag.slug if tag else None)
        links.append(FeedLink(f"{config.site.title}{label} ({FEED_NAMES[fmt]})",
                              config.site.url + file, FEED_TYPES[fmt], FEED_NAMES[fmt], file))
    return links


def subscribe_action(config: Config) -> str | None:
    """The subscribe form's target, or None when the site sends no email ([smtp] host
    unset): then no form."""
    if not config.smtp.host:
        return None
    return newsletter_url(config.site.url, config.delivery.url) + "subscribe/"


def _page(env: jinja2.Environment, name: str, config: Config, **context: Any) -> bytes:
    """A page with what every page's navigation needs. `digests`: link "Past digests"
    only on a site that sends email, the one kind that has a digest archive for sure."""
    form = subscribe_action(config)
    html = render(env, name, site=config.site, base=site_path(config.site.url),
                  subscribe=form, digests=form is not None, tag_pages=config.feeds.tags,
                  **context)
    return html.encode("utf-8")


def index_page(env: jinja2.Environment, config: Config, items: Sequence[Item],
               tags: TagItems) -> bytes:
    """output/index.html: every published post, newest first, and the tags."""
    return _page(env, "index.html", config, items=items, tags=tags, topics=topics(tags),
                 feeds=feed_links(config), current="home")


def topics(tags: TagItems, most: int = TOPICS) -> list[tuple[Tag, int]]:
    """The `most` tags with the most posts (ties by slug), with their number of posts."""
    counted = sorted(((-len(posts), slug, tag) for slug, (tag, posts) in tags.items()))
    return [(tag, -minus) for minus, _, tag in counted[:most]]


def post_page(env: jinja2.Environment, config: Config, item: Item,
              newer: Neighbour | None = None, older: Neighbour | None = None) -> bytes:
    """output/posts/<slug>/index.html, with links to the posts beside it (newest first:
    `newer` before it, `older` after it)."""
    return _page(env, "post.html", config, item=item, newer=newer, older=older,
                 feeds=feed_links(config), current="post")


def tag_page(env: jinja2.Environment, config: Config, tag: Tag, items: Sequence[Item]) -> bytes:
    """output/tags/<slug>/index.html, the home page of the tag's feeds."""
    return _page(env, "tag.html", config, tag=tag, items=items, feeds=feed_links(config, tag),
                 current="tag")


def tag_feeds(config: Config, tags: Mapping[str, tuple[Tag, int]]) -> list[TagFeeds]:
    """Every tag (slug -> tag and its number of posts) with its feeds, by slug."""
    return [TagFeeds(tag, count, feed_links(config, tag)) for tag, count in tags.values()]


def tags_page(env: jinja2.Environment, config: Config,
              tags: Mapping[str, tuple[Tag, int]]) -> bytes:
    """output/tags/index.html: every tag, with its number of posts."""
    return _page(env, "tags.html", config, tags=tag_feeds(config, tags),
                 feeds=feed_links(config), current="tags")


def subscribe_page(env: jinja2.Environment, config: Config,
                   tags: Mapping[str, tuple[Tag, int]]) -> bytes:
    """output/subscribe/index.html: every feed, the site's and each tag's, with its address
    to copy and how to add it in a reader; the email form when the site sends email."""
    return _page(env, "subscribe.html", config, tags=tag_feeds(config, tags),
                 feeds=feed_links(config), current="subscribe")


def stylesheet(env: jinja2.Environment, config: Config) -> bytes:
    """The XSL that makes the XML feeds readable, with a subscribe hint, in a browser."""
    return _page(env, "feed.xsl", config)


def robots(env: jinja2.Environment, config: Config) -> bytes:
    """robots.txt: everything may be crawled; where the sitemap is."""
    return _page(env, "robots.txt", config, sitemap=config.site.url + "sitemap.xml")
