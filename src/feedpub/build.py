"""The pipeline, top to bottom: load -> select -> identify -> render -> write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from feedpub import feeds, selection, site
from feedpub.config import Config
from feedpub.errors import PostProblem
from feedpub.feeds import FeedInfo, Item
from feedpub.identity import assign_ids
from feedpub.output import OutputWriter
from feedpub.posts import LoadResult, Post, read_posts
from feedpub.render import render_markdown
from feedpub.state import exclusive, open_ledger
from feedpub.templating import environment
from feedpub.urls import feed_path, post_url, site_path, tag_page_url

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildReport:
    published: int
    scheduled: int
    drafts: int
    feeds: int
    written: tuple[str, ...]
    removed: tuple[str, ...]
    problems: tuple[PostProblem, ...]
    next_publish: dt.datetime | None
    new_posts: tuple[str, ...] = field(default=())  # titles published for the first time

    @property
    def errors(self) -> tuple[PostProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def load(config: Config) -> LoadResult:
    """Every post under the posts folder, or its problems."""
    return read_posts(config.paths.posts, config.root, config.site.zone)


def build(config: Config, now: dt.datetime, progress: Progress | None = None) -> BuildReport:
    """Build output/ from posts/ as of `now`; broken posts are reported, not fatal."""
    loaded = load(config)
    live = selection.published(loaded.posts, now)
    env = environment(config.paths.templates, "site")
    with exclusive(config.paths.state, "build.lock"), open_ledger(config.paths.state) as ledger:
        known = ledger.posts()
        identity = assign_ids(live, {p.slug for p in loaded.posts}, known, config.site.url, now)
        items = render_items(live, identity.ids, config, progress)
        writer = OutputWriter(config.paths.output, ledger.output_files())
        feed_count = 0
        for path, data in artifacts(items, config, env):
            writer.write(path, data)
            feed_count += path.endswith((".xml", ".json")) and "feed.xsl" not in path
        removed = writer.remove_stale()
        ledger.record_build(identity.changes, writer.manifest, {})
    new_ids = {c.row.id for c in identity.changes if c.old_id is None} - set(known)
    return BuildReport(
        published=len(live),
        scheduled=sum(selection.status(p, now) is selection.Status.SCHEDULED
                      for p in loaded.posts),
        drafts=sum(p.draft for p in loaded.posts),
        feeds=feed_count,
        written=tuple(writer.written),
        removed=tuple(removed),
        problems=loaded.problems + identity.problems,
        next_publish=selection.next_publish_time(loaded.posts, now),
        new_posts=tuple(i.post.title for i in items if i.id in new_ids),
    )


def render_items(live: Sequence[Post], ids: dict[str, str], config: Config,
                 progress: Progress | None = None) -> list[Item]:
    """Each published post rendered to HTML with absolute URLs, newest first."""
    items = []
    for done, post in enumerate(live, 1):
        url = post_url(config.site.url, post.slug)
        rendered = render_markdown(post.body, post.summary, post.slug, url)
        items.append(Item(post, ids[post.slug], url, rendered))
        if progress:
            progress(done, len(live))
    return items


def feed_info(config: Config, fmt: str, tag_slug: str | None = None,
              tag_name: str = "") -> FeedInfo:
    """What the site's (or a tag's) feed in `fmt` says about itself."""
    site_conf = config.site
    return FeedInfo(
        title=f"{site_conf.title} · {tag_name}" if tag_name else site_conf.title,
        description=site_conf.description,
        home_url=tag_page_url(site_conf.url, tag_slug) if tag_slug else site_conf.url,
        self_url=site_conf.url + feed_path(fmt, tag_slug),
        language=site_conf.language,
        author_name=site_conf.author.name,
        author_email=site_conf.author.email,
        stylesheet=site_path(site_conf.url) + "feed.xsl" if fmt != "json" else None,
        full_content=config.feeds.content == "full",
    )


def artifacts(items: list[Item], config: Config, env: object) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every file a build writes, feeds first."""
    tags = selection.tags_of([i.post for i in items]) if config.feeds.tags else {}
    by_slug = {i.post.slug: i for i in items}
    tag_items = {slug: (tag, [by_slug[p.slug] for p in posts])
                 for slug, (tag, posts) in tags.items()}
    for fmt in config.feeds.formats:
        yield from _feeds_of(fmt, items, tag_items, config)
    yield "feed.xsl", site.stylesheet(env, config)  # type: ignore[arg-type]
    yield from site.pages(env, config, items, tag_items)  # type: ignore[arg-type]


def _feeds_of(fmt: str, items: list[Item], tag_items: dict[str, tuple[object, list[Item]]],
              config: Config) -> Iterator[tuple[str, bytes]]:
    serialise_item, serialise_feed = feeds.SERIALISERS[fmt]
    limit = config.feeds.limit
    site_info = feed_info(config, fmt)
    wanted = {id(i) for i in selection.limited(items, limit)}
    for _, members in tag_items.values():
        wanted.update(id(i) for i in selection.limited(members, limit))
    entries = {id(i): serialise_item(i, site_info) for i in items if id(i) in wanted}
    chosen = selection.limited(items, limit)
    yield feed_path(fmt), serialise_feed(site_info, chosen, [entries[id(i)] for i in chosen])
    for slug, (tag, members) in tag_items.items():
        info = feed_info(config, fmt, slug, tag.name)  # type: ignore[attr-defined]
        chosen = selection.limited(members, limit)
        yield feed_path(fmt, slug), serialise_feed(info, chosen, [entries[id(i)] for i in chosen])
