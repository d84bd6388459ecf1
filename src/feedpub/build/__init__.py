"""The build: posts/ to output/, only what changed (MkDocs' commands/build.py).

fastpath (nothing changed: return at once) -> pipeline (load -> select -> identify ->
render (items, in a runner) -> plan (artifacts, keys) -> write -> record) -> report.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from feedpub.build import fastpath, items, pipeline
from feedpub.build.items import Progress
from feedpub.build.pipeline import load_posts
from feedpub.build.report import BuildReport
from feedpub.build.runner import Runner
from feedpub.config import Config
from feedpub.errors import Problem
from feedpub.store import BUILD, CacheDamaged, PostCache, exclusive

__all__ = ["BuildReport", "Progress", "build", "load_posts"]


def build(config: Config, now: dt.datetime, progress: Progress | None = None,
          force: bool = False) -> BuildReport:
    """Bring output/ up to date with posts/ as of `now`; broken posts are reported, not fatal.

    When no input changed since the last build (and no scheduled post fell due),
    nothing is read or written and the last build's report is returned.
    """
    started_ns = time.time_ns()
    with exclusive(config.paths.state, BUILD):
        inputs = fastpath.signature(config)
        if not force and (report := fastpath.unchanged(config, now, inputs)) is not None:
            return report
        warm = PostCache.exists(config.paths.state)  # not a cold build: few renders
        with Runner(items.warm_up if warm else None) as runner, _gc_paused():
            try:
                return pipeline.run(config, now, inputs, started_ns, runner, progress)
            except CacheDamaged as exc:  # deleted: this build makes it again
                report = pipeline.run(config, now, inputs, started_ns, runner, progress)
                warning = Problem(str(config.paths.state), 1, "", str(exc), "warning")
                return _with(report, warning)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a build: the posts it holds live to its end,
    and collections that walked them all cost a big site ~0.1 s. The build makes little
    cyclic garbage; the next collection after it takes what there is."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _with(report: BuildReport, problem: Problem) -> BuildReport:
    return replace(report, problems=(*report.problems, problem))
