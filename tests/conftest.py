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

from feedpub.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS_SCRIPT = SHARED / "corpus" / "make_corpus.py"
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
    cmd = [sys.executable, str(CORPUS_SCRIPT), "--n", str(n), "--seed", str(seed),
           "--out", str(out), "--manifest", str(manifest), "--clean"]
    if broken:
        cmd += ["--broken", str(broken)]
    subprocess.run(cmd, check=True, capture_output=True)
    return manifest


NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
