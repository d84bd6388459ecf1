"""A full build, top to bottom: load -> select -> identify -> render -> write.

Every output file is planned as an Artifact with a key hashing all its inputs,
so a file whose inputs did not change is neither rendered nor written.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from feedpub import __version__, feeds, selection, site
from feedpub.cache import POSTS_PICKLE, BuildCache, digest, load_pickle, save_pickle
from feedpub.config import Config
from feedpub.feeds import FeedInfo, Item
from feedpub.identity import assign_ids
from feedpub.incremental import Inputs, facts
from feedpub.items import EntrySpec, Progress, entry_key, render_items
from feedpub.output import OutputWriter, Segment
from feedpub.posts import LoadResult, Post, Tag, read_posts, with_body, without_body
from feedpub.records import record
from feedpub.render import RENDER_VERSION
from feedpub.report import BuildReport
from feedpub.sources import SourceFile
from feedpub.state import open_ledger
from feedpub.templating import PACKAGE_TEMPLATES, environment
from feedpub.urls import feed_path, post_path, site_path, tag_page_url

if TYPE_CHECKING:
    import jinja2

    from feedpub.workers import Workers

TagItems = dict[str, tuple[Tag, list[Item]]]
ONE_BY_ONE = 16  # entries fetched from the cache one at a time before all are fetched
# The parsed-post cache is written again when at least 1/PICKLE_SHARE of the posts were
# parsed: writing 10,000 posts costs ~0.13 s, parsing the few changed ones again ~1 ms.
PICKLE_SHARE = 20
GC_YOUNG = 50_000  # allocations between young collections during a build (Python: 700)
Env = Callable[[], "jinja2.Environment"]


@record
class Artifact:
    path: str  # relative to output/
    key: str  # hash of every input: the same key gives the same bytes
    produce: Callable[[], bytes | Sequence[Segment]]  # bytes, or segments (see output.py)


def load(config: Config, use_cache: bool = False,
         files: Sequence[SourceFile] | None = None,
         workers: Workers | None = None) -> LoadResult:
    """Every post, or its problems; with `use_cache`, unchanged files are not parsed again.
    `files`: the posts folder's listing, when the caller made it already; `workers`:
    where to parse many changed files."""
    previous = load_pickle(config.paths.state / POSTS_PICKLE) if use_cache else None
    parse_many = partial(workers.parse, zone=config.site.zone.key) if workers else None
    return read_posts(config.paths.posts, config.root, config.site.zone, previous, files,
                      parse_many)


def run(config: Config, now: dt.datetime, inputs: Inputs, started_ns: int,
        progress: Progress | None = None, workers: Workers | None = None) -> BuildReport:
    """Build output/ as of `now`; only files whose inputs changed are rendered and written.
    `workers`: processes to parse and render a few posts in (importing YAML, Markdown
    and feedgen meanwhile)."""
    with _long_lived_objects() as keep:
        return _run(config, now, inputs, started_ns, progress, workers, keep)


@contextmanager
def _long_lived_objects() -> Iterator[Callable[[], None]]:
    """`keep()` moves every object made so far out of the cyclic GC's way until the
    build ends, and young collections are rarer meanwhile: a 10,000-post build holds
    ~10^6 objects that live to its end, and collections that walked them all took
    ~0.4 s of a one-edit build (a third of unpickling the posts cache)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, *thresholds[1:])
    try:
        yield gc.freeze
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()  # a daemon builds again: the next build's garbage is collected


