"""Feeds rebuilt from their last version (unchanged entries copied by the kernel) are
byte for byte the feeds a build from scratch writes, whatever changed."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import feedpub.output
from tests.conftest import Site, build_in_process, make_corpus, tree_bytes

CONFIG = """
    [site]
    title = "Example"
    url = "https://example.org/"
    timezone = "UTC"
    pages = false
    [feeds]
    formats = ["rss", "atom", "json"]
    limit = 0
"""


def _fresh_build(site: Site, tmp_path: Path) -> dict[str, bytes]:
    """The same posts and ledger (so the same ids), no caches and no output: from scratch."""
    fresh = Site(tmp_path / "fresh")
    shutil.rmtree(fresh.root, ignore_errors=True)
    shutil.copytree(site.posts, fresh.posts)
    shutil.copy(site.root / "feedpub.toml", fresh.root / "feedpub.toml")
    (fresh.root / ".feedpub").mkdir()
    for ledger in (site.root / ".feedpub").glob("feedpub.sqlite*"):
        shutil.copy(ledger, fresh.root / ".feedpub" / ledger.name)
    build_in_process(fresh)
    return tree_bytes(fresh.output)


@pytest.fixture
def corpus(site: Site) -> list[Path]:
    site.write_config(CONFIG)
    make_corpus(site.posts, 30)
    build_in_process(site)
    return sorted(site.posts.glob("*.md"))


@pytest.fixture
def copied(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes the writer copied from feeds' last versions (the real call, counted)."""
    counts: list[int] = []
    real = os.copy_file_range

    def counting(*args: int) -> int:
        done = real(*args)
        counts.append(done)
        return done

    monkeypatch.setattr(feedpub.output.os, "copy_file_range", counting)
    return counts


def _append(text: str) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return edit


