"""A whole post's HTML as the plain-text part reads it: paragraphs wrapped, lists,
quotes, code kept as written, tables as rows; every link and image a numbered reference
`[n]` into the digest's one list of links (`[image: alt] [n]` for an image).

Not a general HTML-to-text converter: the post's HTML is Markdown's output (and what its
author wrote by hand), so block elements, lists, quotes, code, tables and footnotes are
what it knows; anything else passes as its text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

WIDTH = 69  # the digest's text lines; its template indents a post by 3 more
_BLOCKS = frozenset({"p", "div", "figure", "figcaption", "section", "article", "header",
                     "footer", "details", "summary", "address", "main", "aside", "caption"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SILENT = frozenset({"script", "style", "template", "head", "title"})
_PLAYERS = frozenset({"iframe", "video", "audio", "object"})
Ref = Callable[[str], int]  # a URL's number in the digest's list of links


def html_to_text(fragment: str, ref: Ref, post_url: str) -> str:
    """`fragment` (absolute URLs) as wrapped plain text with [n] link references."""
    parser = _Converter(ref, post_url)
    parser.feed(fragment)
    parser.close()
    return parser.text()


def _linkable(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https", "mailto")


class _Converter(HTMLParser):
    def __init__(self, ref: Ref, post_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ref, self.post_url = ref, post_url
        self.blocks: list[tuple[str, bool]] = []  # text, joined to the previous by one \n
        self.inline: list[str] = []
        self.indents: list[str] = []  # per open quote, list item or definition
        self.marker = ""  # the open list item's "- " or "2. ", for its first line only
        self.first_item = False  # the marker opens a list: a blank line before it
        self.lists: list[list[int]] = []  # per open list: [ordered, last number, items]
        self.links: list[str] = []  # per open <a>: its URL, "" for none, "-" to drop it
        self.row: list[str] | None = None
        self.rows = 0  # in the open table
        self.pre = self.silent = 0

    def text(self) -> str:
        self.flush()
        out = ""
        for n, (block, tight) in enumerate(self.blocks):
            out += ("" if n == 0 else "\n" if tight else "\n\n") + block
        return out

    def flush(self, tight: bool = False) -> None:
        """The inline text so far as one wrapped block."""
        text = " ".join("".join(self.inline).split())
        self.inline.clear()
        if not text:
            return
        rest = "".join(self.indents)
        first = "".join(self.indents[:-1]) + self.marker if self.marker else rest
        tight = tight or (bool(self.marker) and not self.first_item)
        self.marker, self.first_item = "", False
        lines = textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                              break_long_words=False, break_on_hyphens=False)
        self.blocks.append(("\n".join(lines), tight))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in _SILENT or tag in _PLAYERS:
            self.silent += 1
        elif tag == "pre":
            self.flush()
            self.pre += 1
        elif tag in _BLOCKS or tag in _HEADINGS or tag == "dt":
            self.flush()
        elif tag in ("br", "hr"):
            self.flush(tight=tag == "br")
            if tag == "hr":
                self.blocks.append(("".join(self.indents) + "* * *", False))
        else:
            self._open_structure(tag, values)

    def _open_structure(self, tag: str, values: dict[str, str]) -> None:
        if tag in ("ul", "ol"):
            self.flush()
            start = values.get("start", "1")
            self.lists.append([tag == "ol", int(start) - 1 if start.isdigit() else 0, 0])
        elif tag == "li":
            self.flush()
            if not self.lists:  # an <li> outside any list: as in a <ul>
                self.lists.append([False, 0, 0])
            ordered, number, items = self.lists[-1]
            self.lists[-1][1:] = [number + 1, items + 1]
            self.marker = f"{number + 1}. " if ordered else "- "
            self.first_item = items == 0 and not self.indents  # not nested: set apart
            self.indents.append(" " * len(self.marker))
        elif tag == "blockquote":
            self.flush()
            self.indents.append("> ")
        elif tag == "dd":  # under its term, as a list item under the one before
            self.flush()
            self.marker = "   "
            self.indents.append(self.marker)
        elif tag == "tr":
            self.flush()
            self.row = []
        elif tag in ("td", "th"):
            self.inline.clear()
        elif tag == "a":
            self._open_link(values)
        elif tag == "img":
            self._image(values)

    def _open_link(self, values: dict[str, str]) -> None:
        kind = values.get("class", "").split()
        href = values.get("href", "")
        if "footnote-backref" in kind:
            self.links.append("-")
            self.silent += 1
        elif "footnote-ref" in kind:
            self.links.append("")
            self.inline.append("^")
        else:
            self.links.append(href if _linkable(href) else "")

    def _image(self, values: dict[str, str]) -> None:
        src, alt = values.get("src", ""), " ".join(values.get("alt", "").split())
        label = f"[image: {alt}]" if alt else "[image]"
        self.inline.append(f" {label} [{self.ref(src)}] " if _linkable(src) else f" {label} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SILENT:
            self.silent = max(0, self.silent - 1)
        elif tag in _PLAYERS:
            self.silent = max(0, self.silent - 1)
            self.inline.append(f" Play it on the site [{self.ref(self.post_url)}] ")
        elif tag == "pre":
            self._close_pre()
        elif tag in _HEADINGS:
            self._close_heading(tag)
        elif tag in _BLOCKS or tag == "dt":
            self.flush()
        else:
            self._close_structure(tag)

    def _close_structure(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.flush()
            self.lists.pop()
        elif tag in ("li", "blockquote", "dd") and self.indents:
            self.flush()
            self.marker = ""
            self.indents.pop()
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(" ".join("".join(self.inline).split()))
            self.inline.clear()
        elif tag == "tr" and self.row is not None:
            line = "".join(self.indents) + " | ".join(self.row)
            self.blocks.append((line, self.rows > 0))
            self.rows, self.row = self.rows + 1, None
        elif tag == "table":
            self.rows = 0
        elif tag == "a" and self.links:
            self._close_link(self.links.pop())

    def _close_link(self, href: str) -> None:
        if href == "-":
            self.silent = max(0, self.silent - 1)
        elif href:
            self.inline.append(f" [{self.ref(href)}]")

    def _close_pre(self) -> None:
        self.pre = max(0, self.pre - 1)
        code = "".join(self.inline).strip("\n")
        self.inline.clear()
        prefix = "".join(self.indents) + "    "
        if code:
            self.blocks.append(("\n".join((prefix + line).rstrip()
                                          for line in code.split("\n")), False))

    def _close_heading(self, tag: str) -> None:
        text = " ".join("".join(self.inline).split())
        self.inline.clear()
        if text:
            rule = ("=" if tag in ("h1", "h2") else "-") * min(len(text), WIDTH)
            prefix = "".join(self.indents)
            self.blocks.append((f"{prefix}{text}\n{prefix}{rule}", False))

    def handle_data(self, data: str) -> None:
        if not self.silent:
            self.inline.append(data)