def _run(config: Config, now: dt.datetime, inputs: Inputs, started_ns: int,
         progress: Progress | None, workers: Workers | None,
         keep: Callable[[], None]) -> BuildReport:
    loaded = load(config, use_cache=True, files=inputs.posts, workers=workers)
    keep()
    if loaded.parsed and loaded.parsed * PICKLE_SHARE >= max(len(loaded.cache), PICKLE_SHARE):
        save_pickle(config.paths.state / POSTS_PICKLE,
                    {name: (*entry[:3], without_body(entry[3]) if isinstance(entry[3], Post)
                            else entry[3]) for name, entry in loaded.cache.items()})
    live = selection.published(loaded.posts, now)
    env = lru_cache(maxsize=1)(partial(environment, config.paths.templates, "site"))  # on use
    with open_ledger(config.paths.state) as ledger, BuildCache(config.paths.state) as cache:
        known = ledger.posts()
        identity = assign_ids(live, {p.slug for p in loaded.posts}, known, config.site.url, now)
        items = render_items(live, identity.ids, config.site.url, cache, progress,
                             entry_specs(config),
                             partial(with_body, root=config.root, zone=config.site.zone),
                             workers.render if workers else None)
        keep()
        writer = OutputWriter(config.paths.output, ledger.output_files(), layouts=cache,
                              trash=config.paths.state / "trash")
        # Every key first (no post's HTML is needed for them: a worker may still be
        # rendering), then the files.
        for artifact in list(artifacts(items, config, env, cache)):
            writer.write_lazy(artifact.path, artifact.key, artifact.produce)
        cache.prune()
        removed = writer.remove_stale()
        cache.forget_layouts(removed)
        new_ids = {c.row.id for c in identity.changes if c.old_id is None} - set(known)
        report = BuildReport(
            published=len(live),
            scheduled=sum(selection.status(p, now) is selection.Status.SCHEDULED
                          for p in loaded.posts),
            drafts=sum(p.draft for p in loaded.posts),
            feeds=sum(1 for p in writer.manifest if p.endswith((".xml", ".json"))),
            written=tuple(writer.written),
            removed=tuple(removed),
            problems=loaded.problems + identity.problems,
            next_publish=selection.next_publish_time(loaded.posts, now),
            new_posts=tuple(i.post.title for i in items if i.id in new_ids),
        )
        ledger.record_build(identity.changes, writer.manifest, facts(report, inputs, started_ns))
        lost_digests = ledger.has_digests() and not (config.paths.output / "digests").is_dir()
    if lost_digests:  # output/ was deleted: the digests come back from the ledger too
        from feedpub.digest_build import restore_digests_if_missing

        restore_digests_if_missing(config, now)
    writer.finish()
    return report


def _settings(config: Config) -> str:
    """Everything in the config that shapes a feed entry or a page."""
    return digest(__version__, RENDER_VERSION, config.site, config.feeds)


def entry_specs(config: Config) -> tuple[EntrySpec, ...]:
    """The entries every published post needs: one per feed format."""
    return tuple((fmt, feed_info(config, fmt), _settings(config)) for fmt in config.feeds.formats)


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


def artifacts(items: list[Item], config: Config, env: Env,
              cache: BuildCache | None) -> Iterator[Artifact]:
    """Every file a build writes: feeds, the feed stylesheet, then the HTML pages."""
    settings = _settings(config)
    tags = _tag_items(items) if config.feeds.tags else {}
    for fmt in config.feeds.formats:
        entries = _Entries(fmt, feed_info(config, fmt), settings, cache, items)
        yield _feed(entries.info, None, items, entries, config.feeds.limit)
        for tag, members in tags.values():
            info = feed_info(config, fmt, tag)
            yield _feed(info, tag.slug, members, entries, config.feeds.limit)
    look = digest(settings, _templates_signature(config))
    yield Artifact("feed.xsl", digest("xsl", look), lambda: site.stylesheet(env(), config))
    if config.site.pages:
        yield from _pages(items, tags, config, env, look)


def _tag_items(items: list[Item]) -> TagItems:
    by_slug = {i.post.slug: i for i in items}
    return {slug: (tag, [by_slug[p.slug] for p in posts])
            for slug, (tag, posts) in selection.tags_of([i.post for i in items]).items()}


