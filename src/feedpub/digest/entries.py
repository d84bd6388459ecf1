"""Each post as the digest templates see it (an EmailPost): its summary, or the whole post
with its images, and its hero image; links numbered for the plain-text part. No I/O."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

from feedpub.config import Config
from feedpub.digest.content import Picture, email_html, hero_image, prefix_ids
from feedpub.digest.images import SizeOf
from feedpub.digest.plaintext import html_to_text
from feedpub.feeds.model import Item
from feedpub.posts.model import Post
from feedpub.render.html import plain_text
from feedpub.urls import tag_page_url

# What each summary shows, tried in order until the digest fits; before the first step,
# whole posts become summaries, the oldest first.
EXCERPTS = ("full", "short", "none")
SHORT_EXCERPT = 160
_LINK = re.compile(r'<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class EmailPost:
    """One post as the digest templates see it."""

    title: str
    url: str
    date: dt.datetime
    author: str
    tags: tuple[tuple[str, str | None], ...]  # (name, page URL or None)
    summary_html: str
    summary_text: str
    ref: int  # the post URL's number in the plain-text link list
    extra: dict[str, Any]
    content: str = "summary"  # or "full": body_html and body_text hold the whole post
    body_html: str = ""
    body_text: str = ""  # wrapped, links and images as [n]
    image: Picture | None = None  # the post's `image:`, shown above it
    image_ref: int = 0  # its number in the plain-text link list


def content(config: Config, post: Post) -> str:
    """What `post` shows in a digest: its own `digest: full|summary`, else [digest] content."""
    return post.digest_content or config.digest.content


def email_post(config: Config, position: int, item: Item, excerpts: str, refs: list[str],
               whole: bool, size_of: SizeOf) -> EmailPost:
    """The post at `position` (from 1): whole or as a summary cut to `excerpts`; the URLs
    its text part points at are numbered in `refs`."""
    post, rendered = item.post, item.rendered
    ref = number(refs, item.url)  # the post's own link gets the first number
    prefix = f"p{position}-"  # ids unique across the digest's posts
    image = None if excerpts == "none" else hero_image(post.image, item.url, post.title,
                                                       size_of)
    body_html = email_html(rendered.html, prefix, item.url, size_of) if whole else ""
    if image is not None and f'src="{html.escape(image.url, quote=True)}"' in body_html:
        image = None  # the post shows it already
    image_ref = number(refs, image.url) if image is not None else 0
    if whole:
        summary_html, summary_text = rendered.summary_html, rendered.summary_text
        body_text = html_to_text(rendered.html, lambda url: number(refs, url), item.url)
    else:
        summary_html, summary_text = _excerpt(rendered.summary_html, excerpts, refs)
        body_text = ""
    tags = tuple((t.name, tag_page_url(config.site.url, t.slug) if config.feeds.tags else None)
                 for t in post.tags)
    return EmailPost(post.title, item.url, post.date, post.author, tags,
                     prefix_ids(summary_html, prefix), summary_text, ref, dict(post.extra),
                     "full" if whole else "summary", body_html, body_text, image, image_ref)


def _excerpt(summary_html: str, excerpts: str, refs: list[str]) -> tuple[str, str]:
    """The summary as HTML and as text with [n] link references, as short as asked."""
    if excerpts == "none":
        return "", ""
    if excerpts == "short":
        text = plain_text(summary_html)
        if len(text) > SHORT_EXCERPT:
            text = text[:SHORT_EXCERPT].rsplit(" ", 1)[0] + " …"
        return html.escape(text), text
    linked = _LINK.sub(lambda m: f"{m.group(2)} [{number(refs, html.unescape(m.group(1)))}]",
                       summary_html)
    return summary_html, plain_text(linked)


def number(refs: list[str], url: str) -> int:
    """`url`'s number in the plain-text part's list of links (added when new)."""
    if url not in refs:
        refs.append(url)
    return refs.index(url) + 1
