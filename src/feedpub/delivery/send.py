"""`feedpub send`: a digest to every active subscriber, once each, through any crash.

The audience is frozen into the outbox in one transaction; then the outbox is read in
chunks and each row is committed `sending` before its message goes and `sent` (or
deferred, rejected, skipped) after the server answers. Started again after a kill, a
send goes on where it stopped; the one row it finds `sending` is sent again, after the
others, with the same Message-ID and counted as uncertain. One send at a time per site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr

from feedpub.config import Config
from feedpub.delivery import tokens
from feedpub.delivery.addresses import Address
from feedpub.delivery.links import unsubscribe_url
from feedpub.delivery.message import PLACEHOLDER, Letter, addressed, letter
from feedpub.delivery.smtp import DEFERRED, REJECTED, SENT, Mailer, MailServerError, Outcome
from feedpub.digest.email import sender
from feedpub.digest.make import render_recorded
from feedpub.errors import FeedpubError, StateError
from feedpub.posts.model import Post
from feedpub.store import digests, outbox, subscribers
from feedpub.store.ledger import Ledger, open_ledger
from feedpub.store.locks import SEND, exclusive
from feedpub.store.secret import site_secret

Clock = Callable[[], dt.datetime]
Progress = Callable[[int, int], None]
MAX_TRIES = 10  # deferrals before a message is given up (about two days of backoff)
FIRST_RETRY = dt.timedelta(minutes=5)
LAST_RETRY = dt.timedelta(hours=6)


class NothingToSend(FeedpubError):
    """No digest is waiting to be sent (not an error: said, exit 0)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Summary:
    """What one `feedpub send` did, and where the digest's send stands."""

    digest_id: str
    done: dict[str, int] = field(default_factory=dict)  # this run: sent, deferred...
    totals: dict[str, int] = field(default_factory=dict)  # the whole send, every run
    bounced: int = 0  # subscribers this run made bounced
    stopped: str = ""  # why this run stopped early (the mail server), if it did

    def count(self, state: str) -> None:
        self.done[state] = self.done.get(state, 0) + 1


def send_digest(config: Config, posts: Sequence[Post], digest_id: str | None = None,
                clock: Clock = utcnow, progress: Progress | None = None,
                stop: Callable[[], bool] = lambda: False) -> Summary:
    """Send `digest_id` (default: an unfinished send, else the latest digest not sent);
    `stop()` true ends the run between two messages (the rest waits, nothing is lost)."""
    state = config.paths.state
    with exclusive(state, SEND, wait=0, what="another feedpub send"), \
            open_ledger(state) as ledger:
        digest_id = digest_id or next_to_send(ledger)
        created = _created(ledger, digest_id)
        mailer = Mailer(config.smtp)  # no [smtp] host: said before an audience is frozen
        outbox.freeze(ledger, digest_id, clock())
        secret = site_secret(state)
        item = letter(config, digest_id, render_recorded(config, posts, digest_id, PLACEHOLDER),
                      created)
        summary = Summary(digest_id)
        run = _Run(config, ledger, secret, item, clock, summary, mailer)
        try:
            run.all(progress, stop)
        except MailServerError as exc:
            summary.stopped = str(exc)
        finally:
            run.mailer.close()
        outbox.finish(ledger, digest_id, clock())
        summary.totals = outbox.tally(ledger, digest_id)
    return summary


def next_to_send(ledger: Ledger) -> str:
    """An unfinished send (the oldest), else the latest digest, if no send has begun."""
    unfinished = outbox.unfinished(ledger)
    if unfinished:
        return unfinished[0]
    recorded = digests.history(ledger).digests
    if not recorded:
        raise NothingToSend("nothing to send: no digest yet (feedpub digest makes one)")
    latest = recorded[-1].id
    if outbox.frozen(ledger, latest):
        raise NothingToSend(f"nothing to send: digest {latest}, the latest, was sent "
                            "(give a digest id to send another)")
    return latest


def _created(ledger: Ledger, digest_id: str) -> dt.datetime:
    for digest in digests.history(ledger).digests:
        if digest.id == digest_id:
            return digest.created
    raise FeedpubError(f"no digest {digest_id!r} (feedpub status lists them)")


