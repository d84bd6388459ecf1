"""Cron fire times looked up backwards, for the digest period and the catch-up slot."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Windows to look back in, short first, so that an every-minute schedule stays cheap.
SPANS = tuple(dt.timedelta(days=d) for d in (0.1, 2, 9, 63, 400, 5 * 366))
MAX_FIRES = 10_000  # per window: a runaway schedule cannot hang a build


def last_fires(trigger: Any, now: dt.datetime, count: int) -> list[dt.datetime]:
    """The last `count` fire times of an APScheduler trigger at or before `now`, oldest
    first; fewer when the schedule has not fired that often in five years."""
    found: list[dt.datetime] = []
    for span in SPANS:
        found = []
        fire = trigger.get_next_fire_time(None, now - span)
        while fire is not None and fire <= now and len(found) < MAX_FIRES:
            found.append(fire)
            fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
        if len(found) >= count:
            break
    return found[-count:]
