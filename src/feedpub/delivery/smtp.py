"""One connection to the mail server, reused for every message, and what it answered.

Each message is its own SMTP transaction (MAIL, RCPT, DATA), so the answer is known per
subscriber: 2xx sent; 4xx deferred (tried again later); 5xx to RCPT rejected (the
address is dead); 5xx to MAIL FROM or DATA is the sender's or the content's problem,
never the subscriber's. A connection cut during DATA may have delivered: uncertain.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from dataclasses import dataclass

from feedpub.config import SmtpConfig
from feedpub.errors import ExitStatus, FeedpubError, shorten

SENT, DEFERRED, REJECTED, REFUSED = "sent", "deferred", "rejected", "refused"
_NO_UTF8 = ("the mail server does not take international addresses (no SMTPUTF8): use a "
            "relay that does")


class MailServerError(FeedpubError):
    """The mail server cannot be reached or refuses us (not one subscriber): nothing is
    lost, the rest waits for the next send."""

    exit_status = ExitStatus.MAIL_SERVER


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, deferred, rejected (the address), refused (the message)
    detail: str  # the server's answer, or what went wrong
    uncertain: bool = False  # cut during DATA: the server may have taken it


class Mailer:
    """A connection to the configured server, opened on first use; a context manager."""

    def __init__(self, settings: SmtpConfig, local_hostname: str | None = None) -> None:
        if not settings.host:
            raise MailServerError("no mail server: set [smtp] host in feedpub.toml (and port, "
                                  "security, username; the password in the environment "
                                  "variable [smtp] password_env names)")
        self.settings = settings
        self.local_hostname = local_hostname
        self.smtp: smtplib.SMTP | None = None
        self.pace = 1 / settings.rate if settings.rate else 0.0
        self.last = 0.0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """QUIT and close (quietly: the server may be gone)."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def send(self, sender: str, recipient: str, message: bytes, utf8: bool = False) -> Outcome:
        """One message to one recipient, on the open connection (opened again when the
        server closed it while idle)."""
        self._wait_for_pace()
        for attempt in (1, 2):
            stage = "MAIL"
            try:
                smtp = self._connection()
                if utf8 and not smtp.has_extn("smtputf8"):  # smtplib would raise, and no
                    return Outcome(REFUSED, _NO_UTF8)  # later try can do better
                code, answer = smtp.mail(sender, ["SMTPUTF8"] if utf8 else [])
                if code == 421 and attempt == 1:  # how a server closing an idle connection
                    self._drop()  # answers the next command: once more, on a new one
                    continue
                if code >= 400:
                    self._reset(code)
                    return _refused_sender(code, answer)
                stage = "RCPT"
                code, answer = smtp.rcpt(recipient)
                if code >= 400:
                    self._reset(code)
                    return Outcome(DEFERRED if code < 500 else REJECTED, _said(code, answer))
                stage = "DATA"
                code, answer = smtp.data(message)
            except smtplib.SMTPDataError as exc:  # DATA refused before the content went
                code, answer = exc.smtp_code, _bytes(exc.smtp_error)
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                if stage == "MAIL" and attempt == 1:
                    continue  # a connection the server closed while idle: once more
                return Outcome(DEFERRED, shorten(f"the connection failed during {stage}: "
                                                 f"{exc}"), uncertain=stage == "DATA")
            break
        if code == 421:  # the server is closing the connection
            self._drop()
        if code >= 400:
            return Outcome(DEFERRED if code < 500 else REFUSED, _said(code, answer))
        return Outcome(SENT, _said(code, answer))

    def _reset(self, code: int) -> None:
        """End a refused transaction (RSET), or the connection when the server closes it
        (421): the server's answer is what the ledger keeps, not the failed RSET's."""
        try:
            if code != 421 and self.smtp is not None:
                self.smtp.rset()
                return
        except (OSError, smtplib.SMTPException):
            pass
        self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = self._connect()
        return self.smtp

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()  # certificates verified
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, self.local_hostname,
                                                      timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, self.local_hostname, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=context)
            smtp.ehlo_or_helo_if_needed()
            if s.username:
                smtp.login(s.username, _password(s))
        except smtplib.SMTPAuthenticationError as exc:
            raise MailServerError(f"{s.host}: the login as {s.username!r} was refused "
                                  f"({_said(exc.smtp_code, exc.smtp_error)}); check [smtp] "
                                  f"username and ${s.password_env}") from None
        except (OSError, smtplib.SMTPException) as exc:  # a timeout is an OSError
            raise MailServerError(f"cannot reach the mail server {s.host}:{s.port} "
                                  f"({shorten(str(exc) or type(exc).__name__)}); check [smtp] "
                                  "host, port and security, and that it is up") from None
        return smtp

    def _wait_for_pace(self) -> None:
        if self.pace:
            delay = self.last + self.pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.last = time.monotonic()


def _bytes(answer: bytes | str) -> bytes:
    return answer if isinstance(answer, bytes) else answer.encode()


def _password(settings: SmtpConfig) -> str:
    password = os.environ.get(settings.password_env)
    if password is None:
        raise MailServerError(f"[smtp] username is set but ${settings.password_env} is not: "
                              "put the password in that environment variable")
    return password


def _said(code: int, answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return shorten(f"{code} {text}")


def _refused_sender(code: int, answer: bytes) -> Outcome:
    if code < 500:
        return Outcome(DEFERRED, _said(code, answer))
    raise MailServerError(f"the mail server refuses the sender ({_said(code, answer)}); check "
                          "[digest] from: it must be an address the server lets you send from")
