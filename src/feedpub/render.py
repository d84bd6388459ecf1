"""Markdown to HTML for feeds, pages and email: absolute URLs, unique footnote ids."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from feedpub.records import record
from feedpub.text import xml_safe

# Bump when anything below changes the HTML, so cached renders are not reused.
RENDER_VERSION = "2"
EXTENSIONS = ("extra", "sane_lists")

_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_URL_ATTR = re.compile(
    r"""(\s(?:href|src|poster|cite|background)\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+)""",
    re.IGNORECASE,
)
_SRCSET = re.compile(r"""(\ssrcset\s*=\s*)("[^"]*"|'[^']*')""", re.IGNORECASE)
_FOOTNOTE_ID = re.compile(r'(id="|href="#)(fnref|fn):')
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]*>")


@record
class Rendered:
    html: str  # the full post, every URL absolute
    summary_html: str  # the summary (or the first paragraph), inline HTML
    summary_text: str  # the same as plain text


@lru_cache(maxsize=1)
def _markdown() -> Any:
    # Imported here, not at the top: a build with every post cached never needs Markdown.
    # "extra" is built from its parts, as instances: given names (as ExtraExtension
    # gives them), Markdown scans every installed package's entry points for them,
    # which costs more than rendering one post.
    import markdown
    from markdown.extensions.abbr import AbbrExtension
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension

    extra = [FencedCodeExtension(), FootnoteExtension(), AttrListExtension(),
             DefListExtension(), TableExtension(), AbbrExtension(), MarkdownInHtmlExtension()]
    return markdown.Markdown(extensions=[*extra, SaneListExtension()], output_format="html")


def load_markdown() -> None:
    """Import Markdown and set up its instance now, not at the first post."""
    _markdown()


def markdown_to_html(source: str) -> str:
    """Python-Markdown with our extensions; the instance is reset between documents."""
    md = _markdown()
    try:
        return str(md.convert(source))
    finally:
        md.reset()  # footnotes and abbreviations must not leak into the next post


def absolute_urls(fragment: str, base: str) -> str:
    """Every href/src/srcset in `fragment`'s tags made absolute against `base`."""

    def fix_tag(tag: re.Match[str]) -> str:
        text = _URL_ATTR.sub(lambda m: m.group(1) + _join(m.group(2), base), tag.group(0))
        return _SRCSET.sub(lambda m: m.group(1) + _join_srcset(m.group(2), base), text)

    return _TAG.sub(fix_tag, fragment)


def _join(quoted: str, base: str) -> str:
    value = html.unescape(quoted.strip("\"'")).strip()
    return '"' + html.escape(urljoin(base, value), quote=True) + '"'


def _join_srcset(quoted: str, base: str) -> str:
    parts = []
    for candidate in html.unescape(quoted[1:-1]).split(","):
        url, _, size = candidate.strip().partition(" ")
        parts.append((urljoin(base, url) + (" " + size.strip() if size else "")).strip())
    return '"' + html.escape(", ".join(parts), quote=True) + '"'


def unique_footnotes(fragment: str, prefix: str) -> str:
    """Footnote ids made unique per post, so posts can share a page or an email."""
    return _FOOTNOTE_ID.sub(lambda m: f"{m.group(1)}{m.group(2)}-{prefix}-", fragment)


def plain_text(fragment: str) -> str:
    """Tags dropped, entities decoded, white space folded."""
    return " ".join(html.unescape(_ANY_TAG.sub("", fragment)).split())


def render_markdown(body: str, summary: str, slug: str, post_url: str) -> Rendered:
    """A post's Markdown (body and summary) to absolute-URL HTML and a summary."""
    full = absolute_urls(unique_footnotes(markdown_to_html(body), slug), post_url)
    if summary:
        summary_html = markdown_to_html(summary)
        if summary_html.count("<p>") == 1:
            summary_html = summary_html.removeprefix("<p>").removesuffix("</p>")
        summary_html = absolute_urls(summary_html, post_url)
    else:
        first = _FIRST_PARAGRAPH.search(full)
        summary_html = first.group(1).strip() if first else ""
    return Rendered(xml_safe(full), xml_safe(summary_html), xml_safe(plain_text(summary_html)))
