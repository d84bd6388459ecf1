"""Feeds rebuilt from their last version (unchanged entries copied by the kernel) are
byte for byte the feeds a build from scratch writes, whatever changed."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import feedpub.output.segments
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

    monkeypatch.setattr(feedpub.output.segments.os, "copy_file_range", counting)
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


def test_one_edit_keeps_every_cached_entry(site: Site, corpus: list[Path]) -> None:
    state = site.root / ".feedpub"

    def entries() -> int:
        with sqlite3.connect(state / "cache.sqlite") as db:
            return int(db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    before = entries()
    for n in range(3):  # none of them fetches the copied entries: the sweep must keep them
        _append(f"\nEdit {n}.\n")(corpus[20])
        build_in_process(site)
    assert entries() >= before


def test_one_edit_through_the_cli_gives_the_bytes_of_a_build_from_scratch(
        site: Site, corpus: list[Path], tmp_path: Path) -> None:
    # A real process: Markdown is not imported yet, so the post renders in a forked worker.
    _append("\nThrough the CLI.\n")(corpus[5])
    site.cli("build", check=True)
    assert tree_bytes(site.output) == _fresh_build(site, tmp_path)


WORKER_SCRIPT = """
import os, sys
from functools import partial
from pathlib import Path
from feedpub.build import runner
from feedpub.build.artifacts import entry_specs
from feedpub.build.items import Job, run_job, warm_up
from feedpub.build.pipeline import load_posts
from feedpub.posts.read import parse_here
from tests.conftest import Site

site = Site(Path(sys.argv[1]))
config = site.config()
zone = config.site.zone
(site.posts / "broken.md").write_text("---\\ntitle: [unclosed\\n---\\nx\\n")
files = [(str(p), "posts/" + p.name) for p in sorted(site.posts.glob("*.md"))] * 3
assert len(files) >= runner.SPLIT_FROM
with runner.Runner() as run:
    split = run.split(partial(parse_here, zone=zone), files)  # half in a forked helper
here = parse_here(files, zone)
assert split == here, "forked and in-process parses differ"
assert any(isinstance(r, list) for r in here)  # the broken post's problems, the same
(site.posts / "broken.md").unlink()

posts = load_posts(config).posts[:3]
jobs = [Job(p, str(site.root / p.source), "tag:example.org,2024:" + p.slug,
            "https://example.org/posts/" + p.slug + "/", "k" + p.slug, entry_specs(config))
        for p in posts]
with runner.Runner(warm_up) as run:
    assert run.warm is not None and "markdown" not in sys.modules
    made = list(run.map(run_job, jobs))
assert made == [run_job(job) for job in jobs], "worker and in-process renders differ"

def die_elsewhere(n):  # a job that kills any worker it runs in
    if os.getpid() != parent:
        os._exit(3)
    return n * 2

parent = os.getpid()
with runner.Runner(warm_up) as run:
    assert list(run.map(die_elsewhere, [1, 2, 3])) == [2, 4, 6]  # done here instead
print("ok", len(made))
"""

ORPHAN_SCRIPT = """
import os, sys, time
from feedpub.build import runner
run = runner.Runner(lambda: time.sleep(60))  # a worker busy warming up
print(run.warm.pid, flush=True)
time.sleep(60)
"""


def test_the_runner_parses_and_renders_like_this_process_and_fails_softly(
        site: Site, corpus: list[Path]) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO

    result = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, str(site.root)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_workers_die_with_their_parent() -> None:
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    parent = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(worker):
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived its parent"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


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
