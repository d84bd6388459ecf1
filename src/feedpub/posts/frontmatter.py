"""One post file to a Post, or to problems naming file, line and field; its body on demand."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from feedpub.errors import FeedpubError, Problem, shorten
from feedpub.posts import fields
from feedpub.posts.model import Post, Tag
from feedpub.posts.text import slugify, xml_safe

KNOWN_KEYS = frozenset(
    {"title", "date", "tags", "draft", "summary", "slug", "updated", "author", "id", "image",
     "digest"}
)
MAX_BYTES = 8 << 20  # a post file larger than this is refused: no post may stall a build
MAX_YAML_VALUES = 10_000  # front matter that expands (YAML aliases) to more is refused
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
    return read_body_at(path, fingerprint)[0]


def read_body_at(path: Path, fingerprint: str) -> tuple[str, int]:
    """read_body(), and the file's line the body starts on (for messages)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChangedError(f"cannot be read any more: {exc.strerror}") from None
    if hashlib.sha256(data).hexdigest() != fingerprint:
        raise ChangedError("changed while feedpub was reading it (build again)")
    text = _decode(str(path), data)
    body = _split(str(path), text)[1]
    return xml_safe(body), text.count("\n", 0, len(text) - len(body)) + 1


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


def _dates_as_text(name: str, front: str) -> Any:
    try:
        return fields.load_yaml_dates_as_text(front)
    except ValueError as exc:  # not a date after all: an integer of 5,000 digits...
        raise _Problems([Problem(name, 1, "", shorten(f"a value YAML cannot read: {exc} "
                                                      "(quote it)"))]) from None


def _load_yaml(name: str, front: str) -> dict[str, Any]:
    import yaml  # heavy: only when a file is parsed

    if "&" in front and "*" in front:  # anchors and aliases: count what they expand to
        _refuse_bombs(name, front)
    try:
        meta = _handler().load(front)
    except yaml.YAMLError as exc:
        if fields.runs_into_body(front):
            raise _Problems([Problem(name, 1, "", "the front matter is never closed (add a "
                                         "line '---' after the last field)")]) from None
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _Problems([Problem(name, line, "", shorten(f"front matter is not valid YAML: "
                                     f"{problem} (check quotes and indentation)"))]) from None
    except ValueError:  # a date YAML cannot construct (2024-13-45): let fields.py say why
        meta = _dates_as_text(name, front)
    if not isinstance(meta, dict):
        raise _Problems([Problem(name, 2, "", "front matter must be 'key: value' lines "
                                     "(title: ..., date: ...)")])
    return {str(k): v for k, v in meta.items()}


def _refuse_bombs(name: str, front: str) -> None:
    """Refuse front matter whose aliases expand past MAX_YAML_VALUES values ("billion
    laughs"): templates and feeds would walk every copy."""
    import yaml  # heavy

    try:
        root = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return  # reported as invalid YAML by the loader
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if depth > 100:
            return MAX_YAML_VALUES + 1
        if id(node) not in sizes:
            children = node.value if isinstance(node.value, list) else []
            items = [c for pair in children for c in pair] if isinstance(node, yaml.MappingNode) \
                else children
            sizes[id(node)] = 1 + sum(min(size(c, depth + 1), MAX_YAML_VALUES + 1) for c in items)
        return sizes[id(node)]

    if root is not None and size(root, 0) > MAX_YAML_VALUES:
        raise _Problems([Problem(name, 1, "", f"the front matter expands to more than "
                                 f"{MAX_YAML_VALUES:,} values (YAML anchors and aliases?)")])


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
    stem = _stem(name)
    in_digests, digest_content = field("digest", fields.to_digest, (True, None))
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
        digest=in_digests,
        extra=tuple((k, v) for k, v in meta.items() if k not in KNOWN_KEYS),
        fingerprint=fingerprint,
        body_hash=hashlib.sha256(xml_safe(body).encode()).hexdigest(),
        digest_content=digest_content,
    )
    if problems:
        raise _Problems(problems)
    return post


def _stem(name: str) -> str:
    """A post's default slug: its file's name, or its folder's for a post folder
    (`photo-walk/index.md` beside its images is the post `photo-walk`)."""
    parts = name.split("/")
    stem = parts[-1].removesuffix(".md")
    return parts[-2] if stem == "index" and len(parts) > 2 else stem


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
    """Read and parse one file: the Post, or its problems. Whatever a file holds, it is
    one file's problem: it never stops the others."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return [Problem(name, 1, "", f"the file is larger than {MAX_BYTES >> 20} MB (keep "
                            "images and data in files beside the post)")]
        return parse_post(name, path.read_bytes(), zone)
    except _Problems as exc:
        return exc.problems
    except OSError as exc:
        return [Problem(name, 1, "", f"cannot be read: {exc.strerror}")]
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        return [Problem(name, 1, "", shorten(f"cannot be read as a post ({exc}); simplify its "
                                             "front matter"))]
