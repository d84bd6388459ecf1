"""One post file to a Post, or to problems naming file, line and field; its body on demand."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from feedpub.errors import FeedpubError, Problem
from feedpub.posts import fields
from feedpub.posts.model import Post, Tag
from feedpub.posts.text import slugify, xml_safe

KNOWN_KEYS = frozenset(
    {"title", "date", "tags", "draft", "summary", "slug", "updated", "author", "id", "image",
     "digest"}
)
# python-frontmatter's YAML boundary (YAMLHandler.FM_BOUNDARY), spelled here so that
# reading a body again does not import YAML: a line of three or more dashes.
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)


@cache
def _handler() -> Any:
    """python-frontmatter's YAML handler (libyaml's safe loader where present)."""
    from frontmatter.default_handlers import YAMLHandler  # heavy: imports YAML

    return YAMLHandler()


class _Problems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems


class ChangedError(FeedpubError):
    """A post file that changed or vanished since it was parsed."""


def parse_post(name: str, data: bytes, zone: ZoneInfo) -> Post:
    """One post file's bytes to a Post; raises _Problems listing every problem."""
    text = _decode(name, data)
    front, body = _split(name, text)
    meta = _load_yaml(name, fields.yaml_printable(front))
    return _build_post(name, front, meta, body, zone, hashlib.sha256(data).hexdigest())


def read_body(path: Path, fingerprint: str) -> str:
    """The Markdown body of the post file at `path`, as parsed with this `fingerprint`;
    ChangedError when the file is no longer the one parsed (edited, deleted, unreadable)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChangedError(f"cannot be read any more: {exc.strerror}") from None
    if hashlib.sha256(data).hexdigest() != fingerprint:
        raise ChangedError("changed while feedpub was reading it (build again)")
    return xml_safe(_split(str(path), _decode(str(path), data))[1])


def _decode(name: str, data: bytes) -> str:
    if not data.strip():
        raise _Problems([Problem(name, 1, "", "the file is empty (write front matter "
                                     "with title and date, then the post)")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _Problems([Problem(name, line, "", f"byte 0x{data[exc.start]:02x} is not "
                                     "UTF-8 (save the file as UTF-8)")]) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _split(name: str, text: str) -> tuple[str, str]:
    opening = _BOUNDARY.match(text)
    if opening is None:
        raise _Problems([Problem(name, 1, "", "no front matter (start the file with a "
                                     "line '---', then title: and date:, then '---')")])
    closing = _BOUNDARY.search(text, opening.end())
    if closing is None:
        raise _Problems([Problem(name, 1, "", "the front matter is never closed (add a "
                                     "line '---' after the last field)")])
    front = text[: closing.start()]  # keep line numbers: includes the opening '---'
    body = text[closing.end() :].lstrip("\n")
    return front.replace("---", "", 1), body


def _load_yaml(name: str, front: str) -> dict[str, Any]:
    import yaml  # heavy: only when a file is parsed

    try:
        meta = _handler().load(front)
    except yaml.YAMLError as exc:
        if fields.runs_into_body(front):
            raise _Problems([Problem(name, 1, "", "the front matter is never closed (add a "
                                         "line '---' after the last field)")]) from None
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _Problems([Problem(name, line, "", f"front matter is not valid YAML: "
                                     f"{problem} (check quotes and indentation)")]) from None
    except ValueError:  # a date YAML cannot construct (2024-13-45): let fields.py say why
        meta = fields.load_yaml_dates_as_text(front)
    if not isinstance(meta, dict):
        raise _Problems([Problem(name, 2, "", "front matter must be 'key: value' lines "
                                     "(title: ..., date: ...)")])
    return {str(k): v for k, v in meta.items()}


def _build_post(name: str, front: str, meta: dict[str, Any], body: str, zone: ZoneInfo,
                fingerprint: str) -> Post:
    problems: list[Problem] = []

    def field(key: str, convert: Callable[[Any], Any], default: Any = None) -> Any:
        if key not in meta or meta[key] is None:
            return default
        try:
            return convert(meta[key])
        except fields.FieldError as exc:
            problems.append(Problem(name, _line(front, key), key, str(exc)))
            return default

    def text(key: str) -> str:
        return str(field(key, lambda v: fields.to_text(v, fields.raw_scalar(front, key)), ""))

    title = " ".join(text("title").split())
    if not title:
        problems.append(Problem(name, _line(front, "title"), "title",
                                    "missing (add title: Your title)"))
    date = field("date", lambda v: fields.to_datetime(v, zone))
    if "date" not in meta or meta["date"] is None:
        problems.append(Problem(name, _line(front, "date"), "date",
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
        fingerprint=fingerprint,
        body_hash=hashlib.sha256(xml_safe(body).encode()).hexdigest(),
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


def load_post(path: Path, name: str, zone: ZoneInfo) -> Post | list[Problem]:
    """Read and parse one file: the Post, or its problems."""
    try:
        return parse_post(name, path.read_bytes(), zone)
    except _Problems as exc:
        return exc.problems
    except OSError as exc:
        return [Problem(name, 1, "", f"cannot be read: {exc.strerror}")]
