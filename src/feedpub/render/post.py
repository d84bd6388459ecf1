"""A post's Markdown (body and summary) to the HTML feeds, pages and email show."""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedpub.posts.text import xml_safe
from feedpub.render.html import absolute_urls, plain_text, unique_footnotes
from feedpub.render.markdown import markdown_to_html

_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


@dataclass(frozen=True)
class Rendered:
    html: str  # the full post, every URL absolute
    summary_html: str  # the summary (or the first paragraph), inline HTML
    summary_text: str  # the same as plain text


def render_post(body: str, summary: str, slug: str, post_url: str) -> Rendered:
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
