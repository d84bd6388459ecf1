"""Published posts to feed Items: ids, URLs, and HTML rendered once (cached, in parallel)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from feedpub.cache import BuildCache, digest
from feedpub.feeds import Item
from feedpub.posts import Post
from feedpub.render import EXTENSIONS, RENDER_VERSION, Rendered, render_markdown
from feedpub.urls import post_url

Progress = Callable[[int, int], None]
PARALLEL_FROM = 48  # fewer posts than this render faster than worker processes start
Job = tuple[str, str, str, str]  # body, summary, slug, url


def render_key(post: Post, url: str) -> str:
    """Everything that affects a post's HTML."""
    # The fingerprint hashes the file's bytes: body, summary and slug are in it.
    return digest(RENDER_VERSION, EXTENSIONS, url, post.fingerprint)


def render_items(live: Sequence[Post], ids: dict[str, str], site_url: str,
                 cache: BuildCache | None, progress: Progress | None = None) -> list[Item]:
    """An Item per published post, in the given order; only uncached posts are rendered."""
    urls = [post_url(site_url, p.slug) for p in live]
    keys = [render_key(p, u) for p, u in zip(live, urls, strict=True)]
    known = cache.known_renders(keys) if cache else set()
    missing = {k: (p.body, p.summary, p.slug, u)
               for p, u, k in zip(live, urls, keys, strict=True) if k not in known}
    fresh = _render(missing, progress, len(live) - len(missing), len(live))
    if cache and fresh:
        cache.store_rendered(fresh)
    sources: dict[str, Rendered | Callable[[], Rendered]] = dict(fresh)
    if cache:
        sources.update({k: partial(cache.render, k) for k in known})
    return [Item(p, ids[p.slug], u, sources[k]) for p, u, k in zip(live, urls, keys, strict=True)]


def _render_job(job: Job) -> Rendered:
    return render_markdown(*job)


def _render(jobs: dict[str, Job], progress: Progress | None, done: int,
            total: int) -> dict[str, Rendered]:
    """Render `jobs`; with many, in one process per core (same bytes as one process)."""
    results: dict[str, Rendered] = {}
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        outputs: Iterator[Rendered] = map(_render_job, jobs.values())
        return _collect(jobs, outputs, results, progress, done, total)
    # fork is fastest, but forking a process that runs threads (the daemon) can deadlock.
    method = "fork" if threading.active_count() == 1 else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        chunk = max(1, min(32, len(jobs) // (workers * 8)))
        outputs = pool.map(_render_job, jobs.values(), chunksize=chunk)
        return _collect(jobs, outputs, results, progress, done, total)


def _collect(jobs: dict[str, Job], outputs: Iterator[Rendered], results: dict[str, Rendered],
             progress: Progress | None, done: int, total: int) -> dict[str, Rendered]:
    for key, rendered in zip(jobs, outputs, strict=True):
        results[key] = rendered
        done += 1
        if progress:
            progress(done, total)
    return results
