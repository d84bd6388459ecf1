"""Whole posts in the digest: `[digest] content` and a post's `digest: full|summary`, images
(sized, with alt, never wider than a phone), the hero image, the plain-text part, the
102 KB budget (the oldest whole posts become summaries first), valid HTML, and a real
browser at 375 px.

The posts are tests/fixtures/digest/; their images are PNGs drawn here, put where the
site serves them (static/images/, and output/images/ as a build that copies static
files leaves them).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import struct
import zlib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import html5lib
import pytest

from feedpub.digest.email import SIZE_LIMIT
from feedpub.digest.make import DigestResult
from feedpub.digest.plan import DigestRequest
from feedpub.posts.frontmatter import load_post
from tests.conftest import FIXTURES, NOW, Site, make_corpus, make_digest

POSTS = FIXTURES / "digest"
BLOG = "https://example.org/blog/"
IMAGES = {"harbour.png": (960, 540, 0.7), "boats.png": (1200, 750, 0.25),
          "gull.png": (200, 120, 0.5)}


def png(width: int, height: int, sun: float = 0.7) -> bytes:
    """A harbour at dawn, drawn: sky, sun (`sun` of the way across), hills, water; a real
    PNG, as a camera's is."""
    ridge = [height * (0.55 + 0.08 * math.sin(x / width * 7 + sun * 9)
                       + 0.04 * math.sin(x / width * 23)) for x in range(width)]
    hill = [bytes((50, 70 + int(30 * math.sin(x / 37)), 60)) for x in range(width)]
    sun_x, sun_y, sun_r = width * sun, height * 0.35, height * 0.09
    rows = []
    for y in range(height):
        t = y / height
        if y > height * 0.72:  # water, with the sun's reflection on every few lines
            row = bytearray(bytes((int(40 + 50 * (1 - t)), int(70 + 40 * (1 - t)),
                                   int(110 + 40 * (1 - t)))) * width)
            half = int(sun_r * (1.5 + (y % 7) / 3)) if y % 5 else 0
            span = range(max(0, int(sun_x) - half), min(width, int(sun_x) + half))
            row[span.start * 3:span.stop * 3] = bytes((235, 215, 170)) * len(span)
        else:
            sky = bytes((int(250 - 90 * t), int(190 - 60 * t), int(150 + 60 * t)))
            row = bytearray(b"".join(hill[x] if y > ridge[x] else sky for x in range(width)))
            if abs(y - sun_y) < sun_r:
                half = int(math.sqrt(sun_r ** 2 - (y - sun_y) ** 2))
                span = range(int(sun_x) - half, int(sun_x) + half)
                row[span.start * 3:span.stop * 3] = bytes((255, 236, 170)) * len(span)
        rows.append(b"\0" + bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


_DRAWN: dict[tuple[int, int, float], bytes] = {}


def put_images(site: Site) -> None:
    """The posts' images where the site serves them: static/images/ (copied by the build)
    and output/images/ (where the digest, run after the build, finds them)."""
    for name, drawing in IMAGES.items():
        data = _DRAWN.get(drawing) or _DRAWN.setdefault(drawing, png(*drawing))
        for folder in (site.root / "static" / "images", site.output / "images"):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)


def content_site(site: Site, content: str | None, digest: str = "") -> Site:
    """The fixture posts and their images, `[digest] content` set to `content`."""
    setting = f'content = "{content}"' if content else ""
    site.write_config(f"""
        [site]
        title = "Harbour Notes"
        url = "{BLOG}"
        description = "Photos and code, by email"
        timezone = "Europe/Berlin"
        [digest]
        unsubscribe = "https://example.org/unsubscribe"
        {setting}
        {digest}
    """)
    for post in sorted(POSTS.glob("*.md")):
        shutil.copy(post, site.posts / post.name)
    put_images(site)
    return site


def digest(site: Site, request: DigestRequest | None = None) -> tuple[DigestResult, Path]:
    result = make_digest(site.config(), NOW, request)
    assert result.digest_id, result.skipped_reason
    return result, site.output / "digests" / result.digest_id


