"""File events on posts, templates and the config, debounced into one call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

log = logging.getLogger("feedpub.watch")

QUIET = 0.15  # seconds without events before the callback runs
MAX_DELAY = 0.6  # ... but never later than this after the first event
POLL_INTERVAL = 0.5
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part")


def ignored(name: str) -> bool:
    """Editor droppings and hidden files (including our own atomic-write temp files)."""
    return name.startswith((".", "#")) or name.endswith(IGNORED_SUFFIXES) or name == "4913"


class Debouncer:
    """Calls `callback` once events stop for QUIET seconds (at most MAX_DELAY after the first)."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.lock = threading.Lock()
        self.first: float | None = None
        self.timer: threading.Timer | None = None

    def poke(self) -> None:
        """An event happened."""
        with self.lock:
            now = time.monotonic()
            self.first = self.first or now
            if self.timer is not None:
                self.timer.cancel()
            delay = max(0.0, min(QUIET, self.first + MAX_DELAY - now))
            self.timer = threading.Timer(delay, self._fire)
            self.timer.daemon = True
            self.timer.start()

    def _fire(self) -> None:
        with self.lock:
            self.first = self.timer = None
        self.callback()

    def cancel(self) -> None:
        """Drop a pending call."""
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (
                event.is_directory and event.event_type == "modified"):
            return  # a folder "modified" only echoes the file events inside it
        if event.event_type in ("deleted", "moved") and Path(str(event.src_path)) in \
                self.watcher.exclude:  # output/ deleted: rebuild it
            self.watcher.debouncer.poke()
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if event.is_directory and event.event_type == "created":
            self.watcher.appeared(Path(str(event.src_path)))
        if any(self.watcher.relevant(Path(str(p))) for p in paths if p):
            log.debug("%s %s", event.event_type, event.src_path)
            self.watcher.debouncer.poke()


class Watcher:
    """Watches `folders` (recursively) and `files`; calls back, debounced, when they change."""

    def __init__(self, folders: Iterable[Path], files: Iterable[Path], exclude: Iterable[Path],
                 callback: Callable[[], None], polling: bool = False) -> None:
        self.folders = [f.resolve() for f in folders]
        self.files = {f.resolve() for f in files}
        self.exclude = [f.resolve() for f in exclude]
        self.handler = _Handler(self)
        self.debouncer = Debouncer(callback)
        self.observer = self._start(polling)

    def relevant(self, path: Path) -> bool:
        """True for the watched files and for non-hidden paths inside the watched folders."""
        if path in self.files:
            return True
        if any(path == x or path.is_relative_to(x) for x in self.exclude):
            return False
        for folder in self.folders:
            if path == folder or path.is_relative_to(folder):
                rest = path.relative_to(folder).parts
                return not any(ignored(part) for part in rest)
        return False

    def _start(self, polling: bool) -> BaseObserver:
        try:
            observer = self._observe(PollingObserver(timeout=POLL_INTERVAL) if polling
                                     else Observer())
        except OSError as exc:  # no inotify (limits, exotic file systems): poll instead
            log.warning("file events unavailable (%s); polling every %.1fs", exc, POLL_INTERVAL)
            observer = self._observe(PollingObserver(timeout=POLL_INTERVAL))
        return observer

    def appeared(self, path: Path) -> None:
        """A watched folder that did not exist at start was created: watch inside it."""
        observer = getattr(self, "observer", None)  # events may beat __init__ by a hair
        if path in self.folders and observer is not None:
            observer.schedule(self.handler, str(path), recursive=True)

    def _observe(self, observer: BaseObserver) -> BaseObserver:
        handler = self.handler
        for folder in self.folders:
            target, recursive = _existing(folder)
            observer.schedule(handler, str(target), recursive=recursive)
        for parent in sorted({f.parent for f in self.files} - set(self.folders)):
            if parent.is_dir():
                observer.schedule(handler, str(parent), recursive=False)
        observer.daemon = True
        observer.start()
        return observer

    def stop(self) -> None:
        """Stop watching; a pending callback is dropped."""
        self.debouncer.cancel()
        self.observer.stop()
        self.observer.join(timeout=2)


def _existing(folder: Path) -> tuple[Path, bool]:
    """The folder itself (recursive), or its nearest existing parent (to see it appear)."""
    if folder.is_dir():
        return folder, True
    parent = folder.parent
    while not parent.is_dir():
        parent = parent.parent
    return parent, False
