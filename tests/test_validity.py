"""Every feed of a 200-post corpus (with broken posts) follows the RSS 2.0 / Atom (RFC 4287) /
JSON Feed 1.1 rules, and real readers (feedparser, newsboat, three JavaScript parsers) all
accept it and read the same items."""

from __future__ import annotations

import email.utils
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from tests.conftest import REPO, feed_files

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep"
                    r"|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT)$")
ABSOLUTE = re.compile(r"^(https?://[^/\s]+|mailto:)")
JS_DIR = REPO / "tests" / "js"


def xml_files(output: Path) -> list[Path]:
    return [p for p in feed_files(output) if p.suffix == ".xml"]


def assert_absolute_urls(html_text: str, where: str) -> None:
    """Every href/src/srcset/poster in an HTML fragment is an absolute http(s) or mailto URL."""
    if not html_text.strip():
        return
    root = lxml.html.fragment_fromstring(html_text, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attr in ("href", "src", "poster", "cite"):
            value = element.get(attr)
            if value is not None:
                assert ABSOLUTE.match(value.strip()), f"{where}: relative {attr}={value!r}"
        for candidate in (element.get("srcset") or "").split(","):
            if candidate.strip():
                assert ABSOLUTE.match(candidate.split()[0]), f"{where}: srcset {candidate!r}"


def check_stylesheet_pi(tree: etree._ElementTree, where: str) -> None:
    for node in tree.getroot().itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-stylesheet":
            assert 'type="text/xsl"' in node.text, where


def check_rss(path: Path) -> None:
    tree = etree.parse(str(path))
    where = str(path)
    rss = tree.getroot()
    assert rss.tag == "rss" and rss.get("version") == "2.0", where
    check_stylesheet_pi(tree, where)
    (channel,) = rss.findall("channel")
    for name in ("title", "link", "description"):
        (element,) = channel.findall(name)
        assert (element.text or "").strip(), f"{where}: empty channel {name}"
    assert ABSOLUTE.match(channel.findtext("link")), where
    selfs = [a for a in channel.findall(f"{ATOM}link") if a.get("rel") == "self"]
    assert [a.get("href") for a in selfs] == [self_url(path)], where
    for name in ("pubDate", "lastBuildDate"):
        for element in channel.findall(name):
            check_rfc822(element.text, where)
    guids = []
    for item in channel.findall("item"):
        assert item.findtext("title") or item.findtext("description"), where
        for name in ("title", "link", "guid", "pubDate"):
            assert len(item.findall(name)) == 1, f"{where}: item {name}"
        check_rfc822(item.findtext("pubDate"), where)
        assert ABSOLUTE.match(item.findtext("link")), where
        guid = item.find("guid")
        if guid.get("isPermaLink", "true") == "true":
            assert ABSOLUTE.match(guid.text), where
        guids.append(guid.text)
        assert_absolute_urls(item.findtext("description") or "", where)
        assert_absolute_urls(item.findtext(f"{CONTENT}encoded") or "", where)
    assert len(guids) == len(set(guids)), f"{where}: repeated guid"


def output_of(path: Path) -> Path:
    for parent in path.parents:
        if parent.name == "output":
            return parent
    raise AssertionError(path)


def self_url(path: Path) -> str:
    return "https://example.org/" + path.relative_to(output_of(path)).as_posix()


def check_rfc822(text: str | None, where: str) -> None:
    assert text and RFC822.match(text), f"{where}: not an RFC 822 date: {text!r}"
    assert email.utils.parsedate_to_datetime(text).tzinfo is not None


def check_atom(path: Path) -> None:
    tree = etree.parse(str(path))
    where = str(path)
    feed = tree.getroot()
    assert feed.tag == f"{ATOM}feed", where
    check_stylesheet_pi(tree, where)
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, f"{where}: feed {name}"
    assert RFC3339.match(feed.findtext(f"{ATOM}updated")), where
    feed_has_author = bool(feed.findall(f"{ATOM}author/{ATOM}name"))
    selfs = [a for a in feed.findall(f"{ATOM}link") if a.get("rel") == "self"]
    assert [a.get("href") for a in selfs] == [self_url(path)], where
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, f"{where}: entry {name}"
        assert len(entry.findall(f"{ATOM}published")) <= 1
        for name in ("updated", "published"):
            for element in entry.findall(f"{ATOM}{name}"):
                assert RFC3339.match(element.text), f"{where}: {name} {element.text!r}"
        assert feed_has_author or entry.findall(f"{ATOM}author/{ATOM}name"), where
        alternates = [a for a in entry.findall(f"{ATOM}link")
                      if a.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1 and ABSOLUTE.match(alternates[0].get("href")), where
        content = entry.find(f"{ATOM}content")
        summary = entry.find(f"{ATOM}summary")
        assert content is not None or summary is not None or alternates, where
        for element in (content, summary):
            if element is not None:
                assert element.get("type") in ("html", "text", None), where
                if element.get("type") == "html":
                    assert_absolute_urls(element.text or "", where)
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(set(ids)), f"{where}: repeated id"


def check_json(path: Path) -> None:
    where = str(path)
    feed = json.loads(path.read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1", where
    assert isinstance(feed["title"], str) and feed["title"], where
    assert feed["feed_url"] == self_url(path), where
    assert ABSOLUTE.match(feed["home_page_url"]), where
    assert isinstance(feed["items"], list)
    ids = []
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"], where
        assert isinstance(item.get("content_html", item.get("content_text")), str), where
        assert ABSOLUTE.match(item["url"]), where
        for name in ("date_published", "date_modified"):
            if name in item:
                assert RFC3339.match(item[name]), f"{where}: {name} {item[name]!r}"
        assert_absolute_urls(item.get("content_html", ""), where)
        ids.append(item["id"])
    assert len(ids) == len(set(ids)), where


CHECKS = {"feed.xml": check_rss, "atom.xml": check_atom, "feed.json": check_json}


def test_every_feed_follows_its_format_rules(corpus200) -> None:
    site, manifest = corpus200
    files = feed_files(site.output)
    assert len(files) == 3 * (1 + len(manifest["published_per_tag"]))
    for path in files:
        CHECKS[path.name](path)


def test_every_feed_reads_without_bozo_in_feedparser(corpus200) -> None:
    site, _ = corpus200
    for path in xml_files(site.output):
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version in ("rss20", "atom10"), path


def test_pages_carry_autodiscovery_for_every_feed(corpus200) -> None:
    site, _ = corpus200
    index = lxml.html.parse(str(site.output / "index.html")).getroot()
    links = {(link.get("type"), link.get("href")) for link in index.iter("link")
             if link.get("rel") == "alternate"}
    assert links == {("application/rss+xml", "https://example.org/feed.xml"),
                     ("application/atom+xml", "https://example.org/atom.xml"),
                     ("application/feed+json", "https://example.org/feed.json")}
    assert (site.output / "feed.xsl").exists()
    etree.parse(str(site.output / "feed.xsl"))  # well-formed XSL


def feedparser_view(path: Path) -> tuple[list[str], list[str]]:
    if path.suffix == ".json":
        items = json.loads(path.read_text(encoding="utf-8"))["items"]
        return [i["id"] for i in items], [i["title"] for i in items]
    entries = feedparser.parse(path.read_bytes()).entries
    return [e.id for e in entries], [e.title for e in entries]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None or not (JS_DIR / "node_modules").is_dir(),
                    reason="node or tests/js/node_modules missing (run `npm ci` in tests/js)")
def test_javascript_parsers_read_every_feed_the_same(corpus200) -> None:
    site, _ = corpus200
    files = feed_files(site.output)
    result = subprocess.run(["node", str(JS_DIR / "read_feeds.mjs"), *map(str, files)],
                            capture_output=True, text=True, check=True, timeout=300)
    seen = json.loads(result.stdout)
    for path in files:
        ids, titles = feedparser_view(path)
        for parser, view in seen[str(path)].items():
            assert "error" not in view, (path, parser, view)
            assert view["ids"] == ids, (path, parser)
            assert view["titles"] == titles, (path, parser)


def newsboat_read(path: Path, workdir: Path) -> tuple[list[str], list[str]]:
    """Reload one feed headless in newsboat; its item guids and titles from its cache."""
    workdir.mkdir(parents=True)
    (workdir / "urls").write_text(path.as_uri() + "\n")
    (workdir / "config").write_text("")
    result = subprocess.run(
        ["newsboat", "-u", "urls", "-C", "config", "-c", "cache.db", "-x", "reload"],
        cwd=workdir, capture_output=True, text=True, timeout=120,
        env={"HOME": str(workdir), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(workdir / "cache.db") as db:
        rows = db.execute("SELECT guid, title FROM rss_item WHERE feedurl = ? "
                          "ORDER BY pubDate DESC, id", (path.as_uri(),)).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("newsboat") is None,
                    reason="newsboat not installed (apt-get install newsboat; .ci/run does)")
def test_newsboat_reads_every_feed_the_same(corpus200, tmp_path: Path) -> None:
    site, _ = corpus200
    for number, path in enumerate(xml_files(site.output)):
        ids, titles = feedparser_view(path)
        nb_ids, nb_titles = newsboat_read(path, tmp_path / str(number))
        assert sorted(nb_ids) == sorted(ids), path
        assert sorted(nb_titles) == sorted(titles), path


@pytest.mark.skipif(shutil.which("xmllint") is None,
                    reason="xmllint not installed (apt-get install libxml2-utils)")
def test_xmllint_finds_every_xml_file_well_formed(corpus200) -> None:
    site, _ = corpus200
    files = [*xml_files(site.output), site.output / "feed.xsl"]
    result = subprocess.run(["xmllint", "--noout", *map(str, files)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[:2000]
