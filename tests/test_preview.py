"""The local preview works whatever the production url: output/ served under its path."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Site
from tests.test_digest_content import png
from tests.test_digest_delivery import CHROMIUM, chromium
from tests.test_serve import free_port, request, start, stop, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def blog(site: Site) -> Iterator[int]:
    """A site whose url has a path, built and served by `feedpub serve`."""
    site.write_config('[site]\ntitle = "Blog"\nurl = "https://example.org/blog/"\n')
    site.post("a.md", "title: A\ndate: 2024-01-01\ntags: [x]")
    site.cli("build", check=True)
    with served(site) as port:
        yield port


def test_the_site_is_served_under_the_path_of_its_url(blog: int) -> None:
    status, headers, _ = request(blog, "/")
    assert status == 302 and headers["location"] == "/blog/"
    assert request(blog, "/blog")[0] == 302
    assert request(blog, "/blog/feed.xml")[0] == 200
    assert request(blog, "/blog/posts/a/")[0] == 200
    status, headers, _ = request(blog, "/blog/tags/x")
    assert status == 301 and headers["location"] == "/blog/tags/x/"
    assert request(blog, "/feed.xml")[0] == 404


# --- every page of the preview in a real browser (issue 12) --------------------------------

BLOG = "https://example.org/blog/"
PIC = (64, 40)  # the post folder's picture, px
LOGO = (24, 24)  # the static folder's


def realistic_site(site: Site, newsletter: bool) -> None:
    """A blog under /blog/ as people write one: a dozen posts over two years, several tags
    (one that needs a slug), a post folder with its picture beside it, static files, a draft
    and a scheduled post; with `newsletter`, a mail server set (the subscribe form and the
    digest archive appear)."""
    site.write_config(f"""
        [site]
        title = "Harbour Notes"
        url = "{BLOG}"
        description = "Boats, trains & code"
        timezone = "Europe/Berlin"
        author = {{ name = "Ada", email = "ada@example.org" }}
    """ + ('[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n' if newsletter else ""))
    site.post("pics/index.md", """
        title: A photo walk along the harbour
        date: 2024-03-02 09:30
        tags: [photos, travel]
        image: pic.png
        summary: Boats, gulls and one very patient heron.
        """, "The fog lifted at eight.\n\n![Boats at their moorings](pic.png)\n\n"
        "The [map I walked by](/blog/files/harbour-map.pdf), and [the timetable]"
        "(https://example.org/blog/files/timetable.csv) of the ferry.\n\n"
        "## Notes {#notes}\n\nShot at f/8.[^1]\n\n[^1]: Thanks, Sam.\n")
    site.post("borrowing.md", """
        title: Vec<T> vs &[T] — when to borrow
        date: 2024-02-20 18:00
        tags: [rust, "C++", code]
        """, "A short answer, with `inline_code()`; see [the notes](#notes) and "
        "[the photo walk](../pics/).\n\n```rust\nfn sum(xs: &[i32]) -> i32 { xs.iter().sum() }\n"
        "```\n\n| type | owns |\n|---|---|\n| `Vec<T>` | yes |\n| `&[T]` | no |\n\n"
        "## Notes {#notes}\n\nOne note.[^1]\n\n[^1]: See the [harbour](https://example.org/blog/"
        "posts/pics/#notes).\n")
    site.post("trains.md", """
        title: Night trains, again
        date: 2024-01-15 07:00
        tags: [travel, trains]
        """, "![The logo](/blog/images/logo.png) Back on the night train; "
        "[the timetable](../../files/timetable.csv).\n")
    for n in range(1, 11):  # more than the ten newest: the home page's "Earlier posts"
        site.post(f"note-{n:02}.md", f"""
            title: Note {n} & friends
            date: 2023-{n:02}-0{1 + n % 9} 12:00
            tags: [notes{", code" if n % 3 == 0 else ""}]
            """, f"Note number {n}, after [the previous one](../note-{max(n - 1, 1):02}/).\n")
    site.post("draft.md", "title: Not yet\ndate: 2024-01-02\ndraft: true\ntags: [secret]")
    site.post("later.md", "title: Later\ndate: 2099-01-01\ntags: [future]")
    (site.posts / "pics" / "pic.png").write_bytes(png(*PIC))
    static = site.root / "static"
    (static / "files").mkdir(parents=True)
    (static / "images").mkdir()
    (static / "images" / "logo.png").write_bytes(png(*LOGO, 0.5))
    (static / "files" / "timetable.csv").write_text("dep,arr\n22:10,07:05\n", encoding="utf-8")
    (static / "files" / "harbour-map.pdf").write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
        b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@contextmanager
def served(site: Site) -> Iterator[int]:
    """`feedpub serve` on the built `site`, as a real process; its port."""
    port = free_port()
    proc = start(site, "serve", "--port", str(port))
    try:
        wait_until(lambda: request(port, "/blog/")[0] == 200, 15)
        yield port
    finally:
        stop(proc)


# The crawler: a page in output/ (so served under /blog/, same origin as the site: it can
# read each page's document in its iframe). From the seeds it loads every page of the site
# in the iframe, as a reader's browser does (images, stylesheets, a feed's XSLT), and fetches
# every other file a page, a feed or the sitemap links to. A link to the production URL
# (https://example.org/blog/...: canonical, og:url, the feed addresses to copy) counts as a
# link to the same path of the preview. It writes its findings as JSON into <pre id=report>.
CRAWLER = r"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>crawl</title></head><body>
<iframe id="frame" style="width:1000px;height:800px"></iframe><pre id="progress"></pre>
<script>
"use strict";
const CONFIG = /*CONFIG*/;
const ORIGIN = location.origin, BASE = CONFIG.base, SITE = CONFIG.site;
const PRODUCTION = new RegExp(SITE.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&")
                              + "[^\\s\"'<>&)\\]\\\\]*", "g");
const frame = document.getElementById("frame");
const report = {pages: {}, links: {}, images: [], stylesheets: [], fragments: [],
                redirects: {}, external: [], errors: []};
const queue = [], ids = {};

function load(url) {  // the page at `url` in the frame, with its images and stylesheets
  return new Promise((resolve) => { frame.onload = () => resolve(); frame.src = url; });
}

// A reference found on `from` (`how`: "a href", "text"...): queued when it is this site's.
function refer(raw, baseURI, from, how) {
  let url;
  try {
    url = new URL(raw.trim(), baseURI);
  } catch (e) {
    report.errors.push(from + ": bad URL " + raw);
    return;
  }
  if (url.href.startsWith(SITE)) url = new URL(BASE + url.href.slice(SITE.length), ORIGIN);
  if (url.origin !== ORIGIN) return void report.external.push([from, how, url.href]);
  const key = url.origin + url.pathname + url.search;
  if (url.hash.length > 1) {
    report.fragments.push([from, how, key, decodeURIComponent(url.hash.slice(1))]);
  }
  if (!(key in report.links)) {
    report.links[key] = {referrers: []};
    queue.push(key);
  }
  report.links[key].referrers.push([from, how]);
}

function inText(text, from) {  // production URLs written out: in a feed, a page's source...
  for (const found of text.matchAll(PRODUCTION)) {
    refer(found[0].replace(/[.,;:]+$/, ""), from, from, "text");
  }
}

async function check(url) {  // fetched; a page visited, a feed's stylesheet and view too
  const link = report.links[url];
  const response = await fetch(url);
  const type = response.headers.get("content-type") || "";
  Object.assign(link, {status: response.status, final: new URL(response.url).pathname, type});
  const text = type.startsWith("image/") ? "" : await response.text();
  if (response.status !== 200) return;
  if (type.startsWith("text/html")) return visit(url, text, false);
  if (!/xml|json|text\/plain/.test(type)) return;
  inText(text, url);
  if (!type.includes("xml")) return;
  const xml = new DOMParser().parseFromString(text, "application/xml");
  for (const node of xml.childNodes) {
    if (node.nodeType !== Node.PROCESSING_INSTRUCTION_NODE) continue;
    const href = /href="([^"]*)"/.exec(node.data);
    if (node.target === "xml-stylesheet" && href) {
      refer(href[1], url, url, "xml-stylesheet");
      await visit(url, "", true);
    }
  }
}

async function visit(url, source, xslt) {  // one page in the frame: images, styles, links
  await load(url);
  const doc = frame.contentDocument;  // null if the frame left for another origin
  const page = report.pages[url] = {
    status: report.links[url].status, xslt, title: doc ? doc.title : "",
    location: doc ? frame.contentWindow.location.pathname : "(elsewhere)",
    html: !!doc && !!doc.documentElement && doc.documentElement.localName === "html"
      && !!doc.body,
    images: 0, stylesheets: 0, links: 0};
  if (!page.html) return;
  ids[url] = new Set(Array.from(doc.querySelectorAll("[id], a[name]"), (e) => e.id || e.name));
  for (const img of Array.from(doc.images)) {
    if (!img.complete) {  // a lazy one below the fold: load it now
      img.loading = "eager";
      await new Promise((done) => { img.onload = img.onerror = done; });
    }
    report.images.push({page: url, src: img.getAttribute("src"), alt: img.alt,
                        width: img.naturalWidth, height: img.naturalHeight});
    page.images++;
  }
  for (const el of Array.from(doc.querySelectorAll('link[rel~="stylesheet" i], style'))) {
    const entry = {page: url, what: el.localName === "link" ? el.getAttribute("href") : "style",
                   rules: -1, problem: ""};
    try {
      entry.rules = el.sheet.cssRules.length;  // a link that failed has no sheet
      if (!entry.rules) entry.problem = "no rules";
    } catch (e) {
      entry.problem = "not loaded: " + e;
    }
    report.stylesheets.push(entry);
    page.stylesheets++;
  }
  for (const el of Array.from(doc.querySelectorAll("[href], [src], [srcset], [poster]"))) {
    const how = (attr) => el.localName + " " + attr;
    for (const attr of ["href", "src", "poster"].filter((a) => el.hasAttribute(a))) {
      refer(el.getAttribute(attr), doc.baseURI, url, how(attr));
      page.links++;
    }
    for (const candidate of (el.getAttribute("srcset") || "").split(",")) {
      if (!candidate.trim()) continue;
      refer(candidate.trim().split(/\s+/)[0], doc.baseURI, url, how("srcset"));
      page.links++;
    }
  }
  inText(source, url);
}

async function crawl() {
  for (const path of CONFIG.seeds) refer(path, ORIGIN, "(seed)", "seed");
  while (queue.length) {
    const url = queue.shift();
    document.getElementById("progress").textContent = url + ", " + queue.length + " queued";
    try {
      await check(url);
    } catch (e) {
      report.errors.push(url + ": " + e);
    }
  }
  for (const f of report.fragments) f.push(!(f[2] in ids) || ids[f[2]].has(f[3]));
  for (const path of CONFIG.redirects) {  // where a browser ends when it opens `path`
    await load(ORIGIN + path);
    report.redirects[path] = frame.contentWindow.location.pathname;
  }
}

crawl().catch((e) => report.errors.push("crawler: " + e)).finally(() => {
  const out = document.createElement("pre");
  out.id = "report";
  out.textContent = JSON.stringify(report);
  document.body.append(out);
});
</script></body></html>
"""


