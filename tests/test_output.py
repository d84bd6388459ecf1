"""Writing output/: deterministic bytes, nothing written when nothing changed, stale files
removed but never the user's own, and nothing outside output/ and .feedpub/ ever."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from feedpub.output.writer import OutputWriter, UnsafePathError
from tests.conftest import NOW, Site, build_in_process, make_corpus, tree_bytes, tree_state


def small_site(site: Site) -> None:
    site.post("a.md", "title: A & <b>\ndate: 2024-01-01\ntags: [x, 'C++']",
              body="Hi [there](../b/) ![i](i.png)\n")
    site.post("b.md", "title: B\ndate: 2024-01-02T10:00:00+02:00\ntags: [x]")
    site.post("draft.md", "title: D\ndate: 2024-01-03\ndraft: true")


def test_two_builds_and_a_copy_elsewhere_give_the_same_bytes(site: Site, tmp_path: Path) -> None:
    make_corpus(site.posts, 40, broken=3)
    build_in_process(site)
    first = tree_bytes(site.output)
    assert len(first) > 40
    shutil.rmtree(site.output)
    build_in_process(site)
    assert tree_bytes(site.output) == first
    copy = Site(tmp_path / "elsewhere" / "deeper" / "copy")
    shutil.copytree(site.posts, copy.posts)
    shutil.copy(site.root / "feedpub.toml", copy.root / "feedpub.toml")
    result = copy.cli("build")
    assert result.returncode == 1  # the three broken posts
    assert tree_bytes(copy.output) == first


def test_a_no_change_rebuild_touches_no_file(site: Site) -> None:
    small_site(site)
    build_in_process(site)
    before = tree_state(site.output)
    report = build_in_process(site)
    assert report.written == ()
    assert tree_state(site.output) == before
    result = site.cli("build")  # the real CLI, a new process
    assert result.returncode == 0
    assert tree_state(site.output) == before


def test_a_change_rewrites_only_what_it_touches(site: Site) -> None:
    small_site(site)
    build_in_process(site)
    before = tree_state(site.output)
    # B's text: A's page links to B (its newer neighbour) by title, so a retitle of B
    # would rewrite it too (tests/test_site_pages.py); an edit of the text does not.
    site.post("b.md", "title: B\ndate: 2024-01-02T10:00:00+02:00\ntags: [x]", body="Edited.\n")
    build_in_process(site)
    after = tree_state(site.output)
    changed = {p for p in after if after[p] != before.get(p)}
    assert "posts/b/index.html" in changed and "feed.xml" in changed
    assert "posts/a/index.html" not in changed
    assert "tags/c-plus-plus/feed.xml" not in changed  # b is not tagged C++


def test_files_of_removed_posts_and_tags_go_and_the_users_files_stay(site: Site) -> None:
    small_site(site)
    build_in_process(site)
    (site.output / "CNAME").write_text("example.org\n")
    (site.output / "posts" / "mine.txt").write_text("mine\n")
    assert (site.output / "tags" / "c-plus-plus" / "feed.xml").exists()
    (site.posts / "a.md").unlink()
    report = build_in_process(site)
    assert not (site.output / "posts" / "a").exists()
    assert not (site.output / "tags" / "c-plus-plus").exists()
    assert "posts/a/index.html" in report.removed
    assert (site.output / "CNAME").read_text() == "example.org\n"
    assert (site.output / "posts" / "mine.txt").exists()
    assert (site.output / "tags" / "x" / "feed.xml").exists()


def test_a_post_turned_draft_disappears(site: Site) -> None:
    small_site(site)
    build_in_process(site)
    site.post("b.md", "title: B\ndate: 2024-01-02\ndraft: yes\ntags: [x]")
    build_in_process(site)
    assert not (site.output / "posts" / "b").exists()
    assert "B</title>" not in (site.output / "feed.xml").read_text(encoding="utf-8")


HOSTILE = ["../../x", "/etc/passwd", "..", "a/b", "../../../../tmp/evil", "~/.ssh/x", ".",
           "C:\\Windows\\x", "\\\\server\\share", "%2e%2e%2fx", "posts/../../x", "\x00nul"]


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_slugs_and_tags_write_nothing_outside_output(tmp_path: Path, bad: str) -> None:
    site = Site(tmp_path / "site")
    site.posts.mkdir(parents=True)
    site.write_config('[site]\nurl = "https://example.org/"\n')
    quoted = bad.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\0")
    site.post("p.md", f'title: P\ndate: 2024-01-01\nslug: "{quoted}"\ntags: ["{quoted}", x]')
    site.post("q.md", f'title: Q\ndate: 2024-01-02\ntags: ["{quoted}"]')
    outside = {p for p in tmp_path.rglob("*")}
    root_before = set(os.listdir("/"))
    result = site.cli("build")
    assert "Traceback" not in result.stderr, result.stderr
    new = {p for p in tmp_path.rglob("*")} - outside
    allowed = (site.output, site.root / ".feedpub")
    assert new, "the build wrote its output"
    for path in new:
        assert any(path == a or a in path.parents for a in allowed), path
    assert set(os.listdir("/")) == root_before
    for path in site.output.rglob("*"):
        assert path.resolve().is_relative_to(site.output.resolve())


@pytest.mark.parametrize("relpath", ["../x", "/etc/passwd", "a/../../x", "", "a\\..\\x"])
def test_the_writer_refuses_paths_that_leave_output(tmp_path: Path, relpath: str) -> None:
    writer = OutputWriter(tmp_path / "out", {})
    with pytest.raises((UnsafePathError, ValueError)):
        writer.write(relpath, b"x")
    assert not (tmp_path / "x").exists()


def test_the_writer_refuses_a_path_out_even_when_the_file_there_already_matches(
        tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "x").write_bytes(b"same")  # an unchanged file must not skip the check
    writer = OutputWriter(tmp_path / "out", {})
    with pytest.raises(UnsafePathError):
        writer.write("../x", b"same")
    with pytest.raises(UnsafePathError):
        writer.write_lazy("../x", "key", lambda: b"same")
    assert "../x" not in writer.manifest


def test_the_writer_does_not_follow_a_symlink_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "posts").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (out / "posts" / "p").symlink_to(tmp_path / "elsewhere")
    writer = OutputWriter(out, {})
    with pytest.raises(UnsafePathError):
        writer.write("posts/p/index.html", b"x")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_check_writes_nothing(site: Site) -> None:
    small_site(site)
    before = tree_state(site.root)
    result = site.cli("check")
    assert result.returncode == 0, result.stderr
    assert tree_state(site.root) == before
    assert not site.output.exists() and not (site.root / ".feedpub").exists()


def test_no_temp_files_are_left_behind(site: Site) -> None:
    small_site(site)
    build_in_process(site, NOW)
    assert not [p for p in site.output.rglob("*") if p.name.endswith(".tmp")]


def test_rendering_in_worker_processes_gives_the_bytes_of_one_process(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from feedpub.build import runner

    make_corpus(site.posts, 80)  # above PARALLEL_FROM: the CLI renders in worker processes
    twin = tmp_path / "twin"
    shutil.copytree(site.root, twin)
    site.cli("build", check=True)
    monkeypatch.setattr(runner, "PARALLEL_FROM", 10**9)  # one process
    build_in_process(Site(twin))
    assert tree_bytes(Site(twin).output) == tree_bytes(site.output)


def test_a_new_site_url_renders_every_post_again_from_its_file(site: Site, tmp_path: Path) -> None:
    # The parsed-post cache keeps no bodies; a change that misses every render
    # (the site url is part of every absolute link) must read the bodies again.
    make_corpus(site.posts, 30)
    for post in site.posts.glob("*.md"):  # older than the racy-clean window: cached as parsed
        os.utime(post, (1_700_000_000, 1_700_000_000))
    build_in_process(site)
    fresh = tmp_path / "fresh"  # the same posts and ledger (so the same ids), no caches
    shutil.copytree(site.posts, fresh / "posts")
    (fresh / ".feedpub").mkdir()
    for ledger in (site.root / ".feedpub").glob("feedpub.sqlite*"):
        shutil.copy(ledger, fresh / ".feedpub" / ledger.name)
    for root in (site.root, fresh):
        (root / "feedpub.toml").write_text(
            '[site]\ntitle = "Example"\nurl = "https://new.example.net/"\ntimezone = "UTC"\n')
    build_in_process(site)
    build_in_process(Site(fresh))
    assert tree_bytes(site.output) == tree_bytes(fresh / "output")
    assert b"new.example.net/posts/" in (site.output / "feed.xml").read_bytes()
