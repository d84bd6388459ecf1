"""The newsletter: the posts since the last digest, rendered as email and web page.

plan (which posts, and why) -> email (HTML with CSS inlined, text, .eml) -> archive
(every digest, a page and a feed); schedule (which cron slot is due). `make_digest`
plans, renders, records (one transaction) and writes. It takes the posts from its
caller and never runs a build: the CLI and the daemon build first, so that the ledger
knows every published post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from feedpub.config import Config
from feedpub.digest import archive
from feedpub.digest.email import DigestInfo, RenderedDigest, render_digest
from feedpub.digest.images import SizeOf, site_image_sizes
from feedpub.digest.plan import (
    Candidate,
    DigestRequest,
    candidates,
    digest_id,
    parse_since,
    plan_digest,
    schedule_period,
)
from feedpub.errors import FeedpubError, plural
from feedpub.feeds.model import Item
from feedpub.output.writer import OutputWriter
from feedpub.posts.frontmatter import ChangedError, read_body
from feedpub.posts.model import Post
from feedpub.render.post import render_post
from feedpub.store import digests
from feedpub.store.digests import History, PastDigest
from feedpub.store.ledger import Ledger, open_ledger, read_ledger
from feedpub.store.locks import DIGEST, exclusive
from feedpub.store.published import known_posts
from feedpub.templating import environment
from feedpub.urls import (
    DIGEST_FILES,
    archive_url,
    digest_path,
    digest_url,
    digests_feed_url,
    post_url,
)

if TYPE_CHECKING:
    import jinja2

__all__ = ["DigestRequest", "DigestResult", "explain_digest", "make_digest",
           "request_from_options", "restore_digests"]
PREVIEW = "preview"


@dataclass(frozen=True)
class DigestResult:
    """What `make_digest` did: the digest written, or why none was."""

    digest_id: str | None  # None when skipped; "preview" for a preview
    posts: tuple[str, ...]  # the titles, in the digest's order
    skipped_reason: str | None
    written: tuple[str, ...]  # paths under output/ that were (re)written
    folder: Path | None  # output/digests/<id>/
    url: str  # its web version ("" when none was written)
    explanation: tuple[str, ...]  # one line per candidate post: in or out, and why
    size_bytes: int = 0  # of digest.eml
    shortened: str | None = None  # set when posts were cut to stay under 102 KB
    restored: tuple[str, ...] = ()  # earlier digests whose lost files were made again

    @property
    def message(self) -> str:
        """One line for the user."""
        if self.digest_id is None:
            return f"no digest: {self.skipped_reason}"
        what = "preview digest" if self.digest_id == PREVIEW else f"digest {self.digest_id}"
        note = f" ({self.shortened})" if self.shortened else ""
        count = len(self.posts)
        again = f"; restored digest {', '.join(self.restored)}" if self.restored else ""
        return (f"{what}: {plural(count, 'post')}, {self.size_bytes} bytes"
                f"{note} -> {self.url or self.folder}{again}")


def make_digest(config: Config, posts: Sequence[Post], now: dt.datetime,
                request: DigestRequest | None = None) -> DigestResult:
    """Render and record the digest `request` asks for (the next one by default)."""
    request = request or DigestRequest()
    local = now.astimezone(config.site.zone)
    env = environment(config.paths.templates, "email")
    with exclusive(config.paths.state, DIGEST), _ledger(config) as ledger:
        known = candidates(posts, known_posts(ledger), config.site.url, local)
        writer = OutputWriter(config.paths.output, {})
        result = _digest(config, local, request, env, ledger, known, writer)
        restored = _restore(config, env, ledger, _published(known), writer)
    return replace(result, written=tuple(writer.written), restored=restored)


def explain_digest(config: Config, posts: Sequence[Post], now: dt.datetime,
                   request: DigestRequest) -> tuple[str, ...]:
    """For every post, why it would be in or out of the digest `request` asks for, as if
    the posts were built now; reads the ledger only, writes nothing."""
    local = now.astimezone(config.site.zone)
    known, past = {}, History((), None)
    ledger = read_ledger(config.paths.state)
    if ledger is not None:
        with ledger:
            known, past = known_posts(ledger), digests.history(ledger)
    period = schedule_period(config.digest.schedule, config.site.zone, local)
    chosen = candidates(posts, known, config.site.url, local, as_if_built=True)
    return plan_digest(chosen, past, request, local, period, config.digest.max_posts).explanation


def restore_digests(config: Config, posts: Sequence[Post], now: dt.datetime) -> tuple[str, ...]:
    """Re-create missing digest files and the archive from the ledger; the paths written
    again (none for the empty archive a site that sends email has before its first
    digest: that one is new, not restored)."""
    env = environment(config.paths.templates, "email")
    with exclusive(config.paths.state, DIGEST), _ledger(config) as ledger:
        writer = OutputWriter(config.paths.output, {})
        known = candidates(posts, known_posts(ledger), config.site.url, now)
        _restore(config, env, ledger, _published(known), writer)
        recorded = bool(digests.history(ledger).digests)
    return tuple(writer.written) if recorded else ()


def render_recorded(config: Config, posts: Sequence[Post], digest_id: str,
                    unsubscribe: str) -> RenderedDigest:
    """A recorded digest rendered again, as it is sent: with `unsubscribe` as the link to
    leave (a placeholder each subscriber's own link replaces). FeedpubError if unknown."""
    env = environment(config.paths.templates, "email")
    with _ledger(config) as ledger:
        found = [d for d in digests.history(ledger).digests if d.id == digest_id]
        if not found:
            raise FeedpubError(f"no digest {digest_id!r} (feedpub status lists them)")
        known = _published(candidates(posts, known_posts(ledger), config.site.url,
                                      found[0].created))
    digest = found[0]
    chosen = [(known[p], p) for p in digest.post_ids if p in known]
    info = _info(config, digest.id, digest.created.astimezone(config.site.zone), digest.label,
                 digest.kind)
    return render_digest(env, config, info, _items(config, chosen), unsubscribe,
                         _image_sizes(config))


def request_from_options(config: Config, since: str | None, days: int | None,
                         latest: int | None, tag: str | None, preview: bool) -> DigestRequest:
    """A DigestRequest from the command line's options (--since is in the site zone)."""
    when = parse_since(since, config.site.zone) if since else None
    return DigestRequest(since=when, days=days, latest=latest, tag=tag, preview=preview)


def _ledger(config: Config) -> Ledger:
    return open_ledger(config.paths.state)


def _published(known: Sequence[Candidate]) -> dict[str, Post]:
    return {c.id: c.post for c in known if c.id is not None and c.first_published}


def _digest(config: Config, now: dt.datetime, request: DigestRequest, env: jinja2.Environment,
            ledger: Ledger, known: Sequence[Candidate], writer: OutputWriter) -> DigestResult:
    """Plan, render, record and write one digest (or say why there is none)."""
    slot = None if request.preview else request.scheduled_for
    if slot is not None and digests.slot_taken(ledger, slot):
        return _skipped(f"the slot {slot.isoformat()} already has its digest", ())
    past = digests.history(ledger)
    period = schedule_period(config.digest.schedule, config.site.zone, now)
    plan = plan_digest(known, past, request, now, period, config.digest.max_posts)
    if not plan.chosen and config.digest.skip_empty:
        if not request.preview and not request.explicit and (past.baseline is None or slot):
            digests.record_skip(ledger, now, slot)  # the series starts; the slot is done
        return _skipped("no posts to send (skip_empty = true)", plan.explanation)
    new_id = PREVIEW if request.preview else digest_id((d.id for d in past.digests), now,
                                                       config.site.zone)
    rendered = render_digest(env, config, _info(config, new_id, now, plan.label, plan.kind),
                             _items(config, [(c.post, c.id or "") for c in plan.chosen]),
                             size_of=_image_sizes(config))
    record = PastDigest(new_id, now, plan.kind, plan.label, rendered.subject,
                        tuple(c.id for c in plan.chosen if c.id), slot,
                        tuple(c.post.slug for c in plan.chosen if c.id))
    if not request.preview and not digests.record_digest(ledger, record):
        return _skipped(f"the slot {slot} already has its digest", plan.explanation)
    _write(writer, new_id, rendered)  # after recording: a crash here is repaired by _restore
    return DigestResult(new_id, tuple(c.post.title for c in plan.chosen), None, (),
                        config.paths.output / "digests" / new_id, digest_url(config.site.url,
                                                                              new_id),
                        plan.explanation, len(rendered.eml), rendered.shortened)


def _skipped(reason: str, explanation: tuple[str, ...]) -> DigestResult:
    return DigestResult(None, (), reason, (), None, "", explanation)


def _image_sizes(config: Config) -> SizeOf:
    """The sizes of the images the site serves from output/ (the build wrote them)."""
    return site_image_sizes(config.site.url, config.paths.output)


def _info(config: Config, new_id: str, created: dt.datetime, label: str,
          kind: str) -> DigestInfo:
    url = config.site.url
    return DigestInfo(new_id, created, label, digest_url(url, new_id), archive_url(url),
                      digests_feed_url(url), kind)


def _items(config: Config, chosen: Sequence[tuple[Post, str]]) -> list[Item]:
    """The chosen posts rendered (absolute URLs, unique footnote ids), in digest order."""
    found = []
    for post, post_id in chosen:
        url = post_url(config.site.url, post.slug)
        try:
            body = read_body(config.root / post.source, post.fingerprint)
        except ChangedError as exc:
            raise ChangedError(f"{post.source}: {exc}") from None
        found.append(Item(post, post_id, url, render_post(body, post.summary, post.slug, url)))
    return found


def _write(writer: OutputWriter, folder: str, rendered: RenderedDigest) -> None:
    writer.write(digest_path(folder, "index.html"), rendered.web_html.encode("utf-8"))
    writer.write(digest_path(folder, "digest.txt"), rendered.text.encode("utf-8"))
    writer.write(digest_path(folder, "digest.eml"), rendered.eml)


def _restore(config: Config, env: jinja2.Environment, ledger: Ledger,
             posts: Mapping[str, Post], writer: OutputWriter) -> tuple[str, ...]:
    """Re-create missing digest files from the ledger; refresh the archive and its feed.
    The ids of the digests made again."""
    past = digests.history(ledger)
    restored = []
    for digest in past.digests:
        folder = config.paths.output / "digests" / digest.id
        if all((folder / name).is_file() for name in DIGEST_FILES):
            continue
        restored.append(digest.id)
        chosen = [(posts[p], p) for p in digest.post_ids if p in posts]
        info = _info(config, digest.id, digest.created.astimezone(config.site.zone),
                     digest.label, digest.kind)
        _write(writer, digest.id, render_digest(env, config, info, _items(config, chosen),
                                                size_of=_image_sizes(config)))
    # nothing recorded yet: no archive, unless the site's pages link to it
    if past.digests or digests.archive_wanted(config):
        titles = {row.id: row.title for row in known_posts(ledger).values()}
        entries = archive.entries(config, past.digests, titles)
        writer.write(archive.INDEX, archive.archive_page(env, config, entries))
        writer.write(archive.FEED, archive.digests_feed(config, entries))
    return tuple(restored)
