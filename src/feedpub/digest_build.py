"""The digest pipeline: build, plan from the ledger, render, record (one transaction), write.

The interface the daemon uses: `make_digest(config, now, DigestRequest(scheduled_for=slot))`
and `last_scheduled_slot(config)`. A slot is recorded at most once (a UNIQUE column), so a
daemon killed and restarted never renders a slot twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from feedpub import digest_archive, digest_ledger
from feedpub.build import build, load
from feedpub.config import Config
from feedpub.digest import (
    Candidate,
    DigestRequest,
    History,
    PastDigest,
    candidates,
    digest_id,
    parse_since,
    plan_digest,
    schedule_period,
)
from feedpub.email_render import DigestInfo, RenderedDigest, render_digest
from feedpub.errors import PostProblem, StateError
from feedpub.feeds import Item
from feedpub.output import OutputWriter
from feedpub.posts import Post
from feedpub.render import render_markdown
from feedpub.state import Ledger, exclusive, open_ledger
from feedpub.templating import environment
from feedpub.urls import post_url

__all__ = ["DigestRequest", "DigestResult", "last_scheduled_slot", "make_digest",
           "request_from_options", "restore_digests"]
FILES = ("index.html", "digest.txt", "digest.eml")
PREVIEW = "preview"


@dataclass(frozen=True)
class DigestResult:
    """What `make_digest` did: the digest written, or why none was."""

    digest_id: str | None  # None when skipped; "preview" for a preview
    posts: tuple[str, ...]  # the titles, in the digest's order
    skipped_reason: str | None
    written: tuple[str, ...]  # paths under output/ that were (re)written
    folder: Path | None  # output/digests/<id>/
    explanation: tuple[str, ...]  # one line per candidate post: in or out, and why
    size_bytes: int = 0  # of digest.eml
    shortened: str | None = None  # set when excerpts were cut to stay under 102 KB
    problems: tuple[PostProblem, ...] = ()  # from the build: broken posts, renames

    @property
    def message(self) -> str:
        """One line for the user."""
        if self.digest_id is None:
            return f"no digest: {self.skipped_reason}"
        what = "preview digest" if self.digest_id == PREVIEW else f"digest {self.digest_id}"
        note = f" ({self.shortened})" if self.shortened else ""
        return (f"{what}: {len(self.posts)} post{'s' if len(self.posts) != 1 else ''}, "
                f"{self.size_bytes} bytes{note} -> {self.folder}")


def make_digest(config: Config, now: dt.datetime,
                request: DigestRequest | None = None) -> DigestResult:
    """Build, then render and record the digest `request` asks for (the next one by default)."""
    request = request or DigestRequest()
    report = build(config, now)
    local = now.astimezone(config.site.zone)
    env = environment(config.paths.templates, "email")
    with exclusive(config.paths.state, "digest.lock"), _ledger(config) as ledger:
        digest_ledger.ensure_schema(ledger)
        candidates = _candidates(config, ledger, local)
        writer = OutputWriter(config.paths.output, {})
        result = _digest(config, local, request, env, ledger, candidates, writer)
        _restore(config, env, ledger, _published(candidates), writer)
    return replace(result, written=tuple(writer.written), problems=report.problems)


def restore_digests(config: Config, now: dt.datetime) -> tuple[str, ...]:
    """Re-create every missing digest file and the archive from the ledger; paths written.

    For a build after output/ was deleted; it writes nothing when no digest is recorded.
    """
    env = environment(config.paths.templates, "email")
    with exclusive(config.paths.state, "digest.lock"), _ledger(config) as ledger:
        digest_ledger.ensure_schema(ledger)
        writer = OutputWriter(config.paths.output, {})
        candidates = _candidates(config, ledger, now.astimezone(config.site.zone))
        _restore(config, env, ledger, _published(candidates), writer)
    return tuple(writer.written)


def restore_digests_if_missing(config: Config, now: dt.datetime) -> tuple[str, ...]:
    """restore_digests() when output/digests/ is gone and the ledger holds digests."""
    if (config.paths.output / "digests" / "index.html").exists():
        return ()
    ledger = open_ledger(config.paths.state, create=False)
    if ledger is None:
        return ()
    with ledger:
        recorded = ledger.has_digests()
    return restore_digests(config, now) if recorded else ()


def last_scheduled_slot(config: Config) -> dt.datetime | None:
    """The latest cron slot a digest (or an empty run) was recorded for, None if none."""
    ledger = open_ledger(config.paths.state, create=False)
    if ledger is None:
        return None
    with ledger:
        digest_ledger.ensure_schema(ledger)
        return digest_ledger.last_slot(ledger)


def request_from_options(config: Config, since: str | None, days: int | None,
                         latest: int | None, tag: str | None, preview: bool) -> DigestRequest:
    """A DigestRequest from the command line's options (--since is parsed in the site zone)."""
    when = parse_since(since, config.site.zone) if since else None
    return DigestRequest(since=when, days=days, latest=latest, tag=tag, preview=preview)


