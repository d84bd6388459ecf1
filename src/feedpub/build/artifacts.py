"""Every file a build writes, planned as an Artifact: its path, a key hashing all its inputs,
and how to make it. Keys need no HTML, so the whole plan is made before any render
is waited for; a file whose key did not change is never made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache as once
from functools import partial
from typing import TYPE_CHECKING

from feedpub import __version__
from feedpub.build.items import EntrySpec, Published, enclosure_key, items
from feedpub.build.keys import content_key, entry_key
from feedpub.config import Config
from feedpub.feeds import formats, pages, sitemap
from feedpub.feeds.model import FeedInfo, Item, feed_updated, updated
from feedpub.output.segments import Segment
from feedpub.posts.model import Tag
from feedpub.posts.status import limited, tags_of
from feedpub.render.markdown import RENDER_VERSION
from feedpub.store.cache import BuildCache
from feedpub.templating import PACKAGE_TEMPLATES
from feedpub.urls import feed_path, post_path, site_path, tag_page_path, tag_page_url

if TYPE_CHECKING:
    import jinja2

Env = Callable[[], "jinja2.Environment"]
TagPosts = dict[str, tuple[Tag, list[Published]]]
ONE_BY_ONE = 16  # entries fetched from the cache one at a time before all are fetched
TAGS_PAGE, SUBSCRIBE_PAGE = "tags/index.html", "subscribe/index.html"


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to output/
    key: str  # hash of every input: the same key gives the same bytes
    produce: Callable[[], bytes | Sequence[Segment]]  # bytes, or segments (output.segments)


def settings(config: Config) -> str:
    """Everything in the config that shapes a feed entry or a page."""
    form = pages.subscribe_action(config)  # only when set: keys stay as they were without it
    return content_key(__version__, RENDER_VERSION, config.site, config.feeds,
                       *([form] if form else []))


def entry_specs(config: Config) -> tuple[EntrySpec, ...]:
    """The entries every published post needs: one per feed format."""
    return tuple(EntrySpec(fmt, feed_info(config, fmt), settings(config))
                 for fmt in config.feeds.formats)


def feed_info(config: Config, fmt: str, tag: Tag | None = None) -> FeedInfo:
    """What the site's (or a tag's) feed in `fmt` says about itself."""
    conf = config.site
    return FeedInfo(
        title=f"{conf.title} · {tag.name}" if tag else conf.title,
        description=conf.description,
        home_url=tag_page_url(conf.url, tag.slug) if tag else conf.url,
        self_url=conf.url + feed_path(fmt, tag.slug if tag else None),
        language=conf.language,
        author_name=conf.author.name,
        author_email=conf.author.email,
        stylesheet=site_path(conf.url) + "feed.xsl" if fmt != "json" else None,
        full_content=config.feeds.content == "full",
    )


def plan(published: list[Published], config: Config, cache: BuildCache,
         env: Env) -> Iterator[Artifact]:
    """Every file a build writes: feeds, the feed stylesheet, then the HTML pages."""
    tags = _tags(published) if config.feeds.tags else {}
    for spec in entry_specs(config):
        entries = _Entries(spec, cache, published)
        yield _feed(spec.info, None, published, entries, config.feeds.limit)
        for tag, members in tags.values():
            info = feed_info(config, spec.fmt, tag)
            yield _feed(info, tag.slug, members, entries, config.feeds.limit)
    look = content_key(settings(config), _templates_signature(config))
    yield Artifact("feed.xsl", content_key("xsl", look),
                   lambda: pages.stylesheet(env(), config))
    if config.site.pages:
        yield from _pages(published, tags, config, cache, env, look)


def _tags(published: list[Published]) -> TagPosts:
    by_slug = {p.post.slug: p for p in published}
    return {slug: (tag, [by_slug[p.slug] for p in posts])
            for slug, (tag, posts) in tags_of([p.post for p in published]).items()}


class _Entries:
    """Serialised entries of one format: from the cache, else made once per build."""

    def __init__(self, spec: EntrySpec, cache: BuildCache, published: Sequence[Published]):
        self.spec, self.cache = spec, cache
        self.keys = {p.id: entry_key(spec.fmt, spec.settings, p.id, p.url, p.post.fingerprint,
                                     enclosure_key(p.enclosure))
                     for p in published}
        self.made: dict[str, bytes] = {}
        self.lookups = 0  # entries fetched one by one; past ONE_BY_ONE, all are fetched
        cache.keep_entries(self.keys.values())  # feeds may copy them instead of fetching

    def data(self, published: Published) -> bytes:
        key = self.keys[published.id]
        if key not in self.made:
            # A feed copied from its last version needs only its new entries; a feed
            # written from scratch needs them all, in one query.
            self.lookups += 1
            wanted = self.keys.values() if self.lookups == ONE_BY_ONE else [key]
            self.made.update(self.cache.entries(wanted))
        if key not in self.made:
            item = items([published], self.cache)[0]
            self.made[key] = formats.SERIALISERS[self.spec.fmt](item, self.spec.info)
            self.cache.store_entry(key, self.made[key])
        return self.made[key]


def _feed(info: FeedInfo, tag_slug: str | None, published: Sequence[Published],
          entries: _Entries, limit: int) -> Artifact:
    chosen = limited(published, limit)
    key = content_key(entries.spec.fmt, info, "".join([entries.keys[p.id] for p in chosen]))
    return Artifact(feed_path(entries.spec.fmt, tag_slug), key,
                    partial(_feed_parts, info, chosen, entries))


def _feed_parts(info: FeedInfo, chosen: Sequence[Published], entries: _Entries) -> list[Segment]:
    """The feed as segments the writer can copy from the file's last version: the
    frame's head and tail, and each entry (with the separator before it, if any)."""
    fmt = entries.spec.fmt
    updated = feed_updated(p.post for p in chosen)
    frame = once(partial(formats.frame, fmt, info, updated, not chosen))
    frame_key = content_key("frame", fmt, info, updated, bool(chosen))
    parts: list[Segment] = [(frame_key, lambda: frame().head)]
    separator = formats.SEPARATORS[fmt]
    keys = entries.keys
    for n, published in enumerate(chosen):
        if n and separator:
            parts.append((content_key(keys[published.id], separator.decode()),
                          partial(_separated, separator, entries, published)))
        else:
            parts.append((keys[published.id], partial(entries.data, published)))
    parts.append((content_key(frame_key, "tail"), lambda: frame().tail))
    return parts


