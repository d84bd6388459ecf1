"""A process's life: one daemon per site (an flock holding its pid), stopping on a signal."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from feedpub.errors import StateError
from feedpub.state import exclusive

LOCK_NAME = "daemon.lock"


@contextlib.contextmanager
def daemon_lock(state_dir: Path) -> Iterator[None]:
    """Hold .feedpub/daemon.lock with our pid in it, or raise StateError naming the holder."""
    lock = contextlib.ExitStack()
    try:
        fd = lock.enter_context(exclusive(state_dir, LOCK_NAME, wait=False))
    except BlockingIOError:
        found = holder(state_dir)  # -1: it has the lock but has not written its pid yet
        pid = str(found) if found and found > 0 else "unknown"
        raise StateError(f"another 'feedpub run' (pid {pid}) is already running for this "
                         f"site (lock: {state_dir / LOCK_NAME}); stop it first, e.g. kill {pid}"
                         ) from None
    with lock:  # closing the file releases the flock; the kernel does it on kill -9 too
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (a second SIGINT exits at once)."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            os._exit(130)  # impatient: every write is atomic, so dying now loses nothing
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def wait_for_signal(stop: threading.Event | None = None) -> None:
    """Block the main thread until SIGTERM or SIGINT."""
    stop = stop or stop_on_signals()
    while not stop.wait(0.5):
        pass


def setup_logging(verbosity: int) -> None:
    """Timestamped lines on stderr; -v for debug, -vv for the libraries' chatter too."""
    level = logging.DEBUG if verbosity > 0 else logging.WARNING if verbosity < 0 else logging.INFO
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%(asctime)s %(levelname)-7s %(message)s")
    for noisy in ("apscheduler", "watchdog", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)


def holder(state_dir: Path) -> int | None:
    """The pid of the daemon holding this site's lock, or None when none runs."""
    path = state_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)
    return None
