"""The site as readers and crawlers meet it: every link between pages resolves wherever the
site lives (here under a path, https://example.org/blog/), posts link to their neighbours
in the newest-first order, the subscribe page lists every feed, sitemap.xml lists every
page with its lastmod, robots.txt points at it, and the feeds' browser view reads well."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from feedpub.digest.plan import DigestRequest
from feedpub.feeds.sitemap import NAMESPACE
from feedpub.templating import local_links, reading_minutes, url_path, without_title
from tests.conftest import (
    NOW,
    REPO,
    Site,
    build_in_process,
    feed_files,
    make_digest,
    tree_bytes,
    tree_state,
)

BLOG = "https://example.org/blog/"
BASE = "/blog/"
LONG = " ".join(["word"] * 1100)  # 5 minutes at 220 words a minute
POSTS = {  # file: (front matter, body); dates in Europe/Berlin
    "alpha.md": ("title: Alpha & <Co>\ndate: 2026-01-05 09:00\ntags: [python, Web]",
                 "See [beta](../beta/), [home](../../) and [gamma]"
                 f"({BLOG}posts/gamma/).[^1]\n\n[^1]: A footnote.\n"),
    "beta.md": ("title: Beta\ndate: 2026-02-10\ntags: [python]\nupdated: 2026-03-01",
                "Back to [alpha](../alpha/#fn-alpha-1). Elsewhere: <https://example.com/x>.\n"),
    "gamma.md": ("title: Gamma\ndate: 2026-02-10 18:30\ntags: [rust]", LONG + "\n"),
    "delta.md": ("title: Delta\ndate: 2026-03-15", "# Delta\n\nOpens with its own title.\n"),
    "epsilon.md": ("title: Epsilon\ndate: 2026-04-01\ntags: [Web, rust]", "Hello.\n"),
    "draft.md": ("title: Draft\ndate: 2026-01-01\ndraft: true\ntags: [secret]", "Hidden.\n"),
    "later.md": ("title: Later\ndate: 2099-01-01\ntags: [future]", "Not yet.\n"),
}
NEWEST_FIRST = ["epsilon", "delta", "gamma", "beta", "alpha"]


def blog(root: Path, extra: str = "") -> Site:
    """A site under https://example.org/blog/ with POSTS."""
    site = Site(root)
    site.posts.mkdir(parents=True)
    site.write_config(textwrap.dedent(f"""\
        [site]
        title = "Notes & <Things>"
        url = "{BLOG}"
        description = "A blog under a path"
        timezone = "Europe/Berlin"
        """) + textwrap.dedent(extra))
    for name, (front, body) in POSTS.items():
        site.post(name, front, body)
    return site


