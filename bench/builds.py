"""One build of one tool: its exact command line, and running it under measure.

Every tool is exec'd directly (no shell, no wrapper), so the timed process is
the tool itself: feedpub's console script, Pelican's console script, Hugo's
Go binary. Standard library only.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import scratch

FEEDPUB_CONFIG = """\
# Written by bench/bench.py: the peers' workload (site-wide and per-tag RSS
# and Atom, full content, every published post in every feed).
[site]
url = "https://example.org/"
timezone = "UTC"
{pages}
[paths]
posts = "{posts}"
output = "output"
state = "state"

[feeds]
formats = ["rss", "atom"]
limit = 0
tags = true
content = "full"
"""


@dataclass
class Run:
    wall: float
    peak_mib: float
    rc: int
    stderr: str = ""


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    cwd: Path | None = None
    env: tuple[tuple[str, str], ...] = ()


def run_once(cmd: Command) -> Run:
    """Spawn, wait, and measure one build: wall seconds and the child's peak RSS."""
    env = {**os.environ, **dict(cmd.env)}
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace") if rc else ""
    return Run(wall, usage.ru_maxrss / 1024.0, rc, tail)  # ru_maxrss is KiB on Linux


# ---------------------------------------------------------------------------
# feedpub


@dataclass(frozen=True)
class Feedpub:
    """One feedpub under test: its console script and how it runs here."""

    script: Path
    pages: bool  # whether it writes its HTML pages in these runs
    pages_switch: bool  # whether it has a [site] pages switch at all
    version: str  # git commit of its source (or its package version)


def probe_pages_switch(script: Path) -> bool:
    """Whether this feedpub accepts `[site] pages = false` (feeds only, like the peers)."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        (site / "posts").mkdir()
        text = FEEDPUB_CONFIG.format(pages="pages = false", posts=site / "posts")
        (site / "feedpub.toml").write_text(text, encoding="utf-8")
        proc = subprocess.run([str(script), "-q", "check"], cwd=site, capture_output=True,
                              text=True)
    return proc.returncode == 0 and "unknown key" not in proc.stderr


def interpreter(script: Path) -> Path:
    """The Python a console script runs on (its #! line; else the python beside it)."""
    with open(script, "rb") as fh:
        first = fh.readline()
    words = first[2:].decode("utf-8", "replace").split() if first.startswith(b"#!") else []
    if words and Path(words[0]).name.startswith("python"):
        return Path(words[0])
    return script.parent / "python"


def package_of(script: Path) -> tuple[Path | None, str]:
    """Where this feedpub's package is, and its installed version ((None, "") if it fails)."""
    code = ("import importlib.metadata as m, os, feedpub\n"
            "print(os.path.dirname(feedpub.__file__)); print(m.version('feedpub'))")
    proc = subprocess.run([str(interpreter(script)), "-c", code], capture_output=True, text=True)
    lines = proc.stdout.split("\n")
    if proc.returncode or len(lines) < 2:
        return None, ""
    return Path(lines[0]), lines[1]


def prepare_feedpub(script: Path, keep_pages: bool) -> Feedpub:
    """Compile its package's byte code (as pip does on install) and find its version."""
    package, installed = package_of(script)
    version = f"{installed} (source not found)"
    if package:
        # An editable install is not compiled, and with PYTHONDONTWRITEBYTECODE set
        # every build would compile feedpub's modules again.
        subprocess.run([str(interpreter(script)), "-m", "compileall", "-q", str(package)],
                       capture_output=True)
        version = git_version(package) or installed
    switch = probe_pages_switch(script)
    return Feedpub(script, keep_pages or not switch, switch, version)


def git_version(package: Path) -> str:
    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(package), *args], capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    dirty = commit and git("status", "--porcelain", "--", ".")
    return commit + (f" + uncommitted changes in {package}" if dirty else "")


def feedpub_site(feedpub: Feedpub, site: Path, posts: Path) -> Command:
    """A scratch site folder whose feedpub.toml points at `posts`; output/ and state/ inside."""
    site.mkdir(parents=True, exist_ok=True)
    pages = "" if not feedpub.pages_switch else f"pages = {str(feedpub.pages).lower()}"
    text = FEEDPUB_CONFIG.format(pages=pages, posts=posts)
    (site / "feedpub.toml").write_text(text, encoding="utf-8")
    return Command((str(feedpub.script), "-q", "build"), cwd=site)


# ---------------------------------------------------------------------------
# Peers


def peer_command(home: Path, tool: str, corpus: Path, out: Path, cache: Path, *,
                 cache_on: bool) -> Command:
    """One build of Hugo or Pelican on `corpus` (its posts/ inside) into `out`, with `cache`.

    Hugo has no content cache to switch: its --cacheDir holds only resources
    (none here). Pelican's content cache is `cache_on` (PEERBENCH_CACHE).
    """
    out.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    if tool == "hugo":
        argv = (str(scratch.hugo_bin(home)), "--quiet", "-s", str(scratch.site(home, "hugo")),
                "--contentDir", str(corpus), "--destination", str(out), "--cacheDir", str(cache))
        return Command(argv)
    argv = (str(scratch.pelican_bin(home)), "-q", str(corpus),
            "-s", str(scratch.site(home, "pelican") / "pelicanconf.py"),
            "-o", str(out), "--cache-path", str(cache))
    return Command(argv, env=(("PYTHONDONTWRITEBYTECODE", "1"),  # Pelican's venv is compiled
                              ("PEERBENCH_CACHE", "1" if cache_on else "0")))
