"""The daemon's one task thread: builds and digests run in turn, never at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("feedpub")
STOP_TIMEOUT = 7.0  # seconds to let the task in progress finish on SIGTERM


class TaskQueue:
    """One thread runs every build and digest in turn (feedgen's setlocale is not thread-safe)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.pending: dict[str, Callable[[], None]] = {}
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="feedpub-worker", daemon=True)
        self.thread.start()

    def submit(self, name: str, task: Callable[[], None]) -> None:
        """Queue `task`, unless a task of that name is already waiting (it will see the news)."""
        with self.cond:
            if not self.stopping:
                self.pending.setdefault(name, task)
                self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.pending or self.stopping)
                if self.stopping:
                    return
                name = next(iter(self.pending))
                task = self.pending.pop(name)
            try:
                task()
            except Exception:  # a bug: say so, keep serving the last good output
                log.exception("%s failed", name)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Drop waiting tasks, let the running one finish (up to `timeout` seconds)."""
        with self.cond:
            self.stopping = True
            self.pending.clear()
            self.cond.notify()
        self.thread.join(timeout)
