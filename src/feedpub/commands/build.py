"""`feedpub build` and `feedpub digest` as the CLI and the daemon run them: each step in turn.

The build never touches digests and a digest never builds: here they are sequenced.
"""

from __future__ import annotations

import datetime as dt

from feedpub.build.fastpath import Work
from feedpub.build.items import Progress
from feedpub.build.pipeline import build, load_posts, run
from feedpub.build.report import BuildReport
from feedpub.config import Config
from feedpub.digest.make import DigestResult, explain_digest, make_digest, restore_if_missing
from feedpub.digest.plan import DigestRequest
from feedpub.errors import Problem


def build_site(config: Config, now: dt.datetime, progress: Progress | None = None,
               work: Work | None = None) -> tuple[BuildReport, tuple[str, ...]]:
    """Build output/ (the `work` fastpath.prepare() found, when given); then, if output/
    lost the digests, make them again from the ledger. The report, the files restored."""
    report = run(config, now, work, progress) if work else build(config, now, progress)
    restored = restore_if_missing(config, lambda: load_posts(config).posts, now)
    return report, restored


def digest_now(config: Config, now: dt.datetime,
               request: DigestRequest) -> tuple[DigestResult, tuple[Problem, ...]]:
    """Build (the ledger learns every post published until now), then make the digest."""
    problems = build(config, now).problems
    return make_digest(config, load_posts(config).posts, now, request), problems


def explain_now(config: Config, now: dt.datetime,
                request: DigestRequest) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
    """Why each post would be in or out of that digest; nothing built, written or recorded."""
    loaded = load_posts(config, save=False)
    return explain_digest(config, loaded.posts, now, request), loaded.problems
