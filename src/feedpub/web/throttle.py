"""A warning that may fire thousands of times a second, logged at most once a minute."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable


class Throttle:
    """Logs a warning at most once per `every` seconds, saying how many it held back.

    For conditions an attacker or a flood can repeat at will (out of descriptors, too many
    connections): one line tells the operator; a line per event would bury the log.
    Not thread-safe: each instance belongs to one thread (the server's event loop).
    """

    def __init__(self, logger: logging.Logger, every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.every = every
        self.clock = clock
        self.quiet_until = -math.inf
        self.held = 0

    def warning(self, message: str, *args: object) -> None:
        """Log `message % args` now, or count it if a warning went out less than `every` ago."""
        now = self.clock()
        if now < self.quiet_until:
            self.held += 1
            return
        if self.held:
            message, args = message + " (%d more like this since the last report)", (
                *args, self.held)
        self.logger.warning(message, *args)
        self.quiet_until, self.held = now + self.every, 0
