"""Posts parsed by earlier runs, .feedpub/posts.pickle: a file whose size and mtime did not
change (and the site zone neither) is not parsed again.

A cache, never the truth: a missing, damaged or outdated file only makes one run slower.
Its version is derived from the fields of the values it holds, so a Post with other
fields is never read back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import time
from pathlib import Path

from feedpub import __version__
from feedpub.posts.files import RACY_NS, SourceFile
from feedpub.posts.model import Post, Tag
from feedpub.posts.read import Parsed

NAME = "posts.pickle"
# Written again when at least 1/SAVE_SHARE of the posts were parsed: writing 10,000 posts
# costs ~0.13 s, parsing the few changed ones again next time ~1 ms.
SAVE_SHARE = 20
# size (-1: do not trust), mtime_ns, zone, the parse, and the file's last good Post
Entry = tuple[int, int, str, Parsed, Post | None]


def _version() -> str:
    """feedpub's version and the shape of what is pickled: where each class lives (a
    pickle names it) and its fields."""
    shape = [(cls.__module__, cls.__qualname__, [(f.name, str(f.type))
                                                 for f in dataclasses.fields(cls)])
             for cls in (Post, Tag)]
    return hashlib.sha256(repr((__version__, Entry, shape)).encode()).hexdigest()[:16]


class PostCache:
    """Earlier parses by display name; `get`/`put` as posts.read_posts asks, then `save`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / NAME
        self.warning = ""  # set when the file was damaged (it is rebuilt)
        self.known = self._load()
        self.seen: dict[str, Entry] = {}
        self.parsed = 0
        self.racy_from = time.time_ns() - RACY_NS

    @staticmethod
    def exists(state_dir: Path) -> bool:
        """True when an earlier run left parses to reuse."""
        return (state_dir / NAME).exists()

    def _load(self) -> dict[str, Entry]:
        try:
            with open(self.path, "rb") as handle:
                if pickle.load(handle) != _version():  # written by another feedpub
                    return {}
                posts = pickle.load(handle)
        except FileNotFoundError:
            return {}
        except Exception as exc:  # any damage: start cold rather than fail
            self.warning = f"{self.path}: damaged ({exc!r}); parsing every post again"
            return {}
        return posts if isinstance(posts, dict) else {}

    def get(self, name: str, file: SourceFile, zone: str) -> Parsed | None:
        """The parse of `file` if it is the one remembered under `name`."""
        known = self.known.get(name)
        if known is None or known[:3] != (file.size, file.mtime_ns, zone):
            return None
        self._remember(name, file, zone, known[3])
        return known[3]

    def put(self, name: str, file: SourceFile, zone: str, parsed: Parsed) -> None:
        """Remember a fresh parse of `file`."""
        self.parsed += 1
        self._remember(name, file, zone, parsed)

    def last_good(self, name: str) -> Post | None:
        """The last version of the file `name` that parsed without errors, if any."""
        entry = self.seen.get(name) or self.known.get(name)
        return entry[4] if entry else None

    def _remember(self, name: str, file: SourceFile, zone: str, parsed: Parsed) -> None:
        # A file changed within the last seconds may change again within the same mtime
        # tick: it is not trusted next time.
        size = -1 if file.mtime_ns > self.racy_from else file.size
        known = self.known.get(name)
        good = parsed if isinstance(parsed, Post) else (known[4] if known else None)
        self.seen[name] = (size, file.mtime_ns, zone, parsed, good)

    def save(self) -> None:
        """Write what this run saw, when enough of it is new; atomically."""
        if not self.parsed or self.parsed * SAVE_SHARE < max(len(self.seen), SAVE_SHARE):
            return
        temp = self.path.with_name(f".{NAME}.tmp")
        try:
            with open(temp, "wb") as handle:  # the version first: read alone, it says
                pickle.dump(_version(), handle, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(self.seen, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except OSError:  # a full disk: the next run parses again
            temp.unlink(missing_ok=True)