def parse(path: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    assert not message.defects and not any(p.defects for p in message.iter_parts())
    return message


def parts(folder: Path) -> tuple[str, str]:
    """The .eml's HTML and text parts."""
    message = parse(folder / "digest.eml")
    html_body, text_body = message.get_body(("html",)), message.get_body(("plain",))
    assert html_body is not None and text_body is not None
    return (str(html_body.get_content()).replace("\r\n", "\n"),
            str(text_body.get_content()).replace("\r\n", "\n"))


def post_cells(document: str) -> list[Any]:
    """The digest's post cells (<td class="post ...">), in order, as html5lib elements."""
    tree = html5lib.parse(document, namespaceHTMLElements=False)
    return [td for td in tree.iter("td") if "post" in td.get("class", "").split()]


def title_of(cell: Any) -> str:
    title = cell.find(".//h2")
    assert title is not None
    return "".join(title.itertext())


def shown(document: str) -> dict[str, str]:
    """Each post's title -> "full" or "summary", as the HTML part shows it."""
    return {title_of(cell): "full" if "Open on the site" in "".join(cell.itertext())
            else "summary" for cell in post_cells(document)}


def sections(text: str) -> dict[str, str]:
    """Each post's title -> its part of the plain text."""
    pieces = re.split(r"^\d+\. (.+) \[\d+\]$", text, flags=re.MULTILINE)
    return dict(zip(pieces[1::2], pieces[2::2], strict=True))


def links(text: str) -> dict[int, str]:
    return {int(n): url for n, url in re.findall(r"^\[(\d+)\] (\S+)$", text, re.MULTILINE)}


def images(document: str) -> list[dict[str, str]]:
    """Every <img> of the document's body, its attributes as html5lib reads them."""
    tree = html5lib.parse(document, namespaceHTMLElements=False)
    return [dict(img.attrib) for img in tree.iter("img")]


PHOTO = "A photo walk along the harbour"
CODE = "Code, tables and footnotes in an email"
DEFAULT = "A post that follows the site's setting"
SUMMARY = "A post that asks for its summary only"


@pytest.mark.parametrize("content, expected", [
    (None, {PHOTO: "full", CODE: "full", DEFAULT: "summary", SUMMARY: "summary"}),
    ("summary", {PHOTO: "full", CODE: "full", DEFAULT: "summary", SUMMARY: "summary"}),
    ("full", {PHOTO: "full", CODE: "full", DEFAULT: "full", SUMMARY: "summary"}),
])
def test_site_setting_and_each_posts_own_choice(site: Site, content: str | None,
                                                expected: dict[str, str]) -> None:
    _, folder = digest(content_site(site, content))
    document, text = parts(folder)
    assert shown(document) == expected
    web = (folder / "index.html").read_text(encoding="utf-8")
    assert shown(web) == expected
    second = "The second paragraph of the default post"
    assert (second in document) == (expected[DEFAULT] == "full")
    assert (second in text) == (expected[DEFAULT] == "full")
    assert "The second paragraph of the summary post" not in document + text
    assert "The first paragraph of the summary post" in document
    told = sections(text)
    assert "On the site: [" in told[PHOTO] and "Read more: [" in told[SUMMARY]


@pytest.mark.parametrize("value, content", [
    ("full", "full"), ("Summary", "summary"), ("true", None), ("yes", None), ("'full'", "full"),
])
def test_digest_key_takes_a_bool_or_a_content(tmp_path: Path, value: str,
                                              content: str | None) -> None:
    path = tmp_path / "p.md"
    path.write_text(f"---\ntitle: T\ndate: 2026-11-20\ndigest: {value}\n---\nBody.\n")
    post = load_post(path, "posts/p.md", ZoneInfo("UTC"))
    assert not isinstance(post, list), post
    assert post.digest is True and post.digest_content == content


def test_digest_false_still_keeps_a_post_out(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text("---\ntitle: T\ndate: 2026-11-20\ndigest: no\n---\nBody.\n")
    post = load_post(path, "posts/p.md", ZoneInfo("UTC"))
    assert not isinstance(post, list) and post.digest is False and post.digest_content is None


def test_a_bad_digest_value_names_file_line_and_field(site: Site) -> None:
    site.post("bad.md", "title: Bad digest\ndate: 2026-11-20\ntags: [x]\ndigest: whole")
    result = site.cli("check")
    assert result.returncode != 0
    assert "posts/bad.md:5: digest: 'whole' is not true, false, full or summary (write " \
        "digest: false" in result.stdout + result.stderr


def test_images_have_absolute_src_an_alt_and_fit_the_column(site: Site) -> None:
    _, folder = digest(content_site(site, "full"))
    document, _ = parts(folder)
    found = {img["src"]: img for img in images(document)}
    base = BLOG + "images/"
    hero, boats, gull = found[base + "harbour.png"], found[base + "boats.png"], \
        found[base + "gull.png"]
    heron = found["https://images.example.net/heron.jpg"]
    assert all(src.startswith("https://") for src in found)
    assert all("alt" in img for img in found.values())
    # Scaled down to the 536 px column, proportions kept; a small one as it is.
    assert (hero["width"], hero["height"], hero["alt"]) == ("536", "302", PHOTO)
    assert (boats["width"], boats["height"], boats["alt"]) == ("536", "335",
                                                               "Boats at their moorings")
    assert (gull["width"], gull["height"], gull["alt"]) == ("200", "120", "A gull")
    # An image elsewhere: no size to give, an empty alt where its author gave none.
    assert heron["alt"] == "" and "width" not in heron
    for img in found.values():
        style = img["style"].replace(" ", "")
        assert "max-width:100%" in style and "height:auto" in style


def heroes(document: str) -> dict[str, dict[str, str]]:
    """Each post's title -> the attributes of the image above it (the cell's first thing)."""
    found = {}
    for cell in post_cells(document):
        first = cell[0]
        if first.tag == "a" and len(first) and first[0].get("class") == "hero":
            found[title_of(cell)] = dict(first[0].attrib)
    return found


def test_the_hero_image_tops_its_post_in_either_content(site: Site) -> None:
    content_site(site, "summary")
    site.post("cover.md", "title: Cover & <story>\ndate: 2026-11-18\nimage: cover.jpg")
    _, folder = digest(site)
    document, text = parts(folder)
    found = heroes(document)
    assert set(found) == {PHOTO, "Cover & <story>"}  # a whole post and a summary
    assert found["Cover & <story>"]["src"] == BLOG + "posts/cover/cover.jpg"
    assert found["Cover & <story>"]["alt"] == "Cover & <story>"
    assert "width" not in found["Cover & <story>"]  # not a file the site has
    assert found[PHOTO]["src"] == BLOG + "images/harbour.png"
    ref = re.search(r"\[image: Cover & <story>\] \[(\d+)\]", sections(text)["Cover & <story>"])
    assert ref and links(text)[int(ref.group(1))] == BLOG + "posts/cover/cover.jpg"


def test_the_hero_image_is_not_shown_twice(site: Site) -> None:
    content_site(site, "full")
    site.post("twice.md", "title: Twice\ndate: 2026-11-18\nimage: ../../images/gull.png",
              "![The same gull](../../images/gull.png)\n")
    _, folder = digest(site)
    document, _ = parts(folder)
    assert document.count(BLOG + "images/gull.png") == 2  # the photo walk's, and this one


def test_ids_stay_unique_across_posts(site: Site) -> None:
    _, folder = digest(content_site(site, "full"))
    document, _ = parts(folder)
    ids = re.findall(r'\sid="([^"]*)"', document)
    assert len(ids) == len(set(ids)), ids
    assert {"p1-notes", "p2-notes"} <= set(ids)  # `## Notes {#notes}` in both posts


def test_code_and_tables_wrap_or_scroll(site: Site) -> None:
    _, folder = digest(content_site(site, "full"))
    document, _ = parts(folder)
    pre = re.search(r"<pre ([^>]*)>", document)
    assert pre and "white-space: pre-wrap" in pre.group(1)
    wrapper = re.search(r'<div class="wide" style="([^"]*)"><table', document)
    assert wrapper and "overflow-x: auto" in wrapper.group(1)


def test_text_part_of_a_whole_post(site: Site) -> None:
    _, folder = digest(content_site(site, "summary"))
    _, text = parts(folder)
    told, numbers = sections(text), links(text)
    photo = told[PHOTO]
    assert "The fog lifted at eight, and the harbour came out of it one mast at a" in photo
    image = re.search(r"\[image: Boats at their moorings\] \[(\d+)\]", photo)
    assert image and numbers[int(image.group(1))] == BLOG + "images/boats.png"
    hero = re.search(r"\[image: A photo walk along the harbour\] \[(\d+)\]", photo)
    assert hero and numbers[int(hero.group(1))] == BLOG + "images/harbour.png"
    camera = re.search(r"borrowed camera \[(\d+)\]", photo)
    assert camera and numbers[int(camera.group(1))] == "https://example.net/camera"
    assert "[image] [" in photo  # the heron, which has no alt
    code = told[CODE]
    assert "       return \"a string literal that is much longer" in code  # as written
    assert "Column one | Column two" in code and "   > A quote, which wraps" in code
    assert "<" not in text


def long_post(site: Site, n: int, day: dt.datetime) -> None:
    """A long post (about 5 KB of text), dated `day`."""
    paragraph = " ".join(f"word{(n * 7 + i) % 97} and more" for i in range(30))
    body = "\n\n".join(f"Paragraph {k} of post {n}: {paragraph}" for k in range(10))
    site.post(f"long-{n:02}.md", f"title: Long post {n:02}\ndate: {day.isoformat()}", body)


def test_a_long_digest_cuts_the_oldest_whole_posts_to_summaries_first(site: Site) -> None:
    site.write_config(f"""
        [site]
        title = "Long"
        url = "{BLOG}"
        [digest]
        content = "full"
        max_posts = 40
    """)
    count = 30
    for n in range(count):
        long_post(site, n, dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=n))
    result, folder = digest(site, DigestRequest(latest=count))
    eml = (folder / "digest.eml").read_bytes()
    assert result.size_bytes == len(eml) <= SIZE_LIMIT
    document, text = parts(folder)
    kinds = shown(document)
    assert len(kinds) == count
    cut = [t for t, k in kinds.items() if k == "summary"]
    kept = [t for t, k in kinds.items() if k == "full"]
    assert cut and kept  # some whole posts fit, the others were cut
    assert max(cut) < min(kept), "the oldest are cut first"  # titles sort by date here
    assert result.shortened == (f"{len(cut)} posts cut to a summary, the oldest first: "
                                "the full digest would pass 102 KB, where Gmail clips")
    assert f"({result.shortened})" in result.message
    assert sum(1 for part in sections(text).values() if "On the site:" in part) == len(kept)


def test_summaries_get_shorter_once_every_whole_post_is_cut(site: Site) -> None:
    site.write_config(f"""
        [site]
        title = "Longer"
        url = "{BLOG}"
        [digest]
        content = "full"
        max_posts = 60
    """)
    summary = "Words and more words " * 60
    for n in range(60):
        site.post(f"p{n:02}.md", f"title: Post {n:02}\ndate: 2026-11-2{n % 3}\n"
                  f"summary: '{summary}'", f"{summary}\n\n{summary}\n")
    result, folder = digest(site, DigestRequest(latest=60))
    assert (folder / "digest.eml").stat().st_size <= SIZE_LIMIT
    assert result.shortened == ("every post cut to a summary, and shortened excerpts: the "
                                "full digest would pass 102 KB, where Gmail clips")
    parse(folder / "digest.eml")


def test_a_whole_post_digest_passes_the_nu_html_checker(tmp_path: Path) -> None:
    from tests.test_html_validity import assert_valid, eml_html_parts, vnu_command

    vnu = vnu_command()
    site = Site(tmp_path / "site")
    site.posts.mkdir(parents=True)
    content_site(site, "full")
    site.post("cover.md", "title: Cover\ndate: 2026-11-18\nimage: cover.jpg")
    _, folder = digest(site)
    emails = eml_html_parts(site.output / "digests", tmp_path / "extracted")
    assert_valid(vnu, [*emails, folder / "index.html"], tmp_path)


# --- In a real browser -----------------------------------------------------------------

def photo_digest(site: Site) -> Path:
    """A whole-post digest of a 60-post corpus's 20 newest posts, the photo walk and the
    code post on top; its HTML part as a file."""
    make_corpus(site.posts, 60)
    content_site(site, "full")
    for name in ("default-post.md", "summary-post.md"):
        (site.posts / name).unlink()
    result, folder = digest(site, DigestRequest(latest=22))
    assert len(result.posts) == 22 and result.posts[:2] == (PHOTO, CODE)
    document, _ = parts(folder)
    page = site.root / "email.html"
    page.write_text(document, encoding="utf-8")
    return page


@pytest.mark.slow
@pytest.mark.parametrize("width, scheme", [(375, "light"), (600, "light"), (375, "dark")])
def test_whole_posts_with_images_never_scroll_sideways_in_chromium(
        site: Site, tmp_path: Path, width: int, scheme: str) -> None:
    from tests.test_digest_delivery import CHROMIUM, SHOTS, chromium, framed

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium; .ci/run "
                    "does): no screenshot test")
    # The images as a mail app that loads them shows them: the site's from its files, the
    # one from elsewhere drawn here too.
    elsewhere = tmp_path / "heron.jpg"
    elsewhere.write_bytes(png(640, 400, 0.4))
    document = photo_digest(site).read_text(encoding="utf-8").replace(
        BLOG + "images/", (site.output / "images").as_uri() + "/").replace(
        "https://images.example.net/heron.jpg", elsewhere.as_uri())
    dark = ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"] \
        if scheme == "dark" else []
    page = tmp_path / f"digest-{width}.html"
    page.write_text(framed(document, width), encoding="utf-8")
    dom = chromium(*dark, "--virtual-time-budget=5000", f"--window-size={width},3000",
                   "--dump-dom", page.as_uri(), profile=tmp_path / "profile").stdout
    probe = re.search(r'data-probe="(\d+)/(\d+)"', dom)
    assert probe, "the probe script did not run"
    scroll_width, viewport = int(probe.group(1)), int(probe.group(2))
    assert viewport == width and scroll_width <= viewport
    name = f"digest-{width}{'-dark' if scheme == 'dark' else ''}.png"
    shot = tmp_path / name
    chromium(*dark, f"--window-size={width},2400", f"--screenshot={shot}", page.as_uri(),
             profile=tmp_path / "profile")
    assert shot.stat().st_size > 20_000  # a real rendering, not a blank page
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(SHOTS) / name)
