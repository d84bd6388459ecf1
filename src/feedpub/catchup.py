"""Which scheduled digest is due. The ledger decides, never APScheduler's own job store.

The rule: the due slot is the latest cron slot <= now that is later than both the
latest slot the ledger recorded and the moment a daemon first ran on this site.
So a slot missed while the daemon was down is rendered once when it comes back
(however many slots were missed: one digest, with everything since the last one),
a slot is never rendered twice (the ledger has a UNIQUE slot), and the very first
start renders nothing: slots from before anyone ran the daemon are not "missed".
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.triggers.cron import CronTrigger

from feedpub.config import Config
from feedpub.schedule import last_fires
from feedpub.state import open_ledger

log = logging.getLogger("feedpub")
FIRST_START = "daemon_first_start"


def trigger(config: Config) -> CronTrigger:
    """The digest schedule as a trigger in the site's time zone."""
    return CronTrigger.from_crontab(config.digest.schedule, timezone=config.site.zone)


def latest_slot(cron: CronTrigger, now: dt.datetime) -> dt.datetime | None:
    """The latest fire time of `cron` at or before `now` (None if none in five years)."""
    fires = last_fires(cron, now, 1)
    return fires[-1] if fires else None


def next_slot(cron: CronTrigger, now: dt.datetime) -> dt.datetime | None:
    """The next fire time of `cron` after `now`."""
    slot: dt.datetime | None = cron.get_next_fire_time(None, now + dt.timedelta(microseconds=1))
    return slot


def first_start(config: Config, now: dt.datetime) -> dt.datetime:
    """When a daemon first ran on this site; recorded in the ledger on the very first start."""
    ledger = open_ledger(config.paths.state)
    assert ledger is not None
    with ledger:
        value = ledger.meta(FIRST_START)
        if value is not None:
            return dt.datetime.fromisoformat(value)
        ledger.record_build([], None, {FIRST_START: now.astimezone(dt.UTC).isoformat()})
    log.info("first daemon start on this site: digests count from now on")
    return now


def due_slot(config: Config, now: dt.datetime, since: dt.datetime) -> dt.datetime | None:
    """The slot a digest is owed for now, or None (see the module's rule)."""
    from feedpub.digest_build import last_scheduled_slot

    slot = latest_slot(trigger(config), now)
    last = last_scheduled_slot(config)
    floor = max(since, last) if last is not None else since
    return slot if slot is not None and slot > floor else None


def run_due_digest(config: Config, now: dt.datetime, since: dt.datetime) -> None:
    """Render and record the digest owed for the latest slot, if any; log what happened."""
    from feedpub.digest import DigestRequest
    from feedpub.digest_build import make_digest

    slot = due_slot(config, now, since)
    if slot is None:
        log.debug("no digest due")
        return
    result = make_digest(config, now, DigestRequest(scheduled_for=slot))
    at = slot.astimezone(config.site.zone).isoformat(timespec="minutes")
    if result.digest_id is None:
        log.info("skipped digest for %s: %s", at, result.skipped_reason)
    else:
        log.info("digest %s with %d posts (slot %s)", result.digest_id, len(result.posts), at)
