"""Content keys: a hash of every input of a render, a feed entry or an output file.

The same key gives the same bytes, so a file (or a cached render or entry) whose key
did not change is neither made nor written again. Values are hashed through an explicit
canonical form, never through repr().
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from feedpub import __version__
from feedpub.render.markdown import EXTENSIONS, RENDER_VERSION


def canonical(value: Any) -> Any:
    """`value` as JSON-able data that says exactly what it holds."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__,
                *(canonical(getattr(value, f.name)) for f in dataclasses.fields(value))]
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return [[canonical(k), canonical(v)] for k, v in value.items()]
    if isinstance(value, (Path, dt.datetime, dt.date)):
        return [type(value).__name__, str(value) if isinstance(value, Path)
                else value.isoformat()]
    raise TypeError(f"no canonical form for {type(value).__name__}")


def content_key(*parts: Any) -> str:
    """A stable hex key for the given values."""
    text = json.dumps(canonical(parts), ensure_ascii=False, separators=(",", ":"))
    return _sha256(text)


def render_key(fingerprint: str, url: str) -> str:
    """Everything that affects a post's HTML: its file's bytes (body, summary and slug
    are in them) and its URL (relative links resolve against it)."""
    return _sha256(f"{__version__}\x1f{RENDER_VERSION}\x1f{EXTENSIONS!r}\x1f{url}\x1f{fingerprint}")


def entry_key(fmt: str, settings: str, item_id: str, url: str, fingerprint: str,
              image: str = "") -> str:
    """Everything that affects a post's entry in a feed of format `fmt` (`image`: its
    enclosure, which names a file's size the post's own bytes do not hold)."""
    # Unambiguous without quoting: fmt and settings are fixed, the fingerprint is 64
    # characters. One sha256 of a string: 10,000 posts need 30,000 of these keys.
    return _sha256(f"{fmt}\x1f{settings}\x1f{item_id}\x1f{url}\x1f{fingerprint}\x1f{image}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