class _Run:
    """One pass over the outbox."""

    def __init__(self, config: Config, ledger: Ledger, secret: bytes, item: Letter,
                 clock: Clock, summary: Summary, mailer: Mailer) -> None:
        self.config, self.ledger, self.secret, self.item = config, ledger, secret, item
        self.clock, self.summary, self.mailer = clock, summary, mailer
        self.sender = parseaddr(sender(config))[1]

    def all(self, progress: Progress | None, stop: Callable[[], bool]) -> None:
        digest_id = self.item.digest_id
        total = sum(outbox.tally(self.ledger, digest_id)[s] for s in
                    (outbox.QUEUED, outbox.SENDING, outbox.DEFERRED))
        done = 0
        # The messages a crash cut go last: a crash that comes back early in every run (a
        # restart loop) then cuts a new message each time, not the same one again.
        for cut in (False, True):
            after = 0
            while rows := outbox.due(self.ledger, digest_id, self.clock(), after, cut):
                for row in rows:
                    if stop():
                        self.summary.stopped = "stopped: the rest waits for the next send"
                        return
                    self.one(row)
                    done, after = done + 1, row.subscriber_id
                    if progress:
                        progress(done, total)

    def one(self, row: outbox.Row) -> None:
        digest_id, sid = self.item.digest_id, row.subscriber_id
        who = subscribers.get(self.ledger, sid) if row.address else None
        if who is None or who.status != subscribers.ACTIVE:
            why = "erased" if who is None else f"{who.status} meanwhile"
            outbox.settle(self.ledger, digest_id, sid, outbox.SKIPPED, why, self.clock())
            self.summary.count(outbox.SKIPPED)
            return
        outbox.sending(self.ledger, digest_id, sid, uncertain=row.state == outbox.SENDING)
        link = unsubscribe_url(self.config, tokens.make(self.secret, tokens.UNSUBSCRIBE, sid,
                                                        who.key))
        to = Address(who.key, who.address, not who.address.isascii())
        try:
            outcome = self.mailer.send(self.sender, to.text, addressed(self.item, to, sid, link),
                                       to.utf8)
        except MailServerError:
            outbox.settle(self.ledger, digest_id, sid, outbox.QUEUED, "not sent: the mail "
                          "server is unreachable", self.clock())
            raise
        self.record(row, outcome)

    def record(self, row: outbox.Row, outcome: Outcome) -> None:
        digest_id, sid, now = self.item.digest_id, row.subscriber_id, self.clock()
        if outcome.status == SENT:
            outbox.settle(self.ledger, digest_id, sid, outbox.SENT, outcome.detail, now)
            subscribers.delivered(self.ledger, sid)
            self.summary.count(outbox.SENT)
        elif outcome.status == DEFERRED and row.attempts + 1 < MAX_TRIES:
            retry = min(LAST_RETRY, FIRST_RETRY * 2 ** row.attempts)
            outbox.settle(self.ledger, digest_id, sid, outbox.DEFERRED, outcome.detail, now,
                          now + retry, uncertain=outcome.uncertain)
            self.summary.count(outbox.DEFERRED)
        else:
            outbox.settle(self.ledger, digest_id, sid, outbox.REJECTED, outcome.detail, now)
            self.summary.count(outbox.REJECTED)
            if outcome.status == REJECTED and subscribers.failed(
                    self.ledger, sid, self.config.delivery.bounce_after, now):
                self.summary.bounced += 1


def send_test(config: Config, posts: Sequence[Post], address: Address,
              digest_id: str | None = None) -> Outcome:
    """One copy of a digest to `address`, recording nothing (its unsubscribe link is the
    generic page)."""
    with open_ledger(config.paths.state) as ledger:
        digest_id = digest_id or _latest(ledger)
        created = _created(ledger, digest_id)
    item = letter(config, digest_id, render_recorded(config, posts, digest_id, PLACEHOLDER),
                  created)
    with Mailer(config.smtp) as mailer:
        return mailer.send(parseaddr(sender(config))[1], address.text,
                           addressed(item, address, 0, unsubscribe_url(config, "test")),
                           address.utf8)


def _latest(ledger: Ledger) -> str:
    recorded = digests.history(ledger).digests
    if not recorded:
        raise StateError("no digest yet (feedpub digest makes one)")
    return recorded[-1].id
