"""The site's secret, .feedpub/secret: the key of every link token (subscribe, unsubscribe).

32 random bytes, made once, readable by the owner only (0600). Losing it only makes
links in mails already sent stop working; it is never sent or logged.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from feedpub.errors import StateError

NAME = "secret"
SIZE = 32


def site_secret(state_dir: Path) -> bytes:
    """The secret, made (atomically, mode 0600) on first use; StateError when unreadable."""
    path = state_dir / NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _create(state_dir, path)
    except OSError as exc:
        raise StateError(f"{path}: cannot read the site's secret: {exc.strerror}") from None
    if len(data) != SIZE:
        raise StateError(f"{path}: the site's secret is damaged ({len(data)} bytes, not "
                         f"{SIZE}); delete it to make a new one (links in mails already sent "
                         "then stop working)")
    return data


def _create(state_dir: Path, path: Path) -> bytes:
    state_dir.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(SIZE)
    temp = path.with_name(f".{NAME}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)  # never replaces a secret another process made meanwhile
    except FileExistsError:
        return site_secret(state_dir)
    finally:
        temp.unlink()
    return data