class _Entries:
    """Serialised entries of one format: from the cache, else made once per build."""

    def __init__(self, fmt: str, info: FeedInfo, settings: str, cache: BuildCache | None,
                 items: Sequence[Item]):
        self.serialise = feeds.SERIALISERS[fmt]
        self.info, self.fmt, self.settings, self.cache = info, fmt, settings, cache
        self.keys = {i.id: entry_key(fmt, settings, i.id, i.post.fingerprint) for i in items}
        self.made: dict[str, bytes] = {}
        self.lookups = 0  # entries fetched one by one; past ONE_BY_ONE, all are fetched
        if cache:  # feeds may copy them from their last version instead of fetching them
            cache.keep_entries(self.keys.values())

    def data(self, item: Item) -> bytes:
        key = self.keys[item.id]
        if key not in self.made and self.cache:
            # A feed copied from its last version needs only its new entries; a feed
            # written from scratch needs them all, in one query.
            self.lookups += 1
            wanted = self.keys.values() if self.lookups == ONE_BY_ONE else [key]
            self.made.update(self.cache.entries(wanted))
        if key not in self.made:
            self.made[key] = self.serialise(item, self.info)
            if self.cache:
                self.cache.store_entry(key, self.made[key])
        return self.made[key]


def _feed(info: FeedInfo, tag_slug: str | None, items: Sequence[Item], entries: _Entries,
          limit: int) -> Artifact:
    chosen = selection.limited(items, limit)
    keys = entries.keys
    key = digest(entries.fmt, info, "".join([keys[i.id] for i in chosen]))
    return Artifact(feed_path(entries.fmt, tag_slug), key,
                    partial(_feed_parts, info, chosen, entries))


def _feed_parts(info: FeedInfo, chosen: Sequence[Item], entries: _Entries) -> list[Segment]:
    """The feed as segments the writer can copy from the file's last version: the
    frame's head and tail, and each entry (with the separator before it, if any)."""
    frame = lru_cache(maxsize=1)(partial(feeds.frame, entries.fmt, info, chosen))
    frame_key = digest("frame", entries.fmt, info, feeds.feed_updated(chosen), bool(chosen))
    parts = [Segment(frame_key, lambda: frame().head)]
    separator = feeds.SEPARATORS[entries.fmt]
    keys, data = entries.keys, entries.data
    for n, item in enumerate(chosen):
        if n and separator:
            parts.append(Segment(digest(keys[item.id], separator),
                                 partial(_separated, separator, entries, item)))
        else:
            parts.append(Segment(keys[item.id], partial(data, item)))
    parts.append(Segment(digest(frame_key, "tail"), lambda: frame().tail))
    return parts


def _separated(separator: bytes, entries: _Entries, item: Item) -> bytes:
    return separator + entries.data(item)


def _pages(items: list[Item], tags: TagItems, config: Config, env: Env,
           look: str) -> Iterator[Artifact]:
    listing = [(i.id, i.post.fingerprint) for i in items]
    yield Artifact("index.html", digest("index", look, listing, list(tags)),
                   lambda: site.index_page(env(), config, items, tags))
    for item in items:
        yield Artifact(post_path(item.post.slug), digest("post", look, item.id,
                                                         item.post.fingerprint),
                       partial(_post_page, env, config, item))
    if config.feeds.tags:
        for slug, (tag, members) in tags.items():
            members_key = [(i.id, i.post.fingerprint) for i in members]
            yield Artifact(f"tags/{slug}/index.html", digest("tag", look, tag, members_key),
                           partial(_tag_page, env, config, tag, members))


def _post_page(env: Env, config: Config, item: Item) -> bytes:
    return site.post_page(env(), config, item)


def _tag_page(env: Env, config: Config, tag: Tag, members: list[Item]) -> bytes:
    return site.tag_page(env(), config, tag, members)


def _templates_signature(config: Config) -> str:
    """The content of every site template, the user's and the package's."""
    files = []
    for folder in (config.paths.templates / "site", PACKAGE_TEMPLATES / "site"):
        if folder.is_dir():
            files += [(str(p), p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()]
    return digest(files)
