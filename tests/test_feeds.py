"""Feeds read back by feedparser match the posts: counts, order, ids, links, titles, dates."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path

import feedparser
import pytest

from tests.conftest import NOW, Site, build_in_process, feed_files

UTC = dt.UTC


def expected_instant(value: str) -> dt.datetime:
    """A manifest date: a UTC instant, or a bare date (midnight in the UTC site zone)."""
    if len(value) == 10:
        return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def expected_posts(manifest: dict, tag: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    """Published posts of the manifest (optionally of one tag), newest first, ties by slug."""
    posts = [p for p in manifest["posts"] if not p["draft"] and not p["future"]]
    if tag is not None:
        posts = [p for p in posts if tag in p["tags"]]
    return sorted(posts, key=lambda p: (expected_instant(p["date"]), p["slug"]), reverse=True)


def parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def entry_instant(entry: feedparser.FeedParserDict) -> dt.datetime:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), UTC)


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feed_has_every_published_post_in_order(corpus200, name: str) -> None:
    site, manifest = corpus200
    parsed = parse(site.output / name)
    want = expected_posts(manifest)
    assert len(want) == manifest["summary"]["published"]
    assert len(parsed.entries) == len(want)
    for entry, post in zip(parsed.entries, want, strict=True):
        assert entry.title == post["title"]
        assert entry.link == f"https://example.org/posts/{post['slug']}/"
        assert entry_instant(entry) == expected_instant(post["date"])
        assert entry.id.startswith("tag:example.org,")
        assert entry.id.endswith(f":/posts/{post['slug']}/")
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


def test_json_feed_has_every_published_post_in_order(corpus200) -> None:
    site, manifest = corpus200
    feed = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))
    want = expected_posts(manifest)
    assert [i["title"] for i in feed["items"]] == [p["title"] for p in want]
    assert [i["url"] for i in feed["items"]] == [
        f"https://example.org/posts/{p['slug']}/" for p in want]
    for item, post in zip(feed["items"], want, strict=True):
        published = dt.datetime.fromisoformat(item["date_published"]).replace(microsecond=0)
        assert published == expected_instant(post["date"])  # the manifest drops fractions


def test_every_tag_feed_counts_and_order_match_the_manifest(corpus200) -> None:
    site, manifest = corpus200
    per_tag = manifest["published_per_tag"]
    tag_dirs = sorted(p for p in (site.output / "tags").iterdir() if p.is_dir())
    assert len(tag_dirs) == len(per_tag)
    seen_tags = set()
    for folder in tag_dirs:
        parsed = parse(folder / "feed.xml")
        tag = parsed.feed.title.rsplit(" · ", 1)[1]  # "Site title · tag name"
        seen_tags.add(tag)
        assert all(tag in {t.term for t in e.tags} for e in parsed.entries), folder
        want = expected_posts(manifest, tag)
        assert len(want) == per_tag[tag]
        assert [e.title for e in parsed.entries] == [p["title"] for p in want], tag
        atom = parse(folder / "atom.xml")
        assert [e.id for e in atom.entries] == [e.id for e in parsed.entries]
        items = json.loads((folder / "feed.json").read_text(encoding="utf-8"))["items"]
        assert [i["id"] for i in items] == [e.id for e in parsed.entries]
    assert seen_tags == set(per_tag)


def test_no_drafts_no_future_no_broken_posts_in_any_feed(corpus200) -> None:
    site, manifest = corpus200
    hidden = {p["title"] for p in manifest["posts"] if p["draft"] or p["future"]}
    for path in feed_files(site.output):
        text = path.read_text(encoding="utf-8")
        for title in hidden:
            assert json.dumps(title, ensure_ascii=False)[1:-1] not in text or title in {
                p["title"] for p in expected_posts(manifest)}, (path, title)
    for broken in manifest["broken"]:
        slug = broken["file"].removesuffix(".md")
        assert not (site.output / "posts" / slug).exists()


def test_the_same_entry_reads_the_same_in_all_three_formats(corpus200) -> None:
    site, _ = corpus200
    rss = parse(site.output / "feed.xml").entries
    atom = parse(site.output / "atom.xml").entries
    items = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))["items"]
    assert [e.id for e in rss] == [e.id for e in atom] == [i["id"] for i in items]
    assert [e.title for e in rss] == [e.title for e in atom] == [i["title"] for i in items]
    assert [e.link for e in rss] == [e.link for e in atom] == [i["url"] for i in items]


def test_limit_keeps_the_newest_posts(site: Site) -> None:
    for day in range(1, 8):
        site.post(f"p{day}.md", f"title: Post {day}\ndate: 2024-05-0{day}")
    site.write_config("""
        [site]
        url = "https://example.org/"
        [feeds]
        limit = 3
    """)
    build_in_process(site)
    for name in ("feed.xml", "atom.xml"):
        assert [e.title for e in parse(site.output / name).entries] == [
            "Post 7", "Post 6", "Post 5"]
    items = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))["items"]
    assert [i["title"] for i in items] == ["Post 7", "Post 6", "Post 5"]


def test_feed_dates_come_from_the_posts_not_the_clock(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-05-01T10:00:00Z\nupdated: 2024-06-01T10:00:00Z")
    build_in_process(site, NOW)
    first = {p.name: p.read_bytes() for p in feed_files(site.output)}
    build_in_process(site, NOW + dt.timedelta(days=400))
    assert {p.name: p.read_bytes() for p in feed_files(site.output)} == first
    atom = parse(site.output / "atom.xml")
    assert atom.feed.updated.startswith("2024-06-01T10:00:00")
    assert atom.entries[0].updated.startswith("2024-06-01T10:00:00")
    assert atom.entries[0].published.startswith("2024-05-01T10:00:00")


def test_summary_mode_has_no_full_text(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-05-01\nsummary: Short *one*.",
              body="Long body text that must not appear.\n")
    site.post("b.md", "title: B\ndate: 2024-05-02", body="")
    site.write_config("""
        [site]
        url = "https://example.org/"
        [feeds]
        content = "summary"
    """)
    build_in_process(site)
    for path in feed_files(site.output):
        assert "Long body text" not in path.read_text(encoding="utf-8"), path
    rss = parse(site.output / "feed.xml")
    assert "Short" in rss.entries[1].summary
    items = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))["items"]
    for item in items:  # JSON Feed 1.1: content_html or content_text must be present
        assert "content_html" in item or "content_text" in item, item


def test_full_content_has_summary_in_description_and_text_in_content(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-05-01\nsummary: The summary.",
              body="First paragraph.\n\nSecond paragraph.\n")
    build_in_process(site)
    entry = parse(site.output / "feed.xml").entries[0]
    assert entry.summary == "The summary."
    assert "Second paragraph." in entry.content[0].value


def test_an_empty_site_builds_valid_empty_feeds(site: Site) -> None:
    report = build_in_process(site)
    assert report.published == 0
    for name in ("feed.xml", "atom.xml"):
        assert parse(site.output / name).entries == []
    assert json.loads((site.output / "feed.json").read_text(encoding="utf-8"))["items"] == []
