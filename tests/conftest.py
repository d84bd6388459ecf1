"""Shared fixtures: a site on disk, the CLI as a real subprocess, the corpus generator."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from feedpub.config import Config, load_config
from tests.corpus import make_corpus as write_corpus

# CI runs the property tests on a fixed set of examples (it must not land or fail by luck);
# developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Site:
    root: Path

    @property
    def posts(self) -> Path:
        return self.root / "posts"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def config(self) -> Config:
        return load_config(cwd=self.root)

    def write_config(self, text: str) -> None:
        (self.root / "feedpub.toml").write_text(textwrap.dedent(text), encoding="utf-8")

    def post(self, name: str, front: str, body: str = "Hello.\n") -> Path:
        """Write posts/<name> with the given front matter (YAML without the --- lines)."""
        path = self.posts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{textwrap.dedent(front).strip()}\n---\n\n{body}", encoding="utf-8")
        return path

    def cli(self, *args: str, check: bool = False, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `python -m feedpub ARGS` in the site folder as a real process."""
        result = subprocess.run(
            [sys.executable, "-m", "feedpub", *args], cwd=self.root, capture_output=True,
            text=True, timeout=timeout, env={**os.environ, **(env or {})},
        )
        if check and result.returncode != 0:
            raise AssertionError(f"feedpub {args} exited {result.returncode}:\n{result.stderr}")
        return result


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """An empty site with a config pointing at https://example.org/."""
    s = Site(tmp_path / "site")
    s.posts.mkdir(parents=True)
    s.write_config("""
        [site]
        title = "Example"
        url = "https://example.org/"
        timezone = "UTC"
    """)
    return s


def make_corpus(out: Path, n: int, broken: int = 0, seed: int = 1) -> Path:
    """Write a corpus of `n` posts (+ `broken` malformed ones) into `out`; returns the manifest."""
    manifest = out.parent / f"manifest-{out.name}.json"
    write_corpus(out, n, seed=seed, broken=broken, manifest=manifest, clean=True)
    return manifest


NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


# --- Helpers for the feed, id, output and validity tests (added for issue 2) ---

FEED_NAMES = ("feed.xml", "atom.xml", "feed.json")


def build_in_process(site: Site, now: dt.datetime = NOW):  # type: ignore[no-untyped-def]
    """Build `site` with feedpub.build.build (no subprocess): fast, for many builds."""
    from feedpub.build.pipeline import build

    return build(site.config(), now)


def make_digest(config: Config, now: dt.datetime, request=None):  # type: ignore[no-untyped-def]
    """`feedpub digest` in this process: build, then the digest `request` asks for."""
    from feedpub.commands.digest import digest_now
    from feedpub.digest.plan import DigestRequest

    return digest_now(config, now, request or DigestRequest())[0]


def feed_files(output: Path) -> list[Path]:
    """Every feed file under output/: the site's and each tag's, all formats."""
    return sorted(p for p in output.rglob("*") if p.name in FEED_NAMES)


def tree_state(root: Path) -> dict[str, tuple[int, int, int]]:
    """Relative path -> (inode, mtime_ns, size) of every file and folder under `root`."""
    state = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        state[path.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return state


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under `root`."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def corpus200(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, dict]:  # type: ignore[type-arg]
    """A 200-post corpus with 12 broken posts, built once with every post in every feed."""
    import json

    site = Site(tmp_path_factory.mktemp("corpus200") / "site")
    manifest_path = make_corpus(site.posts, 200, broken=12)
    site.write_config("""
        [site]
        title = "Corpus & <Friends>"
        url = "https://example.org/"
        description = "A synthetic blog"
        timezone = "UTC"
        author = { name = "Ada", email = "ada@example.org" }
        [feeds]
        limit = 0
    """)
    result = site.cli("build")
    assert result.returncode == 1, result.stderr  # the broken posts
    return site, json.loads(manifest_path.read_text(encoding="utf-8"))
