"""Images and files published as they are (issue 12): a post folder's files beside its
page, the static folder at the root of output/, on a site that lives under a path
(https://example.org/blog/).

Every link the site, its feeds and its email make to a file of the site answers 200 from
a real `feedpub serve`; the feeds carry the post's image with its size and type; a
changed or deleted file rewrites or removes exactly that file, as a build from scratch
would; a post pointing at a file that is not there is warned about (post, line, path),
and a file whose path the build needs is an error that leaves the generated file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import textwrap
import time
import zlib
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest
from lxml import etree

from feedpub.digest.content import fit
from tests.conftest import Site, build_in_process, feed_files, tree_bytes, tree_state
from tests.test_serve import free_port, request, start, stop, wait_until

BLOG = "https://example.org/blog/"
BASE = "/blog/"
COVER_SIZE = (640, 480)  # wider than the email's column: the digest scales it down
WALK = "posts/photo-walk/"  # where the post folder's files land under output/
OLD = time.time() - 3600  # inputs' mtimes: well out of the racy window of a build


def png(width: int, height: int, colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real PNG of one colour (imagesize, and any viewer, can read it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = (b"\0" + bytes(colour) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


PHOTO_WALK = """\
---
title: A photo walk
date: 2026-11-20 09:00
tags: [walks]
image: cover.png
---

Out in the hills.

![A walk](cover.png)

Read [the notes](notes.pdf) for the route.
"""
PLAIN = """\
---
title: Plain & simple
date: 2026-11-21 10:00
---

Our logo: ![The logo](/blog/logo.png)

