"""A build's input files, found and stat-ed once: the posts and the templates.

The no-change check hashes these stats, and a build that goes on reads the posts
from the same list instead of walking the folder again.
"""

from __future__ import annotations

import os
import stat as stat_mode
from dataclasses import dataclass
from pathlib import Path

from feedpub.errors import ConfigError

# A file changed this close to the moment it was looked at may change again within
# the same mtime tick (git's "racy clean" rule): caches must not trust its stat.
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # absolute
    size: int
    mtime_ns: int
    outside: bool = False  # a link to a file outside the folder: never read




def post_files(posts_dir: Path) -> list[SourceFile]:
    """Every `*.md` file under `posts_dir`, in a stable order (by path components)."""
    return source_files(posts_dir)[0]


def source_files(posts_dir: Path) -> tuple[list[SourceFile], list[SourceFile]]:
    """The posts folder in one walk: its `*.md` files, and every other file that is not
    hidden (images and files beside posts), each in a stable order. A missing folder is
    an error: building it would publish an empty site."""
    if not posts_dir.is_dir():
        raise ConfigError([f"{posts_dir}: the posts folder does not exist (create it, or set "
                           "[paths] posts in feedpub.toml)"])
    posts, assets = [], []
    for parts, file in sorted(_walk(posts_dir, ""), key=_by_parts):
        if file.path.endswith(".md"):
            posts.append(file)
        elif not any(p.startswith(".") for p in parts):
            assets.append(file)
    return posts, assets


def asset_files(folder: Path) -> list[SourceFile]:
    """Every file under `folder` that is not hidden (a static folder's; none when it does
    not exist)."""
    return [file for parts, file in sorted(_walk(folder, ""), key=_by_parts)
            if not any(p.startswith(".") for p in parts)]


def template_files(folder: Path) -> list[SourceFile]:
    """Every file under a templates folder (none when it does not exist)."""
    return [file for _, file in sorted(_walk(folder, ""), key=_by_parts)]


def _inside(path: str, real_top: str) -> bool:
    return os.path.realpath(path).startswith(real_top + os.sep)


def _by_parts(found: tuple[tuple[str, ...], SourceFile]) -> tuple[str, ...]:
    return found[0]


def _walk(top: Path, suffix: str) -> list[tuple[tuple[str, ...], SourceFile]]:
    found: list[tuple[tuple[str, ...], SourceFile]] = []
    real_top = os.path.realpath(top)
    # scandir and plain strings: 10,000 Path objects cost more than the stat calls.
    pending: list[tuple[str, tuple[str, ...]]] = [(str(top), ())]
    while pending:
        folder, parts = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # no such folder (no templates), or not readable
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):  # as os.walk: no links to folders
                    pending.append((entry.path, (*parts, entry.name)))
                    continue
                if not entry.name.endswith(suffix):
                    continue
                st = entry.stat()  # follows symlinks, as a reader of the file would
            except OSError:  # removed since the listing, or a dangling symlink
                continue
            if stat_mode.S_ISREG(st.st_mode):
                outside = entry.is_symlink() and not _inside(entry.path, real_top)
                found.append(((*parts, entry.name),
                              SourceFile(entry.path, st.st_size, st.st_mtime_ns, outside)))
    return found
