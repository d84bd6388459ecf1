"""Post ids that never change: explicit `id:`, else the ledger's, else a new tag: URI.

An id minted while [site] url is still the placeholder (127.0.0.1:8000, as `make run`
and `init` leave it) is provisional: the first build with a real url mints it again,
once, unless a digest already carried it. Two sites never share ids that way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from feedpub.config import DEFAULT_URL
from feedpub.errors import Problem
from feedpub.posts.model import KnownPost, Post
from feedpub.urls import minted_id


@dataclass(frozen=True)
class IdChange:
    """What the ledger must learn: `post` is new, or it is the post whose id was `old_id`."""

    post: KnownPost
    old_id: str | None = None


@dataclass(frozen=True)
class Identity:
    ids: dict[str, str]  # slug -> id
    changes: tuple[IdChange, ...]  # what the ledger must learn
    problems: tuple[Problem, ...]  # warnings: renames detected
    reminted: int = 0  # provisional ids minted again from the real url


def assign_ids(live: Sequence[Post], present_slugs: Collection[str],
               known: Mapping[str, KnownPost], site_url: str, now: dt.datetime,
               sent: Collection[str] = ()) -> Identity:
    """An id for every published post; ledger changes and rename warnings beside. `sent`:
    the ids digests carried (never minted again)."""
    placeholder = site_url == DEFAULT_URL
    reminted = 0
    by_slug = {row.slug: row for row in known.values()}
    orphans = [row for row in known.values() if row.slug not in present_slugs]
    ids: dict[str, str] = {}
    changes: list[IdChange] = []
    problems: list[Problem] = []
    for post in sorted(live, key=lambda p: p.sort_key):
        row = _match(post, known, by_slug)
        old_id = row.id if row else None
        if row is None:
            row = _renamed_from(post, orphans)
            if row is not None:
                orphans.remove(row)
                old_id = row.id
                problems.append(_rename_warning(post, row))
        keep = row is not None and not (row.provisional and not placeholder
                                        and row.id not in sent)
        post_id = post.explicit_id or (row.id if row and keep else minted_id(
            site_url, post.date, post.slug))
        reminted += bool(row and not keep and not post.explicit_id)
        provisional = placeholder and not post.explicit_id and (row is None or row.provisional)
        new = KnownPost(post_id, post.slug, post.source, post.title, post.body_hash,
                        row.first_published if row else now, provisional)
        if new != row:
            changes.append(IdChange(new, old_id))
        ids[post.slug] = post_id
    return Identity(ids, tuple(changes), tuple(problems), reminted)


def _match(post: Post, known: Mapping[str, KnownPost],
           by_slug: Mapping[str, KnownPost]) -> KnownPost | None:
    if post.explicit_id and post.explicit_id in known:
        return known[post.explicit_id]
    return by_slug.get(post.slug)


def _renamed_from(post: Post, orphans: Sequence[KnownPost]) -> KnownPost | None:
    """A published post whose file is gone and whose text or title this post has."""
    digest = post.body_hash
    for row in orphans:
        if row.body_hash == digest or row.title == post.title:
            return row
    return None


def _rename_warning(post: Post, row: KnownPost) -> Problem:
    return Problem(
        post.source, 1, "id",
        f"looks like {row.source} renamed (same title or text); it keeps id '{row.id}' so "
        f"subscribers do not see it as new; add `id: {row.id}` to its front matter to make "
        "this explicit, or `id:` with a new value if it really is a new post",
        severity="warning",
    )
