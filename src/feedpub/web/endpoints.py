"""The newsletter's three dynamic paths, under the path of the endpoints URL
(delivery.links.endpoints); every other request goes to the static app.

    subscribe/            GET: the site's subscribe page (output/subscribe/index.html, as
                          built), or the form alone when the endpoints live elsewhere.
                          POST: ask to subscribe (double opt-in)
    confirm/<token>       GET: a page with a button. POST (the button): confirm
    unsubscribe/<token>   GET: a page with a button. POST (the button, or a mail client's
                          RFC 8058 one-click): unsubscribe

A GET never changes anything (mail scanners open links). No answer tells who is on the
list: the subscribe answer is the same for a new, pending or active address, and an
unsubscribe link gets the same page whether its token is ours or not. The subscribe form
needs no CSRF token (it only starts a double opt-in); the buttons' POSTs carry their
token in the URL. A honeypot field and three rate limits stop floods.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from feedpub.config import Config
from feedpub.delivery.addresses import BadAddress, parse
from feedpub.delivery.links import CONFIRM, SUBSCRIBE, UNSUBSCRIBE, endpoints, subscribe_url
from feedpub.errors import FeedpubError
from feedpub.store.ledger import Ledger, open_ledger
from feedpub.store.secret import site_secret
from feedpub.urls import site_path
from feedpub.web import subscription
from feedpub.web.answers import Answers, plain
from feedpub.web.forms import BadRequest, form_fields, read_body
from feedpub.web.postman import Postman
from feedpub.web.ratelimit import RateLimit, client_key
from feedpub.web.throttle import Throttle

log = logging.getLogger("feedpub.serve")
T = TypeVar("T")
Handler = Callable[[Scope, Receive], Awaitable[Response]]

# (how many, per how many seconds)
PER_CLIENT = (5, 600.0)  # subscribe POSTs from one client (IPv4 address or IPv6 /64)
PER_ADDRESS = (3, 86_400.0)  # confirmation emails to one address
OVERALL = (200, 3600.0)  # confirmation emails to every address together
TRAP = "website"  # the form's honeypot field: people never see it, bots fill it in
TOKEN = re.compile(r"[0-9A-Za-z_-]{1,100}")  # what tokens.make() makes, and "test"
TEST_TOKEN = "test"  # the unsubscribe link of `feedpub send --test`
READING = ("GET", "HEAD")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Newsletter:
    """ASGI app: the newsletter's endpoints, in front of `static`."""

    def __init__(self, config: Config, static: ASGIApp, postman: Postman,
                 clock: Callable[[], dt.datetime] = utcnow,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config, self.static, self.postman, self.clock = config, static, postman, clock
        self.prefix = urlsplit(endpoints(config)).path.rstrip("/") + "/"
        self.sending = bool(config.smtp.host)
        # GET subscribe/ is the built page when the endpoints live with the site: one
        # page, the same from a static host and from `feedpub serve`
        self.built = (config.paths.output / "subscribe" / "index.html"
                      if self.prefix == site_path(config.site.url) else None)
        self.action = subscribe_url(config)  # the form's target
        self.answers = Answers(config)
        # one thread for the ledger: confirm and unsubscribe in turn, off the event loop
        self.clerk = ThreadPoolExecutor(1, thread_name_prefix="feedpub-ledger")
        self.per_client = RateLimit(*PER_CLIENT, clock=monotonic)
        self.per_address = RateLimit(*PER_ADDRESS, clock=monotonic)
        self.overall = RateLimit(*OVERALL, clock=monotonic)
        self.held_back = Throttle(log)

    def close(self) -> None:
        """Let the ledger work in hand finish."""
        self.clerk.shutdown(wait=True, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.route(scope["path"]) if scope["type"] == "http" else None
        if handler == self.subscribe and scope["method"] in READING and self.built_page():
            handler = None
        if handler is None:
            await self.static(scope, receive, send)
            return
        try:
            response = await handler(scope, receive)
        except FeedpubError as exc:  # a broken template, an unusable ledger
            log.error("%s %s: %s", scope["method"], scope["path"], exc)
            response = plain("something went wrong on our side; try again later", 503)
        await response(scope, receive, send)

    def built_page(self) -> bool:
        return self.built is not None and self.built.is_file()

    def route(self, path: str) -> Handler | None:
        """The handler of `path`, None when it is not one of ours."""
        if not path.startswith(self.prefix):
            return None
        rest = path[len(self.prefix):]
        if rest == SUBSCRIBE:
            return self.subscribe
        name, slash, token = rest.partition("/")
        if slash and token and name + slash == CONFIRM:
            return partial(self.confirm, token)
        if slash and token and name + slash == UNSUBSCRIBE:
            return partial(self.unsubscribe, token)
        return None

    async def subscribe(self, scope: Scope, receive: Receive) -> Response:
        """The form (GET), or a request to subscribe (POST)."""
        if not self.sending:
            return self.answers.page("unavailable", 404)
        if scope["method"] in READING:
            return self.answers.page("subscribe", error="", subscribe=self.action)
        if scope["method"] != "POST":
            return not_allowed()
        return await self.ask(scope, receive)

    async def ask(self, scope: Scope, receive: Receive) -> Response:
        """A request to subscribe: the same answer for every address that is one."""
        client = client_key((scope.get("client") or ("", 0))[0])
        if not self.per_client.allow(client):
            wait = self.per_client.retry_after(client)
            return self.answers.page("subscribe", 429, {"Retry-After": str(wait)},
                                     subscribe=self.action, error="Too many tries from your "
                                     "network: please try again in a few minutes.")
        headers = Headers(scope=scope)
        try:
            fields = form_fields(headers, await read_body(receive, headers))
        except BadRequest as exc:
            return plain(exc.reason, exc.status)
        text = fields.get("email", "")
        try:
            address = await run_in_threadpool(parse, text)  # email-validator's first import
        except BadAddress as exc:
            return self.answers.page("subscribe", 400, subscribe=self.action, email=text,
                                     error=f"This is not an address we can send to: {exc}.")
        if fields.get(TRAP):
            log.debug("subscribe form with its trap field filled in: ignored")
        elif not (self.per_address.allow(address.key) and self.overall.allow("")):
            self.held_back.warning("subscribe requests over the limits (%d a day per "
                                   "address, %d an hour in all): no email sent",
                                   PER_ADDRESS[0], OVERALL[0])
        else:
            self.postman.ask(address)
        return self.answers.page("subscribe_sent", email=address.text, subscribe=self.action)

    async def confirm(self, token: str, scope: Scope, receive: Receive) -> Response:
        """A page with a button (GET); the button (POST) confirms."""
        if scope["method"] in READING:
            return self.answers.page("confirm")
        if scope["method"] != "POST":
            return not_allowed()
        try:
            await read_body(receive, Headers(scope=scope))  # never used: the token is the URL
        except BadRequest as exc:
            return plain(exc.reason, exc.status)
        done = await self.in_ledger(subscription.confirm, token)
        if done is None:
            return self.answers.page("link_expired",
                                     subscribe=self.action if self.sending else None)
        who, now_active = done
        if now_active:
            log.info("subscriber %d confirmed", who.id)
            if self.sending:
                self.postman.welcome(who)
        return self.answers.page("confirmed")

    async def unsubscribe(self, token: str, scope: Scope, receive: Receive) -> Response:
        """A page with a button (GET); the button or a one-click POST unsubscribes. The same
        answer for every token, ours or not."""
        if scope["method"] in READING:
            return self.answers.page("unsubscribe")
        if scope["method"] != "POST":
            return not_allowed()
        try:
            await read_body(receive, Headers(scope=scope))  # "List-Unsubscribe=One-Click", or
        except BadRequest as exc:  # the button's empty form: either way, leave
            return plain(exc.reason, exc.status)
        if token != TEST_TOKEN and await self.in_ledger(subscription.leave, token):
            log.info("a subscriber unsubscribed")
        return self.answers.page("unsubscribed", test=token == TEST_TOKEN)

    async def in_ledger(self, work: Callable[[Ledger, bytes, str, dt.datetime], T],
                        token: str) -> T | None:
        """`work(ledger, secret, token, now)` on the ledger's thread; None, without opening
        anything, for a token that cannot be ours or a site with no ledger yet."""
        if not TOKEN.fullmatch(token):
            return None
        return await asyncio.wrap_future(self.clerk.submit(self._in_ledger, work, token))

    def _in_ledger(self, work: Callable[[Ledger, bytes, str, dt.datetime], T],
                   token: str) -> T | None:
        state = self.config.paths.state
        ledger = open_ledger(state, create=False)
        if ledger is None:
            return None
        with ledger:
            return work(ledger, site_secret(state), token, self.clock())


def not_allowed() -> Response:
    return plain("method not allowed", 405, {"Allow": "GET, HEAD, POST"})
