"""feedpub.toml: every key declared once, validated once into a frozen Config.

Each key is a dataclass field whose `option()` gives its default, its check and
its documentation; `feedpub init`'s commented file (`init_toml`) and the README's
table (`markdown_table`) are made from the same declarations.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedpub.errors import ConfigError

CONFIG_NAME = "feedpub.toml"
FORMATS = ("rss", "atom", "json")
DEFAULT_URL = "http://127.0.0.1:8000/"

# A checker returns the cleaned value, or raises ValueError saying what was expected.
Checker = Callable[[Any], Any]


def option(default: Any, check: Checker, doc: str, *, key: str = "",
           example: str = "") -> Any:
    """A config key: its default, its check, one line of doc; `key` when its TOML name
    is not the field's (`from`), `example` for a key that is unset by default."""
    return dataclasses.field(default=default, metadata={
        "check": check, "doc": doc, "key": key, "example": example})


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
    if text and (any(c in text for c in "\r\n") or not _one_address(text)):
        raise ValueError("expected one email address such as 'News <news@example.org>'")
    return text


def _one_address(text: str) -> bool:
    """True when `text` is one well-formed address, as a mail header reads it."""
    from email.policy import default  # heavy: only when an address is configured

    header = default.header_factory("From", text)
    return (not header.defects and len(header.addresses) == 1
            and bool(header.addresses[0].username and header.addresses[0].domain))


def _path(value: Any) -> Path:
    return Path(_str(value))


def _schedule(value: Any) -> str:
    text = _str(value)
    from apscheduler.triggers.cron import CronTrigger  # heavy: only to check a cron string

    try:
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"expected a cron expression such as '0 8 * * mon' ({exc})") from None
    return text


@dataclass(frozen=True)
class Author:
    name: str = ""
    email: str = ""


def _author(value: Any) -> Author:
    if isinstance(value, str):
        return Author(name=value)
    if not isinstance(value, dict) or set(value) - {"name", "email"}:
        raise ValueError('expected a table such as { name = "Ada", email = "ada@example.org" }')
    return Author(name=_str(value.get("name", "")), email=_email(value.get("email", "")))


def _utm(value: Any) -> tuple[tuple[str, str], ...]:
    allowed = {"source", "medium", "campaign", "term", "content"}
    if not isinstance(value, dict) or set(value) - allowed:
        raise ValueError("expected a table with keys from " + ", ".join(sorted(allowed)))
    return tuple((f"utm_{k}", _str(v)) for k, v in sorted(value.items()))


@dataclass(frozen=True)
class SiteConfig:
    title: str = option("My feedpub site", _str, "feed and page title")
    url: str = option(DEFAULT_URL, _url, "where `output/` is served; every URL in feeds and "
                      "email is absolute from it")
    description: str = option("", _str, "feed subtitle / description")
    language: str = option("en", _language, "a language tag (`en`, `pt-BR`)")
    timezone: str = option("UTC", _timezone, "IANA zone; naive dates in posts and the digest "
                           "schedule are in it")
    author: Author = option(Author(), _author, "the feeds' author",
                            example='{ name = "Ada Lovelace", email = "ada@example.org" }')
    pages: bool = option(True, _bool, "write `index.html`, `posts/<slug>/` and tag pages; "
                         "`false` when another tool makes the site and feedpub only the feeds")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class PathsConfig:
    """Relative to the config file's folder (absolute once loaded)."""

    posts: Path = option(Path("posts"), _path, "the Markdown posts")
    static: Path = option(Path("static"), _path, "files copied as they are to the root of "
                          "`output/` (favicon, CSS, downloads)")
    templates: Path = option(Path("templates"), _path, "your templates: `templates/site/`, "
                             "`templates/email/`; what you do not provide is feedpub's own")
    output: Path = option(Path("output"), _path, "what to serve; safe to delete")
    state: Path = option(Path(".feedpub"), _path, "the ledger of published posts and "
                         "digests, and the caches: keep it")


