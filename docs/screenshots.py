#!/usr/bin/env python3
"""The site's screenshots in docs/: the example site (the repo's feedpub.toml and posts/)
and a 60-post corpus, built with the default theme, shot by headless Chromium at 1280 and
375 px, light and dark.

    .venv/bin/python docs/screenshots.py [--out docs] [--chromium /usr/bin/chromium]

Headless windows are at least 500 px wide: a page is shot inside an iframe of the exact
width (as tests/test_digest_delivery.py does for the digest).
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.corpus import make_corpus  # noqa: E402

WIDTHS = {"1280": (1280, 1100), "375": (375, 1500)}  # width: (window width, height)
CORPUS_CONFIG = """\
[site]
title = "Field Notes"
url = "https://example.org/"
description = "Notes on software, systems and the craft of writing them"
timezone = "Europe/Berlin"
author = { name = "Ada Lovelace", email = "ada@example.org" }
"""
SHOTS = {  # name: (site, page under output/)
    "example-index": ("example", "index.html"),
    "example-post": ("example", "posts/the-empathy-revolution/index.html"),
    "corpus-index": ("corpus", "index.html"),
    "corpus-post": ("corpus", None),  # the newest post
    "corpus-subscribe": ("corpus", "subscribe/index.html"),
}


def build(root: Path) -> None:
    subprocess.run([sys.executable, "-m", "feedpub", "-q", "build"], cwd=root, check=True)


def example_site(root: Path) -> Path:
    root.mkdir()
    shutil.copytree(REPO / "posts", root / "posts")
    shutil.copy(REPO / "feedpub.toml", root)
    build(root)
    return root / "output"


def corpus_site(root: Path) -> Path:
    (root / "posts").mkdir(parents=True)
    make_corpus(root / "posts", 60, seed=1, clean=True)
    (root / "feedpub.toml").write_text(CORPUS_CONFIG, encoding="utf-8")
    build(root)
    return root / "output"


def newest_post(output: Path) -> str:
    index = (output / "index.html").read_text(encoding="utf-8")
    start = index.index('<ul class="posts">')
    href = index[index.index('href="', start) + 6:]
    return href[:href.index('"')].removeprefix("/") + "index.html"


def shoot(chromium: str, page: Path, width: int, height: int, dark: bool, shot: Path,
          profile: Path) -> None:
    frame = page.with_name(f".frame-{width}.html")
    frame.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}'
        f'iframe{{border:0;display:block;width:{width}px;height:{height}px}}</style></head>'
        f'<body><iframe src="{html.escape(page.as_uri())}"></iframe></body></html>',
        encoding="utf-8")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--allow-file-access-from-files", f"--user-data-dir={profile}",
         *(["--force-dark-mode"] if dark else []), f"--window-size={width},{height}",
         f"--screenshot={shot}", frame.as_uri()],
        check=True, capture_output=True, timeout=120)
    frame.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sites = {"example": example_site(Path(tmp) / "example"),
                 "corpus": corpus_site(Path(tmp) / "corpus")}
        for name, (site, path) in SHOTS.items():
            page = sites[site] / (path or newest_post(sites[site]))
            for label, (width, height) in WIDTHS.items():
                for dark in (False, True):
                    shot = args.out / f"site-{name}-{label}{'-dark' if dark else ''}.png"
                    shoot(args.chromium, page, width, height, dark, shot, Path(tmp) / "profile")
                    print(shot.relative_to(REPO) if shot.is_relative_to(REPO) else shot)


if __name__ == "__main__":
    main()
