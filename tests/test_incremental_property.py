"""An incremental build equals a build from scratch, whatever a writer changed.

A hypothesis state machine keeps a model of a site (its posts, feedpub.toml and its
template overrides), applies random sequences of the changes a writer makes (add, edit,
retitle, rename, move between folders, set a slug, retag, draft, reschedule, delete, set
an image; edit the config, override or drop a template; add, change or delete a file
beside the posts or in static/) and after every step checks that

- the incremental build's output/ holds the bytes a build from scratch of the same
  inputs writes (the same ledger, so the same ids; no caches, no output/), and no other
  files or folders;
- both builds count the same posts, drafts, scheduled posts, feeds and errors;
- a second build with nothing changed writes nothing and touches no file.

`make test` runs a bounded number of steps; `make test-long` (FEEDPUB_LONG=1) runs many
more. A failure prints the steps (as `state.<rule>(...)` calls, and as notes).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from feedpub.build.pipeline import build
from feedpub.build.report import BuildReport
from feedpub.config import DEFAULT_URL, load_config
from feedpub.templating import PACKAGE_TEMPLATES
from tests.conftest import NOW, tree_bytes, tree_state

# --- The inputs a writer chooses from: small alphabets, so that titles, slugs, tags and
# dates collide (same-title renames, slugs already taken, tag spellings of one slug, ties).

NAMES = ("a.md", "b.md", "c d.md", "Ünï.md", "hello-world.md")
FOLDERS = ("", "sub/", "sub/deep/", "other/")
TITLES = ("Alpha", "Delta", "Beta & <Gamma>", "Ünïcode ✓ “quoted”", "Alpha 2")  # Alpha/Delta:
SLUGS = (None, "hello-world", "a", "Ünï Slug", "fresh")  # same size
TAGS = ("python", "Python", "c++", "a b", "ÜML", "rust")
BODIES = ("Hello.\n", "Hello!\n",  # the same size
          "Hello.\n\nA second *paragraph* & <b>bold</b>.\n",
          "See [the other post](../a/) and [home](/).\n",
          "![A photo](photo.png) and [the data](data.csv).\n")
SUMMARIES = (None, "Short & sweet.", "Shorter & <sweet>.")
IMAGES = (None, "photo.png", "missing.png", "/logo.png")  # `image:`
# Files beside posts and in static/ (robots.txt collides with the generated one).
ASSET_PLACES = ("posts/", "posts/sub/", "static/", "static/css/")
ASSET_NAMES = ("photo.png", "data.csv", "logo.png", "robots.txt")
ASSET_BYTES = (b"\x89PNG one", b"\x89PNG two")  # the same size
# Dates relative to NOW: published (past, exactly NOW) or scheduled (future).
OFFSETS = (dt.timedelta(days=-3), dt.timedelta(days=-1, hours=2), dt.timedelta(hours=-1),
           dt.timedelta(0), dt.timedelta(minutes=1), dt.timedelta(days=2))
SITE_TITLES = ("Example", "Ex & <Co>", "Ëxample")
URLS = ("https://example.org/", "https://example.org/blog/", DEFAULT_URL)
ZONES = ("UTC", "Europe/Berlin", "America/New_York")
FORMAT_SETS = (None, ("rss",), ("atom", "json"), ("json", "rss"), ("rss", "atom", "json"))
# Files the writer puts into output/ by hand: builds must keep them (never collide with
# feedpub's own paths; posts/a/ is the folder of the post whose slug is `a`).
OWN_FILES = ("CNAME", "posts/notes.txt", "posts/a/photo.txt", "tags/python/extra.txt")
# Template overrides: each is the package's template with a visible marker put in.
TEMPLATES: dict[str, tuple[str, str]] = {  # name -> (anchor in the package's, marker)
    "post.html": ("<article>\n", "<p class=\"marker\">post {n}</p>\n"),
    "base.html": ("<main>\n", "<p class=\"marker\">base {n}</p>\n"),
    "_list.html": ("<ul class=\"posts\">\n", "<li class=\"marker\">list {n}</li>\n"),
    "feed.xsl": ("<body>\n", "<p class=\"marker\">xsl {n}</p>\n"),
}


@dataclass(frozen=True)
class PostSpec:
    title: str
    offset: dt.timedelta  # date = NOW + offset
    tags: tuple[str, ...]
    draft: bool | None  # None: no draft key
    slug: str | None
    summary: str | None
    body: str
    explicit_id: str | None = None  # `id:`, as the rename warning tells the writer to add
    image: str | None = None

    def text(self) -> str:
        date = (NOW + self.offset).strftime("%Y-%m-%d %H:%M")  # naive: in the site zone
        lines = [f"title: {json.dumps(self.title, ensure_ascii=False)}", f"date: {date}"]
        if self.tags:
            lines.append(f"tags: {json.dumps(list(self.tags), ensure_ascii=False)}")
        if self.draft is not None:
            lines.append(f"draft: {'true' if self.draft else 'false'}")
        if self.slug is not None:
            lines.append(f"slug: {json.dumps(self.slug, ensure_ascii=False)}")
        if self.summary is not None:
            lines.append(f"summary: {json.dumps(self.summary, ensure_ascii=False)}")
        if self.explicit_id is not None:
            lines.append(f"id: {json.dumps(self.explicit_id)}")
        if self.image is not None:
            lines.append(f"image: {json.dumps(self.image)}")
        return "---\n" + "\n".join(lines) + "\n---\n\n" + self.body


@dataclass(frozen=True)
class ConfigSpec:
    title: str = "Example"
    url: str = "https://example.org/"
    timezone: str = "UTC"
    pages: bool | None = None
    limit: int | None = None
    content: str | None = None
    tags: bool | None = None
    formats: tuple[str, ...] | None = None

    def text(self) -> str:
        site = [f"title = {json.dumps(self.title, ensure_ascii=False)}",
                f"url = {json.dumps(self.url)}", f'timezone = "{self.timezone}"']
        if self.pages is not None:
            site.append(f"pages = {str(self.pages).lower()}")
        feeds = []
        if self.limit is not None:
            feeds.append(f"limit = {self.limit}")
        if self.content is not None:
            feeds.append(f'content = "{self.content}"')
        if self.tags is not None:
            feeds.append(f"tags = {str(self.tags).lower()}")
        if self.formats is not None:
            feeds.append(f"formats = {json.dumps(list(self.formats))}")
        text = "[site]\n" + "\n".join(site) + "\n"
        return text + ("[feeds]\n" + "\n".join(feeds) + "\n" if feeds else "")


posts = st.builds(
    PostSpec,
    title=st.sampled_from(TITLES),
    offset=st.sampled_from(OFFSETS),
    tags=st.lists(st.sampled_from(TAGS), max_size=3, unique=True).map(tuple),
    draft=st.sampled_from((None, None, False, True)),
    slug=st.sampled_from((None, None, *SLUGS[1:])),
    summary=st.sampled_from(SUMMARIES),
    body=st.sampled_from(BODIES),
    image=st.sampled_from(IMAGES),
)
# An existing post, picked by index modulo the number of posts (printable, shrinkable).
which = st.integers(min_value=0, max_value=20)


STATS: Counter[str] = Counter()  # what the runs did, printed after each (pytest -s, -rP)


def _report_facts(report: BuildReport) -> tuple[object, ...]:
    """What an incremental and a scratch build must agree on (rename warnings aside)."""
    errors = sorted((p.path, p.line, p.field, p.message) for p in report.errors)
    return (report.published, report.scheduled, report.drafts, report.feeds,
            report.next_publish, errors)


def _folders(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


class IncrementalBuilds(RuleBasedStateMachine):
    """A site on disk, its model, and the checks after every change."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="feedpub-incr-"))
        self.root = self.tmp / "site"
        (self.root / "posts").mkdir(parents=True)
        self.posts: dict[str, PostSpec] = {}  # path under posts/ -> what it holds
        self.config = ConfigSpec()
        self.templates: dict[str, int] = {}  # overridden template -> its marker
        self.assets: set[str] = set()  # files beside posts and in static/
        self.own: dict[str, bytes] = {}  # files put into output/ by hand
        self.hold = 0  # builds to skip: changes made meanwhile go into one build
        # Every write gets an mtime of its own, seconds apart and long past (well outside
        # the 2 s racy window, so the caches and the no-change fast path trust them). Two
        # edits of one file with the same size in one mtime tick could be missed by any
        # mtime-based tool; distinct mtimes keep such races out of this test. A rename or
        # a move keeps the file's mtime, as `mv` does.
        self.clock_ns = time.time_ns() - 30 * 86400 * 10**9
        # `recent`: writes get mtimes of now (inside the racy window: nothing trusted),
        # still each its own.
        self.recent = False
        self.recent_ns = 0
        self.now = NOW  # both builds of a step run at the same `now`
        self._write_config()

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- Writing the inputs ---

    def _stamp(self, path: Path) -> None:
        if self.recent:
            self.recent_ns = stamp = max(time.time_ns(), self.recent_ns + 10**6)
        else:
            self.clock_ns = stamp = self.clock_ns + 10**9
        os.utime(path, ns=(stamp, stamp))

    def _write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self._stamp(path)

    def _write_post(self, name: str) -> None:
        self._write(self.root / "posts" / name, self.posts[name].text())

    def _write_config(self) -> None:
        self._write(self.root / "feedpub.toml", self.config.text())

    def _pick(self, n: int) -> str:
        return sorted(self.posts)[n % len(self.posts)]

    def _change(self, n: int, what: str, **changes: object) -> None:
        name = self._pick(n)
        self.posts[name] = replace(self.posts[name], **changes)  # type: ignore[arg-type]
        note(f"{what}: posts/{name} -> {changes}")
        self._write_post(name)

    def _move(self, old: str, new: str) -> None:
        if old == new:
            return
        note(f"mv posts/{old} posts/{new}" + (" (replacing it)" if new in self.posts else ""))
        target = self.root / "posts" / new
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.root / "posts" / old, target)
        self.posts[new] = self.posts.pop(old)

    # --- The changes a writer makes ---

    @initialize(first=st.lists(st.tuples(st.sampled_from(NAMES), posts), max_size=3))
    def start(self, first: list[tuple[str, PostSpec]]) -> None:
        for name, spec in first:
            self.posts[name] = spec
            self._write_post(name)
        note(f"start with {sorted(self.posts)}")

    @rule(folder=st.sampled_from(FOLDERS), name=st.sampled_from(NAMES), spec=posts)
    def add_post(self, folder: str, name: str, spec: PostSpec) -> None:
        path = folder + name
        note(f"write posts/{path}: {spec}" + (" (over the old one)" if path in self.posts else ""))
        self.posts[path] = spec
        self._write_post(path)

    @precondition(lambda self: self.posts)
    @rule(n=which, body=st.sampled_from(BODIES), summary=st.sampled_from(SUMMARIES))
    def edit(self, n: int, body: str, summary: str | None) -> None:
        self._change(n, "edit", body=body, summary=summary)

    @precondition(lambda self: self.posts)
    @rule(n=which, title=st.sampled_from(TITLES))
    def retitle(self, n: int, title: str) -> None:
        self._change(n, "retitle", title=title)

    @precondition(lambda self: self.posts)
    @rule(n=which, name=st.sampled_from(NAMES))
    def rename(self, n: int, name: str) -> None:
        old = self._pick(n)
        self._move(old, old.rpartition("/")[0] + ("/" if "/" in old else "") + name)

    @precondition(lambda self: self.posts)
    @rule(n=which, folder=st.sampled_from(FOLDERS))
    def move(self, n: int, folder: str) -> None:
        old = self._pick(n)
        self._move(old, folder + old.rpartition("/")[2])

    @precondition(lambda self: self.posts)
    @rule(n=which, slug=st.sampled_from(SLUGS))
    def set_slug(self, n: int, slug: str | None) -> None:
        self._change(n, "slug", slug=slug)

    @precondition(lambda self: self.posts)
    @rule(n=which, tags=st.lists(st.sampled_from(TAGS), max_size=3, unique=True).map(tuple))
    def retag(self, n: int, tags: tuple[str, ...]) -> None:
        self._change(n, "retag", tags=tags)

    @precondition(lambda self: self.posts)
    @rule(n=which, draft=st.sampled_from((None, False, True)))
    def set_draft(self, n: int, draft: bool | None) -> None:
        self._change(n, "draft", draft=draft)

    @precondition(lambda self: self.posts)
    @rule(n=which, offset=st.sampled_from(OFFSETS))
    def reschedule(self, n: int, offset: dt.timedelta) -> None:
        self._change(n, "reschedule", offset=offset)

    @precondition(lambda self: self.posts)
    @rule(n=which)
    def delete(self, n: int) -> None:
        name = self._pick(n)
        note(f"rm posts/{name}")
        (self.root / "posts" / name).unlink()
        del self.posts[name]

    @precondition(lambda self: self.posts)
    @rule(n=which, k=st.integers(min_value=-1, max_value=20))
    def set_id(self, n: int, k: int) -> None:
        """`id:` set to an id from the ledger (as the rename warning says), to a new one
        (k = -1), or removed (when the post has one)."""
        if self.posts[self._pick(n)].explicit_id is not None and k % 2:
            self._change(n, "id", explicit_id=None)
            return
        with sqlite3.connect(self.root / ".feedpub" / "feedpub.sqlite") as db:
            known = sorted(row[0] for row in db.execute("SELECT id FROM posts"))
        chosen = known[k % len(known)] if known and k >= 0 else "urn:example:my-own-id"
        self._change(n, "id", explicit_id=chosen)

    @precondition(lambda self: self.posts)
    @rule(n=which, image=st.sampled_from(IMAGES))
    def set_image(self, n: int, image: str | None) -> None:
        self._change(n, "image", image=image)

    @rule(place=st.sampled_from(ASSET_PLACES), name=st.sampled_from(ASSET_NAMES),
          data=st.sampled_from(ASSET_BYTES))
    def write_asset(self, place: str, name: str, data: bytes) -> None:
        path = self.root / place / name
        note(f"write {place}{name} ({data!r})")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self._stamp(path)
        self.assets.add(place + name)

    @precondition(lambda self: self.assets)
    @rule(n=which)
    def delete_asset(self, n: int) -> None:
        name = sorted(self.assets)[n % len(self.assets)]
        note(f"rm {name}")
        (self.root / name).unlink()
        self.assets.discard(name)

    @rule(key=st.sampled_from(("title", "url", "timezone", "pages", "limit", "content", "tags",
                               "formats")), data=st.data())
    def edit_config(self, key: str, data: st.DataObject) -> None:
        choices: dict[str, tuple[object, ...]] = {
            "title": SITE_TITLES, "url": URLS, "timezone": ZONES, "pages": (None, True, False),
            "limit": (None, 0, 2), "content": (None, "full", "summary"),
            "tags": (None, True, False), "formats": FORMAT_SETS}
        value = data.draw(st.sampled_from(choices[key]), label=key)
        self.config = replace(self.config, **{key: value})  # type: ignore[arg-type]
        note(f"feedpub.toml: {key} = {value!r}")
        self._write_config()

    @rule(name=st.sampled_from(sorted(TEMPLATES)), marker=st.integers(1, 3))
    def write_template(self, name: str, marker: int) -> None:
        anchor, extra = TEMPLATES[name]
        text = (PACKAGE_TEMPLATES / "site" / name).read_text(encoding="utf-8")
        assert anchor in text, f"the package's {name} changed: update TEMPLATES"
        note(f"write templates/site/{name} (marker {marker})")
        self.templates[name] = marker
        self._write(self.root / "templates" / "site" / name,
                    text.replace(anchor, anchor + extra.format(n=marker), 1))

    @precondition(lambda self: self.templates)
    @rule(n=which)
    def remove_template(self, n: int) -> None:
        name = sorted(self.templates)[n % len(self.templates)]
        note(f"rm templates/site/{name}")
        (self.root / "templates" / "site" / name).unlink()
        del self.templates[name]

    @rule(n=st.integers(min_value=-1, max_value=50))
    def delete_output(self, n: int) -> None:
        """output/ is disposable: one of feedpub's files deleted by hand, or all (n = -1)."""
        output = self.root / "output"
        made = sorted(p for p in tree_bytes(output) if p not in self.own)
        if n < 0 or not made:
            note("rm -r output/")
            shutil.rmtree(output, ignore_errors=True)
            self.own.clear()
            return
        note(f"rm output/{made[n % len(made)]}")
        (output / made[n % len(made)]).unlink()

    @rule(path=st.sampled_from(OWN_FILES))
    def own_file(self, path: str) -> None:
        """A file of the writer's own put into output/: no build may remove it."""
        data = f"mine: {path}\n".encode()
        note(f"put output/{path} by hand")
        target = self.root / "output" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.own[path] = data

    @rule()
    def drop_caches(self) -> None:
        """The caches (not the ledger) deleted: they only make builds faster."""
        note("rm .feedpub/cache.sqlite* .feedpub/posts.pickle")
        for cache in (*(self.root / ".feedpub").glob("cache.sqlite*"),
                      self.root / ".feedpub" / "posts.pickle"):
            cache.unlink(missing_ok=True)

    @rule(recent=st.booleans())
    def save_times(self, recent: bool) -> None:
        """From now on files are saved with mtimes long past, or of the last seconds."""
        note(f"(files saved from now on get {'recent' if recent else 'past'} mtimes)")
        self.recent = recent

    @rule(step=st.sampled_from((dt.timedelta(minutes=1), dt.timedelta(hours=1),
                                dt.timedelta(days=1))))
    def time_passes(self, step: dt.timedelta) -> None:
        """Scheduled posts fall due (the site's files do not change)."""
        self.now += step
        note(f"(time passes: now = {self.now.isoformat()})")

    @precondition(lambda self: self.hold == 0)
    @rule()
    def batch_next_two(self) -> None:
        """The next two changes are built together, as one build."""
        note("(the next two changes are built together)")
        self.hold = 2

    # --- The checks ---

    def _scratch(self) -> tuple[dict[str, bytes], set[str], BuildReport]:
        """The same inputs and ledger (so the same ids), no caches and no output/."""
        fresh = self.tmp / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(self.root / "posts", fresh / "posts")
        shutil.copy(self.root / "feedpub.toml", fresh / "feedpub.toml")
        if (self.root / "static").exists():
            shutil.copytree(self.root / "static", fresh / "static")
        if (self.root / "templates").exists():
            shutil.copytree(self.root / "templates", fresh / "templates")
        (fresh / ".feedpub").mkdir()
        for ledger in (self.root / ".feedpub").glob("feedpub.sqlite*"):
            shutil.copy(ledger, fresh / ".feedpub" / ledger.name)
        report = build(load_config(cwd=fresh), self.now)
        return tree_bytes(fresh / "output"), _folders(fresh / "output"), report

    @invariant()
    def incremental_equals_scratch(self) -> None:
        STATS["steps"] += 1
        if self.hold:
            self.hold -= 1
            return
        output = self.root / "output"
        report = build(load_config(cwd=self.root), self.now)
        STATS["checks"] += 1
        STATS["first build: nothing to do"] += report.unchanged
        got = tree_bytes(output)
        want, want_folders, scratch = self._scratch()
        for path, data in self.own.items():  # the writer's own files stay as they were
            assert got.get(path) == data, f"output/{path}, put there by hand, was changed"
            assert path not in want, f"test error: output/{path} is one of feedpub's"
            want[path] = data
            want_folders.update(p.as_posix() for p in Path(path).parents if p != Path("."))
        missing, extra = sorted(want.keys() - got.keys()), sorted(got.keys() - want.keys())
        differ = sorted(k for k in want.keys() & got.keys() if want[k] != got[k])
        assert (missing, extra, differ) == ([], [], []), (
            f"output/ differs from a build from scratch: missing {missing}, left over "
            f"{extra}, different bytes {differ}")
        assert _folders(output) == want_folders, (
            f"folders left over in output/: {sorted(_folders(output) - want_folders)}, "
            f"missing: {sorted(want_folders - _folders(output))}")
        assert _report_facts(report) == _report_facts(scratch)

        before = tree_state(output)
        again = build(load_config(cwd=self.root), self.now)
        STATS["second build: nothing to do"] += again.unchanged
        assert again.written == () and again.removed == (), (
            f"a build with nothing changed wrote {again.written}, removed {again.removed}")
        assert tree_state(output) == before, "a build with nothing changed touched output/"
        assert _report_facts(again) == _report_facts(report)


# No explain phase: it replays a failure many more times (each ~0.5 s) to say little more
# than the printed steps do.
BOUNDED = settings(max_examples=15, stateful_step_count=20, deadline=None, database=None,
                   print_blob=True, phases=[Phase.explicit, Phase.reuse, Phase.generate,
                                            Phase.target, Phase.shrink],
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _run(how: settings) -> None:
    STATS.clear()
    started = time.perf_counter()
    run_state_machine_as_test(IncrementalBuilds, settings=how)
    print(f"{STATS['steps']} steps (initial states included), {STATS['checks']} builds checked "
          f"against a build from scratch, in {time.perf_counter() - started:.1f} s; "
          f"no-change fast path: {STATS['first build: nothing to do']} of the first builds, "
          f"{STATS['second build: nothing to do']} of the second")


# `make test-long`: the same test, many more and longer sequences.
LONG = settings(BOUNDED, max_examples=150, stateful_step_count=40)


def test_an_incremental_build_equals_a_build_from_scratch() -> None:
    _run(LONG if os.environ.get("FEEDPUB_LONG") else BOUNDED)
