"""Subscribing by email on the web: the form, the confirmation, the unsubscribe link.

Real parts: `feedpub run`/`serve` processes answering over HTTP, a real SMTP server
(aiosmtpd, in this process) receiving every email they send, the real CLI sending digests.
Client addresses come in X-Forwarded-For (the server trusts it from 127.0.0.1, as from a
reverse proxy), so each test is its own client for the per-client limit.

"Nothing was sent" is checked with a marker: the server's one mail thread works in order,
so once a later request's email has arrived, an earlier request that was to send one
would have.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import itertools
import re
import subprocess
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from feedpub.config import load_config
from feedpub.delivery import tokens
from feedpub.delivery.addresses import parse
from feedpub.delivery.links import subscribe_url
from feedpub.feeds.pages import subscribe_action
from feedpub.store import subscribers
from feedpub.store.ledger import open_ledger, read_ledger
from feedpub.store.secret import site_secret
from feedpub.web import endpoints
from feedpub.web.ratelimit import RateLimit, client_key
from tests.conftest import Site, build_in_process
from tests.test_serve import free_port, start, stop, wait_until

FORM = "application/x-www-form-urlencoded"
Answer = tuple[int, dict[str, str], str]
CLIENTS = itertools.count(0x100)
WELCOME_TXT = "Welcome to {{ site.title }}! Leave any time: {{ unsubscribe }}\n"
WELCOME_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body><p>Welcome to {{ site.title }}. <a href="{{ unsubscribe }}">Unsubscribe</a></p></body>
</html>
"""


class Sink:
    """An SMTP server (aiosmtpd) on a free port keeping every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()
        self.port = free_port()  # Controller(port=0) fails (aiosmtpd#276)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def wait(self, address: str, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        """The first `count` messages to `address`, once they are all in."""
        wait_until(lambda: len(self.to(address)) >= count, timeout)
        return self.to(address)[:count]


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    s = Sink()
    s.controller.start()
    yield s
    s.controller.stop()


def make_site(root: Path, smtp_port: int, port: int, extra: str = "") -> Site:
    """A site served at http://127.0.0.1:`port`/ that sends through the sink."""
    site = Site(root)
    site.posts.mkdir(parents=True)
    site.write_config(f"""
        [site]
        title = "Letters & <Co>"
        url = "http://127.0.0.1:{port}/"
        author = {{ name = "Ada", email = "ada@example.org" }}
        [smtp]
        host = "127.0.0.1"
        port = {smtp_port}
        security = "none"
        {extra}
    """)
    site.post("first.md", "title: First <post>\ndate: 2026-11-01\ntags: [news]")
    return site


def serve(site: Site, *args: str) -> tuple[subprocess.Popen[str], int]:
    """`feedpub serve` (or `run`, in `args`) on the site's own port, once it answers."""
    port = urlsplit(site.config().site.url).port
    assert port is not None
    proc = start(site, *(args or ("serve",)), "--port", str(port))
    # `run` builds once it serves: the feeds are written first, the pages after them
    wait_until(lambda: all(call(port, "GET", path)[0] == 200 for path in ("/feed.xml", "/")),
               20)
    return proc, port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sink: Sink) -> Iterator[tuple[Site, int]]:
    """`feedpub serve` on a built site that has a welcome email, for the whole module."""
    site = make_site(tmp_path_factory.mktemp("subscribe") / "site", sink.port, free_port())
    email = site.root / "templates" / "email"
    email.mkdir(parents=True)
    (email / "welcome.txt").write_text(WELCOME_TXT, encoding="utf-8")
    (email / "welcome.html").write_text(WELCOME_HTML, encoding="utf-8")
    site.cli("build", check=True)
    proc, port = serve(site)
    yield site, port
    code, err = stop(proc)
    assert code == 0 and "Traceback" not in err, err


# --- HTTP and the ledger, from outside ----------------------------------------------------

def call(port: int, method: str, path: str, body: bytes = b"",
         headers: dict[str, str] | None = None) -> Answer:
    """One request; the status, headers and body (text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return (resp.status, {k.lower(): v for k, v in resp.getheaders()},
                resp.read().decode("utf-8"))
    finally:
        conn.close()


def subscribe(port: int, email: str, client: str, **fields: str) -> Answer:
    """The form, filled in as a browser sends it, from the client address `client`."""
    body = urlencode({"email": email, "website": "", **fields}).encode()
    return call(port, "POST", "/subscribe/", body,
                {"Content-Type": FORM, "X-Forwarded-For": client})


def path_of(url: str) -> str:
    return urlsplit(url).path


def status_of(site: Site, address: str) -> str | None:
    """The subscriber's status in the ledger (None: not there)."""
    ledger = read_ledger(site.root / ".feedpub")
    assert ledger is not None
    with ledger:
        found = subscribers.find(ledger, address.lower())
    return None if found is None else found.status


