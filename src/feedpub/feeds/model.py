"""What feeds and pages are made of: a published post with its id, URL and HTML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from feedpub.posts.model import Post
from feedpub.render.post import Rendered

_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # the "updated" of a feed with no posts


@dataclass(frozen=True)
class Enclosure:
    """A post's `image:` as feeds carry it: RSS <enclosure>, Atom rel=enclosure."""

    url: str
    length: int  # bytes; 0 when not known (an image elsewhere)
    type: str


@dataclass(frozen=True)
class Item:
    """A published post, ready for any feed, page or email."""

    post: Post
    id: str
    url: str
    rendered: Rendered
    enclosure: Enclosure | None = None

    @property
    def updated(self) -> dt.datetime:
        return updated(self.post)


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself."""

    title: str
    description: str
    home_url: str  # the page the feed belongs to
    self_url: str  # the feed's own URL
    language: str
    author_name: str
    author_email: str
    stylesheet: str | None  # URL path of the XSL that styles the XML feeds in browsers
    full_content: bool


def updated(post: Post) -> dt.datetime:
    """When a post last changed, as its feed entries say."""
    return max(post.updated or post.date, post.date)


def feed_updated(posts: Iterable[Post]) -> dt.datetime:
    """A feed's date comes from its posts, never from the clock."""
    return max((updated(p) for p in posts), default=_EPOCH)
