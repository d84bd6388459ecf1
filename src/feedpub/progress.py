"""A progress bar on long builds when stdout is a terminal; silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MIN_TOTAL = 200  # fewer posts than this render too fast to need a bar


@contextmanager
def bar(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a `progress(done, total)` callback, or None when no bar is wanted."""
    if not enabled or not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if total < MIN_TOTAL:
                return
            if task is None:
                task = progress.add_task(label, total=total)
            progress.update(task, completed=done)

        yield update