class Links(HTMLParser):
    """Every (tag, attribute, value) of an href or src in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value) for name, value in attrs
                       if name in ("href", "src") and value]


def links(page: Path) -> list[tuple[str, str, str]]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def served(output: Path, path: str) -> Path | None:
    """The file a static server serving output/ under BASE answers `path` with."""
    rest = unquote(path[len(BASE):])
    if rest == "" or rest.endswith("/"):
        rest += "index.html"
    file = output / rest
    return file if ".." not in rest.split("/") and file.is_file() else None


def crawl(output: Path) -> tuple[set[Path], list[str]]:
    """Follow every href and src under BASE from the home page, as a browser on a static
    server would: the files reached, and each link that found none ('page -> link')."""
    reached: set[Path] = set()
    misses: list[str] = []
    todo, seen = [(BASE, "start")], set()
    while todo:
        path, referrer = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        file = served(output, path)
        if file is None:
            misses.append(f"{referrer} -> {path}")
            continue
        reached.add(file)
        if file.suffix != ".html":
            continue
        for _, _, value in links(file):
            target = urlsplit(urljoin(path, value))
            if not target.scheme and target.path.startswith(BASE):
                todo.append((target.path, path))
    return reached, misses


def pages_of(output: Path) -> set[Path]:
    """Every page the build writes (digests are `feedpub digest`'s)."""
    return {p for p in output.rglob("*.html") if p.relative_to(output).parts[0] != "digests"}


def page_url(output: Path, page: Path) -> str:
    return BLOG + page.relative_to(output).as_posix().removesuffix("index.html")


def test_every_link_between_pages_resolves_under_the_site_path(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    reached, misses = crawl(site.output)
    assert misses == []
    assert pages_of(site.output) <= reached  # every page can be reached from the home page
    assert set(feed_files(site.output)) <= reached  # and every feed
    for page in pages_of(site.output):
        # page to page: root-relative, never the production URL (only <link>s may be)
        absolute = [v for tag, _, v in links(page) if tag != "link" and v.startswith(BLOG)]
        assert absolute == [], page
        assert f'href="{BASE}digests/"' not in page.read_text(encoding="utf-8")  # no email
    alpha = (site.output / "posts/alpha/index.html").read_text(encoding="utf-8")
    assert f'href="{BASE}posts/gamma/"' in alpha
    assert f'href="{BASE}posts/alpha/#fn-alpha-1"' in alpha
    assert f'<link rel="canonical" href="{BLOG}posts/alpha/">' in alpha
    assert "Draft" not in alpha and "Later" not in alpha


def test_with_email_the_pages_link_past_digests_and_every_link_resolves(tmp_path: Path) -> None:
    site = blog(tmp_path / "site", """
        [smtp]
        host = "smtp.example.org"
        """)
    assert make_digest(site.config(), NOW, DigestRequest(latest=3)).digest_id
    reached, misses = crawl(site.output)
    assert misses == []
    assert site.output / "digests/index.html" in reached
    index = (site.output / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{BASE}digests/">Past digests</a>' in index
    subscribe = (site.output / "subscribe/index.html").read_text(encoding="utf-8")
    assert subscribe.count('<form class="subscribe-form" method="post" '
                           f'action="{BLOG}subscribe/">') == 1


def neighbours(page: Path) -> tuple[str | None, str | None]:
    """The slugs a post page's rel=prev and rel=next links go to."""
    found: dict[str, str] = {}
    text = page.read_text(encoding="utf-8")
    for rel in ("prev", "next"):
        hrefs = set(re.findall(rf'rel="{rel}" href="{BASE}posts/([^/"]+)/"', text))
        assert len(hrefs) <= 1, (page, rel, hrefs)  # the <link> and the <a> agree
        if hrefs:
            found[rel] = hrefs.pop()
    return found.get("prev"), found.get("next")


def test_previous_and_next_follow_the_newest_first_order(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    index = (site.output / "index.html").read_text(encoding="utf-8")
    listed = re.findall(rf'<h2><a href="{BASE}posts/([^/"]+)/">', index)
    assert listed == NEWEST_FIRST  # the index's order: newest first
    for n, slug in enumerate(NEWEST_FIRST):
        newer = NEWEST_FIRST[n - 1] if n else None
        older = NEWEST_FIRST[n + 1] if n + 1 < len(NEWEST_FIRST) else None
        assert neighbours(site.output / "posts" / slug / "index.html") == (newer, older), slug
    gamma = (site.output / "posts/gamma/index.html").read_text(encoding="utf-8")
    assert "<span>Newer →</span> <b class=\"title\">Delta</b>" in gamma
    assert "<span>← Older</span> <b class=\"title\">Beta</b>" in gamma


def test_a_retitle_rewrites_the_neighbours_pages_as_a_build_from_scratch_would(
        tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    before = tree_state(site.output)
    site.post("gamma.md", "title: Gamma, retitled\ndate: 2026-02-10 18:30\ntags: [rust]",
              LONG + "\n")
    build_in_process(site)
    after = tree_state(site.output)
    changed = {p for p in after if after[p] != before.get(p)}
    assert {"posts/gamma/index.html", "posts/beta/index.html", "posts/delta/index.html"} <= changed
    assert not {"posts/alpha/index.html", "posts/epsilon/index.html"} & changed
    scratch = Site(tmp_path / "scratch")
    shutil.copytree(site.posts, scratch.posts)
    shutil.copy(site.root / "feedpub.toml", scratch.root)
    shutil.copytree(site.root / ".feedpub", scratch.root / ".feedpub",  # the same ids
                    ignore=shutil.ignore_patterns("cache.sqlite*", "posts.pickle"))
    build_in_process(scratch)
    assert tree_bytes(site.output) == tree_bytes(scratch.output)


def test_reading_time() -> None:
    assert reading_minutes("") == 1
    assert reading_minutes(f"<p>{LONG}</p>") == 5
    assert reading_minutes("<p>" + "a <b>b</b> c<br>" * 110 + "</p>") == 2  # 330 words
    assert reading_minutes("<p>" + "日本語の文章" * 200 + "</p>") == 3  # 1200 characters
    assert reading_minutes('<p><a href="https://x.example/long/url">one</a></p>') == 1


def test_post_pages_show_date_reading_time_tags_and_no_repeated_title(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    gamma = (site.output / "posts/gamma/index.html").read_text(encoding="utf-8")
    assert '<time datetime="2026-02-10T18:30:00+01:00">10 Feb 2026</time>' in gamma
    assert "· 5 min read" in gamma
    assert f'<a href="{BASE}tags/rust/">rust</a>' in gamma
    beta = (site.output / "posts/beta/index.html").read_text(encoding="utf-8")
    assert 'updated <time datetime="2026-03-01T00:00:00+01:00">1 Mar 2026</time>' in beta
    delta = (site.output / "posts/delta/index.html").read_text(encoding="utf-8")
    assert delta.count(">Delta</h1>") == 1 and "Opens with its own title" in delta
    assert "<h1>Delta</h1>" in (site.output / "feed.json").read_text(encoding="utf-8")  # kept


def test_the_subscribe_page_lists_every_feed_with_its_address(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    page = (site.output / "subscribe/index.html").read_text(encoding="utf-8")
    feeds = feed_files(site.output)
    assert len(feeds) == 3 * 4  # the site's and python's, web's and rust's
    for feed in feeds:
        address = BLOG + feed.relative_to(site.output).as_posix()
        assert f'readonly spellcheck="false" value="{address}">' in page, address
    assert "<form" not in page  # no [smtp] host: no email form
    assert "<script>" in page and "navigator.clipboard" in page  # optional Copy buttons
    for tag in ("python", "web", "rust"):
        assert f'<details id="tag-{tag}">' in page
    assert "secret" not in page and "future" not in page


def test_tag_pages_link_their_feeds_and_the_tags_page_lists_every_tag(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    web = (site.output / "tags/web/index.html").read_text(encoding="utf-8")
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert f'href="{BASE}tags/web/{name}"' in web
        assert f'href="{BLOG}tags/web/{name}"' in web  # autodiscovery: absolute
    tags = (site.output / "tags/index.html").read_text(encoding="utf-8")
    assert re.findall(rf'<a href="{BASE}tags/([^/"]+)/">', tags) == ["python", "rust", "web"]


def test_the_sitemap_lists_every_page_with_its_lastmod(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    data = (site.output / "sitemap.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = etree.fromstring(data)  # well-formed, or this raises
    assert root.tag == f"{{{NAMESPACE}}}urlset" and len(data) < 50 * 1024 * 1024
    found = {}
    for url in root:
        assert url.tag == f"{{{NAMESPACE}}}url"
        assert [child.tag for child in url] == [f"{{{NAMESPACE}}}loc", f"{{{NAMESPACE}}}lastmod"]
        loc, lastmod = (child.text or "" for child in url)
        assert 12 <= len(loc) <= 2048 and loc.startswith(BLOG) and loc.isascii()
        # W3C Datetime, as xsd:dateTime: with seconds and a zone
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", lastmod)
        assert loc not in found
        found[loc] = dt.datetime.fromisoformat(lastmod)
    assert set(found) == {page_url(site.output, p) for p in pages_of(site.output)}
    assert len(found) <= 50_000
    zone = dt.timedelta(hours=1)
    assert found[BLOG + "posts/beta/"] == dt.datetime(2026, 3, 1, tzinfo=dt.timezone(zone))
    assert found[BLOG + "posts/gamma/"] == dt.datetime(2026, 2, 10, 18, 30,
                                                       tzinfo=dt.timezone(zone))
    assert found[BLOG] == found[BLOG + "posts/epsilon/"] == max(found.values())
    assert found[BLOG + "tags/python/"] == found[BLOG + "posts/beta/"]


def test_robots_txt_points_at_the_sitemap(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    robots = (site.output / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert robots[0] == "User-agent: *"
    assert f"Sitemap: {BLOG}sitemap.xml" in robots


def test_without_pages_there_is_no_page_sitemap_or_robots(tmp_path: Path) -> None:
    site = blog(tmp_path / "site", "[feeds]\nformats = [\"rss\"]\n")
    config = site.root / "feedpub.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[site]\n", "[site]\npages = false\n"), encoding="utf-8")
    build_in_process(site)
    made = set(tree_bytes(site.output))
    assert made == {"feed.xml", "feed.xsl", "tags/python/feed.xml", "tags/rust/feed.xml",
                    "tags/web/feed.xml"}
    assert "subscribe/" not in (site.output / "feed.xsl").read_text(encoding="utf-8")


def test_the_feeds_browser_view_shows_readable_dates_and_local_links(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    build_in_process(site)
    transform = etree.XSLT(etree.parse(str(site.output / "feed.xsl")))
    for name in ("feed.xml", "atom.xml", "tags/rust/feed.xml"):
        view = str(transform(etree.parse(str(site.output / name))))
        assert f'<a href="{BASE}subscribe/">' in view, name
        assert re.search(r'<p class="meta">(1|10) (Apr|Feb) 2026</p>', view), name
        assert f'<a href="{BASE}posts/epsilon/">Epsilon</a>' in view, name
    rss = str(transform(etree.parse(str(site.output / "feed.xml"))))
    dates = re.findall(r'<p class="meta">([^<]*)</p>', rss)
    assert dates == ["1 Apr 2026", "15 Mar 2026", "10 Feb 2026", "10 Feb 2026", "5 Jan 2026"]
    atom = str(transform(etree.parse(str(site.output / "atom.xml"))))
    assert re.findall(r'<p class="meta">([^<]*)</p>', atom)[3] == "1 Mar 2026"  # beta, updated


def test_one_small_file_restyles_every_page(tmp_path: Path) -> None:
    site = blog(tmp_path / "site")
    theme = (REPO / "src/feedpub/templates/site/_theme.html").read_text(encoding="utf-8")
    assert '{% set paper = "#fbfaf7" %}' in theme
    (site.root / "templates/site").mkdir(parents=True)
    (site.root / "templates/site/_theme.html").write_text(
        theme.replace('{% set paper = "#fbfaf7" %}', '{% set paper = "#fff8e7" %}'),
        encoding="utf-8")
    build_in_process(site)
    styled = [p for p in site.output.rglob("*.html")
              if "--paper: #fff8e7;" in p.read_text(encoding="utf-8")]
    assert set(styled) == pages_of(site.output)
    assert "--paper: #fff8e7;" in (site.output / "feed.xsl").read_text(encoding="utf-8")


def test_link_filters() -> None:
    body = ('<p><a href="https://example.org/blog/posts/a/#fn-1">a</a> '
            '<img src="https://example.org/blog/posts/a/i.png" alt="" '
            'srcset="https://example.org/blog/i.png 1x, https://example.org/blog/j.png 2x"> '
            '<a href="https://example.org/other/">o</a> <a href="https://example.com/blog/">x</a>'
            '<code>&lt;a href="https://example.org/blog/"&gt;</code></p>')
    assert local_links(body, BLOG) == (
        '<p><a href="/blog/posts/a/#fn-1">a</a> <img src="/blog/posts/a/i.png" alt="" '
        'srcset="/blog/i.png 1x, /blog/j.png 2x"> <a href="https://example.org/other/">o</a> '
        '<a href="https://example.com/blog/">x</a>'
        '<code>&lt;a href="https://example.org/blog/"&gt;</code></p>')
    assert url_path(BLOG + "posts/a/?q=1#top") == "/blog/posts/a/?q=1#top"
    assert url_path("https://example.org") == "/"
    assert without_title("<h1>A &amp; B</h1>\n<p>x</p>", "A & B") == "<p>x</p>"
    assert without_title("<h1>Other</h1>\n<p>x</p>", "A & B") == "<h1>Other</h1>\n<p>x</p>"
    assert without_title("<p>x</p><h1>A</h1>", "A") == "<p>x</p><h1>A</h1>"


def test_pages_with_the_email_form_are_valid_html(tmp_path: Path) -> None:
    from tests.test_html_validity import assert_valid, vnu_command

    vnu = vnu_command()
    site = blog(tmp_path / "site", """
        [smtp]
        host = "smtp.example.org"
        """)
    build_in_process(site)
    assert_valid(vnu, sorted(pages_of(site.output)), tmp_path)


def test_serve_answers_get_subscribe_with_the_built_page(tmp_path: Path) -> None:
    from tests.test_subscribe_web import asgi

    site = blog(tmp_path / "site")
    site.write_config('[site]\nurl = "http://127.0.0.1:8000/"\n')
    build_in_process(site)
    built = (site.output / "subscribe/index.html").read_text(encoding="utf-8")
    assert asgi(site, "GET", "/subscribe/") == (200, built)


def test_serve_previews_a_site_under_a_path(tmp_path: Path) -> None:
    from tests.test_subscribe_web import asgi

    site = blog(tmp_path / "site")
    build_in_process(site)
    home = (site.output / "index.html").read_text(encoding="utf-8")
    assert asgi(site, "GET", BASE) == (200, home)


def test_with_email_the_past_digests_link_works_before_the_first_digest(tmp_path: Path) -> None:
    site = blog(tmp_path / "site", """
        [smtp]
        host = "smtp.example.org"
        """)
    first = site.cli("build", check=True)
    assert "restored" not in first.stdout  # new, not restored
    assert f'<a href="{BASE}digests/">Past digests</a>' in (
        site.output / "index.html").read_text(encoding="utf-8")
    reached, misses = crawl(site.output)
    assert misses == []
    archive = site.output / "digests/index.html"
    assert archive in reached and "No digest yet." in archive.read_text(encoding="utf-8")
    import feedparser

    parsed = feedparser.parse((site.output / "digests/feed.xml").read_bytes())
    assert not parsed.bozo and parsed.entries == []
    again = site.cli("build", check=True)  # the archive stays: nothing to restore
    assert "restored" not in again.stdout + again.stderr
