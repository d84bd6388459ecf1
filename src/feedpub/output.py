"""The only writer to output/: atomic, confined to the folder, only when bytes change.

A file may be given as keyed Segments instead of bytes. A segment whose key
was in the last version of the file is copied from there by the kernel
(copy_file_range) instead of being made and written again, so a one-post edit does
not move a 100 MB feed through Python. Where each key sits is the file's Layout,
kept in the build cache and trusted only while the file's size, mtime and inode
are the ones recorded.
"""

from __future__ import annotations

import contextlib
import filecmp
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import NamedTuple, Protocol

from feedpub.errors import FeedpubError


class Segment(NamedTuple):
    key: str  # the same key gives the same bytes
    make: Callable[[], bytes]


Identity = tuple[int, int, int]  # size, mtime_ns, inode
TRASH_FROM = 1 << 20  # bytes: smaller files are deleted faster than linked aside


class Layout(NamedTuple):
    identity: Identity  # of the file it describes
    spans: dict[str, tuple[int, int]]  # segment key -> (offset, length)


class Layouts(Protocol):
    """Where the layouts of earlier builds' files are kept."""

    def layout(self, relpath: str) -> Layout | None: ...
    def store_layout(self, relpath: str, layout: Layout) -> None: ...


class UnsafePathError(FeedpubError):
    """A path that would land outside output/."""


class OutputWriter:
    """Writes files under `root`; remembers what it wrote for the next build."""

    def __init__(self, root: Path, previous: Mapping[str, tuple[str, str]],
                 layouts: Layouts | None = None, trash: Path | None = None) -> None:
        self.root = root.resolve()
        self.previous = dict(previous)  # path -> (sha256, key) from the last build
        self.layouts = layouts
        self.manifest: dict[str, tuple[str, str]] = {}
        self.written: list[str] = []
        self.trash = _Trash(trash) if trash else None

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
        path = self._claim(relpath)
        self.manifest[relpath] = ("", key)
        path = self.target(relpath)
        try:
            st = path.stat()
        except OSError:
            st = None
        old = self._old_layout(relpath, st)
        plan: list[bytes | tuple[int, int]] = []  # bytes to write, or (offset, length) to copy
        spans: dict[str, tuple[int, int]] = {}
        pos = 0
        for part in parts:
            span = old.spans.get(part.key) if old else None
            if span is None:
                data = part.make()
                plan.append(data)
                span = (-1, len(data))
            elif plan and isinstance(plan[-1], tuple) and sum(plan[-1]) == span[0]:
                plan[-1] = (plan[-1][0], plan[-1][1] + span[1])  # adjacent: one copy
            else:
                plan.append(span)
            spans[part.key] = (pos, span[1])
            pos += span[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        written = self._write_plan(relpath, path, plan, spans, st.st_size if st else -1)
        if written:
            self.written.append(relpath)
        return written

    def _write_plan(self, relpath: str, path: Path, plan: list[bytes | tuple[int, int]],
                    spans: dict[str, tuple[int, int]], old_size: int) -> bool:
        temp = path.with_name(f".{path.name}.tmp")
        copies = any(isinstance(step, tuple) for step in plan)
        with open(temp, "wb") as out, _Source(path if copies else None) as source:
            for step in plan:
                if isinstance(step, tuple):
                    out.flush()  # the copy goes to the descriptor, after what `out` holds
                    source.copy(step, out.fileno())
                else:
                    out.write(step)
            out.flush()
            st = os.fstat(out.fileno())  # size, mtime and inode the layout is valid for
        if st.st_size == old_size and filecmp.cmp(temp, path, shallow=False):
            temp.unlink()  # the same bytes: the file keeps its date (and its layout)
            return False
        self._replace(temp, path)
        if self.layouts:
            self.layouts.store_layout(relpath, Layout((st.st_size, st.st_mtime_ns, st.st_ino),
                                                      spans))
        return True

    def _old_layout(self, relpath: str, st: os.stat_result | None) -> Layout | None:
        """The last version's layout, if it still describes the file on disk (`st`)."""
        layout = self.layouts.layout(relpath) if self.layouts and st else None
        if layout is None or st is None:
            return None
        return layout if layout.identity == (st.st_size, st.st_mtime_ns, st.st_ino) else None

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
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.tmp")
        with open(temp, "wb") as handle:
            handle.write(data)
        self._replace(temp, path)
        self.written.append(relpath)
        return True

    def _replace(self, temp: Path, path: Path) -> None:
        """os.replace; a big old file's blocks are freed by a thread, not by the rename
        (freeing 100 MB takes this file system ~0.1 s)."""
        try:
            big = os.stat(path).st_size >= TRASH_FROM
        except OSError:
            big = False
        link = self.trash.keep(path) if self.trash and big else None
        os.replace(temp, path)
        if link and self.trash:
            self.trash.delete(link)

    def finish(self) -> None:
        """Wait until the replaced files are deleted."""
        if self.trash:
            self.trash.wait()

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


class _Source:
    """The last version of a file, copied from."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> _Source:
        if self.path is not None:
            self.fd = os.open(self.path, os.O_RDONLY)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)

    def copy(self, span: tuple[int, int], fd: int) -> None:
        """Copy `span` (offset, length) of the source to the end of `fd`."""
        offset, length = span
        while length > 0:
            try:
                done = os.copy_file_range(self.fd, fd, length, offset)
            except OSError:  # no copy_file_range here (or not between these files)
                done = os.write(fd, os.pread(self.fd, min(length, 1 << 24), offset))
            if done <= 0:
                raise OSError(f"{self.path}: shorter than its recorded layout")
            offset += done
            length -= done


class _Trash:
    """Replaced files, hard-linked into the state folder and deleted by one thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.queue: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None

    def keep(self, path: Path) -> Path | None:
        """Link `path` (about to be replaced) into the trash; None if that cannot be done.
        Pass the link to delete() once the file is replaced."""
        if self.thread is None:  # first use: what an interrupted build left goes too
            self.folder.mkdir(parents=True, exist_ok=True)
            for name in os.listdir(self.folder):
                self.queue.put(self.folder / name)
            self.thread = threading.Thread(target=self._delete, daemon=True)
            self.thread.start()
        self.count += 1
        link = self.folder / f"{os.getpid()}-{self.count}"
        try:
            os.link(path, link)
        except OSError:  # no such file yet, another file system, no hard links
            return None
        return link

    def delete(self, link: Path) -> None:
        self.queue.put(link)

    def _delete(self) -> None:
        while (path := self.queue.get()) is not None:
            with contextlib.suppress(OSError):  # gone already
                os.unlink(path)

    def wait(self) -> None:
        """Return when everything put in the trash is deleted."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
