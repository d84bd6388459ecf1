"""Posts: every fixture in tests/fixtures/valid parses to the values it says; every one in
invalid/ gives exactly one error line `posts/NAME:LINE: field: ...` and the rest publish."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feedpub.posts.files import post_files
from feedpub.posts.frontmatter import parse_post
from feedpub.posts.model import LoadResult, Post
from feedpub.posts.read import read_posts
from tests.conftest import FIXTURES, Site

UTC = dt.UTC
VALID = sorted((FIXTURES / "valid").glob("*.md"))
INVALID = sorted((FIXTURES / "invalid").glob("*.md"))

# file -> (title, instant in UTC when the site zone is UTC, draft, tag names, slug)
EXPECTED_VALID = {
    "date-only.md": ("A date-only post", dt.datetime(2024, 3, 10, tzinfo=UTC), False,
                     ("python", "Web Dev"), "date-only"),
    "naive-space-time.md": ("Naive time with a space", dt.datetime(2024, 1, 5, 10, tzinfo=UTC),
                            False, (), "naive-space-time"),
    "draft-no.md": ("Draft: no means published", dt.datetime(2024, 1, 6, 9, 30, tzinfo=UTC),
                    False, (), "draft-no"),
    "aware-offset.md": ("Aware <offset> & “quotes” 🎉", dt.datetime(2024, 7, 1, 2, 30, tzinfo=UTC),
                        False, (), "aware-offset"),
    "quoted-date-string-tags.md": ("Quoted date, tags as a string",
                                   dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), False,
                                   ("C++", "Node.js", "machine learning"),
                                   "quoted-date-string-tags"),
    "explicit-id-and-slug.md": ("Explicit id and slug", dt.datetime(2023, 12, 31, tzinfo=UTC),
                                False, (), "my-custom-slug"),
    "bom-crlf.md": ("BOM and CRLF", dt.datetime(2024, 4, 1, tzinfo=UTC), False, (), "bom-crlf"),
    "numeric-title-and-yes.md": ("10:00", dt.datetime(2024, 4, 2, tzinfo=UTC), False, (),
                                 "numeric-title-and-yes"),
}

# file -> the start of its one error line: "posts/NAME:LINE: field:" (no field for the file)
EXPECTED_INVALID = {
    "bad-yaml.md": ("4", "", "not valid YAML"),
    "missing-title.md": ("1", "title", "missing"),
    "bad-date.md": ("4", "date", "'04/03/2021' is not a date"),
    "impossible-date.md": ("3", "date", "'2024-13-45' is not a date"),
    "time-as-minutes.md": ("3", "date", "600 is a number"),
    "non-utf8.md": ("2", "", "not UTF-8"),
    "empty.md": ("1", "", "empty"),
    "unclosed-front-matter.md": ("1", "", "never closed"),
    "no-front-matter.md": ("1", "", "no front matter"),
    "bad-draft.md": ("4", "draft", "'maybe' is not true or false"),
    "missing-date.md": ("1", "date", "missing"),
}


def test_every_fixture_has_an_expectation() -> None:
    assert {p.name for p in VALID} == set(EXPECTED_VALID)
    assert {p.name for p in INVALID} == set(EXPECTED_INVALID)


def read(posts_dir: Path, root: Path, zone: ZoneInfo) -> LoadResult:
    return read_posts(post_files(posts_dir), posts_dir, root, zone)


def load_one(tmp_path: Path, fixture: Path, zone: str = "UTC") -> tuple[list[Post], list[str]]:
    posts_dir = tmp_path / "posts"
    posts_dir.mkdir(exist_ok=True)
    shutil.copy(fixture, posts_dir / fixture.name)
    result = read(posts_dir, tmp_path, ZoneInfo(zone))
    return list(result.posts), [str(p) for p in result.problems]


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: p.name)
def test_valid_fixture_parses(tmp_path: Path, fixture: Path) -> None:
    posts, problems = load_one(tmp_path, fixture)
    assert problems == []
    (post,) = posts
    title, instant, draft, tags, slug = EXPECTED_VALID[fixture.name]
    assert post.title == title
    assert post.date == instant
    assert post.date.tzinfo is not None
    assert post.draft is draft
    assert tuple(t.name for t in post.tags) == tags
    assert post.slug == slug


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.name)
def test_invalid_fixture_gives_one_error_line(tmp_path: Path, fixture: Path) -> None:
    posts, problems = load_one(tmp_path, fixture)
    assert posts == []
    line, field, words = EXPECTED_INVALID[fixture.name]
    assert len(problems) == 1, problems
    prefix = f"posts/{fixture.name}:{line}:" + (f" {field}:" if field else "")
    assert problems[0].startswith(prefix + " "), problems[0]
    assert words in problems[0]
    assert problems[0].rstrip().endswith(")"), "the message says what to write instead"


def test_invalid_posts_do_not_stop_valid_ones(tmp_path: Path) -> None:
    posts_dir = tmp_path / "posts"
    posts_dir.mkdir()
    for fixture in VALID + INVALID:
        shutil.copy(fixture, posts_dir / fixture.name)
    result = read(posts_dir, tmp_path, ZoneInfo("UTC"))
    assert len(result.posts) == len(VALID)
    assert len(result.errors) == len(INVALID)


def test_duplicate_slug_is_one_error_and_the_first_file_keeps_it(tmp_path: Path) -> None:
    posts_dir = tmp_path / "posts"
    (posts_dir / "sub").mkdir(parents=True)
    (posts_dir / "a.md").write_text("---\ntitle: A\ndate: 2024-01-01\nslug: same\n---\n")
    (posts_dir / "sub" / "same.md").write_text("---\ntitle: B\ndate: 2024-01-02\n---\n")
    result = read(posts_dir, tmp_path, ZoneInfo("UTC"))
    assert [p.title for p in result.posts] == ["A"]
    (problem,) = result.problems
    assert str(problem).startswith("posts/sub/same.md:")
    assert " slug: 'same' is already used by posts/a.md" in str(problem)


def test_unknown_keys_are_kept(tmp_path: Path) -> None:
    posts, _ = load_one(tmp_path, FIXTURES / "valid" / "aware-offset.md")
    assert dict(posts[0].extra) == {"custom_key": "kept"}
    assert posts[0].author == "Grace"


# --- Time zones: naive values are in the site zone; aware ones keep their instant ---

ZONE_CASES = [
    # (zone, front-matter date, expected UTC instant)
    ("America/New_York", "2024-01-15", dt.datetime(2024, 1, 15, 5, tzinfo=UTC)),
    ("America/New_York", "2024-07-15", dt.datetime(2024, 7, 15, 4, tzinfo=UTC)),
    ("America/New_York", "2024-01-15 10:00", dt.datetime(2024, 1, 15, 15, tzinfo=UTC)),
    ("America/New_York", "2024-07-15T10:00:00", dt.datetime(2024, 7, 15, 14, tzinfo=UTC)),
    ("America/New_York", "2024-07-15T10:00:00Z", dt.datetime(2024, 7, 15, 10, tzinfo=UTC)),
    ("America/New_York", "2024-07-15T10:00:00+02:00", dt.datetime(2024, 7, 15, 8, tzinfo=UTC)),
    ("Europe/Berlin", "2024-01-15", dt.datetime(2024, 1, 14, 23, tzinfo=UTC)),
    ("Europe/Berlin", "2024-07-15", dt.datetime(2024, 7, 14, 22, tzinfo=UTC)),
    ("Europe/Berlin", "2024-07-15 10:00", dt.datetime(2024, 7, 15, 8, tzinfo=UTC)),
    ("Europe/Berlin", "'2024-07-15T10:00:00-07:00'", dt.datetime(2024, 7, 15, 17, tzinfo=UTC)),
    # DST: the day of the change, either side of it.
    ("America/New_York", "2024-03-10T01:59:00", dt.datetime(2024, 3, 10, 6, 59, tzinfo=UTC)),
    ("America/New_York", "2024-03-10T03:00:00", dt.datetime(2024, 3, 10, 7, tzinfo=UTC)),
    ("Europe/Berlin", "2024-10-27T03:30:00", dt.datetime(2024, 10, 27, 2, 30, tzinfo=UTC)),
    # Spring-forward gap: 02:30 does not exist in New York; clocks read it as 03:30 EDT.
    ("America/New_York", "2024-03-10T02:30:00", dt.datetime(2024, 3, 10, 7, 30, tzinfo=UTC)),
    ("Europe/Berlin", "2024-03-31 02:30", dt.datetime(2024, 3, 31, 1, 30, tzinfo=UTC)),
    # Fall-back overlap: 01:30 happens twice in New York; the first (EDT) is taken.
    ("America/New_York", "2024-11-03T01:30:00", dt.datetime(2024, 11, 3, 5, 30, tzinfo=UTC)),
    ("Europe/Berlin", "2024-10-27T02:30:00", dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
    # An explicit offset picks the second 01:30.
    ("America/New_York", "2024-11-03T01:30:00-05:00", dt.datetime(2024, 11, 3, 6, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone", "date", "instant"), ZONE_CASES,
                         ids=[f"{z}-{d}" for z, d, _ in ZONE_CASES])
def test_dates_land_on_the_right_instant(tmp_path: Path, zone: str, date: str,
                                         instant: dt.datetime) -> None:
    posts_dir = tmp_path / "posts"
    posts_dir.mkdir()
    (posts_dir / "p.md").write_text(f"---\ntitle: P\ndate: {date}\n---\n", encoding="utf-8")
    result = read(posts_dir, tmp_path, ZoneInfo(zone))
    assert result.problems == ()
    (post,) = result.posts
    # Compare instants: PEP 495 makes == false for a time in a repeated hour across zones.
    assert post.date.astimezone(UTC) == instant
    assert post.date.utcoffset() == instant.astimezone(ZoneInfo(zone)).utcoffset()


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Pacific/Kiritimati",
                                  "Pacific/Pago_Pago"])
def test_a_date_only_post_is_on_its_own_day_in_every_output(site: Site, zone: str) -> None:
    import json

    import feedparser

    site.write_config(f"""
        [site]
        url = "https://example.org/"
        timezone = "{zone}"
    """)
    site.post("d.md", "title: D\ndate: 2024-03-10")
    assert site.cli("build").returncode == 0
    feed = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))
    assert feed["items"][0]["date_published"].startswith("2024-03-10T00:00:00")
    rss = feedparser.parse((site.output / "feed.xml").read_bytes())
    assert rss.entries[0].published.startswith("Sun, 10 Mar 2024 00:00:00")
    page = (site.output / "posts" / "d" / "index.html").read_text(encoding="utf-8")
    assert "2024-03-10" in page and "10 Mar 2024" in page


def test_a_next_line_character_does_not_split_a_title() -> None:
    # YAML reads U+0085 (NEL) as a line break: a pasted one must not fold the title.
    data = '---\ntitle: "0\u00850"\ndate: 2024-01-01\n---\n\nx'.encode()
    assert parse_post("p.md", data, ZoneInfo("UTC")).title == "00"