def _ledger(config: Config) -> Ledger:
    ledger = open_ledger(config.paths.state)
    if ledger is None:  # only with create=False
        raise StateError(f"{config.paths.state}: no state database")
    return ledger


def _candidates(config: Config, ledger: Ledger, now: dt.datetime) -> list[Candidate]:
    """Every post, with its ledger id and first-seen time when published."""
    return candidates(load(config).posts, ledger.posts(), config.site.url, now)


def _published(candidates: Sequence[Candidate]) -> dict[str, Post]:
    return {c.id: c.post for c in candidates if c.id is not None and c.first_published}


def _digest(config: Config, now: dt.datetime, request: DigestRequest, env: jinja2.Environment,
            ledger: Ledger, candidates: Sequence[Candidate], writer: OutputWriter) -> DigestResult:
    """Plan, render, record and write one digest (or say why there is none)."""
    slot = None if request.preview else request.scheduled_for
    if slot is not None and digest_ledger.slot_taken(ledger, slot):
        return _skipped(f"the slot {slot.isoformat()} already has its digest", ())
    past = digest_ledger.history(ledger)
    period = schedule_period(config.digest.schedule, config.site.zone, now)
    plan = plan_digest(candidates, past, request, now, period, config.digest.max_posts)
    if not plan.chosen and config.digest.skip_empty:
        if not request.preview and not request.explicit and (past.baseline is None or slot):
            digest_ledger.record_skip(ledger, now, slot)  # the series starts; the slot is done
        return _skipped("no posts to send (skip_empty = true)", plan.explanation)
    new_id = PREVIEW if request.preview else digest_id((d.id for d in past.digests), now,
                                                       config.site.zone)
    rendered = render_digest(env, config, _info(config, new_id, now, plan.label, plan.kind),
                             _items(config, plan.chosen))
    record = PastDigest(new_id, now, plan.kind, plan.label, rendered.subject,
                        tuple(c.id for c in plan.chosen if c.id), slot,
                        tuple(c.post.slug for c in plan.chosen if c.id))
    if not request.preview and not digest_ledger.record_digest(ledger, record):
        return _skipped(f"the slot {slot} already has its digest", plan.explanation)
    _write(writer, new_id, rendered)  # after recording: a crash here is repaired by _restore
    return DigestResult(new_id, tuple(c.post.title for c in plan.chosen), None, (),
                        config.paths.output / "digests" / new_id, plan.explanation,
                        len(rendered.eml), _shortened(rendered))


def _skipped(reason: str, explanation: tuple[str, ...]) -> DigestResult:
    return DigestResult(None, (), reason, (), None, explanation)


def _shortened(rendered: RenderedDigest) -> str | None:
    if rendered.excerpts == "full":
        return None
    how = "shortened excerpts" if rendered.excerpts == "short" else "titles only"
    return f"{how}: the full digest would pass 102 KB, where Gmail clips"


def _info(config: Config, new_id: str, created: dt.datetime, label: str,
          kind: str) -> DigestInfo:
    return DigestInfo(new_id, created, label, digest_archive.digest_url(config, new_id),
                      digest_archive.archive_url(config), digest_archive.feed_url(config), kind)


def _items(config: Config, chosen: Sequence[Candidate]) -> list[Item]:
    """The chosen posts rendered (absolute URLs, unique footnote ids), in digest order."""
    return [_item(config, c.post, c.id or "") for c in chosen]


def _item(config: Config, post: Post, post_id: str) -> Item:
    url = post_url(config.site.url, post.slug)
    return Item(post, post_id, url, render_markdown(post.body, post.summary, post.slug, url))


def _write(writer: OutputWriter, folder: str, rendered: RenderedDigest) -> None:
    base = f"digests/{folder}/"
    writer.write(base + "index.html", rendered.web_html.encode("utf-8"))
    writer.write(base + "digest.txt", rendered.text.encode("utf-8"))
    writer.write(base + "digest.eml", rendered.eml)


def _restore(config: Config, env: jinja2.Environment, ledger: Ledger,
             posts: Mapping[str, Post], writer: OutputWriter) -> None:
    """Re-create missing digest files from the ledger; refresh the archive and its feed."""
    past = digest_ledger.history(ledger)
    for digest in past.digests:
        folder = config.paths.output / "digests" / digest.id
        if all((folder / name).is_file() for name in FILES):
            continue
        items = [_item(config, posts[p], p) for p in digest.post_ids if p in posts]
        info = _info(config, digest.id, digest.created.astimezone(config.site.zone),
                     digest.label, digest.kind)
        _write(writer, digest.id, render_digest(env, config, info, items))
    _write_archive(config, env, ledger, past, writer)


def _write_archive(config: Config, env: jinja2.Environment, ledger: Ledger, past: History,
                   writer: OutputWriter) -> None:
    if not past.digests:
        return  # nothing recorded yet: an empty run writes nothing
    titles = {row.id: row.title for row in ledger.posts().values()}
    archive = digest_archive.entries(config, past.digests, titles)
    writer.write("digests/index.html", digest_archive.archive_page(env, config, archive))
    writer.write("digests/feed.xml", digest_archive.digests_feed(config, archive))
