"""The start of a build: its lock and the no-change check.

The same inputs as the last build means nothing to do. The inputs are the config,
every post file and every template file, by path, size and mtime (plus feedpub's
version). This module and what it imports are all a build with nothing to do loads:
the CLI checks here before it imports the pipeline.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from feedpub import __version__
from feedpub.build.keys import content_key
from feedpub.build.report import BuildReport
from feedpub.config import Config
from feedpub.posts.files import RACY_NS, SourceFile, asset_files, source_files, template_files
from feedpub.store.ledger import Ledger, open_ledger
from feedpub.store.locks import BUILD, exclusive


@dataclass(frozen=True)
class Inputs:
    key: str  # hash of every input's path, size and mtime, and of the config
    newest_ns: int  # the newest mtime among them
    posts: list[SourceFile]  # the post files, for the build to read without a second walk
    assets: list[SourceFile]  # the other files in the posts folder (beside post folders)
    static: list[SourceFile]  # the static folder's files


@dataclass(frozen=True)
class Work:
    """A build under way, holding the build lock: the last build's report when nothing
    changed (None: build `inputs`)."""

    started_ns: int
    inputs: Inputs
    report: BuildReport | None


@contextmanager
def prepare(config: Config, now: dt.datetime, force: bool = False) -> Iterator[Work]:
    """Hold the build lock; say whether anything changed since the last build."""
    started_ns = time.time_ns()
    with exclusive(config.paths.state, BUILD):
        inputs = signature(config)
        yield Work(started_ns, inputs, None if force else unchanged(config, now, inputs))


def built_before(config: Config) -> bool:
    """True unless this is a site's first build."""
    ledger = open_ledger(config.paths.state, create=False)
    if ledger is None:
        return False
    with ledger:
        return ledger.meta("built_at_ns") is not None


def signature(config: Config) -> Inputs:
    """What the last build's inputs are compared with."""
    posts, assets = source_files(config.paths.posts)
    static = asset_files(config.paths.static)
    stats = [*posts, *assets, *static, *template_files(config.paths.templates)]
    if config.file is not None:
        st = config.file.stat()
        stats.append(SourceFile(str(config.file), st.st_size, st.st_mtime_ns))
    newest = max((s.mtime_ns for s in stats), default=0)
    listing = json.dumps([(s.path, s.size, s.mtime_ns) for s in stats])  # 10,000 files: fast
    return Inputs(content_key(__version__, config, listing), newest, posts, assets, static)


def unchanged(config: Config, now: dt.datetime, inputs: Inputs) -> BuildReport | None:
    """The last build's report when nothing it depends on changed since; else None."""
    ledger = open_ledger(config.paths.state, create=False)
    if ledger is None:
        return None
    with ledger:
        built_at = int(ledger.meta("built_at_ns") or 0)
        if ledger.meta("inputs") != inputs.key or inputs.newest_ns >= built_at - RACY_NS:
            return None
        valid_until = ledger.meta("valid_until")  # when the next scheduled post goes live
        if valid_until and now >= dt.datetime.fromisoformat(valid_until):
            return None
        if not _outputs_present(ledger, config.paths.output):
            return None
        report = ledger.meta("report")
    return BuildReport.from_json(report) if report else None


def _outputs_present(ledger: Ledger, output: Path) -> bool:
    return all((output / path).is_file() for path in ledger.output_files())


def facts(report: BuildReport, inputs: Inputs, started_ns: int) -> dict[str, str]:
    """What the fast path needs to know next time, for store.published.record_build's meta."""
    until = report.next_publish.isoformat() if report.next_publish else ""
    return {"inputs": inputs.key, "valid_until": until, "report": report.to_json(),
            "built_at_ns": str(started_ns)}
