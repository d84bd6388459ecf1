"""`feedpub check`: every problem in posts and templates, writing nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import jinja2

from feedpub import selection
from feedpub.build import load
from feedpub.config import Config
from feedpub.errors import PostProblem, relative_name
from feedpub.identity import assign_ids
from feedpub.state import DB_NAME, Ledger, LedgerPost
from feedpub.templating import environment


def check(config: Config, now: dt.datetime) -> list[PostProblem]:
    """Problems with posts (errors and warnings) and templates that do not compile."""
    loaded = load(config)
    problems = list(loaded.problems)
    known = known_posts(config.paths.state)
    if known is not None:
        live = selection.published(loaded.posts, now)
        identity = assign_ids(live, {p.slug for p in loaded.posts}, known, config.site.url, now)
        problems.extend(identity.problems)
    problems.extend(template_problems(config))
    return problems


def known_posts(state_dir: Path) -> dict[str, LedgerPost] | None:
    """The ledger's posts, read without writing a byte (not even SQLite's -wal/-shm)."""
    path = state_dir / DB_NAME
    if not path.is_file():
        return None
    # immutable=1 creates no side files; while a daemon holds the database open (its -wal
    # exists) a plain read-only connection sees its latest commits.
    mode = "mode=ro" if path.with_name(DB_NAME + "-wal").exists() else "immutable=1"
    with Ledger(sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)) as ledger:
        return ledger.posts()


def template_problems(config: Config) -> list[PostProblem]:
    """Syntax errors in the user's templates, as problems naming file and line."""
    problems = []
    for kind in ("site", "email"):
        folder = config.paths.templates / kind
        if not folder.is_dir():
            continue
        env = environment(config.paths.templates, kind)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            try:
                env.parse(path.read_text(encoding="utf-8"), path.name, str(path))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(PostProblem(relative_name(path, config.root), exc.lineno or 1,
                                            "", f"template error: {exc.message}"))
            except UnicodeDecodeError:
                problems.append(PostProblem(relative_name(path, config.root), 1, "",
                                            "template is not UTF-8 (save it as UTF-8)"))
    return problems
