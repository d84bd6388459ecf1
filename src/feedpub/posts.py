"""Posts on disk to frozen Post objects, or to problems naming file, line and field."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from frontmatter.default_handlers import YAMLHandler

from feedpub import fields
from feedpub.errors import PostProblem
from feedpub.slugs import slugify
from feedpub.sources import SourceFile, post_files
from feedpub.text import xml_safe

KNOWN_KEYS = frozenset(
    {"title", "date", "tags", "draft", "summary", "slug", "updated", "author", "id", "image",
     "digest"}
)
_HANDLER = YAMLHandler()
_RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Tag:
    name: str
    slug: str


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class LoadResult:
    posts: tuple[Post, ...]
    problems: tuple[PostProblem, ...]
    # name -> (size, mtime_ns, zone, Post or problems): what to pass as `previous` next time
    cache: dict[str, tuple[int, int, str, Any]] = field(default_factory=dict, compare=False)

    @property
    def errors(self) -> tuple[PostProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


class _Problems(Exception):
    def __init__(self, problems: list[PostProblem]) -> None:
        self.problems = problems


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
    again = load_post(root / post.source, post.source, zone)
    return again if isinstance(again, Post) else replace(post, body="")


def parse_post(name: str, data: bytes, zone: ZoneInfo) -> Post:
    """One post file's bytes to a Post; raises _Problems listing every problem."""
    text = _decode(name, data)
    front, body, body_offset = _split(name, text)
    meta = _load_yaml(name, fields.yaml_printable(front))
    return _build_post(name, front, meta, body, zone, hashlib.sha256(data).hexdigest())


