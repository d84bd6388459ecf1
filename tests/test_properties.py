"""Property tests: any title, summary and body text gives feeds that parse and keep the text
(less the characters XML 1.0 forbids): `<`, `&`, `]]>`, controls, emoji, RTL, quotes."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path

import feedparser
import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedpub.build.pipeline import build
from feedpub.config import load_config

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SPICE = ["<", ">", "&", "&amp;", "]]>", "<![CDATA[", "\"", "'", "\x00", "\x07", "\x1b", "\ufffe",
         "\u202e", "שלום", "مرحبا", "👩🏽‍💻", "🎉", "\u200d", "é", "\r", "<script>x</script>",
         "&#0;", "{{ x }}", "{% raw %}"]
text = st.lists(st.one_of(st.sampled_from(SPICE), st.text(min_size=1, max_size=8)),
                min_size=1, max_size=8).map("".join)


def visible(value: str) -> str:
    """What a reader should show: XML-forbidden characters gone, white space folded."""
    return " ".join(NOT_XML.sub("", value).split())


def build_one(title: str, summary: str, body: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix="feedpub-prop-"))
    (root / "posts").mkdir()
    (root / "feedpub.toml").write_text('[site]\nurl = "https://example.org/"\n')
    front = {"title": title, "date": "2024-01-01T10:00:00Z", "summary": summary,
             "tags": [title]}
    # JSON is YAML: every string is quoted and escaped, whatever it holds.
    lines = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items())
    (root / "posts" / "p.md").write_text(f"---\n{lines}\n---\n\n{body}\n", encoding="utf-8")
    build(load_config(cwd=root), NOW)
    return root


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, summary=text, body=text)
def test_any_text_gives_feeds_that_parse_and_keep_it(title: str, summary: str,
                                                     body: str) -> None:
    root = build_one(title, summary, body)
    try:
        out = root / "output"
        want = visible(title)
        items = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
        published = bool(want)
        if not published:  # an empty title is an error: nothing published, still valid
            assert items == []
        for name, title_path in (("feed.xml", "channel/item/title"),
                                 ("atom.xml", "{http://www.w3.org/2005/Atom}entry/"
                                              "{http://www.w3.org/2005/Atom}title")):
            data = (out / name).read_bytes()
            tree = etree.fromstring(data)  # well-formed, whatever the text held
            parsed = feedparser.parse(data)  # and a real client reads it without complaint
            assert not parsed.bozo, parsed.get("bozo_exception")
            if published:
                # The text itself is checked in the XML: feedparser second-guesses titles
                # that look like markup or mojibake (a reader's choice, not our bytes).
                assert len(parsed.entries) == 1
                assert tree.findtext(title_path) == want
        if published:
            (item,) = items
            assert item["title"] == want
            for path in out.rglob("*"):
                if path.is_file():
                    assert not NOT_XML.search(path.read_text(encoding="utf-8")), path
    finally:
        shutil.rmtree(root)


@settings(max_examples=25, deadline=None)
@given(body=text)
def test_body_text_survives_into_content(body: str) -> None:
    root = build_one("T", "", f"Before.\n\n```\n{body}\n```\n")
    try:
        out = root / "output"
        want = NOT_XML.sub("", body).replace("\r\n", "\n").replace("\r", "\n")
        # Markdown treats a line of only white space as blank (Python-Markdown, like
        # every implementation, empties such lines before parsing), and Python-Markdown
        # expands tabs to 4-column stops before it parses anything.
        want = want.expandtabs(4)
        want = "\n".join(ln if ln.strip(" \t") else "" for ln in want.split("\n")).strip("\n")
        assert not feedparser.parse((out / "atom.xml").read_bytes()).bozo
        atom = "{http://www.w3.org/2005/Atom}"
        content = etree.fromstring((out / "atom.xml").read_bytes()).findtext(
            f"{atom}entry/{atom}content")
        pre = lxml.html.fragment_fromstring(content, create_parent="div").find(".//code")
        got = (pre.text_content() if pre is not None else "").strip("\n")
        assert got == want
    finally:
        shutil.rmtree(root)