@dataclass(frozen=True)
class FeedsConfig:
    formats: tuple[str, ...] = option(FORMATS, _formats, "which feeds to write")
    limit: int = option(20, _int_range(0, 1_000_000), "newest posts per feed; `0` = every post")
    content: str = option("full", _choice("full", "summary"), '`"full"` or `"summary"`')
    tags: bool = option(True, _bool, "per-tag feeds and pages")


@dataclass(frozen=True)
class DigestConfig:
    schedule: str = option("0 8 * * mon", _schedule, "cron (minute hour day month weekday), "
                           "in the site zone")
    subject: str | None = option(None, _str, "a Jinja template for the Subject; unset: "
                                 "`templates/email/subject.txt`",
                                 example='"{{ site.title }}: {{ posts|length }} new posts"')
    max_posts: int = option(20, _int_range(1, 1000), "at most this many posts per digest")
    content: str = option("summary", _choice("summary", "full"), '`"summary"` (an excerpt '
                          'and a link) or `"full"` (the whole post, images included) for each '
                          "post; a post's `digest: full` or `digest: summary` overrides it")
    skip_empty: bool = option(True, _bool, "no new posts: no digest (never an empty email)")
    from_: str = option("", _email, "the From header; unset: the site author, else noreply@ "
                        "the site's host", key="from", example='"News <news@example.org>"')
    to: str = option("", _email, "the To header (a list address)",
                     example='"subscribers@example.org"')
    unsubscribe: str = option("", _optional_url, "an https or mailto URL: List-Unsubscribe "
                              "(+ one-click POST for https)",
                              example='"https://example.org/unsubscribe"')
    utm: tuple[tuple[str, str], ...] = option((), _utm, "utm parameters added to links to "
                                              "your own site",
                                              example='{ source = "newsletter", medium = "email" }')


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("expected a number, 0 or more")
    return float(value)


def _env_name(value: Any) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", _str(value)):
        raise ValueError("expected the name of an environment variable, such as "
                         "'FEEDPUB_SMTP_PASSWORD' (the password itself never goes here)")
    return str(value)


@dataclass(frozen=True)
class DeliveryConfig:
    url: str = option("", lambda v: _url(v) if v else "", "where `feedpub serve`/`run` answer "
                      "`subscribe/`, `confirm/` and `unsubscribe/`; unset: the site's url",
                      example='"https://example.org/"')
    auto: bool = option(False, _bool, "`feedpub run` sends each digest it makes on schedule "
                        "(and finishes a send cut short)")
    bounce_after: int = option(2, _int_range(1, 100), "permanent failures (5xx) in a row "
                               "after which a subscriber is bounced")


@dataclass(frozen=True)
class SmtpConfig:
    host: str = option("", _str, "the mail server (relay or service) digests go through; "
                       "unset: nothing is sent", example='"smtp.example.org"')
    port: int = option(587, _int_range(1, 65535), "its port (587 starttls, 465 ssl, 25)")
    security: str = option("starttls", _choice("starttls", "ssl", "none"),
                           '`"starttls"`, `"ssl"` or `"none"`; certificates are verified')
    username: str = option("", _str, "the login, if the server wants one",
                           example='"news@example.org"')
    password_env: str = option("FEEDPUB_SMTP_PASSWORD", _env_name, "the environment variable "
                               "holding the password (never written in this file)")
    timeout: float = option(30.0, _positive, "seconds to wait for the server")
    rate: float = option(0.0, _positive, "messages per second at most; `0` = as fast as the "
                         "server takes them")


@dataclass(frozen=True)
class ServerConfig:
    host: str = option("127.0.0.1", _str, "where `serve`/`run` listen (localhost only by "
                       "default)")
    port: int = option(8000, _int_range(1, 65535), "the port they listen on")


SECTIONS: dict[str, type] = {"site": SiteConfig, "paths": PathsConfig, "feeds": FeedsConfig,
                             "digest": DigestConfig, "delivery": DeliveryConfig,
                             "smtp": SmtpConfig, "server": ServerConfig}


