"""`feedpub run` as a real process: file events, publish times, digests, locks, signals, kill -9."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import signal
import sqlite3
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedpub.config import load_config
from feedpub.digest import schedule
from tests.conftest import Site, make_corpus
from tests.test_serve import free_port, request, start, stop, wait_until

pytestmark = pytest.mark.slow


def feed(port: int) -> bytes:
    """/feed.xml as served now (empty before the first build)."""
    status, _, body = request(port, "/feed.xml")
    return body if status == 200 else b""


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture
def running(site: Site) -> Iterator[tuple[Site, int, subprocess.Popen[str]]]:
    """`feedpub run` on a site with one post, serving on a free port; stopped with SIGTERM."""
    site.post("first.md", "title: First post\ndate: 2026-11-01")
    port = free_port()
    proc = start(site, "run", "--port", str(port))
    try:
        wait_until(lambda: b"First post" in feed(port), 20)
        yield site, port, proc
    finally:
        if proc.poll() is None:
            stop(proc)


def test_saved_edited_and_deleted_posts_reach_the_feed(
        running: tuple[Site, int, subprocess.Popen[str]]) -> None:
    site, port, _ = running
    new = site.post("new.md", f"title: Fresh news\ndate: {stamp(utcnow())}")
    assert wait_until(lambda: b"Fresh news" in feed(port), 3) < 3
    site.post("new.md", f"title: Edited news\ndate: {stamp(utcnow())}")
    wait_until(lambda: b"Edited news" in feed(port), 3)
    new.unlink()
    wait_until(lambda: b"Edited news" not in feed(port), 3)


def test_deleted_output_is_rebuilt(running: tuple[Site, int, subprocess.Popen[str]]) -> None:
    site, port, _ = running
    shutil.rmtree(site.output)
    wait_until(lambda: b"First post" in feed(port), 3)
    wait_until(lambda: request(port, "/posts/first/")[0] == 200, 3)


def test_future_post_goes_live_at_its_time(
        running: tuple[Site, int, subprocess.Popen[str]]) -> None:
    site, port, _ = running
    due = (utcnow() + dt.timedelta(seconds=6)).replace(microsecond=0)
    site.post("later.md", f"title: Later post\ndate: {stamp(due)}")
    time.sleep(1)  # the rebuild has seen it, and scheduled a wake-up at `due`
    while utcnow() < due - dt.timedelta(seconds=0.3):
        assert b"Later post" not in feed(port)
        time.sleep(0.2)
    wait_until(lambda: utcnow() >= due, 2)
    assert wait_until(lambda: b"Later post" in feed(port), 2) < 2


def test_broken_post_and_template_are_logged_and_the_rest_keeps_running(
        running: tuple[Site, int, subprocess.Popen[str]]) -> None:
    site, port, proc = running
    site.post("broken.md", "title: [unclosed\ndate: 2026-11-02")
    site.post("fine.md", "title: Still fine\ndate: 2026-11-02")
    wait_until(lambda: b"Still fine" in feed(port), 3)
    template = site.root / "templates" / "site" / "index.html"
    template.parent.mkdir(parents=True)
    template.write_text("{% if %}\n", encoding="utf-8")
    time.sleep(1.5)
    site.post("after.md", "title: After the template broke\ndate: 2026-11-03")
    time.sleep(1.5)
    status, _, body = request(port, "/")
    assert status == 200 and b"First post" in body  # the last good page stays served
    template.unlink()
    wait_until(lambda: b"After the template broke" in request(port, "/")[2], 3)
    code, err = stop(proc)
    assert code == 0
    assert "posts/broken.md:3" in err  # the YAML line
    assert "index.html:1" in err and "template" in err


def test_sigterm_stops_within_seconds_with_exit_0(
        running: tuple[Site, int, subprocess.Popen[str]]) -> None:
    site, _, proc = running
    began = time.monotonic()
    code, err = stop(proc, timeout=10)
    assert code == 0, err
    assert time.monotonic() - began < 10
    assert "stopping" in err
    assert site.cli("run", "--no-serve", "--help").returncode == 0


def test_second_daemon_refuses_to_start(
        running: tuple[Site, int, subprocess.Popen[str]]) -> None:
    site, _, proc = running
    result = site.cli("run", "--port", str(free_port()), timeout=20)
    assert result.returncode == 3
    assert f"pid {proc.pid}" in result.stderr and "already running" in result.stderr
    assert f"Daemon: running (pid {proc.pid})" in site.cli("status", check=True).stdout


def test_status_lists_published_scheduled_and_digests(site: Site) -> None:
    site.post("old.md", "title: Old one\ndate: 2026-01-01")
    site.post("soon.md", "title: Coming soon\ndate: 2099-01-01 09:00:00")
    site.cli("build", check=True)
    out = site.cli("status", check=True).stdout
    assert "Published: 1 post," in out and "Old one" in out
    assert "Scheduled: 1 post," in out and "2099-01-01 09:00  Coming soon" in out
    assert "Next digest:" in out and "Last digest: none yet" in out
    assert "Daemon: not running" in out


# --- digests on schedule ---------------------------------------------------------------------

def digests(site: Site) -> list[tuple[str, str | None, list[str]]]:
    """(id, slot, post titles) of every recorded digest, oldest first."""
    with sqlite3.connect(site.root / ".feedpub" / "feedpub.sqlite") as db:
        try:
            rows = db.execute("SELECT id, scheduled_for FROM digests ORDER BY created, id"
                              ).fetchall()
        except sqlite3.OperationalError:  # no digest tables yet
            return []
        return [(i, slot, [t for (t,) in db.execute(
            "SELECT p.title FROM digest_posts d JOIN posts p ON p.id = d.post_id "
            "WHERE d.digest_id = ? ORDER BY d.position", (i,))]) for i, slot in rows]


def next_minute(after: float = 1.0) -> float:
    """Seconds until `after` seconds past the next minute boundary."""
    return 60 - time.time() % 60 + after


def minute_site(root: Path) -> Site:
    """A site whose digest runs every minute."""
    site = Site(root)
    site.posts.mkdir(parents=True)
    site.write_config('[site]\nurl = "https://example.org/"\n[digest]\nschedule = "* * * * *"\n')
    return site


def test_digest_on_schedule_and_one_catch_up_after_kill_9(tmp_path: Path) -> None:
    """Two sites side by side, so one minute boundary serves both scenarios."""
    # The set-up below must end before the next slot: it took over 12 s in a loaded suite.
    if time.time() % 60 > 25:
        time.sleep(next_minute())
    live, down = minute_site(tmp_path / "live"), minute_site(tmp_path / "down")
    live_port, down_port = free_port(), free_port()
    live_proc = start(live, "run", "--port", str(live_port))
    live.post("one.md", f"title: Post one\ndate: {stamp(utcnow())}")
    down.post("old.md", f"title: Old post\ndate: {stamp(utcnow() - dt.timedelta(seconds=20))}")
    first = start(down, "run", "--port", str(down_port))
    wait_until(lambda: b"Old post" in feed(down_port), 10)
    down.cli("digest", check=True)  # a digest already went out with the old post
    down.post("two.md", f"title: Post two\ndate: {stamp(utcnow())}")
    wait_until(lambda: b"Post two" in feed(down_port), 3)
    first.kill()  # kill -9, then let a slot pass while nothing runs
    first.communicate()
    assert [titles for _, _, titles in digests(down)] == [["Old post"]]

    wait_until(lambda: len(digests(live)) == 1, next_minute(5))  # the slot fired: a digest
    (digest_id, slot, titles), = digests(live)
    assert titles == ["Post one"] and slot is not None
    eml = live.output / "digests" / digest_id / "digest.eml"
    wait_until(eml.is_file, 5)  # written just after the ledger records the digest
    code, err = stop(live_proc)
    assert code == 0 and f"digest {digest_id} with 1 post " in err

    second = start(down, "run", "--port", str(down_port))
    try:
        wait_until(lambda: len(digests(down)) == 2, 15)
    finally:
        second.kill()
        print(second.communicate()[1])  # shown when the wait failed
    third = start(down, "run", "--port", str(down_port))  # same minute: nothing due again
    wait_until(lambda: b"Post two" in feed(down_port), 10)
    time.sleep(2)
    code, err = stop(third)
    assert code == 0, err
    found = digests(down)
    assert [titles for _, _, titles in found] == [["Old post"], ["Post two"]]
    assert found[1][1] is not None  # the catch-up is recorded for its slot


def test_no_catch_up_on_the_very_first_start(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    now = utcnow()
    assert schedule.first_start(config, now) == (now, True)
    assert schedule.first_start(config, now + dt.timedelta(days=3)) == (now, False)  # once
    assert schedule.due_slot(config, now + dt.timedelta(seconds=1), now) is None


def test_latest_slot_is_the_last_fire_time_not_after_now() -> None:
    config = load_config(cwd=Path("/nonexistent"))
    trigger = schedule.trigger(config)  # default: Mondays 08:00 UTC
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
    assert schedule.latest_slot(trigger, now) == dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    exact = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    assert schedule.latest_slot(trigger, exact) == exact
    assert schedule.next_slot(trigger, exact) == exact + dt.timedelta(days=7)


# --- kill -9 in the middle of builds -----------------------------------------------------------

def check_output(site: Site) -> int:
    """Every feed in output/ is a whole, well-formed document; the ledger is consistent."""
    count = 0
    for path in site.output.rglob("*"):
        if path.name in ("feed.xml", "atom.xml"):
            ET.fromstring(path.read_bytes())
            count += 1
        elif path.name == "feed.json":
            json.loads(path.read_bytes())
            count += 1
    with sqlite3.connect(site.root / ".feedpub" / "feedpub.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert not db.execute("SELECT slug FROM posts GROUP BY slug HAVING COUNT(*) > 1"
                              ).fetchall()
        assert not db.execute("SELECT id FROM posts GROUP BY id HAVING COUNT(*) > 1").fetchall()
    return count


def test_sigkill_during_builds_never_leaves_broken_feeds(site: Site) -> None:
    make_corpus(site.posts, 300)
    site.cli("build")
    assert check_output(site) > 3
    rng = random.Random(4)
    interrupted = 0
    for round_ in range(30):
        site.write_config(f'[site]\ntitle = "Round {round_}"\nurl = "https://example.org/"\n')
        site.post(f"extra-{round_}.md", f"title: Extra {round_}\ndate: 2026-11-0{round_ % 9 + 1}")
        proc = start(site, "run", "--no-serve")
        time.sleep(rng.uniform(0.25, 1.4))  # start-up ~0.3 s, then a full build ~1 s
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        interrupted += "built " not in err
        check_output(site)
    assert interrupted >= 10  # most kills landed before the build finished
    result = site.cli("build")  # and the next build completes the work
    assert result.returncode in (0, 1), result.stderr
    assert b"Round 29" in (site.output / "feed.xml").read_bytes()
    check_output(site)


# --- file events -------------------------------------------------------------------------------

@pytest.mark.parametrize("polling", [False, True])
def test_watcher_calls_back_once_per_burst(tmp_path: Path, polling: bool) -> None:
    from feedpub.daemon.watch import Watcher

    posts, out = tmp_path / "posts", tmp_path / "output"
    posts.mkdir()
    out.mkdir()
    calls: list[float] = []
    watcher = Watcher([posts, tmp_path / "templates"], [tmp_path / "feedpub.toml"], [out],
                      lambda: calls.append(time.monotonic()), polling=polling)
    try:
        time.sleep(0.2)
        for i in range(20):  # a burst, as when a git checkout lands
            (posts / f"p{i}.md").write_text("x", encoding="utf-8")
        wait_until(lambda: calls, 2)
        time.sleep(0.7 if polling else 0.4)
        assert len(calls) == 1
        (out / "feed.xml").write_text("ignored", encoding="utf-8")
        (posts / ".p1.md.swp").write_text("ignored", encoding="utf-8")
        time.sleep(1.2 if polling else 0.4)
        assert len(calls) == 1
        (tmp_path / "templates").mkdir()  # a folder that appears later is watched inside
        wait_until(lambda: len(calls) == 2, 2)
        (tmp_path / "templates" / "base.html").write_text("x", encoding="utf-8")
        wait_until(lambda: len(calls) == 3, 2)
        (tmp_path / "feedpub.toml").write_text("", encoding="utf-8")
        wait_until(lambda: len(calls) == 4, 2)
    finally:
        watcher.stop()
