"""Entry points of a build: `build()` (fast when nothing changed) and `load()`.

The heavy pipeline (Markdown, feedgen, Jinja2) lives in pipeline.py and is only
imported when there is work to do.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from feedpub import incremental
from feedpub.config import Config
from feedpub.report import BuildReport
from feedpub.state import exclusive

if TYPE_CHECKING:  # a no-change build must not pay for these
    from feedpub.posts import LoadResult
    from feedpub.workers import Workers

__all__ = ["BuildReport", "build", "load"]
Progress = Callable[[int, int], None]


def load(config: Config) -> LoadResult:
    """Every post under the posts folder, or its problems (no caches involved)."""
    from feedpub.pipeline import load as load_posts

    return load_posts(config)


def build(config: Config, now: dt.datetime, progress: Progress | None = None,
          force: bool = False, workers: Workers | None = None) -> BuildReport:
    """Bring output/ up to date with posts/ as of `now`; broken posts are reported, not fatal.

    When no input changed since the last build (and no scheduled post fell due),
    nothing is read or written and the last build's report is returned. `workers`:
    processes to parse and render a few posts in (workers.py); the caller closes them.
    """
    started_ns = time.time_ns()
    with exclusive(config.paths.state, "build.lock"):
        inputs = incremental.signature(config)
        if not force and (report := incremental.unchanged(config, now, inputs)) is not None:
            return report
        from feedpub.pipeline import run

        return run(config, now, inputs, started_ns, progress, workers)
