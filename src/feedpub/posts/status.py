"""Which posts are published, and which ones a feed takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TypeVar

from feedpub.posts.model import Post, Tag


class Status(Enum):
    PUBLISHED = "published"
    DRAFT = "draft"
    SCHEDULED = "scheduled"


def status(post: Post, now: dt.datetime) -> Status:
    """A post is published when it is not a draft and its date is not in the future."""
    if post.draft:
        return Status.DRAFT
    return Status.SCHEDULED if post.date > now else Status.PUBLISHED


def published(posts: Iterable[Post], now: dt.datetime) -> list[Post]:
    """Published posts, newest first (ties broken by slug, for stable output)."""
    chosen = [p for p in posts if status(p, now) is Status.PUBLISHED]
    return sorted(chosen, key=lambda p: p.sort_key, reverse=True)


def next_publish_time(posts: Iterable[Post], now: dt.datetime) -> dt.datetime | None:
    """When the next scheduled post goes live, if any."""
    times = [p.date for p in posts if status(p, now) is Status.SCHEDULED]
    return min(times) if times else None


T = TypeVar("T")


def limited(posts: Sequence[T], limit: int) -> list[T]:
    """The `limit` newest posts (0 = all); `posts` is newest first."""
    return list(posts[:limit] if limit else posts)


def tags_of(posts: Iterable[Post]) -> dict[str, tuple[Tag, list[Post]]]:
    """Tag slug -> (tag, its posts in the given order); the first spelling seen names the tag."""
    found: dict[str, tuple[Tag, list[Post]]] = {}
    for post in posts:
        for tag in post.tags:
            found.setdefault(tag.slug, (tag, []))[1].append(post)
    return dict(sorted(found.items()))
