"""`feedpub init`: a commented config and an example post."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from feedpub.errors import ConfigError

CONFIG_TEXT = '''\
# feedpub configuration. Every key is optional; the values shown are the defaults.

[site]
title = "My feedpub site"
url = "http://127.0.0.1:8000/"     # where output/ is served; feeds use absolute URLs from it
description = ""
language = "en"
timezone = "UTC"                     # IANA zone; naive dates in posts are read in it
pages = true                         # index.html, posts/<slug>/ and tags/<tag>/ pages (false if
                                     # another tool makes the site and feedpub only the feeds)
# author = { name = "Ada Lovelace", email = "ada@example.org" }

[paths]                              # relative to this file
posts = "posts"
templates = "templates"              # templates/site/ and templates/email/ override the defaults
output = "output"                    # safe to delete: a rebuild restores it
state = ".feedpub"                   # the ledger of published posts and digests: keep it

[feeds]
formats = ["rss", "atom", "json"]    # feed.xml, atom.xml, feed.json
limit = 20                           # newest posts per feed; 0 = every post
content = "full"                     # "full" or "summary"
tags = true                          # also tags/<tag>/feed.xml etc.

[digest]
schedule = "0 8 * * mon"             # cron, in the site time zone
subject = "{{ site.title }}: {{ posts|length }} new post{{ 's' if posts|length != 1 }}"
max_posts = 20
skip_empty = true                    # no posts, no digest
# from = "News <news@example.org>"
# to = "subscribers@example.org"
# unsubscribe = "https://example.org/unsubscribe"
# utm = { source = "newsletter", medium = "email" }

[server]
host = "127.0.0.1"
port = 8000
'''

POST_TEXT = '''\
---
title: Hello, feedpub
date: {date}
tags: [meta]
summary: The first post, written by `feedpub init`.
---

This is an example post. Edit it, or add more Markdown files under `posts/`.
Run `feedpub build`, then subscribe to `output/feed.xml`.
'''


def init(config_path: Path, force: bool, now: dt.datetime) -> list[Path]:
    """Write feedpub.toml (refusing to overwrite unless `force`) and posts/hello-feedpub.md."""
    if config_path.exists() and not force:
        raise ConfigError([f"{config_path}: already exists (use --force to overwrite it)"])
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(CONFIG_TEXT, encoding="utf-8")
    written = [config_path]
    post = config_path.parent / "posts" / "hello-feedpub.md"
    if not post.exists():
        post.parent.mkdir(parents=True, exist_ok=True)
        post.write_text(POST_TEXT.format(date=now.strftime("%Y-%m-%d")), encoding="utf-8")
        written.append(post)
    return written
