"""The posts folder to Posts: every file parsed (or taken from a memo of earlier parses),
broken ones reported as problems, duplicate slugs and ids refused.

A post that breaks after it was published keeps its last good version published (the
memo remembers it) until it is fixed: one bad save must not take a post off the feeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from feedpub.errors import Problem, relative_name
from feedpub.posts.files import SourceFile
from feedpub.posts.frontmatter import load_post
from feedpub.posts.model import LoadResult, Post

Parsed = Post | list[Problem]
# Parses [(absolute path, display name), ...] in the site zone, in order.
ParseMany = Callable[[list[tuple[str, str]], ZoneInfo], list[Parsed]]


class Memo(Protocol):
    """Parses of earlier runs, by file (a cache: store.PostCache)."""

    def get(self, name: str, file: SourceFile, zone: str) -> Parsed | None: ...
    def put(self, name: str, file: SourceFile, zone: str, parsed: Parsed) -> None: ...
    def last_good(self, name: str) -> Post | None: ...


def parse_here(todo: list[tuple[str, str]], zone: ZoneInfo) -> list[Parsed]:
    """Parse each (path, display name) in this process."""
    return [load_post(Path(path), name, zone) for path, name in todo]


def read_posts(files: Sequence[SourceFile], posts_dir: Path, root: Path, zone: ZoneInfo,
               memo: Memo | None = None, parse_many: ParseMany = parse_here) -> LoadResult:
    """Every post in `files` (the posts folder's listing); broken ones become problems and
    the rest still load. A file the memo knows unchanged is not read again."""
    prefix = relative_name(posts_dir, root)
    prefix = "" if prefix == "." else prefix + "/"
    start = len(str(posts_dir)) + 1
    names = [prefix + file.path[start:] for file in files]  # as relative_name, cheaper
    known = [_outside(n, f) or (memo.get(n, f, zone.key) if memo else None)
             for n, f in zip(names, files, strict=True)]
    todo = [(f.path, n) for f, n, k in zip(files, names, known, strict=True) if k is None]
    fresh = iter(parse_many(todo, zone) if todo else [])
    posts: list[Post] = []
    problems: list[Problem] = []
    for file, name, parsed in zip(files, names, known, strict=True):
        if parsed is None:
            parsed = next(fresh)
            if memo:
                memo.put(name, file, zone.key, parsed)
        if isinstance(parsed, Post):
            posts.append(parsed)
            continue
        problems.extend(parsed)
        good = memo.last_good(name) if memo and not file.outside else None
        if good is not None:
            posts.append(good)
            problems.append(Problem(name, 1, "", "its last good version stays published until "
                                    "the errors above are fixed", "warning"))
    unique, clashes = _drop_duplicates(posts)
    return LoadResult(tuple(unique), tuple(problems + clashes), len(todo))


def _outside(name: str, file: SourceFile) -> list[Problem] | None:
    """A link to a file outside the posts folder is never read (and says so)."""
    if not file.outside:
        return None
    return [Problem(name, 1, "", "is a link to a file outside the posts folder: not "
                    "published (copy the file here instead)", "warning")]


def _drop_duplicates(posts: list[Post]) -> tuple[list[Post], list[Problem]]:
    """The first post (by file name) keeps a slug or id; later ones are errors."""
    by_slug: dict[str, Post] = {}
    by_id: dict[str, Post] = {}
    kept: list[Post] = []
    problems: list[Problem] = []
    for post in posts:
        owner = by_slug.get(post.slug)
        id_owner = by_id.get(post.explicit_id) if post.explicit_id else None
        if owner is not None:
            problems.append(Problem(post.source, 1, "slug", f"'{post.slug}' is already used by "
                                    f"{owner.source} (set another slug: in the front matter "
                                    "or rename the file)"))
        elif id_owner is not None:
            problems.append(Problem(post.source, 1, "id", f"'{post.explicit_id}' is already "
                                    f"used by {id_owner.source} (ids must be unique)"))
        else:
            by_slug[post.slug] = post
            if post.explicit_id:
                by_id[post.explicit_id] = post
            kept.append(post)
    return kept, problems
