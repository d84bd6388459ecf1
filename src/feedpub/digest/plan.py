"""Which posts a digest takes: the next digest from the ledger, or an explicit window. No I/O.

The next digest takes the published posts that are in no digest yet and were first seen
published after the *baseline* (the time of the first regular digest run). The very first
digest takes the posts dated within the last schedule period instead. So no post is ever
repeated, and none is skipped: a post held back by `max_posts`, or a draft that comes
back, is still waiting for the next digest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from feedpub.digest.schedule import last_fires
from feedpub.errors import ConfigError
from feedpub.posts import fields
from feedpub.posts.identity import assign_ids
from feedpub.posts.model import KnownPost, Post
from feedpub.posts.status import published
from feedpub.posts.text import slugify
from feedpub.store.digests import EXPLICIT, NEXT, History

DEFAULT_PERIOD = dt.timedelta(days=7)


@dataclass(frozen=True)
class DigestRequest:
    """What to render: the next digest (no window given) or an explicit window.

    `preview` renders into output/digests/preview/ and records nothing; `scheduled_for`
    is the cron slot a scheduled run is for (a slot is never rendered twice).
    """

    since: dt.datetime | None = None
    days: int | None = None
    latest: int | None = None
    tag: str | None = None
    preview: bool = False
    scheduled_for: dt.datetime | None = None

    @property
    def explicit(self) -> bool:
        """True when the request picks its posts by window rather than 'since last time'."""
        return any(v is not None for v in (self.since, self.days, self.latest, self.tag))


@dataclass(frozen=True)
class Candidate:
    """A post as the planner sees it: its ledger id and first-seen time when published."""

    post: Post
    id: str | None
    first_published: dt.datetime | None


def candidates(posts: Sequence[Post], known: Mapping[str, KnownPost], site_url: str,
               now: dt.datetime, as_if_built: bool = False) -> list[Candidate]:
    """Every post as the planner sees it: with the ledger's id and first-seen time (in
    `now`'s zone) when it is published, the same ids a build would give it. With
    `as_if_built`, a published post the ledger does not know yet is seen as a build now
    would record it (for --explain and status, which do not build)."""
    live = published(posts, now)
    identity = assign_ids(live, {p.slug for p in posts}, known, site_url, now)
    if as_if_built:
        known = {**known, **{c.post.id: c.post for c in identity.changes}}
    rows = [known.get(identity.ids.get(p.slug, "")) for p in posts]
    return [Candidate(p, r.id if r else None,
                      r.first_published.astimezone(now.tzinfo) if r else None)
            for p, r in zip(posts, rows, strict=True)]


@dataclass(frozen=True)
class Plan:
    """The posts chosen (newest first) and a line for every candidate saying why."""

    kind: str
    label: str
    chosen: tuple[Candidate, ...]
    explanation: tuple[str, ...]


def plan_digest(candidates: Iterable[Candidate], history: History, request: DigestRequest,
                now: dt.datetime, period: dt.timedelta, max_posts: int) -> Plan:
    """Choose the posts of a digest as of `now`, explaining every candidate."""
    in_digest = {pid: d.id for d in history.digests for pid in d.post_ids}
    ordered = sorted(candidates, key=lambda c: c.post.sort_key, reverse=True)
    reasons = {id(c): _gate(c, now) for c in ordered}
    eligible = [c for c in ordered if reasons[id(c)] is None]
    if request.explicit:
        kind, label, why_in, limit = EXPLICIT, _explicit_label(request), "in the window", (
            request.latest or max_posts)
        reasons.update({id(c): _explicit_reason(c, request, now) for c in eligible})
    else:
        kind, label, why_in, limit = NEXT, _next_label(history, now, period), "new", max_posts
        reasons.update({id(c): _next_reason(c, history, in_digest, now, period)
                        for c in eligible})
    taken = _cap([c for c in eligible if reasons[id(c)] is None], limit, kind, history)
    for c in eligible:
        if reasons[id(c)] is None and id(c) not in taken:
            reasons[id(c)] = _over_limit(request, limit, history)
    chosen = tuple(c for c in ordered if id(c) in taken)
    lines = tuple(_line(c, reasons[id(c)], why_in, in_digest) for c in ordered)
    return Plan(kind, label, chosen, lines)


def _gate(c: Candidate, now: dt.datetime) -> str | None:
    """Why a post can be in no digest at all, if it cannot."""
    if c.post.draft:
        return "draft"
    if c.post.date > now:
        return f"scheduled for {c.post.date:%Y-%m-%d %H:%M %Z}"
    if not c.post.digest:
        return "digest: false in its front matter"
    if c.id is None or c.first_published is None or c.first_published > now:
        return "not in the ledger yet (it goes in the next digest)"
    return None


def _next_reason(c: Candidate, history: History, in_digest: dict[str, str],
                 now: dt.datetime, period: dt.timedelta) -> str | None:
    assert c.id is not None and c.first_published is not None  # checked by _gate
    if c.id in in_digest:
        return f"already in digest {in_digest[c.id]}"
    if history.baseline is None and c.post.date < now - period:
        return f"dated before this first digest's window ({now - period:%Y-%m-%d %H:%M %Z})"
    if history.baseline is not None and c.first_published <= history.baseline:
        return f"published before digests began ({history.baseline:%Y-%m-%d %H:%M %Z})"
    return None


def _explicit_reason(c: Candidate, request: DigestRequest, now: dt.datetime) -> str | None:
    if request.tag is not None and slugify(request.tag) not in {t.slug for t in c.post.tags}:
        return f"not tagged {request.tag!r}"
    if request.since is not None and c.post.date < request.since:
        return f"dated before {request.since:%Y-%m-%d %H:%M %Z}"
    if request.days is not None and c.post.date < now - dt.timedelta(days=request.days):
        return f"older than {request.days} days"
    return None


def _cap(chosen: Sequence[Candidate], limit: int, kind: str, history: History) -> set[int]:
    """The ids (Python object ids) of the candidates that fit under `limit`."""
    if kind == NEXT and history.baseline is not None:
        # A backlog drains oldest first; the rest waits for the next digest.
        chosen = sorted(chosen, key=lambda c: (c.first_published, c.post.sort_key))
    return {id(c) for c in chosen[:limit]}


def _over_limit(request: DigestRequest, limit: int, history: History) -> str:
    if request.latest is not None:
        return f"beyond --latest {limit}"
    if not request.explicit and history.baseline is not None:
        return f"over max_posts ({limit}): it goes in the next digest"
    return f"over max_posts ({limit})"


def _line(c: Candidate, reason: str | None, why_in: str, in_digest: dict[str, str]) -> str:
    verdict = "in " if reason is None else "out"
    note = why_in if reason is None else reason
    if reason is None and c.id in in_digest:
        note += f" (also in digest {in_digest[c.id]})"
    return f"{verdict}  {c.post.date:%Y-%m-%d}  {c.post.title}  [{c.post.source}]: {note}"


def _next_label(history: History, now: dt.datetime, period: dt.timedelta) -> str:
    regular = [d for d in history.digests if d.kind == NEXT]
    start = regular[-1].created if regular else history.baseline or now - period
    zone = now.tzinfo
    return f"{start.astimezone(zone):%d %b %Y} – {now:%d %b %Y}"


def _explicit_label(request: DigestRequest) -> str:
    parts = []
    if request.since is not None:
        parts.append(f"since {request.since:%d %b %Y}")
    if request.days is not None:
        parts.append(f"the last {request.days} days")
    if request.tag is not None:
        parts.append(f"tagged {request.tag}")
    if request.latest is not None:
        parts.append(f"the latest {request.latest}")
    return ", ".join(parts)


def schedule_period(schedule: str, zone: ZoneInfo, now: dt.datetime) -> dt.timedelta:
    """The gap between the cron schedule's last two fire times before `now` (else a week)."""
    from apscheduler.triggers.cron import CronTrigger

    fires = last_fires(CronTrigger.from_crontab(schedule, timezone=zone), now, 2)
    if len(fires) < 2:
        return DEFAULT_PERIOD
    # In UTC: aware datetimes sharing a tzinfo subtract as wall times.
    return fires[-1].astimezone(dt.UTC) - fires[-2].astimezone(dt.UTC)


def digest_id(existing: Iterable[str], created: dt.datetime, zone: ZoneInfo) -> str:
    """A sortable id: the date in the site zone and a counter for that day (2026-11-23-1)."""
    day = f"{created.astimezone(zone):%Y-%m-%d}"
    taken = {i for i in existing if i.startswith(day + "-")}
    number = 1
    while f"{day}-{number}" in taken:
        number += 1
    return f"{day}-{number}"


def parse_since(text: str, zone: ZoneInfo) -> dt.datetime:
    """A --since value (a date or an ISO date-time; naive is in the site zone)."""
    try:
        return fields.to_datetime(text, zone)
    except fields.FieldError as exc:
        raise ConfigError([f"--since: {exc}"]) from None
