"""uvicorn's HTTP/1.1 protocol with the two limits it lacks: a request deadline, a connection cap.

uvicorn (0.3x to 0.55) only times out a connection *after* a response (`timeout_keep_alive`),
and resets even that on every byte received; a client that connects and sends nothing, or
half a request line, or one byte a second, holds its connection and descriptor for ever
(slowloris). Its `limit_concurrency` still accepts every connection and answers 503 only once
a request arrives, logging a warning per request. So this subclass of its h11 protocol:

- gives each client `request_timeout` seconds, from connecting or from the end of the last
  response, to send a whole request, then closes the connection;
- answers 503 and closes at once when more than `max_connections` are open, so the process
  never runs out of descriptors, and says so in the log at most once a minute.

It touches only what H11Protocol documents by use (conn, transport, loop, connections and
the four callbacks below); tests/test_serve_hardening.py holds it to that over real sockets.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from feedpub.web.throttle import Throttle

log = logging.getLogger("feedpub.serve")
WAITING = (h11.IDLE, h11.SEND_BODY)  # the client still owes us (part of) a request
BUSY_TEXT = b"too many connections, try again\n"
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"retry-after: 1\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
        % (len(BUSY_TEXT), BUSY_TEXT))


@dataclass(frozen=True)
class Limits:
    """What one server allows its clients, and where it reports refusing them."""

    request_timeout: float
    max_connections: int
    refusals: Throttle


def guarded_protocol(limits: Limits) -> type[H11Protocol]:
    """The protocol class uvicorn instantiates per connection, bound to this server's `limits`."""

    class Bound(GuardedH11Protocol):
        pass

    Bound.limits = limits
    return Bound


class GuardedH11Protocol(H11Protocol):
    """H11Protocol that drops slow clients and refuses connections beyond the cap."""

    limits: ClassVar[Limits]
    deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self.refuse()
        else:
            self.arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state not in WAITING:  # the whole request is in
            self.disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        super().connection_lost(exc)

    def arm(self) -> None:
        """Start the clock on the next request (unless one is already in)."""
        self.disarm()
        if self.conn.their_state in WAITING and not self.transport.is_closing():
            self.deadline = self.loop.call_later(self.limits.request_timeout, self.expire)

    def disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def expire(self) -> None:
        """Too slow: close, as uvicorn closes an idle kept-alive connection (no response)."""
        self.deadline = None
        if self.conn.their_state in WAITING:
            log.debug("closing %s: no complete request within %gs", self.client,
                      self.limits.request_timeout)
            self.timeout_keep_alive_handler()

    def refuse(self) -> None:
        """Answer 503 and close, before reading anything."""
        self.limits.refusals.warning(
            "more than %d connections open: answering 503 to new ones (an idle connection is "
            "closed after %gs)", self.limits.max_connections, self.limits.request_timeout)
        self.transport.write(BUSY)
        self.transport.close()