def crawl(output: Path, port: int, seeds: list[str], redirects: list[str],
          profile: Path) -> dict[str, Any]:
    """CRAWLER, put in `output` (served on `port`), run by headless Chromium from `seeds`;
    its report, with paths for URLs. `redirects`: paths to open, to see where they end."""
    config = {"base": "/blog/", "site": BLOG, "seeds": seeds, "redirects": redirects}
    (output / "_crawl.html").write_text(CRAWLER.replace("/*CONFIG*/", json.dumps(config)),
                                        encoding="utf-8")
    dom = chromium("--virtual-time-budget=60000", "--window-size=1000,800", "--dump-dom",
                   f"http://127.0.0.1:{port}/blog/_crawl.html", profile=profile).stdout
    found = re.search(r'<pre id="report">(.*?)</pre>', dom, re.DOTALL)
    progress = re.search(r'<pre id="progress">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"the crawler did not finish: {progress and html.unescape(progress.group(1))}"
    report: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    origin = f"http://127.0.0.1:{port}"
    # the report's URLs as paths
    for name in ("pages", "links"):
        report[name] = {url.removeprefix(origin): v for url, v in report[name].items()}
    for entry in report["images"] + report["stylesheets"]:
        entry["page"] = entry["page"].removeprefix(origin)
    report["fragments"] = [(f.removeprefix(origin), how, to.removeprefix(origin), name, ok)
                           for f, how, to, name, ok in report["fragments"]]
    return report


def served_path(output: Path, file: Path) -> str:
    """The URL path the preview serves `file` (under output/) at: a folder's index.html at
    the folder's."""
    name = file.relative_to(output).as_posix()
    return "/blog/" + (name.removesuffix("index.html") if file.name == "index.html" else name)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                    "(apt-get install chromium; .ci/run does): no crawl test")