The pages can use [the extra style](/blog/css/extra.css) too.
"""


def walk_site(root: Path, extra: str = "") -> Site:
    """The photo-walk post folder (cover.png, notes.pdf), a flat post using the static
    folder's logo.png and css/extra.css; whole posts in digests. Every input is dated an
    hour ago."""
    site = Site(root)
    folder = site.posts / "photo-walk"
    folder.mkdir(parents=True)
    (folder / "index.md").write_text(PHOTO_WALK, encoding="utf-8")
    (folder / "cover.png").write_bytes(png(*COVER_SIZE))
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4\n% the route, in 12 steps\n%%EOF\n")
    (site.posts / "plain.md").write_text(PLAIN, encoding="utf-8")
    static = site.root / "static"
    (static / "css").mkdir(parents=True)
    (static / "logo.png").write_bytes(png(32, 32, (20, 90, 160)))
    (static / "css" / "extra.css").write_text("body { accent-color: teal; }\n", encoding="utf-8")
    site.write_config(textwrap.dedent(f"""\
        [site]
        title = "Walks & <Notes>"
        url = "{BLOG}"
        timezone = "UTC"
        [digest]
        content = "full"
        unsubscribe = "https://example.org/unsubscribe"
        """) + textwrap.dedent(extra))
    age(site)
    return site


def age(site: Site, when: float = OLD) -> None:
    """Every input file dated `when`."""
    for path in [site.root / "feedpub.toml", *site.posts.rglob("*"),
                 *(site.root / "static").rglob("*")]:
        if path.is_file():
            os.utime(path, (when, when))


def files_state(root: Path) -> dict[str, tuple[int, int, int]]:
    """tree_state() of the files alone (a folder's mtime follows any write inside it)."""
    return {p: s for p, s in tree_state(root).items() if (root / p).is_file()}


def changed(before: dict[str, tuple[int, int, int]],
            after: dict[str, tuple[int, int, int]]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def from_scratch(site: Site, root: Path) -> dict[str, bytes]:
    """output/ as a first build of a copy of the site's inputs makes it."""
    if root.exists():
        shutil.rmtree(root)
    copy = Site(root)
    shutil.copytree(site.posts, copy.posts)
    if (site.root / "static").exists():
        shutil.copytree(site.root / "static", copy.root / "static")
    shutil.copy(site.root / "feedpub.toml", copy.root)
    report = build_in_process(copy)
    assert not [p for p in report.problems if p.severity == "error"], report.problems
    return tree_bytes(copy.output)


# --- collecting every URL -----------------------------------------------------------------

class Links(HTMLParser):
    """Every URL of an HTML document or fragment: href, src, poster, srcset."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src", "poster"):
                self.found.append(value)
            elif name == "srcset":
                self.found += [c.split()[0] for c in value.split(",") if c.strip()]


def html_urls(text: str, base: str) -> list[str]:
    parser = Links()
    parser.feed(text)
    parser.close()
    return [urljoin(base, value) for value in parser.found]


def xml_urls(data: bytes, base: str) -> list[str]:
    """The URLs of an XML feed or sitemap: href/url/src attributes, elements whose text is
    a URL, the URLs inside escaped HTML (entry content), the xml-stylesheet's href."""
    tree = etree.fromstring(data).getroottree()
    found = [urljoin(base, pi.get("href") or "")
             for pi in tree.xpath("/processing-instruction('xml-stylesheet')")]
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        found += [urljoin(base, v) for k, v in element.attrib.items()
                  if etree.QName(k).localname in ("href", "url", "src")]
        text = (element.text or "").strip()
        if text.startswith(("http://", "https://")):
            found.append(text)
        elif "<" in text:
            found += html_urls(text, base)
    return found


def json_urls(value: object, base: str) -> Iterator[str]:
    """The URLs of a JSON Feed: every string that is one, and those in content_html."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "content_html" and isinstance(item, str):
                yield from html_urls(item, base)
            else:
                yield from json_urls(item, base)
    elif isinstance(value, list):
        for item in value:
            yield from json_urls(item, base)
    elif isinstance(value, str) and value.startswith(("http://", "https://")):
        yield value


def text_urls(text: str) -> list[str]:
    return re.findall(r"https?://[^\s<>\"']+", text)


def page_url(output: Path, page: Path) -> str:
    return BLOG + page.relative_to(output).as_posix().removesuffix("index.html")


def email_parts(eml: Path) -> tuple[str, str]:
    """The .eml's HTML and plain-text parts."""
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert isinstance(message, EmailMessage) and not message.defects
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    return str(html_part.get_content()), str(text_part.get_content())


def every_url(output: Path) -> dict[str, set[str]]:
    """Each URL of the site (under BLOG, fragment dropped) that any page, feed, sitemap,
    robots.txt or digest file under `output` points at -> the files pointing at it."""
    found: dict[str, set[str]] = {}

    def add(source: Path, urls: list[str] | Iterator[str]) -> None:
        for url in urls:
            bare = url.split("#", 1)[0]
            if bare.startswith(BLOG):
                found.setdefault(bare, set()).add(source.relative_to(output).as_posix())

    for page in sorted(output.rglob("*.html")):
        add(page, html_urls(page.read_text(encoding="utf-8"), page_url(output, page)))
    for feed in sorted({*feed_files(output), *output.rglob("feed.xml"),
                        output / "sitemap.xml"}):
        base = BLOG + feed.relative_to(output).as_posix()
        if feed.suffix == ".json":
            add(feed, json_urls(json.loads(feed.read_bytes()), base))
        else:
            add(feed, xml_urls(feed.read_bytes(), base))
    add(output / "robots.txt", text_urls((output / "robots.txt").read_text(encoding="utf-8")))
    for eml in sorted(output.glob("digests/*/digest.eml")):
        html_part, text_part = email_parts(eml)
        add(eml, html_urls(html_part, BLOG))
        add(eml, text_urls(text_part))  # the headers (List-Unsubscribe) are not crawled
    for text in sorted(output.glob("digests/*/digest.txt")):
        add(text, text_urls(text.read_text(encoding="utf-8")))
    return found


def fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes, list[int]]:
    """GET `path`, following up to three redirects on the site; the last answer, and the
    statuses on the way."""
    hops: list[int] = []
    for _ in range(4):
        status, headers, body = request(port, path)
        if status not in (301, 302, 303, 307, 308):
            return status, headers, body, hops
        hops.append(status)
        path = urljoin(path, headers["location"])
    return status, headers, body, hops


# --- 1. the crawl ---------------------------------------------------------------------------

@pytest.mark.slow
def test_every_url_of_the_site_in_pages_feeds_and_email_is_served(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    site.cli("build", check=True)
    site.cli("digest", "--latest", "2", check=True)
    emails = sorted(site.output.glob("digests/*/digest.eml"))
    assert len(emails) == 1, emails
    urls = every_url(site.output)
    port = free_port()
    proc = start(site, "serve", "--port", str(port))
    try:
        wait_until(lambda: request(port, BASE)[0] == 200, 15)
        answers = {url: fetch(port, BASE + url[len(BLOG):]) for url in sorted(urls)}
    finally:
        code, err = stop(proc)
    assert code == 0, err
    broken = {url: (answer[0], answer[3], sorted(urls[url])) for url, answer in answers.items()
              if answer[0] != 200}
    assert broken == {}
    links = sum(len(sources) for sources in urls.values())
    print(f"crawled {len(answers)} URLs of the site ({links} links to them), every one 200")
    assert len(answers) >= 20 and links >= 100, "\n".join(sorted(answers))
    # every file of output/ is linked from somewhere, but the robots' and the email's own
    unlinked = {p.relative_to(site.output).as_posix() for p in site.output.rglob("*")
                if p.is_file() and page_url(site.output, p) not in urls}
    assert {re.sub(r"digests/[^/]+/", "digests/ID/", p) for p in unlinked} \
        == {"robots.txt", "digests/ID/digest.eml", "digests/ID/digest.txt"}
    # the files themselves, byte for byte, from where every output links them
    expected = {
        f"{BLOG}{WALK}cover.png": (site.posts / "photo-walk/cover.png", "image/png"),
        f"{BLOG}{WALK}notes.pdf": (site.posts / "photo-walk/notes.pdf", None),
        f"{BLOG}logo.png": (site.root / "static/logo.png", "image/png"),
        f"{BLOG}css/extra.css": (site.root / "static/css/extra.css", "text/css; charset=utf-8"),
    }
    for url, (source, kind) in expected.items():
        status, headers, body, _ = answers[url]
        assert body == source.read_bytes(), url
        if kind:
            assert headers["content-type"] == kind, url
    # the cover is linked from the post's page, every feed, the digest page and its email
    digest = emails[0].parent.relative_to(site.output).as_posix()
    assert {f"{WALK}index.html", "feed.xml", "atom.xml", "feed.json", "tags/walks/feed.xml",
            f"{digest}/index.html", f"{digest}/digest.eml",
            f"{digest}/digest.txt"} <= urls[f"{BLOG}{WALK}cover.png"]
    assert {f"{WALK}index.html", "feed.xml", "atom.xml", "feed.json",
            f"{digest}/digest.eml"} <= urls[f"{BLOG}{WALK}notes.pdf"]
    assert {"posts/plain/index.html", "feed.json", f"{digest}/digest.eml"} \
        <= urls[f"{BLOG}logo.png"]
    # the email's copy of the cover knows its size (read from the PNG), scaled to the column
    html_part, _ = email_parts(emails[0])
    width, height = fit(COVER_SIZE) or COVER_SIZE
    assert width < COVER_SIZE[0]
    assert re.search(rf'<img alt="A walk" src="{re.escape(BLOG + WALK)}cover.png" '
                     rf'width="{width}" height="{height}"', html_part), html_part


# --- 2. the feeds carry the image --------------------------------------------------------

def test_the_feeds_carry_the_posts_image_with_its_size_and_type(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    report = build_in_process(site)
    assert report.problems == ()
    cover = BLOG + WALK + "cover.png"
    length = len((site.posts / "photo-walk/cover.png").read_bytes())
    assert (site.output / WALK / "cover.png").stat().st_size == length
    for name in ("feed.xml", "atom.xml", "tags/walks/feed.xml", "tags/walks/atom.xml"):
        parsed = feedparser.parse((site.output / name).read_bytes())
        assert not parsed.bozo, (name, parsed.bozo_exception)
        entries = {e.title: e for e in parsed.entries}
        walk = entries["A photo walk"]
        assert [(e.href, e.length, e.type) for e in walk.enclosures] \
            == [(cover, str(length), "image/png")], name
        assert entries.get("Plain & simple", {"enclosures": []})["enclosures"] == [], name
    rss = etree.fromstring((site.output / "feed.xml").read_bytes())
    assert [dict(e.attrib) for e in rss.iter("enclosure")] \
        == [{"url": cover, "length": str(length), "type": "image/png"}]
    atom = etree.fromstring((site.output / "atom.xml").read_bytes())
    links = atom.findall(".//{http://www.w3.org/2005/Atom}link[@rel='enclosure']")
    assert [dict(e.attrib) for e in links] \
        == [{"rel": "enclosure", "href": cover, "type": "image/png", "length": str(length)}]
    for name in ("feed.json", "tags/walks/feed.json"):
        items = {i["title"]: i for i in json.loads((site.output / name).read_bytes())["items"]}
        assert (items["A photo walk"]["image"], items["A photo walk"]["banner_image"]) \
            == (cover, cover), name
        assert "image" not in items.get("Plain & simple", {}), name


# --- 3. a change or a deletion touches that file alone -------------------------------------

def test_a_changed_or_deleted_file_rewrites_or_removes_that_file_alone(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    build_in_process(site)
    scratch = tmp_path / "scratch"
    assert tree_bytes(site.output) == from_scratch(site, scratch)

    # notes.pdf: other bytes of the same length, the file dated otherwise
    notes = site.posts / "photo-walk/notes.pdf"
    old = notes.read_bytes()
    new = old.replace(b"12 steps", b"13 steps")
    assert len(new) == len(old) and new != old
    before = files_state(site.output)
    notes.write_bytes(new)
    os.utime(notes, (OLD + 10, OLD + 10))
    report = build_in_process(site)
    assert (report.written, report.removed, report.problems) \
        == ((WALK + "notes.pdf",), (), ())
    assert changed(before, files_state(site.output)) == {WALK + "notes.pdf"}
    assert (site.output / WALK / "notes.pdf").read_bytes() == new
    assert tree_bytes(site.output) == from_scratch(site, scratch)

    # cover.png: another image of the same length: the file alone again
    cover = site.posts / "photo-walk/cover.png"
    same_length = next(data for colour in range(256)
                       if len(data := png(*COVER_SIZE, (colour, 60, 200))) == len(png(*COVER_SIZE))
                       and data != cover.read_bytes())
    before = files_state(site.output)
    cover.write_bytes(same_length)
    os.utime(cover, (OLD + 20, OLD + 20))
    report = build_in_process(site)
    assert report.written == (WALK + "cover.png",)
    assert changed(before, files_state(site.output)) == {WALK + "cover.png"}
    assert (site.output / WALK / "cover.png").read_bytes() == same_length
    assert tree_bytes(site.output) == from_scratch(site, scratch)

    # cover.png: a smaller picture: the feeds that give its length change with it
    smaller = png(320, 240, (10, 200, 90))
    assert len(smaller) != len(same_length)
    before = files_state(site.output)
    cover.write_bytes(smaller)
    os.utime(cover, (OLD + 30, OLD + 30))
    build_in_process(site)
    assert changed(before, files_state(site.output)) == {
        WALK + "cover.png", "feed.xml", "atom.xml", "tags/walks/feed.xml", "tags/walks/atom.xml"}
    assert (site.output / WALK / "cover.png").read_bytes() == smaller
    enclosure = feedparser.parse((site.output / "feed.xml").read_bytes()).entries[1].enclosures
    assert [e.length for e in enclosure] == [str(len(smaller))]
    assert tree_bytes(site.output) == from_scratch(site, scratch)

    # static/css/extra.css deleted: that file goes (and its empty folder), nothing else moves
    before = files_state(site.output)
    (site.root / "static/css/extra.css").unlink()
    report = build_in_process(site)
    assert (report.written, report.removed) == ((), ("css/extra.css",))
    assert changed(before, files_state(site.output)) == {"css/extra.css"}
    assert not (site.output / "css").exists()
    assert tree_bytes(site.output) == from_scratch(site, scratch)

    # notes.pdf deleted from the post folder: likewise
    before = files_state(site.output)
    notes.unlink()
    report = build_in_process(site)
    assert (report.written, report.removed) == ((), (WALK + "notes.pdf",))
    assert changed(before, files_state(site.output)) == {WALK + "notes.pdf"}
    assert tree_bytes(site.output) == from_scratch(site, scratch)


def test_a_post_turned_draft_takes_its_files_with_it(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    build_in_process(site)
    assert (site.output / WALK / "cover.png").is_file()
    index = site.posts / "photo-walk/index.md"
    index.write_text(PHOTO_WALK.replace("tags: [walks]", "tags: [walks]\ndraft: true"),
                     encoding="utf-8")
    report = build_in_process(site)
    assert {WALK + "cover.png", WALK + "notes.pdf", WALK + "index.html"} <= set(report.removed)
    assert not (site.output / "posts/photo-walk").exists()
    assert tree_bytes(site.output) == from_scratch(site, tmp_path / "scratch")


# --- 4. what is wrong is said -----------------------------------------------------------

def line_of(path: Path, text: str) -> int:
    """The 1-based line of `path` that holds `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_an_image_that_is_not_there_is_a_warning_with_post_line_and_path(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    index = site.posts / "photo-walk/index.md"
    index.write_text(PHOTO_WALK + "\nAnd at the top: ![The summit](summit.jpg)\n",
                     encoding="utf-8")
    plain = site.posts / "plain.md"
    plain.write_text(PLAIN + "\n```\n![not an image](in-code.png)\n```\n\n"
                     "![Gone](../../images/gone.png)\n", encoding="utf-8")
    expected = [
        f"warning: posts/photo-walk/index.md:{line_of(index, 'summit.jpg')}: 'summit.jpg' "
        f"points at {WALK}summit.jpg, which is not published",
        f"warning: posts/plain.md:{line_of(plain, 'gone.png')}: '../../images/gone.png' "
        "points at images/gone.png, which is not published",
    ]
    for command in ("check", "build"):
        before = tree_state(site.root)
        result = site.cli(command)
        assert result.returncode == 0, (command, result.stderr)
        warnings = [line for line in result.stderr.splitlines() if "not published" in line]
        assert sorted(w.split(" (put")[0] for w in warnings) == expected, (command,
                                                                          result.stderr)
        assert "in-code.png" not in result.stderr  # code shows Markdown, it points at nothing
        if command == "check":
            assert tree_state(site.root) == before  # check writes nothing
    # the build published everything all the same
    assert (site.output / WALK / "index.html").is_file()
    assert (site.output / WALK / "cover.png").read_bytes() == png(*COVER_SIZE)
    titles = [e.title for e in feedparser.parse((site.output / "feed.xml").read_bytes()).entries]
    assert titles == ["Plain & simple", "A photo walk"]


def test_a_build_shows_twenty_warnings_and_counts_the_rest(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    gone = "".join(f"![Gone {n}](gone-{n:02}.png)\n\n" for n in range(25))
    plain = site.posts / "plain.md"
    plain.write_text(PLAIN + "\n" + gone, encoding="utf-8")

    def shown(*args: str) -> list[str]:
        result = site.cli(*args)
        assert result.returncode == 0, result.stderr
        return [line for line in result.stderr.splitlines() if line.startswith("warning:")]

    def named(lines: list[str]) -> list[str]:
        return sorted(set(re.findall(r"gone-\d+", "\n".join(lines))))

    first = shown("build")
    assert len(first) == 21 and named(first[:20]) == [f"gone-{n:02}" for n in range(20)]
    assert first[20] == "warning: 5 more warnings not shown (feedpub check lists them all)"
    assert shown("build") == first  # the no-change build says the same
    everything = [f"gone-{n:02}" for n in range(25)]
    assert named(shown("check")) == everything
    plain.write_text(plain.read_text(encoding="utf-8") + "Edited.\n", encoding="utf-8")
    assert named(verbose := shown("-v", "build")) == everything and len(verbose) == 25


def test_an_image_field_that_is_not_there_is_a_warning_and_no_enclosure(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    (site.posts / "photo-walk/index.md").write_text(
        PHOTO_WALK.replace("image: cover.png", "image: cover.jpg"), encoding="utf-8")
    for command in ("check", "build"):
        result = site.cli(command)
        assert result.returncode == 0, result.stderr
        assert "warning: posts/photo-walk/index.md:" in result.stderr
        assert f"image: 'cover.jpg' points at {WALK}cover.jpg, which is not published" \
            in result.stderr, (command, result.stderr)
    assert feedparser.parse((site.output / "feed.xml").read_bytes()).entries[1].enclosures == []


def test_the_warning_stays_on_a_build_that_does_not_render_the_post_again(
        tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    (site.posts / "photo-walk/index.md").write_text(
        PHOTO_WALK + "\n![The summit](summit.jpg)\n", encoding="utf-8")
    age(site)
    first = [p.message for p in build_in_process(site).problems]
    assert len(first) == 1 and "summit.jpg" in first[0]
    (site.posts / "plain.md").write_text(PLAIN + "\nEdited.\n", encoding="utf-8")
    os.utime(site.posts / "plain.md", (OLD + 10, OLD + 10))
    assert [p.message for p in build_in_process(site).problems] == first
    (site.root / "static/css/extra.css").unlink()  # the plain post links to it
    problems = [p.message for p in build_in_process(site).problems]
    assert any("css/extra.css" in m for m in problems), problems


def test_a_root_relative_link_that_leaves_the_sites_path_is_a_warning(tmp_path: Path) -> None:
    # /logo.png on a page of https://example.org/blog/ is https://example.org/logo.png,
    # outside the site: the static folder's logo is /blog/logo.png
    site = walk_site(tmp_path / "site")
    plain = site.posts / "plain.md"
    plain.write_text(PLAIN + "\nOld logo: ![Old](/logo.png), elsewhere: ![x](/other/x.png)\n",
                     encoding="utf-8")
    (site.posts / "photo-walk/index.md").write_text(
        PHOTO_WALK.replace("image: cover.png", "image: /posts/photo-walk/cover.png"),
        encoding="utf-8")
    for command in ("check", "build"):
        result = site.cli(command)
        assert result.returncode == 0, result.stderr
        warnings = sorted(line for line in result.stderr.splitlines()
                          if line.startswith("warning: po"))
        assert warnings == [
            "warning: posts/photo-walk/index.md:1: image: '/posts/photo-walk/cover.png' points "
            f"at https://example.org/posts/photo-walk/cover.png, outside the site ({BLOG}): "
            "its posts/photo-walk/cover.png is /blog/posts/photo-walk/cover.png",
            f"warning: posts/plain.md:{line_of(plain, 'Old logo')}: '/logo.png' points at "
            f"https://example.org/logo.png, outside the site ({BLOG}): its logo.png is "
            "/blog/logo.png"], (command, result.stderr)


def test_a_file_whose_path_the_build_makes_is_an_error_and_the_generated_file_stays(
        tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    static = site.root / "static"
    (static / "index.html").write_text("<p>my own home page</p>\n", encoding="utf-8")
    (static / "feed.xml").write_text("<rss>mine</rss>\n", encoding="utf-8")
    (static / WALK).mkdir(parents=True)
    (static / WALK / "cover.png").write_bytes(png(8, 8))  # a post folder's file's path
    result = site.cli("build")
    assert result.returncode == 1, result.stderr
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert errors == [
        "error: posts/photo-walk/cover.png:1: would be published as posts/photo-walk/cover.png, "
        "the path of static/posts/photo-walk/cover.png: not published (rename one of them)",
        "error: static/feed.xml:1: would be published as feed.xml, the path of a file the "
        "build makes: not published (rename one of them)",
        "error: static/index.html:1: would be published as index.html, the path of a file the "
        "build makes: not published (rename one of them)",
    ]
    feed = feedparser.parse((site.output / "feed.xml").read_bytes())
    assert not feed.bozo and [e.title for e in feed.entries] == ["Plain & simple",
                                                                "A photo walk"]
    home = (site.output / "index.html").read_text(encoding="utf-8")
    assert "my own home page" not in home and "Walks &amp; &lt;Notes&gt;" in home
    assert (site.output / WALK / "cover.png").read_bytes() == png(8, 8)  # the first keeps it
    # a second build: the same errors, the same files
    before = files_state(site.output)
    again = site.cli("build")
    assert again.returncode == 1
    assert sorted(line for line in again.stderr.splitlines() if line.startswith("error:")) \
        == errors
    assert files_state(site.output) == before
    # removing the static files gives the paths back to their owners
    shutil.rmtree(static / "posts")
    (static / "index.html").unlink()
    (static / "feed.xml").unlink()
    assert site.cli("build").returncode == 0
    assert (site.output / WALK / "cover.png").read_bytes() == png(*COVER_SIZE)


def test_check_reports_a_file_whose_path_the_build_makes(tmp_path: Path) -> None:
    site = walk_site(tmp_path / "site")
    (site.root / "static" / "feed.xml").write_text("<rss>mine</rss>\n", encoding="utf-8")
    result = site.cli("check")
    assert "error: static/feed.xml:1: would be published as feed.xml" in result.stderr
    assert result.returncode == 1



def test_a_file_saved_seconds_ago_is_compared_and_its_folder_left_alone(tmp_path: Path) -> None:
    # Found by tests/test_incremental_property.py: a file too new for its key to be
    # trusted was copied to a temp file beside the target and that deleted, which moved
    # the folder's mtime on a build that changed nothing.
    site = walk_site(tmp_path / "site")
    age(site)
    os.utime(site.root / "static/css/extra.css")  # now: within the racy window
    build_in_process(site)
    before = tree_state(site.output)
    (site.root / "feedpub.toml").write_text(  # something to build, nothing to write
        (site.root / "feedpub.toml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = build_in_process(site)
    assert report.written == () and tree_state(site.output) == before
