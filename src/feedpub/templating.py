"""Jinja2 environments: the user's templates first, the package's as fallback."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from feedpub.errors import TemplateError, shorten

if TYPE_CHECKING:
    import jinja2

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


def environment(user_dir: Path, kind: str, autoescape: bool = True) -> jinja2.Environment:
    """Templates of `kind` (site, email) from `user_dir/kind`, then the package's."""
    import jinja2  # heavy: a build that renders no template never needs it

    loader = jinja2.FileSystemLoader([str(user_dir / kind), str(PACKAGE_TEMPLATES / kind)])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml", "xsl"]) if autoescape else False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda value, fmt="%Y-%m-%d": value.strftime(fmt)
    env.filters["day"] = day
    env.filters["path"] = url_path
    env.filters["local_links"] = local_links
    env.filters["reading_minutes"] = reading_minutes
    env.filters["without_title"] = without_title
    return env


def day(value: dt.date) -> str:
    """A date as people read it, in any locale's C spelling: '5 Dec 2026'."""
    return f"{value.day} {value:%b %Y}"


def url_path(url: str) -> str:
    """One of the site's absolute URLs as a root-relative link ('/blog/posts/x/'): it works
    wherever the pages are served, the production host or a local preview."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_MARKUP = re.compile(r"<[^>]*>")
_LINK_ATTR = re.compile(r"""(\s(?:href|src|srcset|poster|cite)\s*=\s*)("[^"]*"|'[^']*')""",
                        re.IGNORECASE)


def local_links(fragment: str, site_url: str) -> str:
    """The links of an HTML fragment (a post's body) that point into the site made
    root-relative; links elsewhere, and text, untouched."""
    prefix = html.escape(site_url, quote=True)
    path = html.escape(urlsplit(site_url).path or "/", quote=True)

    def fix_attr(attr: re.Match[str]) -> str:
        quote, value = attr.group(2)[0], attr.group(2)[1:-1]
        # in a srcset each candidate may start with the site's URL
        value = re.sub(r"(^|,\s*)" + re.escape(prefix), lambda m: m.group(1) + path, value)
        return f"{attr.group(1)}{quote}{value}{quote}"

    return _TAG.sub(lambda tag: _LINK_ATTR.sub(fix_attr, tag.group(0)), fragment)


_LEADING_H1 = re.compile(r"\s*<h1\b[^>]*>(.*?)</h1>\s*", re.DOTALL | re.IGNORECASE)


def without_title(fragment: str, title: str) -> str:
    """A post's HTML without the <h1> it opens with when that repeats its title (posts
    written for tools that do not show the title): the page shows the title already."""
    first = _LEADING_H1.match(fragment)
    if first and _text(first.group(1)) == " ".join(title.split()):
        return fragment[first.end():]
    return fragment


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_MARKUP.sub("", fragment)).split())


WORDS_PER_MINUTE = 220
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?|\d+")
_IDEOGRAPHS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")  # kana, hanzi/kanji


def reading_minutes(fragment: str) -> int:
    """Minutes to read an HTML fragment, at least 1: its words at WORDS_PER_MINUTE, where
    two Chinese or Japanese characters (written without spaces) count as one word."""
    text = html.unescape(_MARKUP.sub(" ", fragment))
    ideographs = len(_IDEOGRAPHS.findall(text))
    words = len(_WORD.findall(_IDEOGRAPHS.sub(" ", text))) + ideographs / 2
    return max(1, round(words / WORDS_PER_MINUTE))


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render template `name`; errors name the template file and line."""
    import jinja2

    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.filename or exc.name or name, exc.lineno,
                            exc.message or "") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(*_location(exc, name), shorten(str(exc))) from None
    except _NOT_JINJAS as exc:  # a value an expression or filter cannot use: {{ 1 / 0 }}
        raise TemplateError(*_location(exc, name),
                            f"{type(exc).__name__}: {shorten(str(exc))}") from None


def render_string(env: jinja2.Environment, source: str, where: str, **context: Any) -> str:
    """Render a template given as text (a config value); errors name `where`."""
    import jinja2

    try:
        return env.from_string(source).render(**context)
    except (jinja2.TemplateError, *_NOT_JINJAS) as exc:
        raise TemplateError(where, 0, shorten(str(exc))) from None


_NOT_JINJAS = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


def _location(exc: BaseException, name: str) -> tuple[str, int]:
    """The template file and line a runtime error happened on, from the traceback."""
    tb = exc.__traceback__
    where: tuple[str, int] = (name, 0)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".txt", ".xml", ".xsl", ".j2")):
            where = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return where
