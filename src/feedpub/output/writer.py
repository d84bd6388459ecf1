"""The only writer to output/: atomic, confined to the folder, only when bytes change.

A file is given as bytes, or as segments (segments.py) that can be copied from the
file's last version.
"""

from __future__ import annotations

import contextlib
import filecmp
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath

from feedpub.errors import FeedpubError, StateError
from feedpub.output.segments import Layout, Layouts, Segment, assemble, identity


class UnsafePathError(FeedpubError):
    """A path that would land outside output/."""


class OutputWriter:
    """Writes files under `root`; remembers what it wrote for the next build."""

    def __init__(self, root: Path, previous: Mapping[str, tuple[str, str]],
                 layouts: Layouts | None = None) -> None:
        self.root = root.resolve()
        self.previous = dict(previous)  # path -> (sha256, key) from the last build
        self.layouts = layouts
        self.manifest: dict[str, tuple[str, str]] = {}
        self.written: list[str] = []

    def _plain(self, relpath: str) -> Path:
        """`relpath` under root when it is a plain relative path (no '..', not absolute)."""
        pure = PurePosixPath(relpath)
        if pure.is_absolute() or not pure.parts or ".." in pure.parts or "\\" in relpath:
            raise UnsafePathError(f"refusing to write {relpath!r}: not a plain relative path")
        return self.root.joinpath(*pure.parts)

    def target(self, relpath: str) -> Path:
        """`relpath` under root, refusing anything that escapes it (symlinks included)."""
        path = self._plain(relpath)
        if not path.parent.resolve().is_relative_to(self.root) or path.is_symlink():
            raise UnsafePathError(f"refusing to write {relpath!r}: it leads outside {self.root}")
        return path

    def write_lazy(self, relpath: str, key: str,
                   produce: Callable[[], bytes | Sequence[Segment]]) -> bool:
        """Like write(), but skip producing the bytes when `key` (a hash of every input
        of the file) is the one the last build wrote it with and the file is still there."""
        known = self.previous.get(relpath)
        if key and known and known[1] == key and self._claim(relpath).is_file():
            self.manifest[relpath] = known
            return False
        made = produce()
        if isinstance(made, bytes):
            return self.write(relpath, made, key)
        return self.write_parts(relpath, made, key)

    def write_parts(self, relpath: str, parts: Iterable[Segment], key: str) -> bool:
        """Write the file made of `parts` atomically; segments the last version of the
        file holds are copied from it. True if written (False: the same bytes)."""
        self._claim(relpath)
        self.manifest[relpath] = ("", key)
        path = self.target(relpath)
        try:
            st: os.stat_result | None = path.stat()
        except OSError:
            st = None
        temp = path.with_name(f".{path.name}.tmp")
        with _removed_on_error(temp):
            path.parent.mkdir(parents=True, exist_ok=True)
        with _removed_on_error(temp), open(temp, "wb") as out:
            spans = assemble(out, parts, path, self._old_layout(relpath, st))
            out.flush()
            new = os.fstat(out.fileno())  # size, mtime and inode the layout is valid for
        if st and new.st_size == st.st_size and filecmp.cmp(temp, path, shallow=False):
            temp.unlink()  # the same bytes: the file keeps its date (and its layout)
            return False
        with _removed_on_error(temp):
            os.replace(temp, path)
        if self.layouts:
            self.layouts.store_layout(relpath, Layout(identity(new), spans))
        self.written.append(relpath)
        return True

    def copy(self, relpath: str, key: str, source: Path) -> bool:
        """Copy the file `source` to `relpath` atomically, unless the last build copied it
        with the same `key` and it is still there, or the bytes are the same; True if
        written. A source gone meanwhile is left out (the next build removes it)."""
        known = self.previous.get(relpath)
        path = self._claim(relpath)
        if key and known and known[1] == key and path.is_file():
            self.manifest[relpath] = known
            return False
        path = self.target(relpath)
        temp = path.with_name(f".{path.name}.tmp")
        try:
            with _removed_on_error(temp):
                # the same bytes (a file touched in the last seconds has no key): nothing
                # written, not even a temp file, which would touch the folder
                same = path.is_file() and filecmp.cmp(source, path, shallow=False)
                if not same:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, temp)  # the kernel copies: a video never goes
                    os.replace(temp, path)  # through Python
        except StateError:
            if not source.exists():
                return False
            raise
        self.manifest[relpath] = ("", key)
        if not same:
            self.written.append(relpath)
        return not same

    def _old_layout(self, relpath: str, st: os.stat_result | None) -> Layout | None:
        """The last version's layout, if it still describes the file on disk (`st`)."""
        layout = self.layouts.layout(relpath) if self.layouts and st else None
        if layout is None or st is None:
            return None
        return layout if layout.identity == identity(st) else None

    def _claim(self, relpath: str) -> Path:
        """Check `relpath` before it is read or counted: plain, and once per build."""
        if relpath in self.manifest:
            raise ValueError(f"{relpath} written twice in one build")
        return self._plain(relpath)

    def write(self, relpath: str, data: bytes, key: str = "") -> bool:
        """Write `data` atomically unless the file already holds it; True if written."""
        path = self._claim(relpath)
        # A keyed file needs no content hash: its key says when it may have changed.
        digest = "" if key else hashlib.sha256(data).hexdigest()
        self.manifest[relpath] = (digest, key)
        if self._unchanged(path, relpath, digest, data):
            return False
        path = self.target(relpath)
        temp = path.with_name(f".{path.name}.tmp")
        with _removed_on_error(temp):
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        self.written.append(relpath)
        return True

    def _unchanged(self, path: Path, relpath: str, digest: str, data: bytes) -> bool:
        try:
            stat = path.stat()
        except OSError:
            return False
        if stat.st_size != len(data):
            return False
        if digest and self.previous.get(relpath, ("", ""))[0] == digest:
            return True
        return path.read_bytes() == data

    def keep(self, relpath: str) -> None:
        """Count a file written by an earlier build as still wanted."""
        if relpath in self.previous:
            self.manifest[relpath] = self.previous[relpath]

    def remove_stale(self) -> list[str]:
        """Delete files an earlier build wrote that this one did not; empty folders too."""
        removed = []
        for relpath in sorted(set(self.previous) - set(self.manifest)):
            try:
                path = self.target(relpath)
                path.unlink()
            except (FileNotFoundError, UnsafePathError):
                continue
            removed.append(relpath)
            self._prune_empty(path.parent)
        return removed

    def _prune_empty(self, folder: Path) -> None:
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


@contextlib.contextmanager
def _removed_on_error(temp: Path) -> Iterator[None]:
    """A temp file that a failed write (a full disk, a failing producer) leaves no trace of;
    a disk error said as what it is, with the file."""
    try:
        yield
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StateError(f"{temp.with_name(temp.name[1:-4])}: cannot write: {exc.strerror} "
                         "(is the disk full, or the folder read-only?)") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