def _separated(separator: bytes, entries: _Entries, published: Published) -> bytes:
    return separator + entries.data(published)


def _pages(published: list[Published], tags: TagPosts, config: Config, cache: BuildCache,
           env: Env, look: str) -> Iterator[Artifact]:
    every = _Every(published, cache)
    listing = [(p.id, p.url, p.post.fingerprint) for p in published]
    yield Artifact("index.html", content_key("index", look, listing, list(tags)),
                   lambda: pages.index_page(env(), config, every.all(), every.tags(tags)))
    for n, p in enumerate(published):
        newer, older = _neighbour(published, n - 1), _neighbour(published, n + 1)
        yield Artifact(post_path(p.post.slug), content_key("post", look, p.id, p.url,
                                                            p.post.fingerprint, newer, older),
                       partial(_post_page, env, config, cache, p, newer, older))
    if config.feeds.tags:
        for slug, (tag, members) in tags.items():
            members_key = [(p.id, p.url, p.post.fingerprint) for p in members]
            yield Artifact(tag_page_path(slug), content_key("tag", look, tag, members_key),
                           partial(_tag_page, env, config, every, tag, members))
    yield from _site_files(published, tags, config, env, look)


def _neighbour(published: list[Published], n: int) -> pages.Neighbour | None:
    """The post at `n` as the page of the one beside it links to it (None: no post there)."""
    if not 0 <= n < len(published):
        return None
    return pages.Neighbour(published[n].post.title, published[n].url)


def _site_files(published: list[Published], tags: TagPosts, config: Config, env: Env,
                look: str) -> Iterator[Artifact]:
    """The pages about the site rather than its posts: every tag, how to subscribe; and
    the files for crawlers, robots.txt and sitemap.xml."""
    counts = {slug: (tag, len(members)) for slug, (tag, members) in tags.items()}
    if tags:
        yield Artifact(TAGS_PAGE, content_key("tags", look, counts),
                       lambda: pages.tags_page(env(), config, counts))
    yield Artifact(SUBSCRIBE_PAGE, content_key("subscribe", look, counts),
                   lambda: pages.subscribe_page(env(), config, counts))
    yield Artifact("robots.txt", content_key("robots", look),
                   lambda: pages.robots(env(), config))
    listed = _sitemap_entries(published, tags, config.site.url)
    yield Artifact("sitemap.xml", content_key("sitemap", listed),
                   lambda: sitemap.sitemap(listed))


def _sitemap_entries(published: list[Published], tags: TagPosts,
                     url: str) -> list[tuple[str, dt.datetime]]:
    """Every page the build writes with when its posts last changed: the site's pages,
    then each tag's, then the posts, newest first."""
    newest = feed_updated(p.post for p in published)
    listed = [(url, newest), (url + SUBSCRIBE_PAGE.removesuffix("index.html"), newest)]
    if tags:
        listed.append((url + TAGS_PAGE.removesuffix("index.html"), newest))
    listed += [(tag_page_url(url, slug), feed_updated(p.post for p in members))
               for slug, (_, members) in tags.items()]
    return listed + [(p.url, updated(p.post)) for p in published]


class _Every:
    """Every published post's Item, fetched once, when a listing page first needs them."""

    def __init__(self, published: list[Published], cache: BuildCache) -> None:
        self.published, self.cache = published, cache
        self.by_id: dict[str, Item] = {}

    def all(self) -> list[Item]:
        if not self.by_id:
            self.by_id = {item.id: item for item in items(self.published, self.cache)}
        return list(self.by_id.values())

    def of(self, members: Sequence[Published]) -> list[Item]:
        self.all()
        return [self.by_id[p.id] for p in members]

    def tags(self, tags: TagPosts) -> dict[str, tuple[Tag, list[Item]]]:
        return {slug: (tag, self.of(members)) for slug, (tag, members) in tags.items()}


def _post_page(env: Env, config: Config, cache: BuildCache, published: Published,
               newer: pages.Neighbour | None, older: pages.Neighbour | None) -> bytes:
    return pages.post_page(env(), config, items([published], cache)[0], newer, older)


def _tag_page(env: Env, config: Config, every: _Every, tag: Tag,
              members: list[Published]) -> bytes:
    return pages.tag_page(env(), config, tag, every.of(members))


def _templates_signature(config: Config) -> str:
    """The content of every site template, the user's and the package's."""
    files = []
    for folder in (config.paths.templates / "site", PACKAGE_TEMPLATES / "site"):
        if folder.is_dir():
            files += [(str(p), hashlib.sha256(p.read_bytes()).hexdigest())
                      for p in sorted(folder.rglob("*")) if p.is_file()]
    return content_key(files)
