"""feedpub.toml: a declared schema, validated once into a frozen Config."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedpub.errors import ConfigError
from feedpub.records import field, record

CONFIG_NAME = "feedpub.toml"
FORMATS = ("rss", "atom", "json")


@record
class Author:
    name: str = ""
    email: str = ""


@record
class SiteConfig:
    title: str = "My feedpub site"
    url: str = "http://127.0.0.1:8000/"
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: Author = field(default_factory=Author)
    pages: bool = True  # index, post and tag pages; false when another tool makes the site

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@record
class PathsConfig:
    posts: Path
    templates: Path
    output: Path
    state: Path


@record
class FeedsConfig:
    formats: tuple[str, ...] = FORMATS
    limit: int = 20
    content: str = "full"
    tags: bool = True


@record
class DigestConfig:
    schedule: str = "0 8 * * mon"
    subject: str = "{{ site.title }}: {{ posts|length }} new post{{ 's' if posts|length != 1 }}"
    max_posts: int = 20
    skip_empty: bool = True
    from_: str = ""
    to: str = ""
    unsubscribe: str = ""
    utm: tuple[tuple[str, str], ...] = ()


@record
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000


@record
class Config:
    root: Path
    source: Path | None
    site: SiteConfig
    paths: PathsConfig
    feeds: FeedsConfig
    digest: DigestConfig
    server: ServerConfig


# A checker returns the cleaned value, or raises ValueError saying what was expected.
Checker = Callable[[Any], Any]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _int_range(low: int, high: int) -> Checker:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return check


def _url(value: Any) -> str:
    parts = urlsplit(_str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL such as 'https://example.org/'")
    text = str(value)
    return text if text.endswith("/") else text + "/"


def _optional_url(value: Any) -> str:
    text = _str(value)
    if text and not re.match(r"^(https?://\S+|mailto:\S+)$", text):
        raise ValueError("expected an https:// or mailto: URL")
    return text


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(_str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as 'Europe/Berlin'") from None
    return str(value)


def _language(value: Any) -> str:
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", _str(value)):
        raise ValueError("expected a language tag such as 'en' or 'pt-BR'")
    return str(value)


def _formats(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or any(v not in FORMATS for v in value):
        raise ValueError('expected a non-empty list of "rss", "atom", "json"')
    return tuple(dict.fromkeys(value))


def _choice(*choices: str) -> Checker:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("expected " + " or ".join(f'"{c}"' for c in choices))
        return str(value)

    return check


def _email(value: Any) -> str:
    text = _str(value)
    if any(c in text for c in "\r\n") or (text and "@" not in text):
        raise ValueError("expected an email address such as 'News <news@example.org>'")
    return text


def _author(value: Any) -> Author:
    if isinstance(value, str):
        return Author(name=value)
    if not isinstance(value, dict) or set(value) - {"name", "email"}:
        raise ValueError('expected a table such as { name = "Ada", email = "ada@example.org" }')
    return Author(name=_str(value.get("name", "")), email=_email(value.get("email", "")))


def _schedule(value: Any) -> str:
    text = _str(value)
    if text == DigestConfig.schedule:
        return text
    from apscheduler.triggers.cron import CronTrigger  # only when it is not the default

    try:
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(
            f"expected a cron expression such as '0 8 * * mon' ({exc})"
        ) from None
    return text


def _utm(value: Any) -> tuple[tuple[str, str], ...]:
    allowed = {"source", "medium", "campaign", "term", "content"}
    if not isinstance(value, dict) or set(value) - allowed:
        raise ValueError("expected a table with keys from " + ", ".join(sorted(allowed)))
    return tuple((f"utm_{k}", _str(v)) for k, v in sorted(value.items()))


SCHEMA: dict[str, dict[str, Checker]] = {
    "site": {
        "title": _str,
        "url": _url,
        "description": _str,
        "language": _language,
        "timezone": _timezone,
        "author": _author,
        "pages": _bool,
    },
    "paths": {"posts": _str, "templates": _str, "output": _str, "state": _str},
    "feeds": {
        "formats": _formats,
        "limit": _int_range(0, 1_000_000),
        "content": _choice("full", "summary"),
        "tags": _bool,
    },
    "digest": {
        "schedule": _schedule,
        "subject": _str,
        "max_posts": _int_range(1, 1000),
        "skip_empty": _bool,
        "from": _email,
        "to": _email,
        "unsubscribe": _optional_url,
        "utm": _utm,
    },
    "server": {"host": _str, "port": _int_range(1, 65535)},
}
DEFAULT_PATHS = {"posts": "posts", "templates": "templates", "output": "output",
                 "state": ".feedpub"}


def _line_of(text: str, section: str, key: str | None) -> int:
    """Best-effort line number of `key` in `[section]` (or of the section)."""
    in_section = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.strip("[] ") == section
            if in_section and key is None:
                return number
        elif in_section and key and re.match(rf'"?{re.escape(key)}"?\s*=', stripped):
            return number
    return 1


def _validate(raw: dict[str, Any], text: str, name: str) -> dict[str, dict[str, Any]]:
    """Check every key against SCHEMA; collect every problem."""
    problems: list[str] = []
    clean: dict[str, dict[str, Any]] = {}
    for section, table in raw.items():
        if section not in SCHEMA:
            expected = ", ".join(f"[{s}]" for s in SCHEMA)
            problems.append(f"{name}:{_line_of(text, section, None)}: unknown section "
                            f"[{section}] (expected one of {expected})")
            continue
        if not isinstance(table, dict):
            problems.append(f"{name}:{_line_of(text, section, None)}: {section}: expected a table")
            continue
        clean[section] = {}
        for key, value in table.items():
            where = f"{name}:{_line_of(text, section, key)}: {section}.{key}"
            checker = SCHEMA[section].get(key)
            if checker is None:
                known = ", ".join(SCHEMA[section])
                problems.append(f"{where}: unknown key (expected one of {known})")
                continue
            try:
                clean[section][key] = checker(value)
            except ValueError as exc:
                problems.append(f"{where}: {exc}, got {value!r}")
    if problems:
        raise ConfigError(problems)
    return clean


def _build(values: dict[str, dict[str, Any]], root: Path, source: Path | None) -> Config:
    paths = {**DEFAULT_PATHS, **values.get("paths", {})}
    digest = dict(values.get("digest", {}))
    if "from" in digest:
        digest["from_"] = digest.pop("from")
    return Config(
        root=root,
        source=source,
        site=SiteConfig(**values.get("site", {})),
        paths=PathsConfig(**{k: (root / v).resolve() for k, v in paths.items()}),
        feeds=FeedsConfig(**values.get("feeds", {})),
        digest=DigestConfig(**digest),
        server=ServerConfig(**values.get("server", {})),
    )


def load_config(path: Path | None = None, cwd: Path | None = None) -> Config:
    """Read and validate feedpub.toml (or defaults when there is none)."""
    cwd = cwd or Path.cwd()
    if path is None:
        candidate = cwd / CONFIG_NAME
        if not candidate.exists():
            return _build({}, cwd.resolve(), None)
        path = candidate
    if not path.is_file():
        raise ConfigError([f"{path}: no such config file (run 'feedpub init' to write one)"])
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: {exc}"]) from None
    return _build(_validate(raw, text, str(path)), path.parent.resolve(), path.resolve())
