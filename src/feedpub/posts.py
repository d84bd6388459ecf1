"""Posts on disk to frozen Post objects, or to problems naming file, line and field.

The types and the folder walk; parsing one file (YAML, front matter fields) is in
parse.py, imported only when a file must be parsed: a render worker unpickling a
Post, or a build whose posts are all cached, does not pay for YAML.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from feedpub.errors import PostProblem
from feedpub.records import field, record, replace
from feedpub.sources import SourceFile, post_files

_RACY_NS = 2_000_000_000


@record
class Tag:
    name: str
    slug: str


@record
class Post:
    source: str  # path relative to the site root, for messages
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
    digest: bool
    extra: tuple[tuple[str, Any], ...]
    body: str  # Markdown
    fingerprint: str  # sha256 of the file's bytes
    body_hash: str = ""  # sha256 of the body alone: a renamed file is known by it

    @property
    def sort_key(self) -> tuple[dt.datetime, str]:
        return (self.date, self.slug)


@record
class LoadResult:
    posts: tuple[Post, ...]
    problems: tuple[PostProblem, ...]
    # name -> (size, mtime_ns, zone, Post or problems): what to pass as `previous` next time
    cache: dict[str, tuple[int, int, str, Any]] = field(default_factory=dict, compare=False)
    parsed: int = 0  # files read and parsed, not taken from `previous`

    @property
    def errors(self) -> tuple[PostProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


# The body of a post kept in the parsed-post cache: bodies are most of its size and a
# build only needs one when the post must be rendered again. NUL never survives xml_safe,
# so no real body equals it.
BODY_NOT_KEPT = "\x00"


def without_body(post: Post) -> Post:
    """`post` as the parsed-post cache keeps it."""
    return post if post.body == BODY_NOT_KEPT else replace(post, body=BODY_NOT_KEPT)


def with_body(post: Post, root: Path, zone: ZoneInfo) -> Post:
    """`post` with its body, read again from its file when the cache did not keep it."""
    if post.body != BODY_NOT_KEPT:
        return post
    from feedpub.parse import load_post

    again = load_post(root / post.source, post.source, zone)
    return again if isinstance(again, Post) else replace(post, body="")


def _display_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


ParseMany = Callable[[list[tuple[str, str]]], "list[Any] | None"]


def read_posts(posts_dir: Path, root: Path, zone: ZoneInfo,
               previous: Mapping[str, tuple[int, int, str, Any]] | None = None,
               files: Sequence[SourceFile] | None = None,
               parse_many: ParseMany | None = None) -> LoadResult:
    """Every post under `posts_dir`; broken ones become problems, the rest still load.

    A file whose size and mtime match `previous` is not read again. `files` is the
    folder's listing when the caller already made it (sources.post_files).
    `parse_many` parses [(path, name), ...] elsewhere (a worker process); None from
    it, or no `parse_many`, parses here.
    """
    prefix = _display_name(posts_dir, root)
    prefix = "" if prefix == "." else prefix + "/"
    start = len(str(posts_dir)) + 1
    racy_from = time.time_ns() - _RACY_NS
    listed = post_files(posts_dir) if files is None else files
    names = [prefix + file.path[start:] for file in listed]  # as _display_name, cheaper
    results: list[Any] = []
    todo: list[tuple[str, str]] = []
    for file, name in zip(listed, names, strict=True):
        known = (previous or {}).get(name)
        fresh = known is not None and known[:3] == (file.size, file.mtime_ns, zone.key)
        results.append(known[3] if known is not None and fresh else None)
        if not fresh:
            todo.append((file.path, name))
    parsed = iter(_parse(todo, zone, parse_many))
    posts: list[Post] = []
    problems: list[PostProblem] = []
    cache: dict[str, tuple[int, int, str, Any]] = {}
    for file, name, result in zip(listed, names, results, strict=True):
        if result is None:
            result = next(parsed)
        # A file changed within the last seconds may change again within the same mtime
        # tick: do not trust the cache for it next time (git's "racy clean" rule).
        racy = file.mtime_ns > racy_from
        cache[name] = (-1 if racy else file.size, file.mtime_ns, zone.key, result)
        if isinstance(result, Post):
            posts.append(result)
        else:
            problems.extend(result)
    unique, clashes = _drop_duplicates(posts)
    return LoadResult(tuple(unique), tuple(problems + clashes), cache, len(todo))


def _parse(todo: list[tuple[str, str]], zone: ZoneInfo,
           parse_many: ParseMany | None) -> list[Any]:
    if not todo:
        return []
    done = parse_many(todo) if parse_many else None
    if done is not None and len(done) == len(todo):
        return done
    from feedpub.parse import load_post  # here: a build of cached posts needs no YAML

    return [load_post(Path(path), name, zone) for path, name in todo]


def _drop_duplicates(posts: list[Post]) -> tuple[list[Post], list[PostProblem]]:
    """The first post (by file name) keeps a slug or id; later ones are errors."""
    by_slug: dict[str, Post] = {}
    by_id: dict[str, Post] = {}
    kept: list[Post] = []
    problems: list[PostProblem] = []
    for post in posts:
        owner = by_slug.get(post.slug)
        id_owner = by_id.get(post.explicit_id) if post.explicit_id else None
        if owner is not None:
            problems.append(PostProblem(post.source, 1, "slug", f"'{post.slug}' is already "
                                        f"used by {owner.source} (set another slug: in the "
                                        "front matter or rename the file)"))
        elif id_owner is not None:
            problems.append(PostProblem(post.source, 1, "id", f"'{post.explicit_id}' is already "
                                        f"used by {id_owner.source} (ids must be unique)"))
        else:
            by_slug[post.slug] = post
            if post.explicit_id:
                by_id[post.explicit_id] = post
            kept.append(post)
    return kept, problems
