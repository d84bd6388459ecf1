"""`feedpub init`: a commented config, an example post, and a templates/ folder to fill."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from feedpub.config import init_toml
from feedpub.errors import ConfigError
from feedpub.templating import PACKAGE_TEMPLATES

POST_TEXT = '''\
---
title: Hello, feedpub
date: {date}
tags: [meta]
summary: The first post, written by `feedpub init`.
digest: false  # an example: never sent in a newsletter (delete this line to send it)
---

This is an example post. Edit it, or add more Markdown files under `posts/`.
Run `feedpub build`, then subscribe to `output/feed.xml`.
'''

TEMPLATES_README = '''\
# Your templates

A file here replaces feedpub's own file of the same name; any file you do not
provide keeps feedpub's. Copy the one you want to change from feedpub's
defaults (listed below, with the path they come from) and edit it. Templates
are Jinja2; `feedpub check` finds their syntax errors.

{listing}
'''


def init(config_path: Path, force: bool, now: dt.datetime) -> list[Path]:
    """Write feedpub.toml (refusing to overwrite unless `force`), posts/hello-feedpub.md
    and templates/{site,email}/README.md; the files written."""
    if config_path.exists() and not force:
        raise ConfigError([f"{config_path}: already exists (use --force to overwrite it)"])
    root = config_path.parent
    root.mkdir(parents=True, exist_ok=True)
    config_path.write_text(init_toml(), encoding="utf-8")
    written = [config_path]
    post = root / "posts" / "hello-feedpub.md"
    files = {post: POST_TEXT.format(date=now.strftime("%Y-%m-%d"))}
    for kind in ("site", "email"):
        files[root / "templates" / kind / "README.md"] = _readme(kind)
    for path, text in files.items():
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def _readme(kind: str) -> str:
    """What templates/<kind>/ may hold: every default template of that kind."""
    defaults = sorted(p for p in (PACKAGE_TEMPLATES / kind).iterdir() if p.is_file())
    listing = "\n".join(f"- `{p.name}`: {_first_comment(p)}" for p in defaults)
    return TEMPLATES_README.format(listing=listing) + (
        f"\nfeedpub's defaults are in the installed package: "
        f"`python -c 'import feedpub, pathlib; print(pathlib.Path(feedpub.__file__).parent "
        f"/ \"templates\" / \"{kind}\")'`\n")


def _first_comment(path: Path) -> str:
    """The template's own description: its leading `{# ... #}` comment's first line."""
    text = path.read_text(encoding="utf-8").lstrip()
    if not text.startswith("{#") or "#}" not in text:
        return "see the file"
    return " ".join(text[2:text.index("#}")].strip("- \n").split())
