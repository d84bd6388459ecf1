"""`feedpub check`: every problem in posts and templates, writing nothing.

Templates are parsed, then rendered with a realistic sample (posts with tags, an
author, a summary; a digest and its archive), so a template that would fail at the
scheduled hour fails here first.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urljoin

from feedpub.build import artifacts, assets, items
from feedpub.build.pipeline import load_posts
from feedpub.config import DEFAULT_URL, Config
from feedpub.digest import archive
from feedpub.digest.email import DigestInfo, render_digest, sender
from feedpub.errors import Problem, TemplateError, relative_name
from feedpub.feeds import pages
from feedpub.feeds.model import Item
from feedpub.posts.files import asset_files, source_files
from feedpub.posts.frontmatter import ChangedError, read_body_at
from feedpub.posts.identity import assign_ids
from feedpub.posts.model import Post, Tag
from feedpub.posts.refs import local_refs
from feedpub.posts.status import published
from feedpub.render.post import render_post
from feedpub.store.cache import BuildCache
from feedpub.store.ledger import read_ledger
from feedpub.store.published import known_posts
from feedpub.templating import environment
from feedpub.urls import archive_url, digest_url, digests_feed_url, post_url


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
    problems.extend(asset_problems(config, loaded.posts, now))
    problems.extend(template_problems(config) or render_problems(config))
    return config_warnings(config) + problems


def config_warnings(config: Config) -> list[Problem]:
    """Settings a new site usually forgets: the placeholder url, a digest From nobody reads."""
    where = relative_name(config.file, config.root) if config.file else "feedpub.toml"
    warnings = []
    if config.site.url == DEFAULT_URL:
        warnings.append(Problem(where, 1, "[site] url", f"still the placeholder {DEFAULT_URL}: "
                                "feeds and emails link there (set the address the site is "
                                "served at)", "warning"))
    sending = bool(config.smtp.host)
    if not config.digest.from_ and not config.site.author.email:
        warnings.append(Problem(where, 1, "[digest] from", f"not set: digests come from "
                                f"{sender(config)} (set [digest] from, or [site] author's "
                                "email)", "error" if sending else "warning"))
    return warnings + smtp_problems(config, where)


def smtp_problems(config: Config, where: str) -> list[Problem]:
    """What sending by SMTP still needs: a host when asked to send, the password."""
    smtp, found = config.smtp, []
    if config.delivery.auto and not smtp.host:
        found.append(Problem(where, 1, "[delivery] auto", "is true but [smtp] host is not set: "
                             "nothing can be sent (set the mail server)", "error"))
    if smtp.host and smtp.username and smtp.password_env not in os.environ:
        found.append(Problem(where, 1, "[smtp] password_env", f"${smtp.password_env} is not "
                             f"set: the login as {smtp.username!r} needs the password there",
                             "error"))
    if smtp.host and smtp.security == "none" and smtp.host not in ("localhost", "127.0.0.1",
                                                                    "::1"):
        found.append(Problem(where, 1, "[smtp] security", f"is \"none\": mail to {smtp.host} "
                             "goes unencrypted (use \"starttls\" or \"ssl\")", "warning"))
    return found


def asset_problems(config: Config, posts: Sequence[Post], now: dt.datetime) -> list[Problem]:
    """Files the published posts point at (images, `image:`, downloads) that would not be
    published: a warning naming post, line and path; and files whose path a file the build
    makes takes: an error naming both."""
    live = published(posts, now)
    found = assets.collect(config, live, source_files(config.paths.posts)[1],
                           asset_files(config.paths.static))
    images, problems = assets.enclosures(config, live, found)
    ids = assign_ids(live, {p.slug for p in posts}, {}, config.site.url, now).ids
    with BuildCache(None) as cache:  # in memory: only the paths are wanted, no file
        plan = artifacts.plan(items.publish(live, ids, config.site.url, images), config,
                              cache, lambda: environment(config.paths.templates, "site"))
        problems += assets.clashes(found, [artifact.path for artifact in plan])[1]
    refs = []
    for post in live:
        try:
            body, first = read_body_at(config.root / post.source, post.fingerprint)
        except ChangedError:
            continue
        url = post_url(config.site.url, post.slug)
        refs += [(post.source, first + line - 1, ref, urljoin(url, ref))
                 for line, ref in local_refs(body)]
    return problems + assets.missing(config, refs, (a.path for a in found))


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


def render_problems(config: Config) -> list[Problem]:
    """Every template rendered with a sample: the errors, as problems naming file and line."""
    site, email = environment(config.paths.templates, "site"), \
        environment(config.paths.templates, "email")
    items = _sample_items(config)
    tag = items[0].post.tags[0]
    info = DigestInfo("2026-01-05-1", SAMPLE_DATE, "29 Dec 2025 – 05 Jan 2026",
                      digest_url(config.site.url, "2026-01-05-1"),
                      archive_url(config.site.url), digests_feed_url(config.site.url))
    renders: list[Callable[[], object]] = [
        lambda: pages.index_page(site, config, items, {tag.slug: (tag, items)}),
        lambda: pages.post_page(site, config, items[0]),
        lambda: pages.tag_page(site, config, tag, items),
        lambda: pages.stylesheet(site, config),
        lambda: render_digest(email, config, info, items),
        lambda: archive.archive_page(email, config, [archive.ArchiveEntry(
            info.id, info.created, "A sample digest", info.url, (items[0].post.title,))]),
    ]
    problems = []
    for make in renders:
        try:
            make()
        except TemplateError as exc:
            problems.append(Problem(relative_name(Path(exc.where), config.root), exc.line or 1,
                                    "", f"template error with sample posts: {exc.message}"))
    return list(dict.fromkeys(problems))


SAMPLE_DATE = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def _sample_items(config: Config) -> list[Item]:
    """Two posts as a site would have them: tags, an author, a summary, a footnote."""
    items = []
    for n, title in enumerate(("A sample post & <its> “title”", "Another sample post"), 1):
        post = Post(
            source=f"posts/sample-{n}.md", slug=f"sample-{n}", title=title,
            date=SAMPLE_DATE - dt.timedelta(days=n), updated=None,
            tags=(Tag("Sample tag", "sample-tag"), Tag("C++", "c-plus-plus")), draft=False,
            summary="A *short* summary.", author="Ada Lovelace", explicit_id=None,
            image="", digest=True, extra=(("subtitle", "An extra key"),),
            fingerprint="0" * 64, body_hash="0" * 64)
        url = post_url(config.site.url, post.slug)
        body = "A paragraph with [a link](https://example.org/) and a note.[^1]\n\n[^1]: Note."
        items.append(Item(post, f"tag:example.org,2026:{n}", url,
                          render_post(body, post.summary, post.slug, url)))
    return items
