"""Files published as they are: a post folder's images and files beside its page, and
the static folder at the root of output/.

A post folder is a folder of posts/ holding an `index.md` (`posts/photo-walk/index.md`
is the post `photo-walk`); its other files (`cover.png`, `data/table.csv`) are published
under the post's page (`posts/photo-walk/cover.png`), so the post's relative links
resolve, and go when the post does. Only published posts publish their files.
"""

from __future__ import annotations

import mimetypes
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from feedpub.build.keys import content_key
from feedpub.config import Config
from feedpub.errors import Problem, relative_name
from feedpub.feeds.model import Enclosure
from feedpub.posts.files import RACY_NS, SourceFile
from feedpub.posts.model import Post
from feedpub.urls import post_url


@dataclass(frozen=True)
class Asset:
    path: str  # under output/
    source: SourceFile
    origin: str  # the source as the user knows it, for messages

    @property
    def key(self) -> str:
        """The same key, the same bytes: a file touched in the last seconds is compared."""
        racy = self.source.mtime_ns > time.time_ns() - RACY_NS
        return "" if racy else content_key("asset", self.source.path, self.source.size,
                                           self.source.mtime_ns)


def collect(config: Config, posts: Sequence[Post], beside: Sequence[SourceFile],
            static: Sequence[SourceFile]) -> list[Asset]:
    """Every file to publish: the static folder's, then the published post folders'."""
    found = [Asset(_under(f.path, config.paths.static), f, _name(f, config)) for f in static]
    return found + list(_beside_posts(config, posts, beside))


def _name(file: SourceFile, config: Config) -> str:
    return relative_name(Path(file.path), config.root)


def _under(path: str, folder: Path) -> str:
    return Path(path).relative_to(folder).as_posix()


def _beside_posts(config: Config, posts: Sequence[Post],
                  beside: Sequence[SourceFile]) -> Iterable[Asset]:
    """Each file of a post folder, under its post's page (the nearest post folder owns it)."""
    folders = {str(config.root / p.source).removesuffix("/index.md"): p for p in posts
               if p.source.endswith("/index.md")}
    top = str(config.paths.posts)
    for file in beside:
        folder = os.path.dirname(file.path)
        while folder.startswith(top) and folder != top and folder not in folders:
            folder = os.path.dirname(folder)
        post = folders.get(folder)
        if post is not None:
            yield Asset(f"posts/{post.slug}/{file.path[len(folder) + 1:]}", file,
                        _name(file, config))


def clashes(assets: Sequence[Asset], generated: Iterable[str]) -> tuple[list[Asset],
                                                                        list[Problem]]:
    """The assets that may be written, and an error for each one whose path is taken (by a
    file the build makes, or by another asset: the first keeps it)."""
    taken = {path: "a file the build makes" for path in generated}
    kept, problems = [], []
    for asset in assets:
        owner = taken.get(asset.path)
        if owner is None:
            taken[asset.path] = asset.origin
            kept.append(asset)
        else:
            problems.append(Problem(asset.origin, 1, "", f"would be published as "
                                    f"{asset.path}, the path of {owner}: not published "
                                    "(rename one of them)"))
    return kept, problems


def enclosures(config: Config, posts: Sequence[Post],
               found: Sequence[Asset]) -> tuple[dict[str, Enclosure], list[Problem]]:
    """Each post's `image:` as an enclosure (slug -> it), its size from the published
    file (0, unknown, for an image elsewhere); a warning for an image of the site's that
    is not published (no enclosure then)."""
    sizes = {a.path: a.source.size for a in found}
    published = set(sizes)
    images: dict[str, Enclosure] = {}
    problems = []
    for post in posts:
        if not post.image:
            continue
        url = urljoin(post_url(config.site.url, post.slug), post.image)
        path = _local(url, config.site.url)
        meant = "" if path is not None else _outside(post.image, url, config.site.url,
                                                     published)
        if meant:
            problems.append(Problem(post.source, 1, "image", meant, "warning"))
        elif path is not None and path not in sizes:
            problems.append(Problem(post.source, 1, "image", f"{post.image!r} points at {path}, "
                                    "which is not published (put it beside the post in its "
                                    "post folder, or in the static folder)", "warning"))
            continue
        kind = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        images[post.slug] = Enclosure(url, sizes.get(path or "", 0), kind)
    return images, problems


def missing(config: Config, refs: Iterable[tuple[str, int, str, str]],
            available: Iterable[str]) -> list[Problem]:
    """A warning for each file a post points at on its site that output/ will not hold;
    `refs`: (post source, line, link as written, its URL, resolved against the post's)."""
    there = set(available)
    problems = []
    for source, line, ref, url in refs:
        path = _local(url, config.site.url)
        if path is None:
            meant = _outside(ref, url, config.site.url, there)
            if meant:
                problems.append(Problem(source, line, "", meant, "warning"))
        elif path not in there and path + "index.html" not in there:
            problems.append(Problem(source, line, "", f"{ref!r} points at {path}, which is not "
                                    "published (put the file beside the post in its post "
                                    "folder, or in the static folder)", "warning"))
    return problems


def _outside(ref: str, url: str, site_url: str, there: set[str]) -> str:
    """For a root-relative `ref` that leaves a site living under a path (`/logo.png` on
    https://example.org/blog/ is https://example.org/logo.png) when the site publishes
    that file under its own path: what to write instead. Else ""."""
    base = urlsplit(site_url).path
    if base == "/" or not ref.startswith("/") or ref.startswith("//"):
        return ""
    path = unquote(ref.split("#", 1)[0].split("?", 1)[0])[1:]
    if path not in there:
        return ""
    return f"{ref!r} points at {url}, outside the site ({site_url}): its {path} is {base}{path}"


def _local(url: str, site_url: str) -> str | None:
    """The path under output/ of a URL of the site, None for one elsewhere."""
    bare = url.split("#", 1)[0].split("?", 1)[0]
    return unquote(bare[len(site_url):]) if bare.startswith(site_url) else None
