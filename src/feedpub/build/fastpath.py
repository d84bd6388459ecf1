"""The no-change fast path: the same inputs as the last build means nothing to do.

The inputs are the config, every post file and every template file, by path, size and
mtime (plus feedpub's version). Nothing heavy is imported to decide it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from feedpub import __version__
from feedpub.build.keys import content_key
from feedpub.build.report import BuildReport
from feedpub.config import Config
from feedpub.posts import RACY_NS, SourceFile, post_files, template_files
from feedpub.store import Ledger, open_ledger


@dataclass(frozen=True)
class Inputs:
    key: str  # hash of every input's path, size and mtime, and of the config
    newest_ns: int  # the newest mtime among them
    posts: list[SourceFile]  # the post files, for the build to read without a second walk


def signature(config: Config) -> Inputs:
    """What the last build's inputs are compared with."""
    posts = post_files(config.paths.posts)
    stats = [*posts, *template_files(config.paths.templates)]
    if config.file is not None:
        st = config.file.stat()
        stats.append(SourceFile(str(config.file), st.st_size, st.st_mtime_ns))
    newest = max((s.mtime_ns for s in stats), default=0)
    listing = json.dumps([(s.path, s.size, s.mtime_ns) for s in stats])  # 10,000 files: fast
    return Inputs(content_key(__version__, config, listing), newest, posts)


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
    """What the fast path needs to know next time, for Ledger.record_build's meta."""
    until = report.next_publish.isoformat() if report.next_publish else ""
    return {"inputs": inputs.key, "valid_until": until, "report": report.to_json(),
            "built_at_ns": str(started_ns)}
