"""A real SMTP server for the delivery tests: aiosmtpd in a thread on a free port.

It keeps every message that arrived (envelope, bytes, the parsed message) and answers
as a test scripts it, per recipient and stage: `answer("RCPT", "a@x.org", "550 5.1.1 no
such user")`, `answer("DATA", "b@x.org", CUT, times=1)`. A 421 closes the connection
after the reply, as real servers do. Tests read what arrived, never what was meant to be
sent.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

# DATA answers that are not a reply: the connection is closed once the content is in.
CUT = "cut: lost"  # the server lost the message (nothing arrived)
TAKEN_THEN_CUT = "cut: taken"  # the message arrived; the reply never went out
STAGES = ("MAIL", "RCPT", "DATA")


def free_port() -> int:
    """A TCP port nothing listens on now (aiosmtpd's Controller(port=0) fails, aiosmtpd#276)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Arrival:
    """One message the server accepted (or took, then cut)."""

    mail_from: str
    rcpt: tuple[str, ...]
    options: tuple[str, ...]  # MAIL FROM options: SMTPUTF8...
    raw: bytes
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        """The decoded text/`subtype` part."""
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}":
                return str(part.get_content())  # type: ignore[attr-defined]
        raise AssertionError(f"no text/{subtype} part in {self.message_id}")


@dataclass
class _Rule:
    reply: str
    times: int | None  # None: every time


@dataclass
class SmtpServer:
    """The server; `with SmtpServer() as smtp:` runs it, `smtp.port` is where."""

    port: int = field(default_factory=free_port)
    delay: float = 0.0  # seconds each accepted message waits, once recorded, for its 250
    utf8: bool = True  # offers SMTPUTF8
    arrivals: list[Arrival] = field(default_factory=list)
    tries: list[tuple[str, str, str]] = field(default_factory=list)  # (stage, address, reply)
    _rules: dict[tuple[str, str], list[_Rule]] = field(default_factory=dict)
    _transports: set[Any] = field(default_factory=set)
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      enable_SMTPUTF8=self.utf8, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        """Down: every connection closed and the port no longer listening."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        loop = controller.loop
        for transport in list(self._transports):
            loop.call_soon_threadsafe(transport.close)
        self._transports.clear()
        controller.stop()

    def answer(self, stage: str, address: str, reply: str, times: int | None = None) -> None:
        """Answer `reply` to `address` at `stage` (the next `times` times, else always)."""
        assert stage in STAGES, stage
        self._rules.setdefault((stage, address.lower()), []).append(_Rule(reply, times))

    def copies(self) -> Counter[str]:
        """Recipient -> how many messages arrived for it."""
        return Counter(r.lower() for a in self.arrivals for r in a.rcpt)

    def to(self, address: str) -> list[Arrival]:
        return [a for a in self.arrivals if address.lower() in (r.lower() for r in a.rcpt)]

    def _reply(self, stage: str, address: str) -> str | None:
        with self._lock:
            rules = self._rules.get((stage, address.lower()), [])
            while rules and rules[0].times == 0:
                rules.pop(0)
            if not rules:
                return None
            if rules[0].times is not None:
                rules[0].times -= 1
            return rules[0].reply

    def _record(self, envelope: Any) -> None:
        raw = bytes(envelope.original_content or envelope.content)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        self.arrivals.append(Arrival(envelope.mail_from, tuple(envelope.rcpt_tos),
                                     tuple(envelope.mail_options), raw, message))


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, options: list[str]) -> str:
        self.owner._transports.add(server.transport)
        reply = self._said("MAIL", address, server)
        if reply is None:
            envelope.mail_from, envelope.mail_options = address, list(options)
            return "250 OK"
        return reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, options: list[str]) -> str:
        reply = self._said("RCPT", address, server)
        if reply is None:
            envelope.rcpt_tos.append(address)
            return "250 OK"
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        replies = [self._said("DATA", r, server) for r in envelope.rcpt_tos]
        reply = next((r for r in replies if r is not None), None)
        if reply in (CUT, TAKEN_THEN_CUT):
            if reply == TAKEN_THEN_CUT:
                self.owner._record(envelope)
            server.transport.close()
            await asyncio.sleep(3600)  # cancelled when the connection is gone
        if reply is not None:
            return reply
        self.owner._record(envelope)  # before the delay: a client killed meanwhile is
        if self.owner.delay:  # a message taken whose 250 it never saw
            await asyncio.sleep(self.owner.delay)
        return f"250 OK queued as {len(self.owner.arrivals)}"

    def _said(self, stage: str, address: str, server: Any) -> str | None:
        reply = self.owner._reply(stage, address)
        self.owner.tries.append((stage, address, reply or "250"))
        if reply is not None and reply.startswith("421"):
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply


# --- The site side: a site whose [smtp] is this server, a digest, its subscribers ---

def newsletter_config(port: int, bounce_after: int = 2, delivery_url: str = "",
                      rate: float = 0.0) -> str:
    """feedpub.toml for a site sending through 127.0.0.1:`port` (no TLS, 5 s timeout)."""
    url = f'url = "{delivery_url}"\n' if delivery_url else ""
    return f"""
        [site]
        title = "Example"
        url = "https://example.org/"
        timezone = "UTC"
        [digest]
        from = "News <news@example.org>"
        [smtp]
        host = "127.0.0.1"
        port = {port}
        security = "none"
        timeout = 5
        rate = {rate}
        [delivery]
        bounce_after = {bounce_after}
        {url}"""
