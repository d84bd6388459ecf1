"""Which posts each digest takes, across a changing posts/ folder: never twice, never skipped."""

from __future__ import annotations

import datetime as dt
import shutil

from feedpub.build.pipeline import build
from feedpub.config import Config
from feedpub.digest.make import DigestResult
from feedpub.digest.plan import DigestRequest, schedule_period
from feedpub.digest.schedule import last_scheduled_slot
from feedpub.store.digests import history
from feedpub.store.ledger import open_ledger
from tests.conftest import Site, make_digest

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
DAY = dt.timedelta(days=1)


def configure(site: Site, digest: str = "") -> Config:
    site.write_config(f"""
        [site]
        title = "Example"
        url = "https://example.org/"
        timezone = "Europe/Berlin"
        [digest]
        schedule = "0 8 * * mon"
        {digest}
    """)
    return site.config()


def post(site: Site, slug: str, date: dt.datetime, extra: str = "", body: str = "Hello.\n") -> None:
    site.post(f"{slug}.md", f"title: Post {slug}\ndate: {date.isoformat()}\n{extra}", body)


def titles(result: DigestResult) -> list[str]:
    return sorted(result.posts)


def recorded(site: Site) -> list[tuple[str, tuple[str, ...]]]:
    ledger = open_ledger(site.config().paths.state, create=False)
    assert ledger is not None
    with ledger:
        return [(d.id, d.post_ids) for d in history(ledger).digests]


def test_first_digest_takes_the_last_schedule_period(site: Site) -> None:
    config = configure(site)
    post(site, "old", T0 - 30 * DAY)
    post(site, "recent", T0 - 2 * DAY)
    post(site, "week-edge", T0 - 8 * DAY)
    result = make_digest(config, T0)
    assert titles(result) == ["Post recent"]
    assert result.digest_id == "2026-11-02-1"
    assert (site.output / "digests" / "2026-11-02-1" / "digest.eml").is_file()


def test_sequence_of_changes_never_repeats_or_skips_a_post(site: Site) -> None:
    config = configure(site)
    post(site, "old", T0 - 60 * DAY)
    post(site, "recent", T0 - 1 * DAY)
    post(site, "private", T0 - 1 * DAY, "digest: false")
    first = make_digest(config, T0)
    assert titles(first) == ["Post recent"]

    post(site, "new", T0 + 1 * DAY)
    post(site, "future", T0 + 20 * DAY)
    second = make_digest(config, T0 + 7 * DAY)
    assert titles(second) == ["Post new"]  # the future post is not live yet

    post(site, "backdated", T0 - 400 * DAY)  # written now, dated long ago
    post(site, "flaky", T0 + 8 * DAY)
    post(site, "new", T0 + 1 * DAY, body="Edited body.\n")  # already sent: stays out
    build(config, T0 + 8 * DAY)  # a build sees `flaky` published...
    post(site, "flaky", T0 + 8 * DAY, "draft: true")  # ...then it turns draft
    third = make_digest(config, T0 + 14 * DAY)
    assert titles(third) == ["Post backdated"]

    post(site, "flaky", T0 + 8 * DAY)  # published again
    shutil.rmtree(site.output)
    fourth = make_digest(config, T0 + 21 * DAY)
    assert titles(fourth) == ["Post flaky", "Post future"]
    assert make_digest(config, T0 + 21 * DAY + dt.timedelta(hours=1)).digest_id is None

    sent = [pid for _, ids in recorded(site) for pid in ids]
    assert len(sent) == len(set(sent)) == 5
    for digest_id, _ in recorded(site):  # output/ was deleted: every digest came back
        for name in ("index.html", "digest.txt", "digest.eml"):
            assert (site.output / "digests" / digest_id / name).is_file()
    archive = (site.output / "digests" / "index.html").read_text(encoding="utf-8")
    assert archive.count('class="subject"') == 4


def test_max_posts_overflow_waits_for_the_next_digest(site: Site) -> None:
    config = configure(site, "max_posts = 2")
    post(site, "seed", T0 - DAY)
    make_digest(config, T0)
    for n in range(3):
        post(site, f"p{n}", T0 + (n + 1) * dt.timedelta(hours=1))
    second = make_digest(config, T0 + DAY)
    assert titles(second) == ["Post p0", "Post p1"]  # the oldest first
    assert any("over max_posts (2): it goes in the next digest" in line
               for line in second.explanation)
    assert titles(make_digest(config, T0 + 2 * DAY)) == ["Post p2"]


