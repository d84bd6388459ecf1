"""`feedpub digest` as the CLI and the daemon run it: a build first, then the digest.

The build never touches digests and a digest never builds: here they are sequenced.
"""

from __future__ import annotations

import datetime as dt

from feedpub.build.pipeline import build, load_posts
from feedpub.config import Config
from feedpub.digest.make import DigestResult, explain_digest, make_digest, restore_digests
from feedpub.digest.plan import DigestRequest
from feedpub.errors import Problem


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


def restore_lost(config: Config, now: dt.datetime) -> tuple[str, ...]:
    """Make again the digest files output/ lost (deleted, or a crash between recording a
    digest and writing it), from the ledger; the paths written. After a build."""
    return restore_digests(config, load_posts(config).posts, now)
