"""A long-running process's life: log lines on stderr, stopping on SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import sys
import threading


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


def setup_logging(verbosity: int) -> None:
    """Timestamped lines on stderr; -v for debug, -vv for the libraries' chatter too."""
    level = logging.DEBUG if verbosity > 0 else logging.WARNING if verbosity < 0 else logging.INFO
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%(asctime)s %(levelname)-7s %(message)s")
    for noisy in ("apscheduler", "watchdog", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)