def test_empty_run_writes_nothing_and_later_posts_still_come(site: Site) -> None:
    config = configure(site)
    post(site, "old", T0 - 60 * DAY)
    result = make_digest(config, T0)
    assert result.digest_id is None and result.skipped_reason
    assert not (site.output / "digests").exists()
    post(site, "later", T0 + DAY)
    assert titles(make_digest(config, T0 + 7 * DAY)) == ["Post later"]


def test_skip_empty_false_renders_an_empty_digest(site: Site) -> None:
    config = configure(site, "skip_empty = false")
    post(site, "old", T0 - 60 * DAY)
    result = make_digest(config, T0)
    assert result.digest_id == "2026-11-02-1" and result.posts == ()
    text = (site.output / "digests" / "2026-11-02-1" / "digest.txt").read_text()
    assert "Nothing new" in text


def test_preview_records_nothing(site: Site) -> None:
    config = configure(site)
    post(site, "recent", T0 - DAY)
    preview = make_digest(config, T0, DigestRequest(preview=True))
    assert preview.digest_id == "preview"
    assert (site.output / "digests" / "preview" / "digest.eml").is_file()
    assert recorded(site) == []
    assert titles(make_digest(config, T0 + dt.timedelta(minutes=5))) == ["Post recent"]


def test_explicit_windows(site: Site) -> None:
    config = configure(site)
    post(site, "a", T0 - 40 * DAY, "tags: [python]")
    post(site, "b", T0 - 20 * DAY, "tags: [rust]")
    post(site, "c", T0 - 3 * DAY, "tags: [Python]")
    post(site, "hidden", T0 - 2 * DAY, "digest: false\ntags: [python]")

    def pick(**kwargs: object) -> list[str]:
        request = DigestRequest(preview=True, **kwargs)  # type: ignore[arg-type]
        return titles(make_digest(config, T0, request))

    assert pick(latest=2) == ["Post b", "Post c"]
    assert pick(days=30) == ["Post b", "Post c"]
    assert pick(since=T0 - 25 * DAY) == ["Post b", "Post c"]
    assert pick(tag="python") == ["Post a", "Post c"]
    assert pick(tag="python", days=10) == ["Post c"]


def test_explicit_digest_is_recorded_and_not_repeated_by_the_next(site: Site) -> None:
    config = configure(site)
    post(site, "seed", T0 - DAY)
    make_digest(config, T0)
    post(site, "x", T0 + DAY, "tags: [x]")
    post(site, "y", T0 + DAY, "tags: [y]")
    assert titles(make_digest(config, T0 + 2 * DAY, DigestRequest(tag="x"))) == ["Post x"]
    assert titles(make_digest(config, T0 + 7 * DAY)) == ["Post y"]


def test_a_scheduled_slot_is_rendered_once(site: Site) -> None:
    config = configure(site)
    assert last_scheduled_slot(config) is None
    post(site, "recent", T0 - DAY)
    slot = T0.replace(hour=7)  # 08:00 in Berlin
    first = make_digest(config, T0, DigestRequest(scheduled_for=slot))
    assert first.digest_id is not None
    post(site, "another", T0 + dt.timedelta(minutes=1))
    again = make_digest(config, T0 + dt.timedelta(minutes=2), DigestRequest(scheduled_for=slot))
    assert again.digest_id is None and "already" in (again.skipped_reason or "")
    assert last_scheduled_slot(config) == slot
    empty_slot = slot + 7 * DAY
    make_digest(config, empty_slot, DigestRequest(scheduled_for=empty_slot))  # takes "another"
    later = empty_slot + 7 * DAY
    assert make_digest(config, later, DigestRequest(scheduled_for=later)).digest_id is None
    assert last_scheduled_slot(config) == later  # an empty slot is recorded too
    assert make_digest(config, later, DigestRequest(scheduled_for=later)).skipped_reason


def test_feed_build_keeps_digest_files(site: Site) -> None:
    config = configure(site)
    post(site, "recent", T0 - DAY)
    post(site, "other", T0 - DAY)
    result = make_digest(config, T0)
    (site.posts / "other.md").unlink()
    report = build(config, T0 + DAY)
    assert not any(path.startswith("digests/") for path in report.removed)
    assert (site.output / "digests" / str(result.digest_id) / "digest.eml").is_file()
    assert (site.output / "digests" / "index.html").is_file()


