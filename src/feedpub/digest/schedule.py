"""When digests are due: the cron schedule in the site zone, and the ledger's slots.

The ledger decides, never APScheduler's own job store. The due slot is the latest cron
slot <= now that is later than both the latest slot the ledger recorded and the moment
a daemon first ran on this site. So a slot missed while the daemon was down is rendered
once when it comes back (however many slots were missed: one digest, with everything
since the last one), a slot is never rendered twice (the ledger has a UNIQUE slot), and
the very first start renders nothing: slots from before anyone ran the daemon are not
"missed".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from feedpub.config import Config
from feedpub.store import digests
from feedpub.store.ledger import open_ledger

FIRST_START = "daemon_first_start"
# Windows to look back in, short first, so that an every-minute schedule stays cheap.
SPANS = tuple(dt.timedelta(days=d) for d in (0.1, 2, 9, 63, 400, 5 * 366))
MAX_FIRES = 10_000  # per window: a runaway schedule cannot hang anything


def trigger(config: Config) -> Any:
    """The digest schedule as an APScheduler CronTrigger in the site's time zone."""
    from apscheduler.triggers.cron import CronTrigger  # heavy

    return CronTrigger.from_crontab(config.digest.schedule, timezone=config.site.zone)


def last_fires(cron: Any, now: dt.datetime, count: int) -> list[dt.datetime]:
    """The last `count` fire times of a trigger at or before `now`, oldest first; fewer
    when the schedule has not fired that often in five years."""
    found: list[dt.datetime] = []
    for span in SPANS:
        found = []
        fire = cron.get_next_fire_time(None, now - span)
        while fire is not None and fire <= now and len(found) < MAX_FIRES:
            found.append(fire)
            fire = cron.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
        if len(found) >= count:
            break
    return found[-count:]


def latest_slot(cron: Any, now: dt.datetime) -> dt.datetime | None:
    """The latest fire time of `cron` at or before `now` (None if none in five years)."""
    fires = last_fires(cron, now, 1)
    return fires[-1] if fires else None


def next_slot(cron: Any, now: dt.datetime) -> dt.datetime | None:
    """The next fire time of `cron` after `now`."""
    slot: dt.datetime | None = cron.get_next_fire_time(None, now + dt.timedelta(microseconds=1))
    return slot


def first_start(config: Config, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """When a daemon first ran on this site (recorded in the ledger on the very first
    start), and whether that is now."""
    with open_ledger(config.paths.state) as ledger:
        value = ledger.meta(FIRST_START)
        if value is not None:
            return dt.datetime.fromisoformat(value), False
        ledger.set_meta({FIRST_START: now.astimezone(dt.UTC).isoformat()})
    return now, True


def last_scheduled_slot(config: Config, until: dt.datetime | None = None) -> dt.datetime | None:
    """The latest cron slot (at or before `until`) a digest or an empty run was recorded
    for, None if none."""
    ledger = open_ledger(config.paths.state, create=False)
    if ledger is None:
        return None
    with ledger:
        return digests.last_slot(ledger, until)


def due_slot(config: Config, now: dt.datetime, since: dt.datetime) -> dt.datetime | None:
    """The slot a digest is owed for now, or None (see the module's rule). Slots recorded
    after `now` (the clock jumped forward, then back) do not hold back the slots before
    them; they keep their one digest when `now` reaches them."""
    slot = latest_slot(trigger(config), now)
    last = last_scheduled_slot(config, until=now)
    floor = min(since, now)
    floor = max(floor, last) if last is not None else floor
    return slot if slot is not None and slot > floor else None
