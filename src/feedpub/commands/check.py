"""`feedpub check`: every problem in posts and templates, writing nothing."""

from __future__ import annotations

import datetime as dt

from feedpub.build.pipeline import load_posts
from feedpub.config import Config
from feedpub.errors import Problem, relative_name
from feedpub.posts.identity import assign_ids
from feedpub.posts.status import published
from feedpub.store.ledger import read_ledger
from feedpub.store.published import known_posts
from feedpub.templating import environment


def check(config: Config, now: dt.datetime) -> list[Problem]:
    """Problems with posts (errors and warnings) and templates that do not compile."""
    loaded = load_posts(config, save=False)
    problems = list(loaded.problems)
    ledger = read_ledger(config.paths.state)
    if ledger is not None:
        with ledger:
            known = known_posts(ledger)
        live = published(loaded.posts, now)
        identity = assign_ids(live, {p.slug for p in loaded.posts}, known, config.site.url, now)
        problems.extend(identity.problems)
    problems.extend(template_problems(config))
    return problems


def template_problems(config: Config) -> list[Problem]:
    """Syntax errors in the user's templates, as problems naming file and line."""
    import jinja2  # heavy

    problems = []
    for kind in ("site", "email"):
        folder = config.paths.templates / kind
        if not folder.is_dir():
            continue
        env = environment(config.paths.templates, kind)
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md"):
            name = relative_name(path, config.root)
            try:
                env.parse(path.read_text(encoding="utf-8"), path.name, str(path))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(Problem(name, exc.lineno or 1, "",
                                        f"template error: {exc.message}"))
            except UnicodeDecodeError:
                problems.append(Problem(name, 1, "", "template is not UTF-8 (save it as UTF-8)"))
    return problems
