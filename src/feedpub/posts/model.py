"""The values the posts stage makes: a Post, its tags, and what the ledger knows of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from feedpub.errors import Problem


@dataclass(frozen=True)
class Tag:
    name: str
    slug: str


@dataclass(frozen=True)
class Post:
    """A post's front matter, typed, and the facts about its file.

    The Markdown body is not kept: it is most of a post's size and only the few posts
    being rendered need it (`posts.read_body`, checked against `fingerprint`).
    """

    source: str  # the file, relative to the site root (absolute outside it), for messages
    slug: str
    title: str
    date: dt.datetime  # aware, in the site zone
    updated: dt.datetime | None
    tags: tuple[Tag, ...]
    draft: bool
    summary: str  # Markdown, may be empty
    author: str
    explicit_id: str | None
    image: str
    digest: bool  # False: never in a digest
    extra: tuple[tuple[str, Any], ...]  # unknown front-matter keys, for templates
    fingerprint: str  # sha256 of the file's bytes
    body_hash: str  # sha256 of the body alone: a renamed file is known by it
    # What the post shows in a digest, when its front matter chooses (`digest: full` or
    # `digest: summary`); None: [digest] content decides.
    digest_content: str | None = None

    @property
    def sort_key(self) -> tuple[dt.datetime, str]:
        return (self.date, self.slug)


@dataclass(frozen=True)
class KnownPost:
    """What the ledger remembers of a post once it was published: its id for ever."""

    id: str
    slug: str
    source: str
    title: str
    body_hash: str
    first_published: dt.datetime
    provisional: bool = False  # minted from the placeholder url: re-minted once it is set


@dataclass(frozen=True)
class LoadResult:
    """Every post that loaded, and the problems of those that did not."""

    posts: tuple[Post, ...]
    problems: tuple[Problem, ...]
    parsed: int = 0  # files read and parsed (the others came from a cache)
    notes: tuple[str, ...] = ()  # said once: a damaged cache rebuilt

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")