def _decode(name: str, data: bytes) -> str:
    if not data.strip():
        raise _Problems([PostProblem(name, 1, "", "the file is empty (write front matter "
                                     "with title and date, then the post)")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _Problems([PostProblem(name, line, "", f"byte 0x{data[exc.start]:02x} is not "
                                     "UTF-8 (save the file as UTF-8)")]) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _split(name: str, text: str) -> tuple[str, str, int]:
    opening = _HANDLER.FM_BOUNDARY.match(text) if _HANDLER.FM_BOUNDARY else None
    if opening is None:
        raise _Problems([PostProblem(name, 1, "", "no front matter (start the file with a "
                                     "line '---', then title: and date:, then '---')")])
    closing = _HANDLER.FM_BOUNDARY.search(text, opening.end())
    if closing is None:
        raise _Problems([PostProblem(name, 1, "", "the front matter is never closed (add a "
                                     "line '---' after the last field)")])
    front = text[: closing.start()]  # keep line numbers: includes the opening '---'
    body = text[closing.end() :].lstrip("\n")
    return front.replace("---", "", 1), body, text.count("\n", 0, closing.end())


def _load_yaml(name: str, front: str) -> dict[str, Any]:
    try:
        meta = _HANDLER.load(front)
    except yaml.YAMLError as exc:
        if fields.runs_into_body(front):
            raise _Problems([PostProblem(name, 1, "", "the front matter is never closed (add a "
                                         "line '---' after the last field)")]) from None
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _Problems([PostProblem(name, line, "", f"front matter is not valid YAML: "
                                     f"{problem} (check quotes and indentation)")]) from None
    except ValueError:  # a date YAML cannot construct (2024-13-45): let fields.py say why
        meta = fields.load_yaml_dates_as_text(front)
    if not isinstance(meta, dict):
        raise _Problems([PostProblem(name, 2, "", "front matter must be 'key: value' lines "
                                     "(title: ..., date: ...)")])
    return {str(k): v for k, v in meta.items()}


def _build_post(name: str, front: str, meta: dict[str, Any], body: str, zone: ZoneInfo,
                fingerprint: str) -> Post:
    problems: list[PostProblem] = []
    body = xml_safe(body)

    def field(key: str, convert: Callable[[Any], Any], default: Any = None) -> Any:
        if key not in meta or meta[key] is None:
            return default
        try:
            return convert(meta[key])
        except fields.FieldError as exc:
            problems.append(PostProblem(name, _line(front, key), key, str(exc)))
            return default

    def text(key: str) -> str:
        return str(field(key, lambda v: fields.to_text(v, fields.raw_scalar(front, key)), ""))

    title = " ".join(text("title").split())
    if not title:
        problems.append(PostProblem(name, _line(front, "title"), "title",
                                    "missing (add title: Your title)"))
    date = field("date", lambda v: fields.to_datetime(v, zone))
    if "date" not in meta or meta["date"] is None:
        problems.append(PostProblem(name, _line(front, "date"), "date",
                                    f"missing ({fields.DATE_HINT})"))
    stem = name.rsplit("/", 1)[-1].removesuffix(".md")
    post = Post(
        source=name,
        slug=slugify(text("slug") or stem),
        title=title,
        date=date,
        updated=field("updated", lambda v: fields.to_datetime(v, zone)),
        tags=tuple(_tags(field("tags", fields.to_tags, []))),
        draft=field("draft", fields.to_bool, False),
        summary=text("summary").strip(),
        author=str(field("author", lambda v: fields.to_author(v, fields.raw_scalar(front,
                                                                                  "author")), "")),
        explicit_id=text("id").strip() or None,
        image=text("image").strip(),
        digest=field("digest", fields.to_bool, True),
        extra=tuple((k, v) for k, v in meta.items() if k not in KNOWN_KEYS),
        body=body,
        fingerprint=fingerprint,
        body_hash=hashlib.sha256(body.encode()).hexdigest(),
    )
    if problems:
        raise _Problems(problems)
    return post


def _line(front: str, key: str) -> int:
    """1-based file line of `key` (the front matter starts on line 1 with '---')."""
    found = fields.key_line(front, key)
    return found + 1 if found >= 0 else 1


def _tags(names: Iterable[str]) -> list[Tag]:
    seen: dict[str, Tag] = {}
    for tag_name in names:
        tag = Tag(tag_name, slugify(tag_name))
        seen.setdefault(tag.slug, tag)
    return list(seen.values())


def load_post(path: Path, name: str, zone: ZoneInfo) -> Post | list[PostProblem]:
    """Read and parse one file: the Post, or its problems."""
    try:
        return parse_post(name, path.read_bytes(), zone)
    except _Problems as exc:
        return exc.problems
    except OSError as exc:
        return [PostProblem(name, 1, "", f"cannot be read: {exc.strerror}")]


def _display_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_posts(posts_dir: Path, root: Path, zone: ZoneInfo,
               previous: Mapping[str, tuple[int, int, str, Any]] | None = None,
               files: Sequence[SourceFile] | None = None) -> LoadResult:
    """Every post under `posts_dir`; broken ones become problems, the rest still load.

    A file whose size and mtime match `previous` is not read again. `files` is the
    folder's listing when the caller already made it (sources.post_files).
    """
    posts: list[Post] = []
    problems: list[PostProblem] = []
    cache: dict[str, tuple[int, int, str, Any]] = {}
    prefix = _display_name(posts_dir, root)
    prefix = "" if prefix == "." else prefix + "/"
    start = len(str(posts_dir)) + 1
    racy_from = time.time_ns() - _RACY_NS
    for file in post_files(posts_dir) if files is None else files:
        name = prefix + file.path[start:]  # as _display_name gives, without pathlib's cost
        known = (previous or {}).get(name)
        if known and known[:3] == (file.size, file.mtime_ns, zone.key):
            result = known[3]
        else:
            result = load_post(Path(file.path), name, zone)
        # A file changed within the last seconds may change again within the same mtime
        # tick: do not trust the cache for it next time (git's "racy clean" rule).
        racy = file.mtime_ns > racy_from
        cache[name] = (-1 if racy else file.size, file.mtime_ns, zone.key, result)
        if isinstance(result, Post):
            posts.append(result)
        else:
            problems.extend(result)
    unique, clashes = _drop_duplicates(posts)
    return LoadResult(tuple(unique), tuple(problems + clashes), cache)


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
