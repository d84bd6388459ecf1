"""Published posts to feed Items: ids, URLs, HTML and feed entries made once (cached, parallel).

A post that is not in the cache is rendered, and its feed entries serialised, in one
job: in a cold build those jobs run in one process per core.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from feedpub.feeds import SERIALISERS, FeedInfo, Item
from feedpub.posts import Post
from feedpub.render import EXTENSIONS, RENDER_VERSION, Rendered, load_markdown, render_markdown
from feedpub.urls import post_url

if TYPE_CHECKING:  # a render worker imports this module: no SQLite for it
    from feedpub.cache import BuildCache
    from feedpub.workers import Worker

Progress = Callable[[int, int], None]
PARALLEL_FROM = 48  # fewer posts than this render faster than worker processes start
EntrySpec = tuple[str, FeedInfo, str]  # format, what the feed says of itself, settings hash
Job = tuple[Post, str, str, tuple[EntrySpec, ...]]  # post, id, url, entries to make
Made = tuple[Rendered, dict[str, bytes]]  # the HTML, and entry key -> serialised entry
STORE_BATCH = 200  # results written to the cache per transaction


def render_key(post: Post, url: str) -> str:
    """Everything that affects a post's HTML."""
    # The fingerprint hashes the file's bytes: body, summary and slug are in it.
    return _sha256(f"{RENDER_VERSION}\x1f{EXTENSIONS!r}\x1f{url}\x1f{post.fingerprint}")


def entry_key(fmt: str, settings: str, item_id: str, fingerprint: str) -> str:
    """Everything that affects a post's entry in a feed of format `fmt`."""
    # Unambiguous without quoting: fmt and settings are fixed, the fingerprint is the
    # last 64 characters. One sha256 of a string: 10,000 posts need 30,000 of these keys.
    return _sha256(f"{fmt}\x1f{settings}\x1f{item_id}\x1f{fingerprint}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def render_items(live: Sequence[Post], ids: dict[str, str], site_url: str,
                 cache: BuildCache | None, progress: Progress | None = None,
                 specs: Sequence[EntrySpec] = (),
                 full: Callable[[Post], Post] = lambda post: post,
                 worker: Worker | None = None) -> list[Item]:
    """An Item per published post, in the given order; only uncached posts are rendered
    (and their entries for `specs` serialised). With a cache, what is made goes straight
    into it and Items fetch their HTML when asked: a cold build of 10,000 posts never
    holds the whole site's HTML at once. `full` gives a post its body when a cache
    left it out. A few posts go to `worker` when there is one (see workers.py)."""
    urls = [post_url(site_url, p.slug) for p in live]
    keys = [render_key(p, u) for p, u in zip(live, urls, strict=True)]
    known = cache.known_renders(keys) if cache else set()
    missing = {k: (full(p), ids[p.slug], u, tuple(specs))
               for p, u, k in zip(live, urls, keys, strict=True) if k not in known}
    if worker and len(missing) >= PARALLEL_FROM:
        worker.close()  # the pool's processes do this work
    elif cache and worker and missing and worker.submit([*missing.values()]):
        # The worker renders while the build goes on; the cache takes the results
        # before anything reads from it.
        cache.defer(partial(_settle, worker, missing, cache))
        return [Item(p, ids[p.slug], u, partial(cache.render, k))
                for p, u, k in zip(live, urls, keys, strict=True)]
    sources: dict[str, Rendered | Callable[[], Rendered]] = {}
    batch: list[tuple[str, Made]] = []
    for key, made in _run(missing, progress, len(live) - len(missing), len(live)):
        if cache is None:
            sources[key] = made[0]
            continue
        batch.append((key, made))
        if len(batch) >= STORE_BATCH:
            cache.store_made(batch)
            batch = []
    if cache:
        cache.store_made(batch)
        sources.update({k: partial(cache.render, k) for k in keys})
    return [Item(p, ids[p.slug], u, sources[k]) for p, u, k in zip(live, urls, keys, strict=True)]


def _settle(worker: Worker, jobs: dict[str, Job], cache: BuildCache) -> None:
    made = worker.results()
    if made is None or len(made) != len(jobs):  # the worker failed: render here
        made = [render_job(job) for job in jobs.values()]
    cache.store_made(zip(jobs, made, strict=True))


def warm_up() -> None:
    """Import what rendering a post needs (a render worker does it before its first job)."""
    from feedgen.entry import FeedEntry  # noqa: F401
    from lxml import etree  # noqa: F401

    load_markdown()


def render_job(job: Job) -> Made:
    post, item_id, url, specs = job
    item = Item(post, item_id, url, render_markdown(post.body, post.summary, post.slug, url))
    entries = {entry_key(fmt, settings, item_id, post.fingerprint): SERIALISERS[fmt](item, info)
               for fmt, info, settings in specs}
    return item.rendered, entries


def _run(jobs: dict[str, Job], progress: Progress | None, done: int,
         total: int) -> Iterator[tuple[str, Made]]:
    """Run `jobs`, yielding (key, result) in order; with many, in one process per core."""
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        yield from _collect(jobs, map(render_job, jobs.values()), progress, done, total)
        return
    import multiprocessing  # here: a build that renders a post or two never starts a pool
    from concurrent.futures import ProcessPoolExecutor

    # fork is fastest, but forking a process that runs threads (the daemon) can deadlock.
    method = "fork" if threading.active_count() == 1 else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        chunk = max(1, min(32, len(jobs) // (workers * 8)))
        yield from _collect(jobs, pool.map(render_job, jobs.values(), chunksize=chunk), progress,
                            done, total)


def _collect(jobs: dict[str, Job], outputs: Iterator[Made], progress: Progress | None,
             done: int, total: int) -> Iterator[tuple[str, Made]]:
    for key, made in zip(jobs, outputs, strict=True):
        yield key, made
        done += 1
        if progress:
            progress(done, total)