def _retitle(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title:", "title: Renamed", 1), encoding="utf-8")


@pytest.mark.parametrize(("which", "change"), [
    (15, _append("\nA new paragraph.\n")),  # the middle of every feed
    (0, _append("\n[link](../elsewhere/)\n")),
    (-1, _append("\nLast words.\n")),
    (7, _retitle),
    (3, lambda path: path.unlink()),  # gone from the site feed and its tags' feeds
])
def test_an_edited_feed_is_the_feed_built_from_scratch(
        site: Site, corpus: list[Path], copied: list[int], tmp_path: Path, which: int,
        change: Callable[[Path], None]) -> None:
    site_feed = (site.output / "feed.xml").stat().st_size
    change(corpus[which])
    report = build_in_process(site)
    assert "feed.xml" in report.written or "feed.json" in report.written
    assert tree_bytes(site.output) == _fresh_build(site, tmp_path)
    # Most of each rewritten feed came from its last version, not through Python.
    assert sum(copied) > site_feed


def test_a_new_post_and_a_second_edit_copy_from_the_last_copy(
        site: Site, corpus: list[Path], copied: list[int], tmp_path: Path) -> None:
    site.post("zz-new.md", "title: Newest\ndate: 2026-11-20\ntags: [python, brand-new]",
              body="Fresh.\n")
    build_in_process(site)
    _append("\nAgain.\n")(corpus[10])
    build_in_process(site)
    assert copied
    assert tree_bytes(site.output) == _fresh_build(site, tmp_path)
    assert (site.output / "tags" / "brand-new" / "feed.json").is_file()


def test_a_feed_changed_by_hand_is_written_whole(
        site: Site, corpus: list[Path], copied: list[int], tmp_path: Path) -> None:
    feed = site.output / "atom.xml"
    feed.write_bytes(feed.read_bytes().replace(b"<entry>", b"<entry >", 1))  # same size, new mtime
    for path in site.output.rglob("*.*"):  # every feed: none may be copied from
        path.write_bytes(path.read_bytes())
    _append("\nEdited.\n")(corpus[12])
    build_in_process(site)
    assert copied == []
    assert tree_bytes(site.output) == _fresh_build(site, tmp_path)


def test_one_edit_keeps_every_cached_entry_and_empties_the_trash(
        site: Site, corpus: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    state = site.root / ".feedpub"
    monkeypatch.setattr(feedpub.output, "TRASH_FROM", 0)  # these feeds are small: all of them

    def entries() -> int:
        with sqlite3.connect(state / "cache.sqlite") as db:
            return int(db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    before = entries()
    for n in range(3):  # none of them fetches the copied entries: the sweep must keep them
        _append(f"\nEdit {n}.\n")(corpus[20])
        build_in_process(site)
    assert entries() >= before
    assert list((state / "trash").iterdir()) == []  # the replaced feeds went through it


def test_one_edit_through_the_cli_gives_the_bytes_of_a_build_from_scratch(
        site: Site, corpus: list[Path], tmp_path: Path) -> None:
    # A real process: Markdown is not imported yet, so the post renders in a forked worker.
    _append("\nThrough the CLI.\n")(corpus[5])
    site.cli("build", check=True)
    assert tree_bytes(site.output) == _fresh_build(site, tmp_path)


WORKER_SCRIPT = """
import sys
from pathlib import Path
from feedpub.workers import Worker
from tests.conftest import Site

site = Site(Path(sys.argv[1]))
config = site.config()
from feedpub.pipeline import entry_specs, load  # no Markdown yet: the worker imports it
(site.posts / "broken.md").write_text("---\\ntitle: [unclosed\\n---\\nx\\n")
files = [(str(p), "posts/" + p.name) for p in sorted(site.posts.glob("*.md"))]
parser = Worker.start("parse")
assert parser is not None and "yaml" not in sys.modules
zone = config.site.zone
theirs = parser.parse(files, zone.key)  # all in the worker
assert "yaml" not in sys.modules, "a few files are parsed in the worker only"
split = parser.parse(files * 3, zone.key)  # this process parses the first half
parser.close()
from feedpub.parse import load_post
here = [load_post(Path(p), n, zone) for p, n in files]
assert theirs == here and split == here * 3, "worker and in-process parses differ"
assert any(isinstance(r, list) for r in here)  # the broken post's problems, the same
assert Worker.start("parse") is None, "a parse worker is pointless once YAML is imported"
(site.posts / "broken.md").unlink()

posts = load(config).posts[:3]
jobs = [(p, "tag:example.org,2024:" + p.slug, "https://example.org/posts/" + p.slug + "/",
         entry_specs(config)) for p in posts]
renderer = Worker.start()
assert renderer is not None and "markdown" not in sys.modules
made = renderer.results() if renderer.submit(jobs) else None
renderer.close()
from feedpub.items import render_job
assert made == [render_job(job) for job in jobs], "worker and in-process renders differ"
assert Worker.start() is None, "a worker is pointless once Markdown is imported here"
print("ok", len(made))
"""

FAILING_SCRIPT = """
from feedpub.workers import Worker

worker = Worker.start()
assert worker is not None
assert worker.submit([("not", "a", "job")])
assert worker.results() is None  # the job fails: the caller renders itself
worker.close()
idle = Worker.start()
idle.close()  # no job at all: killed at once
print("ok")
"""


def test_the_workers_parse_and_render_like_this_process_and_fail_softly(
        site: Site, corpus: list[Path]) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO

    for script, args in ((WORKER_SCRIPT, [str(site.root)]), (FAILING_SCRIPT, [])):
        result = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("ok")


@pytest.mark.parametrize("caches", ["kept", "deleted"])
def test_a_change_that_leaves_the_feed_bytes_alone_leaves_the_files_alone(
        site: Site, corpus: list[Path], caches: str) -> None:
    from tests.conftest import tree_state

    def files() -> dict[str, tuple[int, int, int]]:  # (a folder's mtime follows its temp files)
        return {p: st for p, st in tree_state(site.output).items()
                if (site.output / p).is_file()}

    if caches == "deleted":  # no layouts: the feeds are made whole, then compared
        (site.root / ".feedpub" / "cache.sqlite").unlink()
    before = files()
    post = corpus[8]  # digest: false changes the post's fingerprint, not its feed entries
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("title:", "digest: false\ntitle:", 1), encoding="utf-8")
    report = build_in_process(site)
    assert report.written == ()
    assert files() == before
