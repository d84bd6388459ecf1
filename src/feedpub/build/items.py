"""Published posts to Items: ids, URLs, and each post's HTML and feed entries made once.

A post whose render is not cached becomes a Job: its body read again from its file,
rendered, and its feed entries serialised, in whichever process the Runner picks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from feedpub.build.keys import entry_key, render_key
from feedpub.build.runner import TooSlow, time_limit
from feedpub.errors import Problem, shorten
from feedpub.feeds.formats import SERIALISERS
from feedpub.feeds.model import Enclosure, FeedInfo, Item
from feedpub.posts.frontmatter import ChangedError, read_body_at
from feedpub.posts.model import Post
from feedpub.posts.refs import local_refs
from feedpub.render.markdown import load_markdown
from feedpub.render.post import render_post
from feedpub.store.cache import BuildCache, Made, Refs
from feedpub.urls import post_url

Progress = Callable[[int, int], None]
STORE_BATCH = 200  # renders written to the cache per transaction
RENDER_LIMIT = 10  # seconds one post may take to render: none may stall a build


@dataclass(frozen=True)
class Published:
    """A post the build publishes, before its HTML is needed."""

    post: Post
    id: str
    url: str
    render_key: str
    enclosure: Enclosure | None = None  # its image: with the file's size


@dataclass(frozen=True)
class EntrySpec:
    """A feed format whose entries are made with every render: its settings' key."""

    fmt: str
    info: FeedInfo
    settings: str


@dataclass(frozen=True)
class Job:
    """Render one post and serialise its entries; any process can run it."""

    post: Post
    path: str  # its file, to read the body from
    id: str
    url: str
    key: str
    specs: tuple[EntrySpec, ...]
    enclosure: Enclosure | None = None


Ref = tuple[str, int, str, str]  # post source, file line, the link as written, its URL


def publish(live: Sequence[Post], ids: dict[str, str], site_url: str,
            enclosures: Mapping[str, Enclosure]) -> list[Published]:
    """Each published post with its id, URL, render key and image, in the given order."""
    urls = [post_url(site_url, p.slug) for p in live]
    return [Published(p, ids[p.slug], u, render_key(p.fingerprint, u), enclosures.get(p.slug))
            for p, u in zip(live, urls, strict=True)]


def jobs(published: Sequence[Published], cache: BuildCache, root: Path,
         specs: Sequence[EntrySpec]) -> tuple[list[Job], dict[str, Refs]]:
    """A job for every post whose render the cache does not have; and what the posts it
    has point at (render key -> Refs)."""
    known = cache.known_renders(p.render_key for p in published)
    return [Job(p.post, str(root / p.post.source), p.id, p.url, p.render_key, tuple(specs),
                p.enclosure) for p in published if p.render_key not in known], known


def warm_up() -> None:
    """Import what run_job needs (a warm worker does it before its first job)."""
    from feedgen.entry import FeedEntry  # noqa: F401  (heavy: imported ahead of use)
    from lxml import etree  # noqa: F401

    load_markdown()


def run_job(job: Job) -> Made | Problem:
    """The post rendered and its entries serialised; a Problem if its file changed, or
    if it cannot be rendered (nested hundreds deep, or slower than RENDER_LIMIT)."""
    try:
        body, first = read_body_at(Path(job.path), job.post.fingerprint)
    except ChangedError as exc:
        return Problem(job.post.source, 1, "", str(exc))
    post = job.post
    try:
        with time_limit(RENDER_LIMIT):
            item = Item(post, job.id, job.url, render_post(body, post.summary, post.slug,
                                                           job.url), job.enclosure)
            entries = {entry_key(s.fmt, s.settings, job.id, job.url, post.fingerprint,
                                 enclosure_key(job.enclosure)):
                       SERIALISERS[s.fmt](item, s.info) for s in job.specs}
    except TooSlow:
        return Problem(post.source, 1, "", f"took more than {RENDER_LIMIT} s to render "
                       "(simplify its Markdown)")
    except (RecursionError, MemoryError, ValueError) as exc:
        return Problem(post.source, 1, "", shorten(f"cannot be rendered ({type(exc).__name__}: "
                                                   f"{exc}); simplify its Markdown"))
    refs = tuple((first + line - 1, ref, urljoin(job.url, ref)) for line, ref in local_refs(body))
    return job.key, item.rendered, entries, refs


def enclosure_key(enclosure: Enclosure | None) -> str:
    """What of a post's image its feed entries say (part of their keys)."""
    return "" if enclosure is None else f"{enclosure.url} {enclosure.length} {enclosure.type}"


def store(cache: BuildCache, results: Iterable[Made | Problem], done: int, total: int,
          progress: Progress | None) -> tuple[list[Problem], dict[str, Refs]]:
    """Store the jobs' results as they come, in batches; the problems of the failed ones,
    and what the rendered posts point at (render key -> Refs)."""
    batch: list[Made] = []
    problems: list[Problem] = []
    refs: dict[str, Refs] = {}
    for result in results:
        if isinstance(result, Problem):
            problems.append(result)
        else:
            batch.append(result)
            refs[result[0]] = result[3]
        if len(batch) >= STORE_BATCH:
            cache.store_renders(batch)
            batch = []
        done += 1
        if progress:
            progress(done, total)
    cache.store_renders(batch)
    return problems, refs


def located(published: Sequence[Published], refs: Mapping[str, Refs]) -> list[Ref]:
    """What each post points at, with its source file, in the posts' order."""
    return [(p.post.source, line, ref, url) for p in published
            for line, ref, url in refs.get(p.render_key, ())]


def items(published: Sequence[Published], cache: BuildCache) -> list[Item]:
    """Items for `published`, their HTML from the cache."""
    renders = cache.renders(p.render_key for p in published)
    return [Item(p.post, p.id, p.url, renders[p.render_key], p.enclosure) for p in published]
