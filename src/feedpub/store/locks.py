"""Locks in .feedpub/: one build or digest at a time, one daemon per site.

Each is an flock on a file holding the holder's pid, so whoever waits can say who
holds it. The kernel drops an flock when its holder dies, kill -9 included (and
build workers die with their parent), so a lock never outlives a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from feedpub.errors import StateError

BUILD, DIGEST, DAEMON, SEND = "build.lock", "digest.lock", "daemon.lock", "send.lock"
WAIT = 120.0  # seconds a build or digest waits for another one before giving up
_POLL = 0.05


@contextlib.contextmanager
def exclusive(state_dir: Path, name: str, wait: float = WAIT,
              what: str = "") -> Iterator[int]:
    """Hold the flock .feedpub/<name> (waiting up to `wait` seconds for its holder to
    finish; StateError naming the holder after that, or saying that `what` runs already
    when `wait` is 0); yields the file descriptor."""
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, state_dir / name, wait, what)
    except BaseException:
        os.close(fd)
        raise
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        # Unlocked before closing: a process forked meanwhile shares the descriptor, and
        # closing this copy alone would leave the lock held until that process exits.
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _acquire(fd: int, path: Path, wait: float, what: str) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                pid = _pid_in(fd)
                if what:
                    raise StateError(f"{what} (pid {pid or 'unknown'}) is already running for "
                                     f"this site; wait for it, or stop it (kill {pid or '<pid>'})"
                                     ) from None
                raise StateError(f"{path}: held by another feedpub (pid {pid or 'unknown'}) "
                                 f"for more than {wait:.0f} s; let it finish, or stop it "
                                 f"(kill {pid or '<pid>'})") from None
            time.sleep(_POLL)


def _pid_in(fd: int) -> int | None:
    text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def daemon_lock(state_dir: Path) -> Iterator[None]:
    """Hold .feedpub/daemon.lock for this process, or raise StateError naming the holder."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(exclusive(state_dir, DAEMON, wait=0))
        except StateError:
            pid = holder(state_dir)
            shown = str(pid) if pid and pid > 0 else "unknown"
            raise StateError(f"another 'feedpub run' (pid {shown}) is already running for "
                             f"this site (lock: {state_dir / DAEMON}); stop it first, e.g. "
                             f"kill {shown}") from None
        yield


def holder(state_dir: Path) -> int | None:
    """The pid of the daemon holding this site's lock (-1: not written yet), or None."""
    try:
        fd = os.open(state_dir / DAEMON, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _pid_in(fd) or -1
    finally:
        os.close(fd)
    return None
