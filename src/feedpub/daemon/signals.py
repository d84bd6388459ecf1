"""A long-running process's life: log lines on stderr, stopping on SIGTERM or Ctrl-C."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
from datetime import tzinfo


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (a second SIGINT exits at once)."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # impatient: every write is atomic, so stopping loses nothing
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def wait_for_signal(stop: threading.Event) -> None:
    """Block the main thread until `stop` is set."""
    while not stop.wait(0.5):
        pass


class _SiteTime(logging.Formatter):
    """Log times in the site's zone, as posts, status and the schedule say them."""

    def __init__(self, zone: tzinfo | None) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s")
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = dt.datetime.fromtimestamp(record.created, self.zone or dt.UTC)
        return moment.isoformat(sep=" ", timespec="seconds")


def setup_logging(verbosity: int, zone: tzinfo | None = None) -> None:
    """Timestamped lines on stderr (in `zone`); -v for debug, -vv for the libraries' chatter."""
    level = logging.DEBUG if verbosity > 0 else logging.WARNING if verbosity < 0 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SiteTime(zone))
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in ("apscheduler", "watchdog", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)