def set_status(site: Site, address: str, status: str) -> None:
    with open_ledger(site.root / ".feedpub") as ledger:
        found = subscribers.find(ledger, address)
        assert found is not None
        subscribers.set_status(ledger, found.id, status, dt.datetime.now(dt.UTC))


def token_for(site: Site, purpose: str, address: str) -> str:
    with open_ledger(site.root / ".feedpub") as ledger:
        found = subscribers.find(ledger, address)
        assert found is not None
    return tokens.make(site_secret(site.root / ".feedpub"), purpose, found.id, found.key)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def confirm_link(message: EmailMessage) -> str:
    found = re.search(r"https?://\S+/confirm/\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


def main_of(page: str) -> str:
    """The <main> of an answer page: what it says."""
    found = re.search(r"<main>(.*)</main>", page, re.DOTALL)
    assert found, page
    return found.group(1)


def fresh_client() -> str:
    """A client address no other request used (a /64 of IPv6's documentation prefix)."""
    return f"2001:db8:{next(CLIENTS):x}::1"


def marker(sink: Sink, port: int) -> None:
    """Ask for one more confirmation and wait for it: every request before it is done."""
    client = fresh_client()
    address = f"marker-{client.replace(':', '-')}@example.net"
    assert subscribe(port, address, client)[0] == 200
    sink.wait(address)


# --- the whole loop, on `feedpub run` ----------------------------------------------------

@pytest.mark.slow
def test_subscribe_confirm_receive_and_unsubscribe_in_one_click(tmp_path: Path,
                                                                sink: Sink) -> None:
    site = make_site(tmp_path / "site", sink.port, free_port())
    proc, port = serve(site, "run")
    try:
        reader = "Reader@Example.net"
        status, _, index = call(port, "GET", "/")
        assert status == 200 and f'action="{subscribe_url(site.config())}"' in index

        status, headers, page = subscribe(port, reader, "203.0.113.1")
        assert status == 200 and "Check your inbox" in page
        assert headers["cache-control"] == "no-store"
        (mail,) = sink.wait("Reader@example.net")
        assert status_of(site, reader) == "pending"
        assert mail["From"] == '"Letters & <Co>" <ada@example.org>'
        assert mail["To"] == "Reader@example.net"
        assert mail["Subject"] == "Confirm your subscription to Letters & <Co>"
        assert re.fullmatch(r"<[^<>@\s]+@127\.0\.0\.1>", mail["Message-ID"])
        assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
        link = confirm_link(mail)
        assert link.startswith(f"http://127.0.0.1:{port}/confirm/")

        status, _, page = call(port, "GET", path_of(link))  # what a mail scanner does
        assert status == 200 and '<form method="post">' in page
        assert status_of(site, reader) == "pending"
        status, _, page = call(port, "POST", path_of(link))
        assert status == 200 and "You are subscribed" in page
        assert status_of(site, reader) == "active"

        site.cli("subscribers", "add", "--confirmed", "stays@example.net", check=True)
        site.cli("digest", "--latest", "1", check=True)
        sent = site.cli("send", check=True)
        assert "2 sent" in sent.stdout, sent.stdout
        (digest,) = sink.wait("Reader@example.net", 2)[1:]
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        leave = digest["List-Unsubscribe"].strip("<>")
        assert leave.startswith(f"http://127.0.0.1:{port}/unsubscribe/")
        assert leave in text_of(digest)

        status, _, _ = call(port, "POST", path_of(leave), b"List-Unsubscribe=One-Click",
                            {"Content-Type": FORM})  # RFC 8058, as a mail client sends it
        assert status == 200
        assert status_of(site, reader) == "unsubscribed"

        site.post("second.md", f"title: Second\ndate: {dt.datetime.now(dt.UTC).date().isoformat()}")
        site.cli("digest", "--latest", "1", check=True)
        sent = site.cli("send", check=True)
        assert "1 sent" in sent.stdout, sent.stdout
        sink.wait("stays@example.net", 2)
        assert len(sink.to("Reader@example.net")) == 2  # the confirmation, the first digest
    finally:
        code, err = stop(proc)
    assert code == 0 and "Traceback" not in err, err
    assert "Reader@" not in err  # the log names subscribers by number only


# --- the answers tell nothing ------------------------------------------------------------

@pytest.mark.slow
def test_the_answer_is_the_same_for_a_new_pending_and_active_address(
        served: tuple[Site, int], sink: Sink) -> None:
    site, port = served
    address = "same@example.net"
    new = subscribe(port, address, "203.0.113.10")
    (first,) = sink.wait(address)
    pending = subscribe(port, address, "203.0.113.10")
    sink.wait(address, 2)  # a pending address gets the confirmation again
    call(port, "POST", path_of(confirm_link(first)))
    assert status_of(site, address) == "active"
    active = subscribe(port, address, "203.0.113.10")
    marker(sink, port)
    assert new[0] == pending[0] == active[0] == 200
    assert new[2] == pending[2] == active[2]
    other = subscribe(port, "other@example.net", "203.0.113.11")
    assert other[2] == new[2].replace(address, "other@example.net")
    confirmations = [m for m in sink.to(address) if m["Subject"].startswith("Confirm")]
    assert len(confirmations) == 2  # the active address got none


@pytest.mark.slow
def test_who_left_or_bounced_and_asks_again_must_confirm_again(served: tuple[Site, int],
                                                                sink: Sink) -> None:
    site, port = served
    for n, status in enumerate(("unsubscribed", "bounced")):
        address = f"back-{status}@example.net"
        site.cli("subscribers", "add", "--confirmed", address, check=True)
        set_status(site, address, status)
        assert subscribe(port, address, f"203.0.113.{20 + n}")[0] == 200
        (mail,) = sink.wait(address)
        assert status_of(site, address) == "pending"
        call(port, "POST", path_of(confirm_link(mail)))
        assert status_of(site, address) == "active"


@pytest.mark.slow
def test_confirming_sends_the_welcome_when_there_is_a_welcome_template(
        served: tuple[Site, int], sink: Sink) -> None:
    site, port = served
    address = "welcome@example.net"
    subscribe(port, address, "203.0.113.30")
    (mail,) = sink.wait(address)
    call(port, "POST", path_of(confirm_link(mail)))
    welcome = sink.wait(address, 2)[1]
    assert welcome["Subject"] == "Welcome to Letters & <Co>"
    leave = welcome["List-Unsubscribe"].strip("<>")
    assert leave in text_of(welcome) and "List-Unsubscribe-Post" not in welcome  # http: no
    assert [p.get_content_type() for p in welcome.iter_parts()] == ["text/plain", "text/html"]
    call(port, "POST", path_of(confirm_link(mail)))  # confirmed already: no second welcome
    assert call(port, "POST", path_of(leave))[0] == 200
    assert status_of(site, address) == "unsubscribed"
    marker(sink, port)
    assert len(sink.to(address)) == 2


@pytest.mark.slow
def test_forged_and_foreign_tokens_get_the_neutral_page_and_change_nothing(
        served: tuple[Site, int], sink: Sink) -> None:
    site, port = served
    site.cli("subscribers", "add", "--confirmed", "kept@example.net", check=True)
    site.cli("subscribers", "add", "waits@example.net", check=True)
    kept = token_for(site, tokens.UNSUBSCRIBE, "kept@example.net")
    waits = token_for(site, tokens.CONFIRM, "waits@example.net")
    forged_kept = kept[:-1] + ("A" if kept[-1] != "A" else "B")
    forged_waits = waits[:-1] + ("A" if waits[-1] != "A" else "B")
    neutral_confirm = main_of(call(port, "POST", "/confirm/1-" + "x" * 22)[2])
    assert "does not work" in neutral_confirm
    for token in (forged_waits, kept.replace("-", "-x", 1), "999999-" + "A" * 22,
                  token_for(site, tokens.UNSUBSCRIBE, "waits@example.net"),  # not a confirm
                  "..%2F..%2Fetc", "A" * 300):
        status, _, page = call(port, "POST", "/confirm/" + token)
        assert (status, main_of(page)) == (200, neutral_confirm), token
    unsubscribed = main_of(call(port, "POST", "/unsubscribe/" + forged_kept)[2])
    for token in ("999999-" + "A" * 22, waits, "%00", "A" * 300):  # waits: a confirm token
        status, _, page = call(port, "POST", "/unsubscribe/" + token,
                               b"List-Unsubscribe=One-Click", {"Content-Type": FORM})
        assert (status, main_of(page)) == (200, unsubscribed), token
    assert status_of(site, "kept@example.net") == "active"
    assert status_of(site, "waits@example.net") == "pending"
    # the real link: the very same page
    assert main_of(call(port, "POST", "/unsubscribe/" + kept)[2]) == unsubscribed
    assert status_of(site, "kept@example.net") == "unsubscribed"


@pytest.mark.slow
def test_a_get_never_changes_anything(served: tuple[Site, int]) -> None:
    site, port = served
    site.cli("subscribers", "add", "--confirmed", "reads@example.net", check=True)
    site.cli("subscribers", "add", "scanned@example.net", check=True)
    leave = token_for(site, tokens.UNSUBSCRIBE, "reads@example.net")
    confirm = token_for(site, tokens.CONFIRM, "scanned@example.net")
    for method in ("GET", "HEAD"):
        status, headers, page = call(port, method, "/unsubscribe/" + leave)
        assert status == 200 and headers["x-frame-options"] == "DENY"
        assert (method == "HEAD") == (page == "")
        assert call(port, method, "/confirm/" + confirm)[0] == 200
    assert status_of(site, "reads@example.net") == "active"
    assert status_of(site, "scanned@example.net") == "pending"
    assert call(port, "PUT", "/unsubscribe/" + leave)[0] == 405
    assert status_of(site, "reads@example.net") == "active"


@pytest.mark.slow
def test_the_test_copys_link_shows_the_page_and_changes_nothing(served: tuple[Site, int]) -> None:
    site, port = served
    site.cli("subscribers", "add", "--confirmed", "tester@example.net", check=True)
    status, _, page = call(port, "POST", "/unsubscribe/test", b"List-Unsubscribe=One-Click",
                           {"Content-Type": FORM})
    assert status == 200 and "test copy" in page
    assert status_of(site, "tester@example.net") == "active"


# --- floods and bad input ----------------------------------------------------------------

@pytest.mark.slow
def test_a_filled_in_honeypot_gets_the_usual_answer_and_nothing_is_done(
        served: tuple[Site, int], sink: Sink) -> None:
    site, port = served
    status, _, page = subscribe(port, "bot@example.net", "203.0.113.40",
                                website="http://spam.example")
    assert status == 200 and "Check your inbox" in page
    marker(sink, port)
    assert sink.to("bot@example.net") == [] and status_of(site, "bot@example.net") is None


@pytest.mark.slow
def test_one_client_is_limited(served: tuple[Site, int]) -> None:
    _, port = served
    allowed, window = endpoints.PER_CLIENT
    for n in range(allowed):
        assert subscribe(port, f"flood{n}@example.net", "203.0.113.50")[0] == 200
    status, headers, page = subscribe(port, "flood-more@example.net", "203.0.113.50")
    assert status == 429 and 0 < int(headers["retry-after"]) <= window
    assert "Too many tries" in page
    assert subscribe(port, "flood-more@example.net", "203.0.113.51")[0] == 200  # another
    # an IPv6 client is its /64: another address in it is the same client
    for n in range(allowed):
        assert subscribe(port, f"six{n}@example.net", f"2001:db8:1:2::{n + 1}")[0] == 200
    assert subscribe(port, "six-more@example.net", "2001:db8:1:2:ffff::1")[0] == 429


@pytest.mark.slow
def test_one_address_gets_a_few_confirmations_at_most(served: tuple[Site, int],
                                                      sink: Sink) -> None:
    _, port = served
    allowed = endpoints.PER_ADDRESS[0]
    answers = {subscribe(port, "often@example.net", f"203.0.113.{60 + n}")[2]
               for n in range(allowed + 2)}
    assert len(answers) == 1  # the limit is not said: it would tell the address was asked
    marker(sink, port)
    assert len(sink.to("often@example.net")) == allowed


@pytest.mark.slow
@pytest.mark.parametrize("address", [
    "victim@example.net\r\nBcc: everyone@example.org",
    "victim@example.net\nSubject: hi",
    "victim@example.net%0d%0aBcc: x@example.org",
    "victim@example.net, other@example.org",
    "Eve <eve@example.net>",
    "<script>alert(1)</script>@example.net",
    "not an address",
    "",
])
def test_what_is_not_one_plain_address_is_refused(served: tuple[Site, int], sink: Sink,
                                                  address: str) -> None:
    site, port = served
    status, _, page = subscribe(port, address, fresh_client())
    assert status == 400 and "not an address we can send to" in page
    assert "<script>" not in page and "Bcc:" not in page.split("<main>")[0]
    marker(sink, port)
    assert sink.to("victim@example.net") == [] and sink.to("everyone@example.org") == []
    assert status_of(site, "victim@example.net") is None


@pytest.mark.slow
def test_only_a_small_urlencoded_form_is_read(served: tuple[Site, int]) -> None:
    _, port = served
    multipart = (b"--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n"
                 b"m@example.net\r\n--b--\r\n")
    cases = [
        ({"Content-Type": "multipart/form-data; boundary=b"}, multipart, 415),
        ({"Content-Type": "application/json"}, b'{"email": "j@example.net"}', 415),
        ({}, b"email=n@example.net", 415),
        ({"Content-Type": FORM}, b"email=big@example.net&pad=" + b"x" * 5000, 413),
        ({"Content-Type": FORM}, b"email=%ff%fe@example.net", 400),
        ({"Content-Type": FORM}, b"&".join(b"f%d=1" % n for n in range(50)), 400),
    ]
    for n, (headers, body, expected) in enumerate(cases):
        headers["X-Forwarded-For"] = f"203.0.113.{80 + n}"
        assert call(port, "POST", "/subscribe/", body, headers)[0] == expected, body[:40]
    assert call(port, "PUT", "/subscribe/")[0] == 405
    assert call(port, "POST", "/index.html")[0] == 405  # the static site is as it was


# --- pages: where the form is, and valid HTML --------------------------------------------

def test_the_form_is_on_the_index_and_post_pages_only_when_sending_is_set_up(
        tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", 2525, 8000)
    config_text = (site.root / "feedpub.toml").read_text(encoding="utf-8")
    (site.root / "feedpub.toml").write_text(config_text.replace('host = "127.0.0.1"\n', ""),
                                            encoding="utf-8")
    build_in_process(site)
    pages = [site.output / "index.html", site.output / "posts" / "first" / "index.html"]
    assert not any('class="subscribe-form"' in p.read_text(encoding="utf-8") for p in pages)
    (site.root / "feedpub.toml").write_text(config_text, encoding="utf-8")
    build_in_process(site)
    action = 'action="http://127.0.0.1:8000/subscribe/"'
    assert all(action in p.read_text(encoding="utf-8") for p in pages)
    assert 'class="subscribe-form"' not in (site.output / "tags" / "news" / "index.html").read_text(
        encoding="utf-8")


@pytest.mark.parametrize("delivery", ["", '[delivery]\nurl = "https://news.example.org/x/"'])
def test_the_form_posts_where_the_endpoints_are(tmp_path: Path, delivery: str) -> None:
    config = make_site(tmp_path / "site", 2525, 8000, delivery).config()
    assert subscribe_action(config) == subscribe_url(config)


def test_no_subscribe_endpoint_without_a_mail_server(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.posts.mkdir(parents=True)
    site.write_config('[site]\nurl = "https://example.org/"\n')
    status, page = asgi(site, "POST", "/subscribe/", b"email=a@example.org")
    assert status == 404 and "does not send email" in page
    assert not (site.root / ".feedpub").exists()  # nothing recorded, nothing made


def asgi(site: Site, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
    """One request to the server's app, in this process (no socket)."""
    from feedpub.web.postman import Postman
    from feedpub.web.server import site_app

    config = load_config(cwd=site.root)
    app = site_app(config, Postman(config))
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [(b"content-type", FORM.encode())],
             "client": ("127.0.0.1", 1)}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    app.close()
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]).decode()


def test_rate_limit_windows_and_memory() -> None:
    now = [0.0]
    limit = RateLimit(2, 10.0, clock=lambda: now[0], max_keys=3)
    assert [limit.allow("a") for _ in range(3)] == [True, True, False]
    assert limit.retry_after("a") == 11
    now[0] = 10.0
    assert limit.allow("a")  # the first event left the window
    for key in "bcd":
        limit.allow(key)
    assert "a" not in limit.events and len(limit.events) == 3  # the least recent went
    assert client_key("203.0.113.9") == "203.0.113.9"
    assert client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_key("2001:db8:1:2:3:4:5:6") == client_key("2001:db8:1:2::9") \
        == "2001:db8:1:2::/64"


def test_the_confirmation_email_is_safe_with_any_template_and_address(tmp_path: Path) -> None:
    from feedpub.templating import environment
    from feedpub.web import mail

    site = make_site(tmp_path / "site", 2525, 8000)
    email = site.root / "templates" / "email"
    email.mkdir(parents=True)
    (email / "confirm_subject.txt").write_text("Hi\r\nBcc: all@example.org {{ address }}\n",
                                               encoding="utf-8")
    config = site.config()
    env = environment(config.paths.templates, "email")
    now = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    for text in ("plain@example.net", "jörg@exämple.de"):
        address = parse(text)
        raw = mail.confirmation(env, config, address, "http://x.example/confirm/1-a", now)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert not message.defects and "Bcc" not in message
        assert message["Subject"] == f"Hi Bcc: all@example.org {address.text}"
        assert message["To"] == address.text
        assert raw.isascii() != address.utf8  # SMTPUTF8 only when the address needs it
    assert mail.welcome(env, config, parse("a@example.net"), "https://x/u/1", now) is None


@pytest.mark.slow
def test_every_answer_page_and_email_is_valid_html(served: tuple[Site, int], sink: Sink,
                                                   tmp_path: Path) -> None:
    from feedpub.digest.archive import ArchiveEntry
    from feedpub.templating import environment
    from tests.test_html_validity import assert_valid, vnu_command

    vnu = vnu_command()
    site, port = served
    site.cli("subscribers", "add", "--confirmed", "valid@example.net", check=True)
    leave = "/unsubscribe/" + token_for(site, tokens.UNSUBSCRIBE, "valid@example.net")
    subscribe(port, "html@example.net", "203.0.113.90")
    link = path_of(confirm_link(sink.wait("html@example.net")[0]))
    pages = {
        "form": call(port, "GET", "/subscribe/"),
        "sent": subscribe(port, "html@example.net", "203.0.113.90"),
        "refused": subscribe(port, "<b>@example.net", "203.0.113.90"),
        "confirm": call(port, "GET", link),
        "confirmed": call(port, "POST", link),
        "expired": call(port, "POST", "/confirm/1-" + "x" * 22),
        "unsubscribe": call(port, "GET", leave),
        "unsubscribed": call(port, "POST", leave),
        "test": call(port, "POST", "/unsubscribe/test"),
    }
    for _ in range(endpoints.PER_CLIENT[0] + 1):
        pages["limited"] = subscribe(port, "html@example.net", "203.0.113.91")
    assert pages["limited"][0] == 429
    files = []
    for name, (_, headers, body) in pages.items():
        assert headers["content-type"] == "text/html; charset=utf-8", name
        files.append(tmp_path / f"{name}.html")
        files[-1].write_text(body, encoding="utf-8")
    files.append(tmp_path / "unavailable.html")
    plain = Site(tmp_path / "plain")
    plain.posts.mkdir(parents=True)
    files[-1].write_text(asgi(plain, "GET", "/subscribe/")[1], encoding="utf-8")
    received = {m["Subject"].split()[0]: m for m in sink.wait("html@example.net", 3)}
    for name in ("Confirm", "Welcome"):
        html_part = received[name].get_body(("html",))
        assert html_part is not None
        files.append(tmp_path / f"{name}-email.html")
        files[-1].write_text(str(html_part.get_content()), encoding="utf-8")
    files.append(tmp_path / "archive.html")
    config = site.config()
    entry = ArchiveEntry("2026-11-23-1", dt.datetime(2026, 11, 23, tzinfo=dt.UTC), "A <digest>",
                         config.site.url + "digests/2026-11-23-1/", ("First <post>",))
    env = environment(config.paths.templates, "email")
    archive = env.get_template("archive.html").render(
        site=config.site, digests=[entry], feed_url="http://x.example/feed.xml",
        subscribe=subscribe_url(config))
    assert 'class="subscribe-form"' in archive
    files[-1].write_text(archive, encoding="utf-8")
    files += [site.output / "index.html", site.output / "posts" / "first" / "index.html"]
    assert all('class="subscribe-form"' in f.read_text(encoding="utf-8") for f in files[-2:])
    assert_valid(vnu, files, tmp_path)

