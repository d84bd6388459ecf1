"""Python-Markdown, set up once per process with our extensions."""

from __future__ import annotations

from functools import cache
from typing import Any

EXTENSIONS = ("extra", "sane_lists")
# Bump when anything in render/ changes the HTML, so cached renders are not reused.
RENDER_VERSION = "2"


@cache
def _markdown() -> Any:
    # "extra" is built from its parts, as instances: given names (as ExtraExtension
    # gives them), Markdown scans every installed package's entry points for them,
    # which costs more than rendering one post.
    import markdown  # heavy: a build with every post cached never needs it
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