@dataclass(frozen=True)
class Config:
    root: Path  # the folder of the config file (or the working folder without one)
    file: Path | None  # the config file, None when every default applies
    site: SiteConfig
    paths: PathsConfig
    feeds: FeedsConfig
    digest: DigestConfig
    delivery: DeliveryConfig
    smtp: SmtpConfig
    server: ServerConfig


class Key:
    """One declared key, as the schema, `init` and the README see it: a section's field."""

    def __init__(self, section: str, field: dataclasses.Field[Any]) -> None:
        meta = field.metadata
        self.section, self.attr, self.default = section, field.name, field.default
        self.name: str = meta["key"] or field.name  # in TOML
        self.check: Checker = meta["check"]
        self.doc: str = meta["doc"]
        self.example: str = meta["example"]


def keys() -> Iterator[Key]:
    """Every config key, in declaration order."""
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            yield Key(section, f)


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
    """Check every key against its declaration; collect every problem."""
    declared: dict[str, dict[str, Key]] = {}
    for key in keys():
        declared.setdefault(key.section, {})[key.name] = key
    problems: list[str] = []
    clean: dict[str, dict[str, Any]] = {}
    for section, table in raw.items():
        if section not in declared:
            expected = ", ".join(f"[{s}]" for s in declared)
            problems.append(f"{name}:{_line_of(text, section, None)}: unknown section "
                            f"[{section}] (expected one of {expected})")
            continue
        if not isinstance(table, dict):
            problems.append(f"{name}:{_line_of(text, section, None)}: {section}: expected a table")
            continue
        clean[section] = {}
        for key, value in table.items():
            where = f"{name}:{_line_of(text, section, key)}: {section}.{key}"
            if key not in declared[section]:
                known = ", ".join(declared[section])
                problems.append(f"{where}: unknown key (expected one of {known})")
                continue
            try:
                spec = declared[section][key]
                clean[section][spec.attr] = spec.check(value)
            except ValueError as exc:
                problems.append(f"{where}: {exc}, got {value!r}")
    if problems:
        raise ConfigError(problems)
    return clean


def _build(values: dict[str, dict[str, Any]], root: Path, file: Path | None) -> Config:
    sections = {name: cls(**values.get(name, {})) for name, cls in SECTIONS.items()}
    paths = sections["paths"]
    sections["paths"] = PathsConfig(*((root / p).resolve() for p in dataclasses.astuple(paths)))
    return Config(root=root, file=file, **sections)


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


def toml_value(value: Any) -> str:
    """A default as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) else str(int(value))
    if isinstance(value, (str, Path)):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML spelling for {value!r}")


def _is_set(key: Key) -> bool:
    """True when the key's default is written out (not shown commented, as an example)."""
    return not key.example


def init_toml() -> str:
    """The commented feedpub.toml `feedpub init` writes: every key, with its default."""
    lines = ["# feedpub configuration. Every key is optional; the values shown are the defaults.",
             "# Keys shown commented out are unset by default: uncomment to set them."]
    section = ""
    for key in keys():
        if key.section != section:
            section = key.section
            lines += ["", f"[{section}]"]
            doc = SECTIONS[section].__doc__
            if doc and not doc.startswith(SECTIONS[section].__name__):
                lines[-1] += f"  # {doc.strip()}"
        else:
            lines.append("")
        value = toml_value(key.default) if _is_set(key) else key.example
        lines += [f"# {_plain(key.doc)}", f"{'' if _is_set(key) else '# '}{key.name} = {value}"]
    return "\n".join(lines) + "\n"


def _plain(doc: str) -> str:
    return doc.replace("`", "")


def markdown_table() -> str:
    """The README's table of every key."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key in keys():
        default = f"`{toml_value(key.default)}`" if _is_set(key) else "unset"
        default = default.replace("|", "\\|")
        rows.append(f"| `[{key.section}] {key.name}` | {default} | {key.doc} |")
    return "\n".join(rows) + "\n"
