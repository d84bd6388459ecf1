"""The server's mail room: one thread that records subscribe requests and sends the
newsletter's own emails (confirmations, welcomes), so that the event loop never waits for
the ledger's lock or the mail server.

Its queue is bounded (the rate limits keep it short; a flood beyond them is dropped and
said in the log, at most once a minute) and lives in memory: a request still queued when
the server stops is lost, and its sender, who got no email, asks again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from email.utils import parseaddr
from functools import partial
from typing import TYPE_CHECKING

from feedpub.config import Config
from feedpub.delivery import tokens
from feedpub.delivery.addresses import Address
from feedpub.delivery.links import confirm_url, unsubscribe_url
from feedpub.delivery.smtp import SENT, Mailer, MailServerError
from feedpub.digest.email import sender
from feedpub.errors import FeedpubError
from feedpub.store import subscribers as table
from feedpub.store.ledger import open_ledger
from feedpub.store.secret import site_secret
from feedpub.templating import environment
from feedpub.web import mail, subscription
from feedpub.web.throttle import Throttle

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger("feedpub.serve")
QUEUE_SIZE = 256  # requests waiting for the thread at most
IDLE = 10.0  # seconds the connection to the mail server stays open with nothing to send
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Postman:
    """A thread working through a queue of mail jobs; start() it, stop() it.

    post() belongs to one thread (the server's event loop); the jobs run on this one.
    """

    def __init__(self, config: Config, clock: Clock = utcnow) -> None:
        self.config, self.clock = config, clock
        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(QUEUE_SIZE)
        self.thread = threading.Thread(target=self.work, name="feedpub-mail", daemon=True)
        self.stopping = threading.Event()
        self.full = Throttle(log)
        self.mailer: Mailer | None = None
        self.env: jinja2.Environment | None = None

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the job in hand (not the queue), then end the thread."""
        self.stopping.set()
        with contextlib.suppress(queue.Full):  # busy: it sees `stopping` after its job
            self.jobs.put_nowait(None)
        if self.thread.is_alive():
            self.thread.join(timeout)

    def ask(self, address: Address) -> bool:
        """Record that `address` asked to subscribe and mail it a confirmation (unless it is
        active already); False when the queue is full and the request was dropped."""
        return self.post(partial(self.confirmation, address))

    def welcome(self, who: table.Subscriber) -> bool:
        """Mail the welcome (when there is a welcome.txt) to `who`, who just confirmed."""
        return self.post(partial(self.welcome_mail, who))

    def post(self, job: Callable[[], None]) -> bool:
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            self.full.warning("%d emails waiting to be sent: dropping new subscribe requests",
                              QUEUE_SIZE)
            return False
        return True

    def work(self) -> None:
        """The thread: each job in turn; the connection closed after IDLE seconds idle."""
        while not self.stopping.is_set():
            try:
                job = self.jobs.get(timeout=IDLE if self.mailer else None)
            except queue.Empty:
                self.close()
                continue
            if job is None:
                break
            try:
                job()
            except FeedpubError as exc:  # a broken template, an unusable ledger
                log.error("newsletter email not sent: %s", exc)
            except Exception:  # a bug: the thread goes on for the next request
                log.exception("newsletter email not sent: internal error")
        self.close()

    def confirmation(self, address: Address) -> None:
        state = self.config.paths.state
        with open_ledger(state) as ledger:
            who = subscription.ask(ledger, address, self.clock())
        if who is None:
            log.info("subscribe request for an active subscriber: nothing sent")
            return
        link = confirm_url(self.config, tokens.make(site_secret(state), tokens.CONFIRM, who.id,
                                                    who.key))
        to = _address(who)
        self.send(to, mail.confirmation(self.templates(), self.config, to, link, self.clock()),
                  f"confirmation email to subscriber {who.id}")

    def welcome_mail(self, who: table.Subscriber) -> None:
        env = self.templates()
        if not mail.exists(env, mail.WELCOME):
            return
        link = unsubscribe_url(self.config, tokens.make(
            site_secret(self.config.paths.state), tokens.UNSUBSCRIBE, who.id, who.key))
        to = _address(who)
        message = mail.welcome(env, self.config, to, link, self.clock())
        if message is not None:
            self.send(to, message, f"welcome email to subscriber {who.id}")

    def send(self, to: Address, message: bytes, what: str) -> None:
        """One message through the open connection (opened when needed); the outcome logged."""
        if self.mailer is None:
            self.mailer = Mailer(self.config.smtp)
        try:
            outcome = self.mailer.send(parseaddr(sender(self.config))[1], to.text, message,
                                       to.utf8)
        except MailServerError as exc:
            self.close()
            log.error("%s not sent: %s", what, exc)
            return
        if outcome.status == SENT:
            log.info("sent the %s", what)
        else:
            log.warning("%s not sent: %s (%s)", what, outcome.status, outcome.detail)

    def templates(self) -> jinja2.Environment:
        if self.env is None:
            self.env = environment(self.config.paths.templates, "email")
        return self.env

    def close(self) -> None:
        if self.mailer is not None:
            self.mailer.close()
            self.mailer = None


def _address(who: table.Subscriber) -> Address:
    return Address(who.key, who.address, not who.address.isascii())
