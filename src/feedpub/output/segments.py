"""Files made of keyed segments, copied from the file's last version where they are unchanged.

A segment whose key was in the last version of the file is copied from there by the
kernel (copy_file_range) instead of being made and written again, so a one-post edit
does not move a 100 MB feed through Python. Where each key sits is the file's Layout,
kept by the caller (the build cache) and trusted only while the file's size, mtime
and inode are the ones recorded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

# (key, make): the same key gives the same bytes; `make()` makes them when they cannot
# be copied. A plain pair: a feed of 10,000 posts is made of 10,000 of them.
Segment = tuple[str, Callable[[], bytes]]
Identity = tuple[int, int, int]  # size, mtime_ns, inode
Spans = dict[str, tuple[int, int]]  # segment key -> (offset, length)


@dataclass(frozen=True)
class Layout:
    identity: Identity  # of the file it describes
    spans: Spans


class Layouts(Protocol):
    """Where the layouts of earlier builds' files are kept."""

    def layout(self, relpath: str) -> Layout | None: ...
    def store_layout(self, relpath: str, layout: Layout) -> None: ...


def identity(st: os.stat_result) -> Identity:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def assemble(out: BinaryIO, parts: Iterable[Segment], old: Path, layout: Layout | None) -> Spans:
    """Write `parts` to `out` in order, copying from `old` each one `layout` places there
    (adjacent ones as one copy); the new file's spans."""
    spans: Spans = {}
    pending: list[int] = []  # [offset, length] of the copy not made yet
    pos = 0
    with _Source(old if layout else None) as source:
        for key, make in parts:
            span = layout.spans.get(key) if layout else None
            if span is not None and pending and sum(pending) == span[0]:
                pending[1] += span[1]
            elif span is not None:
                source.flush_copy(pending, out)
                pending = list(span)
            else:
                source.flush_copy(pending, out)
                pending = []
                data = make()
                out.write(data)
                span = (-1, len(data))
            spans[key] = (pos, span[1])
            pos += span[1]
        source.flush_copy(pending, out)
    return spans


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

    def flush_copy(self, pending: list[int], out: BinaryIO) -> None:
        """Copy the span `pending` (offset, length; empty: nothing) to the end of `out`."""
        if not pending:
            return
        out.flush()  # the copy goes to the descriptor, after what `out` holds
        offset, length = pending
        while length > 0:
            try:
                done = os.copy_file_range(self.fd, out.fileno(), length, offset)
            except OSError:  # no copy_file_range here (or not between these files)
                done = os.write(out.fileno(), os.pread(self.fd, min(length, 1 << 24), offset))
            if done <= 0:
                raise OSError(f"{self.path}: shorter than its recorded layout")
            offset += done
            length -= done
