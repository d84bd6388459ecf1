"""A build, top to bottom: load -> select -> identify -> render -> plan -> write -> record."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cache as once
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from feedpub.build import artifacts, assets, fastpath, items
from feedpub.build.items import Progress, Published
from feedpub.build.report import BuildReport
from feedpub.build.runner import Runner
from feedpub.config import DEFAULT_URL, Config
from feedpub.errors import Problem
from feedpub.output.writer import OutputWriter
from feedpub.posts.files import SourceFile, post_files
from feedpub.posts.identity import Identity, assign_ids
from feedpub.posts.model import LoadResult
from feedpub.posts.read import Parsed, parse_here, read_posts
from feedpub.posts.status import Status, next_publish_time, published, status
from feedpub.store.cache import BuildCache, CacheDamaged
from feedpub.store.ledger import open_ledger
from feedpub.store.postcache import PostCache
from feedpub.store.published import known_posts, record_build, sent_ids
from feedpub.templating import environment


def build(config: Config, now: dt.datetime, progress: Progress | None = None,
          force: bool = False) -> BuildReport:
    """Bring output/ up to date with posts/ as of `now`; broken posts are reported, not fatal.

    When no input changed since the last build (and no scheduled post fell due),
    nothing is read or written and the last build's report is returned.
    """
    with fastpath.prepare(config, now, force) as work:
        return work.report or run(config, now, work, progress)


def run(config: Config, now: dt.datetime, work: fastpath.Work,
        progress: Progress | None = None) -> BuildReport:
    """Build output/ as of `now`, for the `work` fastpath.prepare() found to do. A worker
    starts importing what renders need meanwhile (a site's first build renders in a pool)."""
    assert work.report is None  # there is something to do
    warm_up = items.warm_up if fastpath.built_before(config) else None
    with _gc_paused(), Runner(warm_up) as runner:
        try:
            return _run(config, now, work.inputs, work.started_ns, runner, progress)
        except CacheDamaged as exc:  # deleted: this build makes it again
            report = _run(config, now, work.inputs, work.started_ns, runner, progress)
            return replace(report, notes=(*report.notes, str(exc)))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a build: the posts it holds live to its end,
    and collections that walked them all cost a big site ~0.1 s. The build makes little
    cyclic garbage; the next collection after it takes what there is."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_posts(config: Config, files: Sequence[SourceFile] | None = None,
               runner: Runner | None = None, save: bool = True) -> LoadResult:
    """Every post under the posts folder, parsed or taken from the post cache; broken ones
    as problems. `files`: the folder's listing when made already; `runner`: where to parse
    many files; `save`: update the post cache."""
    cache = PostCache(config.paths.state)
    listing = post_files(config.paths.posts) if files is None else files
    parse = partial(_parse_split, runner) if runner else parse_here
    loaded = read_posts(listing, config.paths.posts, config.root, config.site.zone, cache, parse)
    if save:
        cache.save()
    return replace(loaded, notes=(cache.warning,)) if cache.warning else loaded


def _parse_split(runner: Runner, todo: list[tuple[str, str]], zone: ZoneInfo) -> list[Parsed]:
    return runner.split(partial(parse_here, zone=zone), todo)


def _run(config: Config, now: dt.datetime, inputs: fastpath.Inputs, started_ns: int,
         runner: Runner, progress: Progress | None) -> BuildReport:
    """The stages, in turn; only files whose inputs changed are made and written."""
    loaded = load_posts(config, inputs.posts, runner)
    live = published(loaded.posts, now)
    env = once(partial(environment, config.paths.templates, "site"))  # Jinja on first use
    with open_ledger(config.paths.state) as ledger, BuildCache(config.paths.state) as cache:
        known = known_posts(ledger)
        identity = assign_ids(live, {p.slug for p in loaded.posts}, known, config.site.url, now,
                              sent_ids(ledger))
        files = assets.collect(config, live, inputs.assets, inputs.static)
        images, no_image = assets.enclosures(config, live, files)
        posts = items.publish(live, identity.ids, config.site.url, images)
        jobs, known_refs = items.jobs(posts, cache, config.root, artifacts.entry_specs(config))
        made = runner.map(items.run_job, jobs)  # elsewhere meanwhile, or when stored below
        plan = list(artifacts.plan(posts, config, cache, env))  # every key: no HTML needed
        failed, new_refs = items.store(cache, made, len(posts) - len(jobs), len(posts),
                                       progress)
        if failed:  # a file changed under the build: it waits for the next one
            posts = _without(posts, failed)
            plan = list(artifacts.plan(posts, config, cache, env))
        copies, clashes = assets.clashes(files, (a.path for a in plan))
        writer = OutputWriter(config.paths.output, ledger.output_files(), layouts=cache)
        for artifact in plan:
            writer.write_lazy(artifact.path, artifact.key, artifact.produce)
        for asset in copies:
            writer.copy(asset.path, asset.key, Path(asset.source.path))
        refs = items.located(posts, {**known_refs, **new_refs})
        unpublished = assets.missing(config, refs, writer.manifest)
        cache.prune()
        removed = writer.remove_stale()
        cache.forget_layouts(removed)
        new_ids = {c.post.id for c in identity.changes if c.old_id is None} - set(known)
        report = BuildReport(
            published=len(posts),
            scheduled=sum(status(p, now) is Status.SCHEDULED for p in loaded.posts),
            drafts=sum(p.draft for p in loaded.posts),
            feeds=sum(1 for p in writer.manifest if p.endswith((".xml", ".json"))),
            written=tuple(writer.written),
            removed=tuple(removed),
            problems=(*loaded.problems, *identity.problems, *failed, *clashes, *no_image,
                      *unpublished),
            next_publish=next_publish_time(loaded.posts, now),
            new_posts=tuple(p.post.title for p in posts if p.id in new_ids),
            notes=(*loaded.notes, *_id_notes(config, identity)),
        )
        record_build(ledger, identity.changes, writer.manifest,
                     fastpath.facts(report, inputs, started_ns))
    return report


def _id_notes(config: Config, identity: Identity) -> list[str]:
    """What to say of ids: provisional while the url is the placeholder; minted again."""
    notes = []
    if config.site.url == DEFAULT_URL:
        notes.append(f"[site] url is still the placeholder {DEFAULT_URL}: set it in "
                     f"{config.file or 'feedpub.toml'} before publishing (feeds link there; "
                     "post ids stay provisional until then)")
    if identity.reminted:
        notes.append(f"{identity.reminted} provisional post id(s), minted while [site] url "
                     f"was the placeholder, minted again from {config.site.url} (once)")
    return notes


def _without(posts: list[Published], failed: Sequence[Problem]) -> list[Published]:
    gone = {p.path for p in failed}
    return [p for p in posts if p.post.source not in gone]