@pytest.mark.parametrize("newsletter", [False, True], ids=["feeds", "newsletter"])
def test_a_browser_finds_nothing_broken_on_any_page_of_the_preview(
        site: Site, tmp_path: Path, newsletter: bool) -> None:
    realistic_site(site, newsletter)
    site.cli("build", check=True)
    output = site.output
    built = {served_path(output, f) for f in output.rglob("*") if f.is_file()}
    with served(site) as port:
        report = crawl(output, port, seeds=["/blog/", "/blog/robots.txt"],
                       redirects=["/", "/blog", "/blog/tags/travel"], profile=tmp_path / "p")
    assert report["errors"] == []
    broken = {url: (link["status"], link["final"], link["referrers"][:3])
              for url, link in report["links"].items()
              if link["status"] != 200 or not link["final"].startswith("/blog/")}
    assert broken == {}
    offsite = [link for link in report["external"] if "example.org" in link[2]]
    assert offsite == []  # a link to the production host, but not under /blog/
    assert [f for f in report["fragments"] if not f[-1]] == []
    for path, page in report["pages"].items():
        assert (page["status"], page["location"], page["html"]) == (200, path, True), path
    assert [s for s in report["stylesheets"] if s["problem"]] == []
    assert all(page["stylesheets"] for page in report["pages"].values())  # no page unstyled
    assert [i for i in report["images"] if not i["width"]] == []
    loaded = {(i["page"], i["src"]): (i["width"], i["height"]) for i in report["images"]}
    assert loaded[("/blog/posts/pics/", "/blog/posts/pics/pic.png")] == PIC
    assert loaded[("/blog/posts/trains/", "/blog/images/logo.png")] == LOGO
    # nothing was left out: every page the build wrote was visited, every feed's browser
    # view too (it loads feed.xsl and shows a page), and every other file it wrote checked
    assert {p for p, page in report["pages"].items() if not page["xslt"]} == {
        p for p in built if p.endswith(("/", ".html"))}
    assert {p for p, page in report["pages"].items() if page["xslt"]} == {
        p for p in built if p.endswith(("/feed.xml", "/atom.xml"))
        and b"<?xml-stylesheet" in (output / p.removeprefix("/blog/")).read_bytes()}
    assert set(report["links"]) == built
    assert report["redirects"] == {"/": "/blog/", "/blog": "/blog/",
                                   "/blog/tags/travel": "/blog/tags/travel/"}
    views = sum(page["xslt"] for page in report["pages"].values())
    print(f"crawled {len(report['pages'])} pages ({views} of them feed views), "
          f"{len(report['links'])} URLs from "
          f"{sum(len(link['referrers']) for link in report['links'].values())} links, "
          f"{len(report['images'])} images, {len(report['stylesheets'])} stylesheets, "
          f"{len(report['fragments'])} fragments")