def test_schedule_period_follows_the_cron_schedule() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    assert schedule_period("0 8 * * mon", zone, T0) == 7 * DAY
    assert schedule_period("0 8 * * *", zone, T0) == DAY
    assert schedule_period("*/15 * * * *", zone, T0) == dt.timedelta(minutes=15)
    # Across the DST change on 2026-10-25 a daily 08:00 is 25 hours apart.
    assert schedule_period("0 8 * * *", zone, dt.datetime(2026, 10, 25, 9, tzinfo=dt.UTC)) \
        == dt.timedelta(hours=25)


def test_explain_says_why_for_every_post(site: Site) -> None:
    configure(site)
    now = dt.datetime.now(dt.UTC)
    post(site, "fresh", now - DAY)
    post(site, "stale", now - 90 * DAY)
    post(site, "draft", now - DAY, "draft: true")
    post(site, "later", now + 30 * DAY)
    post(site, "private", now - DAY, "digest: false")
    result = site.cli("digest", "--explain")
    assert result.returncode == 0, result.stderr
    lines = {line.split("  ")[2]: line for line in result.stdout.splitlines() if "  " in line}
    assert lines["Post fresh"].startswith("in ")
    assert "before this first digest's window" in lines["Post stale"]
    assert lines["Post draft"].endswith(": draft")
    assert "scheduled for" in lines["Post later"]
    assert "digest: false" in lines["Post private"]
    assert "nothing was built, written or recorded" in result.stdout
    assert not site.output.exists() and not (site.root / ".feedpub").exists()  # not even built


def test_cli_without_posts_to_send_exits_zero(site: Site) -> None:
    configure(site)
    post(site, "stale", T0 - 90 * DAY)
    result = site.cli("digest")
    assert result.returncode == 0, result.stderr
    assert "no digest: no posts to send" in result.stdout
    assert not (site.output / "digests").exists()


def test_cli_rejects_a_bad_since(site: Site) -> None:
    configure(site)
    result = site.cli("digest", "--since", "last tuesday")
    assert result.returncode == 2
    assert "--since:" in result.stderr and "not a date" in result.stderr


def test_a_sent_post_given_an_explicit_id_later_is_not_sent_again(site: Site) -> None:
    config = configure(site)
    post(site, "seed", T0 - DAY)
    make_digest(config, T0)
    post(site, "sent", T0 + DAY)
    assert titles(make_digest(config, T0 + 7 * DAY)) == ["Post sent"]
    post(site, "sent", T0 + DAY, "id: urn:uuid:5b1c1f0e-0000-4000-8000-000000000001")
    post(site, "fresh", T0 + 8 * DAY)
    assert titles(make_digest(config, T0 + 14 * DAY)) == ["Post fresh"]


def test_a_new_post_taking_a_renamed_posts_old_slug_is_sent(site: Site) -> None:
    config = configure(site)
    post(site, "hello", T0 - DAY, body="The original text.\n")
    make_digest(config, T0)
    (site.posts / "hello.md").unlink()
    post(site, "hello-world", T0 - DAY, body="The original text.\n")  # a rename: same id
    build(config, T0 + DAY)
    site.post("hello.md", f"title: Another hello\ndate: {(T0 + DAY).isoformat()}", "New.\n")
    assert titles(make_digest(config, T0 + 7 * DAY)) == ["Another hello"]


def test_restore_digests_brings_deleted_output_back(site: Site) -> None:
    from feedpub.build.pipeline import load_posts
    from feedpub.digest.make import restore_digests

    config = configure(site)
    post(site, "recent", T0 - DAY)
    assert restore_digests(config, load_posts(config).posts, T0) == ()  # none recorded
    result = make_digest(config, T0)
    before = {p.name: p.read_bytes() for p in (site.output / "digests" / str(result.digest_id))
              .iterdir()}
    shutil.rmtree(site.output / "digests")
    written = restore_digests(config, load_posts(config).posts, T0 + DAY)
    assert "digests/index.html" in written and "digests/feed.xml" in written
    folder = site.output / "digests" / str(result.digest_id)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_build_after_output_was_deleted_brings_the_digests_back(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    site.cli("digest", "--latest", "5", check=True)
    (digest_dir,) = [p for p in (site.output / "digests").iterdir() if p.is_dir()]
    shutil.rmtree(site.output)
    site.cli("build", check=True)
    assert (digest_dir / "digest.eml").is_file()
    assert (site.output / "digests" / "index.html").is_file()
