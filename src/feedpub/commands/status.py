"""`feedpub status`: published and scheduled posts, the next and the last digest. Read-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from feedpub.build.pipeline import load_posts
from feedpub.config import Config
from feedpub.digest import schedule
from feedpub.digest.plan import (
    Candidate,
    DigestRequest,
    candidates,
    plan_digest,
    schedule_period,
)
from feedpub.errors import plural
from feedpub.posts.model import Post
from feedpub.posts.status import Status, published, status
from feedpub.store import digests, outbox, subscribers
from feedpub.store.digests import History
from feedpub.store.ledger import Ledger, read_ledger
from feedpub.store.locks import holder
from feedpub.store.published import known_posts

SHOWN = 10  # posts listed per section


def site_status(config: Config, now: dt.datetime) -> str:
    """The report `feedpub status` prints, as text ending in a newline."""
    local = now.astimezone(config.site.zone)
    posts = load_posts(config, save=False).posts
    lines = [f"{config.site.title} ({config.site.url}), time zone {config.site.timezone}"]
    lines += _daemon(config)
    lines += _published(published(posts, local), config)
    lines += _scheduled(posts, local, config)
    ledger = read_ledger(config.paths.state)
    if ledger is None:
        return "\n".join([*lines, "No state yet: run 'feedpub build' first.", ""])
    with ledger:
        history, candidates = _digest_state(ledger, posts, config, local)
        delivery = _delivery(ledger, history)
    lines += _next_digest(config, local, history, candidates)
    lines += _last_digest(history, config)
    return "\n".join([*lines, *delivery, ""])


def _delivery(ledger: Ledger, history: History) -> list[str]:
    """Subscribers by status, and where the send of each recent digest stands."""
    counts = subscribers.counts(ledger)
    lines = [f"Subscribers: {sum(counts.values())} ("
             + ", ".join(f"{n} {state}" for state, n in counts.items()) + ")"]
    sent = outbox.sent_digests(ledger)
    for digest in history.digests[-SHOWN:]:
        if digest.id in sent:
            tally = outbox.tally(ledger, digest.id)
            waiting = tally["queued"] + tally["sending"] + tally["deferred"]
            lines.append(f"  digest {digest.id}: {tally['sent']} sent, {waiting} waiting, "
                         f"{tally['rejected']} rejected, {tally['skipped']} skipped"
                         + (f", {tally['uncertain']} uncertain" if tally["uncertain"] else ""))
        else:
            lines.append(f"  digest {digest.id}: not sent by feedpub")
    return lines


def _daemon(config: Config) -> list[str]:
    pid = holder(config.paths.state)
    return [f"Daemon: running (pid {pid})" if pid else "Daemon: not running"]


def _when(moment: dt.datetime, config: Config) -> str:
    return f"{moment.astimezone(config.site.zone):%Y-%m-%d %H:%M}"


def _published(live: Sequence[Post], config: Config) -> list[str]:
    lines = [f"Published: {plural(len(live), 'post')}" + (", newest first:" if live else "")]
    lines += [f"  {_when(p.date, config)}  {p.title}" for p in live[:SHOWN]]
    if len(live) > SHOWN:
        lines.append(f"  ... and {len(live) - SHOWN} more")
    return lines


def _scheduled(posts: Sequence[Post], now: dt.datetime, config: Config) -> list[str]:
    waiting = sorted((p for p in posts if status(p, now) is Status.SCHEDULED),
                     key=lambda p: p.date)
    lines = [f"Scheduled: {plural(len(waiting), 'post')}" + (", next first:" if waiting else "")]
    lines += [f"  {_when(p.date, config)}  {p.title}" for p in waiting[:SHOWN]]
    drafts = sum(p.draft for p in posts)
    return lines + ([f"Drafts: {drafts}"] if drafts else [])


def _digest_state(ledger: Ledger, posts: Sequence[Post], config: Config,
                  now: dt.datetime) -> tuple[History, list[Candidate]]:
    """The digest history and every post as the digest planner sees it."""
    return digests.history(ledger), candidates(posts, known_posts(ledger), config.site.url, now,
                                             as_if_built=True)


def _next_digest(config: Config, now: dt.datetime, history: History,
                 candidates: Sequence[Candidate]) -> list[str]:
    slot = schedule.next_slot(schedule.trigger(config), now)
    when = _when(slot, config) if slot else "never"
    period = schedule_period(config.digest.schedule, config.site.zone, now)
    plan = plan_digest(candidates, history, DigestRequest(), now, period,
                       config.digest.max_posts)
    head = f"Next digest: {when} ({config.digest.schedule!r})"
    if not plan.chosen:
        empty = "skipped" if config.digest.skip_empty else "sent empty"
        return [f"{head}; as of now it would have no posts ({empty})"]
    return [f"{head}; as of now it would contain {plural(len(plan.chosen), 'post')}:",
            *(f"  {c.post.title}" for c in plan.chosen)]


def _last_digest(history: History, config: Config) -> list[str]:
    if not history.digests:
        return ["Last digest: none yet"]
    last = history.digests[-1]
    return [f"Last digest: {last.id} at {_when(last.created, config)}, "
            f"{plural(len(last.post_ids), 'post')}: {last.subject}"]
