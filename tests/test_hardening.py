"""Every change, kill, fault and bad input ends in correct output or a clear error.

Each test stands for one failure a review found: it failed before its fix.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest

from feedpub.build import pipeline
from feedpub.build.pipeline import build
from feedpub.config import load_config
from feedpub.digest import schedule
from feedpub.digest.plan import DigestRequest
from feedpub.errors import StateError
from feedpub.store.ledger import open_ledger
from feedpub.store.locks import BUILD, exclusive
from feedpub.store.published import known_posts
from tests.conftest import NOW, Site, make_corpus, make_digest, tree_bytes

TRACEBACK = "Traceback (most recent call last)"


def titles(path: Path) -> list[str]:
    return [e.title for e in feedparser.parse(path.read_bytes()).entries]


def no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob(".*.tmp")] if root.exists() else True


# --- bad input: one error line for that post; the rest publishes --------------------------

UNUSUAL = {
    "huge-int.md": "---\ntitle: 1" + "9" * 5000 + "\ndate: 2024-01-01\n---\nx\n",
    "far-date.md": "---\ntitle: Far\ndate: 9999-12-31T23:30:00-05:00\n---\nx\n",
    "early-date.md": "---\ntitle: Early\ndate: 0001-01-01T00:30:00+05:00\n---\nx\n",
    "deep.md": "---\ntitle: Deep\ndate: 2024-01-01\n---\n" + ">" * 2000 + " quoted\n",
    "deep-lists.md": "---\ntitle: Lists\ndate: 2024-01-01\n---\n"
                     + "".join("  " * n + "- x\n" for n in range(400)),
    "bomb.md": "---\ntitle: Bomb\ndate: 2024-01-01\na: &a [x, x, x, x, x, x, x, x, x]\n"
               + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                         for p, c in zip("abcdefgh", "bcdefghi", strict=True))
               + "---\nx\n",
    "huge.md": "---\ntitle: Huge\ndate: 2024-01-01\n---\n" + "word " * (2 << 20),
}


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_an_unusual_post_is_one_error_line_and_the_rest_publishes(site: Site, name: str) -> None:
    site.post("fine.md", "title: Fine\ndate: 2024-01-02")
    (site.posts / name).write_text(UNUSUAL[name], encoding="utf-8")
    result = site.cli("build", timeout=120)
    assert TRACEBACK not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    if errors:  # some are refused; a deep Markdown list may well render
        assert result.returncode == 1, result.stderr
        assert len(errors) == 1 and f"posts/{name}:" in errors[0], result.stderr
        assert len(errors[0]) < 400
    assert "Fine" in titles(site.output / "feed.xml")


def test_a_render_that_runs_past_its_limit_is_a_problem_not_a_stall(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from feedpub.build import items

    site.post("slow.md", "title: Slow\ndate: 2024-01-01")
    site.post("fine.md", "title: Fine\ndate: 2024-01-02")
    monkeypatch.setattr(items, "RENDER_LIMIT", 0.2)
    real = items.render_post

    def slow(body: str, *args: str) -> object:
        if "slow" in args[1]:
            time.sleep(5)
        return real(body, *args)

    monkeypatch.setattr(items, "render_post", slow)
    began = time.monotonic()
    report = build(site.config(), NOW)
    assert time.monotonic() - began < 4
    assert [str(p) for p in report.errors] == [
        "posts/slow.md:1: took more than 0.2 s to render (simplify its Markdown)"]
    assert titles(site.output / "feed.xml") == ["Fine"]


def test_a_missing_posts_folder_is_an_error_not_an_empty_site(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    site.cli("build", check=True)
    before = tree_bytes(site.output)
    (site.posts / "a.md").rename(site.root / "a.md")
    site.posts.rmdir()
    result = site.cli("build")
    assert result.returncode == 2
    assert "the posts folder does not exist" in result.stderr and TRACEBACK not in result.stderr
    assert tree_bytes(site.output) == before


def test_a_broken_post_keeps_its_last_good_version_published(site: Site) -> None:
    site.post("a.md", "title: Still here\ndate: 2024-01-01")
    site.post("b.md", "title: Other\ndate: 2024-01-02")
    site.cli("build", check=True)
    (site.posts / "a.md").write_text("---\ntitle: [unclosed\ndate: 2024-01-01\n---\nx\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "posts/a.md:3: front matter is not valid YAML" in result.stderr
    assert "posts/a.md:1: its last good version stays published" in result.stderr
    assert titles(site.output / "feed.xml") == ["Other", "Still here"]


def test_a_link_to_a_post_outside_the_folder_is_not_published(site: Site,
                                                               tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\ndate: 2024-01-01\n---\nx\n")
    (site.posts / "link.md").symlink_to(outside)
    site.post("inside.md", "title: Inside\ndate: 2024-01-02")
    (site.posts / "alias.md").symlink_to(site.posts / "inside.md")  # inside: fine
    result = site.cli("build")
    assert "posts/link.md:1: is a link to a file outside the posts folder" in result.stderr
    assert "Secret" not in titles(site.output / "feed.xml")


def test_a_post_file_that_vanishes_mid_build_is_never_cached_empty(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    post = site.post("a.md", "title: A\ndate: 2024-01-01", body="The real text.\n")
    site.post("b.md", "title: B\ndate: 2024-01-02")
    real_jobs = pipeline.items.jobs

    def jobs_then_delete(*args: object, **kwargs: object) -> object:
        found = real_jobs(*args, **kwargs)  # type: ignore[arg-type]
        post.unlink()  # after the build read it, before it renders it
        return found

    monkeypatch.setattr(pipeline.items, "jobs", jobs_then_delete)
    report = build(site.config(), NOW)
    assert [str(p) for p in report.errors] == ["posts/a.md:1: cannot be read any more: "
                                                "No such file or directory"]
    monkeypatch.undo()
    site.post("a.md", "title: A\ndate: 2024-01-01", body="The real text.\n")
    (site.root / "templates" / "site").mkdir(parents=True)
    (site.root / "templates" / "site" / "post.html").write_text(
        '{% extends "base.html" %}{% block main %}{{ item.rendered.html|safe }}{% endblock %}')
    build(site.config(), NOW)
    assert "The real text." in (site.output / "posts" / "a" / "index.html").read_text()


# --- templates and the disk ------------------------------------------------------------------

def test_check_renders_templates_so_a_runtime_error_shows_before_the_digest(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    folder = site.root / "templates" / "email"
    folder.mkdir(parents=True)
    (folder / "_post.html").write_text("<p>\n{{ post.title|no_such_filter }}\n</p>\n")
    result = site.cli("check")
    assert result.returncode == 1
    assert "templates/email/_post.html:2:" in result.stderr and "no_such_filter" in result.stderr


@pytest.mark.parametrize("body", ["{{ 1 / 0 }}", "{{ item.post.title[10000] }}",
                                  "{{ item.post.date.strftime(5) }}"])
def test_a_template_error_that_is_not_jinjas_is_a_clear_message(site: Site, body: str) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    folder = site.root / "templates" / "site"
    folder.mkdir(parents=True)
    (folder / "post.html").write_text(f"<p>\n{body}\n</p>\n")
    result = site.cli("build")
    assert result.returncode == 4, result.stderr
    assert "templates/site/post.html:2: template error:" in result.stderr
    assert TRACEBACK not in result.stderr and no_temp_files(site.output)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_is_a_clear_error(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    site.output.mkdir()
    site.output.chmod(0o500)
    try:
        result = site.cli("build")
    finally:
        site.output.chmod(0o700)
    assert result.returncode == 3 and "cannot write" in result.stderr
    assert TRACEBACK not in result.stderr and no_temp_files(site.output)


def test_a_full_disk_is_a_clear_error_and_leaves_no_temp_file(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    site.post("a.md", "title: A\ndate: 2024-01-01")
    real = os.replace

    def full(src: object, dst: object) -> None:
        if str(dst).endswith("feed.xml"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr("feedpub.output.writer.os.replace", full)
    with pytest.raises(StateError, match="feed.xml: cannot write: No space left on device"):
        build(site.config(), NOW)
    assert no_temp_files(site.output)


@pytest.mark.parametrize("value", ["News <news@example.org", "a@b@c", "<>", "News, <x@y.org>"])
def test_a_bad_digest_header_value_is_a_config_error(site: Site, value: str) -> None:
    site.write_config(f'[site]\nurl = "https://example.org/"\n[digest]\nfrom = "{value}"\n')
    result = site.cli("build")
    assert result.returncode == 2 and "digest.from" in result.stderr, result.stderr
    assert TRACEBACK not in result.stderr


# --- state: the ledger is the truth; caches heal ----------------------------------------------

def built(site: Site) -> Path:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    site.cli("build", check=True)
    return site.root / ".feedpub"


@pytest.mark.parametrize("damage", ["empty", "garbage", "table-dropped", "newer"])
def test_a_damaged_ledger_is_exit_3_and_is_never_replaced(site: Site, damage: str) -> None:
    ledger = built(site) / "feedpub.sqlite"
    if damage == "empty":
        ledger.write_bytes(b"")
    elif damage == "garbage":
        ledger.write_bytes(b"this is not a database" * 300)
    else:
        db = sqlite3.connect(ledger)
        db.execute("DROP TABLE posts" if damage == "table-dropped" else "PRAGMA user_version = 99")
        db.commit()
        db.close()
    before = ledger.read_bytes()
    for command in ("build", "digest", "status", "check"):
        result = site.cli(command)
        assert result.returncode == 3, (command, result.stderr)
        assert TRACEBACK not in result.stderr
        assert ("restore it from your backup" in result.stderr or "newer feedpub" in result.stderr)
    assert ledger.read_bytes() == before


@pytest.mark.parametrize(("name", "damage"), [
    ("cache.sqlite", b"garbage" * 1000), ("cache.sqlite", None), ("posts.pickle", b"\x80\x05junk"),
    ("posts.pickle", b"")])
def test_a_damaged_cache_is_rebuilt_with_a_warning(site: Site, name: str,
                                                   damage: bytes | None) -> None:
    state = built(site)
    site.post("b.md", "title: B\ndate: 2024-01-02")  # something to build
    path = state / name
    if damage is None:  # one page in the middle of a real database overwritten
        data = bytearray(path.read_bytes())
        data[4096:8192] = os.urandom(4096)
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(damage)
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert TRACEBACK not in result.stderr
    assert titles(site.output / "feed.xml") == ["B", "A"]
    assert site.cli("build").returncode == 0  # healed: no warning replayed


def test_a_lock_held_by_another_process_says_who_and_times_out(site: Site) -> None:
    state = built(site)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from feedpub.store.locks import exclusive\n"
        f"with exclusive(Path({str(state)!r}), {BUILD!r}):\n"
        "    print('held', flush=True); time.sleep(30)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(StateError, match=f"pid {holder.pid}.*kill {holder.pid}"), \
                exclusive(state, BUILD, wait=0.3):
            pass
    finally:
        holder.kill()
        holder.wait()
    with exclusive(state, BUILD, wait=1):  # the kernel released it with its holder
        pass


@pytest.mark.slow
def test_builds_killed_at_random_never_leave_a_hang_or_a_worker(site: Site) -> None:
    make_corpus(site.posts, 200)
    rng = random.Random(7)
    hangs = 0
    for round_ in range(12):
        (site.root / ".feedpub" / "posts.pickle").unlink(missing_ok=True)  # real work to do
        site.write_config(f'[site]\ntitle = "Round {round_}"\nurl = "https://example.org/"\n')
        proc = subprocess.Popen([sys.executable, "-m", "feedpub", "build"], cwd=site.root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0.3, 2.0))
        proc.send_signal(rng.choice([signal.SIGKILL, signal.SIGTERM]))
        proc.wait()
        time.sleep(0.3)  # a worker killed with its parent is gone by now
        states = subprocess.run(["ps", "-o", "stat=", "-s", str(proc.pid)], capture_output=True,
                                text=True).stdout.split()
        alive = [s for s in states if not s.startswith("Z")]  # a zombie is dead (init reaps)
        assert alive == [], f"round {round_}: processes left behind"
        try:
            result = site.cli("build", timeout=60)
        except subprocess.TimeoutExpired:
            hangs += 1
            continue
        assert result.returncode == 0, result.stderr
    assert hangs == 0


def test_a_digest_recorded_but_not_written_is_restored_and_said(site: Site) -> None:
    site.write_config('[site]\nurl = "https://example.org/"\n')
    site.post("a.md", f"title: A\ndate: {(NOW - dt.timedelta(days=1)):%Y-%m-%d}")
    first = make_digest(site.config(), NOW)
    folder = site.output / "digests" / str(first.digest_id)
    for path in folder.iterdir():  # as a crash between recording and writing leaves it
        path.unlink()
    folder.rmdir()
    result = site.cli("build")
    assert "restored 3 digest files output/ had lost" in result.stdout, result.stdout
    assert (folder / "digest.eml").is_file()
    (folder / "index.html").unlink()
    site.post("b.md", f"title: B\ndate: {(NOW + dt.timedelta(hours=1)):%Y-%m-%dT%H:%M:%SZ}")
    second = make_digest(site.config(), NOW + dt.timedelta(days=2))
    assert second.restored == (first.digest_id,) and "restored digest" in second.message
    assert (folder / "index.html").is_file()


def test_a_forward_clock_jump_does_not_hold_back_the_slots_before_it(site: Site) -> None:
    site.write_config('[site]\nurl = "https://example.org/"\n[digest]\nschedule = "0 8 * * *"\n')
    config = site.config()
    site.post("a.md", "title: A\ndate: 2026-11-01")
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    jumped = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC)  # the clock went a month ahead
    slot = schedule.due_slot(config, jumped, start)
    assert slot is not None
    make_digest(config, jumped, DigestRequest(scheduled_for=slot))
    back = dt.datetime(2026, 11, 21, 8, 30, tzinfo=dt.UTC)  # and came back
    assert schedule.due_slot(config, back, start) == dt.datetime(2026, 11, 21, 8, 0,
                                                                 tzinfo=dt.UTC)
    assert schedule.due_slot(config, jumped + dt.timedelta(minutes=5), start) is None


# --- ids ------------------------------------------------------------------------------------

def ids(site: Site) -> dict[str, str]:
    with open_ledger(site.root / ".feedpub") as ledger:
        return {row.slug: row.id for row in known_posts(ledger).values()}


def test_ids_minted_from_the_placeholder_url_are_minted_again_once(site: Site) -> None:
    site.write_config("[site]\ntitle = 'New site'\n")
    site.post("a.md", "title: A\ndate: 2024-01-01")
    result = site.cli("build")
    assert "[site] url is still the placeholder" in result.stderr
    assert ids(site) == {"a": "tag:127.0.0.1,2024-01-01:/posts/a/"}
    site.write_config("[site]\ntitle = 'New site'\nurl = 'https://example.org/blog/'\n")
    result = site.cli("build")
    assert "1 provisional post id(s)" in result.stderr
    assert "is still the placeholder" not in result.stderr
    assert ids(site) == {"a": "tag:example.org,2024-01-01:/blog/posts/a/"}
    site.write_config("[site]\ntitle = 'New site'\nurl = 'https://example.com/'\n")
    site.cli("build", check=True)
    assert ids(site) == {"a": "tag:example.org,2024-01-01:/blog/posts/a/"}  # for ever now


def test_a_provisional_id_a_digest_carried_is_kept(site: Site) -> None:
    site.write_config("[site]\ntitle = 'New site'\n")
    site.post("a.md", f"title: A\ndate: {(NOW - dt.timedelta(days=1)):%Y-%m-%d}")
    assert make_digest(load_config(cwd=site.root), NOW).digest_id
    site.write_config("[site]\ntitle = 'New site'\nurl = 'https://example.org/'\n")
    site.cli("build", check=True)
    assert ids(site)["a"].startswith("tag:127.0.0.1,")  # subscribers have it: it stays


# --- small things a new user met --------------------------------------------------------------

def test_init_then_digest_does_not_send_the_example_post(tmp_path: Path) -> None:
    site = Site(tmp_path / "new")
    site.root.mkdir()
    site.cli("init", check=True)
    result = site.cli("digest")
    assert result.returncode == 0 and "no digest" in result.stdout, result.stdout


def test_the_eml_has_a_to_and_check_names_what_a_new_site_forgot(tmp_path: Path) -> None:
    site = Site(tmp_path / "new")
    site.root.mkdir()
    site.cli("init", check=True)
    check = site.cli("check")
    assert "[site] url: still the placeholder" in check.stderr
    assert "[digest] from: not set: digests come from noreply@127.0.0.1" in check.stderr
    site.post("mine.md", "title: Mine\ndate: 2024-01-01")
    site.cli("digest", "--preview", "--latest", "1", check=True)
    eml = (site.output / "digests" / "preview" / "digest.eml").read_bytes()
    assert b"\nTo: noreply@127.0.0.1" in eml


def test_counts_are_said_in_good_english(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    result = site.cli("build")
    assert "from 1 published post (" in result.stdout and "1 posts" not in result.stdout
    (site.posts / "b.md").write_text("---\ntitle: B\n---\n")
    check = site.cli("check")
    assert check.stdout == "1 error, 1 warning\n"  # the warning: no [digest] from
