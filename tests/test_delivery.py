"""`feedpub send` through a real SMTP server that answers as each test scripts it.

Every assertion reads what arrived at the server (tests/smtp_server.py), and the ledger's
outbox only for what feedpub says about it. Backoff is tested in-process, with a clock
passed to send_digest; the rest through the CLI as a real process.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import parseaddr

import pytest

from feedpub.build.pipeline import load_posts
from feedpub.delivery import tokens
from feedpub.delivery.send import FIRST_RETRY, Summary, send_digest
from feedpub.digest.plan import DigestRequest
from feedpub.store import outbox
from feedpub.store import subscribers as table
from feedpub.store.ledger import open_ledger
from feedpub.store.secret import site_secret
from tests.conftest import NOW, Site, make_digest
from tests.smtp_server import CUT, TAKEN_THEN_CUT, SmtpServer, free_port, newsletter_config

READERS = [f"reader{n}@example.net" for n in range(1, 6)]
LINK = re.compile(r"https://example\.org/unsubscribe/([0-9]+-[A-Za-z0-9_-]{22})")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def newsletter(site: Site, port: int, readers: list[str] = READERS, **config: object) -> str:
    """`site` sending through `port`, one post, one digest and `readers` active; its id."""
    site.write_config(newsletter_config(port, **config))  # type: ignore[arg-type]
    site.post("hello.md", "title: Hello & welcome\ndate: 2026-11-20\n", "The first post.\n")
    digest_id = another_digest(site)
    if readers:
        add(site, *readers)
    return digest_id


def another_digest(site: Site, at: dt.datetime = NOW) -> str:
    result = make_digest(site.config(), at, DigestRequest(latest=5))
    assert result.digest_id
    return str(result.digest_id)


def add(site: Site, *addresses: str) -> None:
    from feedpub.commands.subscribers import add as add_subscribers

    outcomes = add_subscribers(site.config(), list(addresses), True, NOW)
    assert all(o.added for o in outcomes), outcomes


def send(site: Site, at: dt.datetime = NOW, digest_id: str | None = None,
         **options: object) -> Summary:
    """`feedpub send` in this process, its clock at `at`."""
    config = site.config()
    return send_digest(config, load_posts(config).posts, digest_id, clock=lambda: at,
                       **options)  # type: ignore[arg-type]


def tally(site: Site, digest_id: str) -> dict[str, int]:
    with open_ledger(site.config().paths.state) as ledger:
        return outbox.tally(ledger, digest_id)


def subscriber(site: Site, address: str) -> table.Subscriber:
    with open_ledger(site.config().paths.state) as ledger:
        found = table.find(ledger, address.lower())
    assert found is not None
    return found


def detail(site: Site, digest_id: str, address: str) -> str:
    """What the outbox says of the message to `address`: the server's last answer."""
    with open_ledger(site.config().paths.state) as ledger:
        row = ledger.db.execute("SELECT detail FROM outbox WHERE digest_id = ? AND address = ?",
                                (digest_id, address)).fetchone()
    return str(row[0])


def set_status(site: Site, address: str, status: str) -> None:
    with open_ledger(site.config().paths.state) as ledger:
        table.set_status(ledger, subscriber(site, address).id, status, NOW)


# --- Every active subscriber, once, their own message ---

def test_every_active_subscriber_gets_one_message_of_their_own(
        site: Site, smtp: SmtpServer) -> None:
    digest_id = newsletter(site, smtp.port)
    pending = site.cli("subscribers", "add", "waiting@example.net", check=True)
    assert "waiting for confirmation" in pending.stdout

    result = site.cli("send", check=True)

    assert f"digest {digest_id}: 5 sent" in result.stdout
    assert smtp.copies() == {r: 1 for r in READERS}  # the pending one got nothing
    secret = site_secret(site.config().paths.state)
    ids = set()
    for arrival in smtp.arrivals:
        (rcpt,) = arrival.rcpt
        msg = arrival.message
        assert parseaddr(msg["To"])[1] == rcpt and arrival.mail_from == "news@example.org"
        assert msg["Subject"] == "Example: 1 post" and not msg.defects
        sid = subscriber(site, rcpt).id
        assert arrival.message_id == f"<digest-{digest_id}.{sid}@example.org>"
        ids.add(arrival.message_id)
        # their own link, the same in both parts and in List-Unsubscribe (RFC 8058)
        links = {*LINK.findall(arrival.part("plain")), *LINK.findall(arrival.part("html"))}
        assert len(links) == 1, links
        (token,) = links
        assert msg["List-Unsubscribe"] == f"<https://example.org/unsubscribe/{token}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert tokens.read(secret, tokens.UNSUBSCRIBE, token, {sid: rcpt}.get) == sid
        assert "Hello &amp; welcome" in arrival.part("html")
        assert "feedpub.invalid" not in arrival.raw.decode()  # no placeholder left
    assert len(ids) == 5
    assert tally(site, digest_id)["sent"] == 5


def test_a_long_unsubscribe_link_stays_one_unencoded_header(site: Site, smtp: SmtpServer) -> None:
    # policy.SMTP would fold it into an encoded word clients ignore (odoo/odoo#289182)
    long_url = "https://newsletter.example.org/" + "a-very-long-path-segment/" * 5
    newsletter(site, smtp.port, READERS[:1], delivery_url=long_url)
    send(site)
    (arrival,) = smtp.arrivals
    header = next(line for line in arrival.raw.split(b"\r\n")
                  if line.startswith(b"List-Unsubscribe:"))
    assert header.startswith(b"List-Unsubscribe: <" + long_url.encode() + b"unsubscribe/")
    assert b"=?" not in header and len(header) > 78


def test_message_ids_are_one_per_digest_and_subscriber(site: Site, smtp: SmtpServer) -> None:
    first = newsletter(site, smtp.port, READERS[:2])
    send(site)
    second = another_digest(site, NOW + dt.timedelta(days=7))
    send(site, NOW + dt.timedelta(days=7))
    assert second != first and smtp.copies() == {READERS[0]: 2, READERS[1]: 2}
    ids = [a.message_id for a in smtp.arrivals]
    assert len(set(ids)) == 4
    assert {i.split(".")[0] for i in ids} == {f"<digest-{first}", f"<digest-{second}"}


def test_a_second_send_of_a_sent_digest_sends_nothing(site: Site, smtp: SmtpServer) -> None:
    digest_id = newsletter(site, smtp.port)
    site.cli("send", check=True)

    again = site.cli("send")
    explicit = site.cli("send", digest_id)

    assert again.returncode == 0 and "nothing to send" in again.stdout
    assert explicit.returncode == 0 and "nothing to do; in all 5 sent" in explicit.stdout
    assert len(smtp.arrivals) == 5


def test_a_send_says_when_there_is_no_digest(site: Site, smtp: SmtpServer) -> None:
    site.write_config(newsletter_config(smtp.port))
    site.cli("subscribers", "add", "--confirmed", READERS[0], check=True)
    result = site.cli("send")
    assert result.returncode == 0
    assert "nothing to send: no digest yet (feedpub digest makes one)" in result.stdout
    assert site.cli("send", "2026-01-01-1").returncode == 2
    assert smtp.arrivals == []


# --- Temporary failures: deferred, then sent once the backoff has passed ---

@pytest.mark.parametrize(("stage", "reply"), [
    ("RCPT", "451 4.7.1 Greylisted, try again later"),
    ("RCPT", "421 4.3.2 Service shutting down"),  # and the connection closes
    ("MAIL", "452 4.3.1 Insufficient system storage"),
    ("DATA", "451 4.3.0 Local error in processing"),
])
def test_a_temporary_failure_is_sent_once_its_backoff_has_passed(
        site: Site, smtp: SmtpServer, stage: str, reply: str) -> None:
    digest_id = newsletter(site, smtp.port)
    late = READERS[0] if stage == "MAIL" else READERS[1]  # MAIL FROM names no recipient
    smtp.answer(stage, "news@example.org" if stage == "MAIL" else late, reply, times=1)

    first = send(site)
    assert first.done == {"sent": 4, "deferred": 1} and not first.stopped
    assert late not in smtp.copies()  # the others were not held up, even after a 421
    assert detail(site, digest_id, late) == reply  # the server's answer, not a failed RSET's

    too_soon = send(site, NOW + FIRST_RETRY - dt.timedelta(seconds=1))
    assert too_soon.done == {} and late not in smtp.copies()

    later = send(site, NOW + FIRST_RETRY)
    assert later.done == {"sent": 1}
    assert smtp.copies() == {r: 1 for r in READERS}
    assert tally(site, digest_id) | {"uncertain": 0} == {
        "queued": 0, "sending": 0, "sent": 5, "deferred": 0, "rejected": 0, "skipped": 0,
        "uncertain": 0}


def test_a_421_to_mail_from_closing_an_idle_connection_is_retried_on_a_new_one(
        site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, READERS[:2])
    smtp.answer("MAIL", "news@example.org", "421 4.4.2 Error: timeout exceeded", times=1)
    assert send(site).done == {"sent": 2}
    assert smtp.copies() == {READERS[0]: 1, READERS[1]: 1}


def test_the_backoff_doubles_until_the_server_takes_it(site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, READERS[:1])
    smtp.answer("RCPT", READERS[0], "450 4.2.0 Mailbox busy", times=3)
    at, waits = NOW, []
    while not smtp.arrivals:
        summary = send(site, at)
        with open_ledger(site.config().paths.state) as ledger:
            retry = outbox.next_retry(ledger)
        if summary.done == {"deferred": 1}:
            assert retry is not None
            waits.append(retry - at)
            at = retry
    assert waits == [FIRST_RETRY, FIRST_RETRY * 2, FIRST_RETRY * 4]
    assert len(smtp.arrivals) == 1


# --- Permanent failures: the address (RCPT) or the message (DATA) ---

def test_a_rejected_address_is_bounced_after_bounce_after_sends(
        site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, READERS[:3], bounce_after=2)
    dead = READERS[2]
    smtp.answer("RCPT", dead, "550 5.1.1 No such user here")

    first = send(site)
    assert first.done == {"sent": 2, "rejected": 1} and first.bounced == 0
    assert subscriber(site, dead).status == "active"

    another_digest(site, NOW + dt.timedelta(days=7))
    second = send(site, NOW + dt.timedelta(days=7))
    assert second.done == {"sent": 2, "rejected": 1} and second.bounced == 1
    assert subscriber(site, dead).status == "bounced"

    third_id = another_digest(site, NOW + dt.timedelta(days=14))
    third = send(site, NOW + dt.timedelta(days=14))
    assert third.done == {"sent": 2}
    assert smtp.copies() == {READERS[0]: 3, READERS[1]: 3}
    assert ("RCPT", dead, "550 5.1.1 No such user here") in smtp.tries
    assert [t for t in smtp.tries if t[1] == dead and t[0] == "RCPT"] == [
        ("RCPT", dead, "550 5.1.1 No such user here")] * 2  # never tried a third time
    assert tally(site, third_id)["skipped"] + tally(site, third_id)["sent"] == 2


def test_a_delivery_between_two_rejections_keeps_the_subscriber(
        site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, READERS[:1], bounce_after=2)
    smtp.answer("RCPT", READERS[0], "550 5.2.1 Mailbox disabled", times=1)
    send(site)
    for week in (1, 2):
        if week == 2:
            smtp.answer("RCPT", READERS[0], "550 5.2.1 Mailbox disabled", times=1)
        another_digest(site, NOW + dt.timedelta(days=7 * week))
        send(site, NOW + dt.timedelta(days=7 * week))
    assert subscriber(site, READERS[0]).status == "active"  # failures are counted in a row
    assert len(smtp.arrivals) == 1


@pytest.mark.parametrize("reply", ["552 5.3.4 Message size exceeds fixed limit",
                                   "554 5.7.1 Message rejected as spam"])
def test_a_refused_message_is_not_held_against_the_address(
        site: Site, smtp: SmtpServer, reply: str) -> None:
    digest_id = newsletter(site, smtp.port, READERS[:3], bounce_after=1)
    smtp.answer("DATA", READERS[0], reply)
    summary = send(site)
    assert summary.done == {"rejected": 1, "sent": 2} and summary.bounced == 0
    assert smtp.copies() == {READERS[1]: 1, READERS[2]: 1}
    assert subscriber(site, READERS[0]).status == "active"
    assert tally(site, digest_id)["rejected"] == 1
    again = send(site, NOW + dt.timedelta(days=1), digest_id)
    assert again.done == {} and len(smtp.arrivals) == 2  # given up: not tried again


# --- A connection cut during DATA: uncertain, sent again with the same Message-ID ---

@pytest.mark.parametrize(("cut", "copies"), [(CUT, 1), (TAKEN_THEN_CUT, 2)])
def test_a_cut_during_data_is_tried_again_and_reported_uncertain(
        site: Site, smtp: SmtpServer, cut: str, copies: int) -> None:
    digest_id = newsletter(site, smtp.port, READERS[:3])
    smtp.answer("DATA", READERS[1], cut, times=1)

    first = send(site)
    assert first.done == {"sent": 2, "deferred": 1}
    later = send(site, NOW + FIRST_RETRY)
    assert later.done == {"sent": 1}

    assert smtp.copies() == {READERS[0]: 1, READERS[1]: copies, READERS[2]: 1}
    assert len({a.message_id for a in smtp.to(READERS[1])}) == 1  # the same message again
    assert tally(site, digest_id)["uncertain"] == 1


def test_the_summary_line_reports_uncertain_messages(site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, READERS[:2])
    smtp.answer("DATA", READERS[0], TAKEN_THEN_CUT, times=1)
    send(site, NOW - FIRST_RETRY)  # the CLI's real clock is past the retry time
    result = site.cli("send", check=True)
    assert "1 uncertain" in result.stdout and "in all 2 sent" in result.stdout
    assert smtp.copies() == {READERS[0]: 2, READERS[1]: 1}


# --- Who left after the audience was frozen; the server down ---

def test_the_server_down_exits_5_and_a_later_send_delivers_everything(site: Site) -> None:
    port = free_port()  # nothing listens there
    digest_id = newsletter(site, port)

    down = site.cli("send")

    assert down.returncode == 5, down.stderr
    assert f"error: cannot reach the mail server 127.0.0.1:{port}" in down.stderr
    assert "check [smtp] host, port and security, and that it is up" in down.stderr
    assert "Traceback" not in down.stderr
    assert tally(site, digest_id)["queued"] == 5
    with SmtpServer(port=port) as smtp:
        site.cli("send", check=True)
    assert smtp.copies() == {r: 1 for r in READERS}


def test_who_left_after_the_audience_was_frozen_gets_nothing(site: Site) -> None:
    port = free_port()
    digest_id = newsletter(site, port)
    assert site.cli("send").returncode == 5  # the audience is frozen, nothing went
    set_status(site, READERS[0], "unsubscribed")
    assert site.cli("subscribers", "remove", READERS[1]).returncode == 0
    add(site, "newcomer@example.net")  # too late for this digest

    with SmtpServer(port=port) as smtp:
        result = site.cli("send", check=True)

    assert smtp.copies() == {r: 1 for r in READERS[2:]}
    assert "in all 3 sent, 0 waiting, 0 rejected, 2 skipped" in result.stdout
    with open_ledger(site.config().paths.state) as ledger:
        rows = ledger.db.execute("SELECT address, detail FROM outbox WHERE digest_id = ? AND "
                                 "state = 'skipped' ORDER BY subscriber_id",
                                 (digest_id,)).fetchall()
    assert rows == [(READERS[0], "unsubscribed meanwhile"), ("", "erased")]


def test_the_server_going_down_mid_send_loses_nothing(site: Site, smtp: SmtpServer) -> None:
    digest_id = newsletter(site, smtp.port)

    def progress(done: int, total: int) -> None:
        if done == 2:
            smtp.stop()

    summary = send(site, progress=progress)

    assert summary.stopped.startswith("cannot reach the mail server")
    assert smtp.copies() == {READERS[0]: 1, READERS[1]: 1}
    left = tally(site, digest_id)
    assert left["sent"] == 2 and left["queued"] + left["deferred"] == 3
    with SmtpServer(port=smtp.port) as again:
        send(site, NOW + FIRST_RETRY)
    assert again.copies() == {r: 1 for r in READERS[2:]}


# --- One send at a time; --test; --dry-run ---

def test_two_sends_at_once_one_refuses(site: Site) -> None:
    with SmtpServer(delay=0.3) as smtp:
        newsletter(site, smtp.port)
        first = subprocess.Popen([sys.executable, "-m", "feedpub", "send"], cwd=site.root,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not smtp.tries and time.monotonic() < deadline:
                time.sleep(0.02)
            second = site.cli("send")
            out, err = first.communicate(timeout=60)
        finally:
            first.kill()
    assert first.returncode == 0, err
    assert second.returncode == 3
    assert (f"error: another feedpub send (pid {first.pid}) is already running for this "
            "site") in second.stderr
    assert smtp.copies() == {r: 1 for r in READERS}


def test_a_test_copy_goes_to_one_address_and_records_nothing(
        site: Site, smtp: SmtpServer) -> None:
    digest_id = newsletter(site, smtp.port)

    result = site.cli("send", "--test", "Me@Example.com", check=True)

    assert "test copy to Me@Example.com: sent (250 OK" in result.stdout
    ((arrival),) = smtp.arrivals
    assert arrival.rcpt == ("Me@example.com",) and arrival.message["To"] == "Me@example.com"
    assert arrival.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with open_ledger(site.config().paths.state) as ledger:
        assert not outbox.frozen(ledger, digest_id)
        assert table.counts(ledger)["active"] == 5
    site.cli("send", check=True)  # the real send still goes to everyone
    assert smtp.copies() == {"me@example.com": 1} | {r: 1 for r in READERS}


@pytest.mark.parametrize("address", ["not-an-address", "me@example.com\r\nBcc: x@evil.test",
                                     "me@example.com, you@example.com"])
def test_a_test_copy_to_a_bad_address_is_refused(
        site: Site, smtp: SmtpServer, address: str) -> None:
    newsletter(site, smtp.port, READERS[:1])
    result = site.cli("send", "--test", address)
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert smtp.tries == []


def test_dry_run_lists_who_would_get_it_and_sends_nothing(site: Site, smtp: SmtpServer) -> None:
    digest_id = newsletter(site, smtp.port, READERS[:3])
    add_pending = site.cli("subscribers", "add", "waiting@example.net", check=True)
    assert add_pending.returncode == 0

    before = site.cli("send", "--dry-run", check=True)
    assert before.stdout.splitlines() == [
        f"digest {digest_id} would go to 3 active subscribers:",
        *(f"  {r}" for r in READERS[:3])]

    smtp.answer("RCPT", READERS[1], "451 4.7.1 later", times=1)
    site.cli("send", check=True)
    during = site.cli("send", "--dry-run", check=True)
    assert during.stdout.splitlines() == [
        f"digest {digest_id}: its send is under way",
        f"  sent      {READERS[0]}", f"  deferred  {READERS[1]}", f"  sent      {READERS[2]}"]
    assert len(smtp.arrivals) == 2


def test_dry_run_after_everything_was_sent_says_so(site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, READERS[:1])
    site.cli("send", check=True)
    result = site.cli("send", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "nothing to send" in result.stdout and result.stderr == ""


# --- Addresses that must never be sent to ---

BAD_ADDRESSES = [
    "plainaddress", "@example.org", "ada@", "ada@@example.org", "ada@example..org",
    "ada example@example.org", "Ada <ada@example.org>", "ada@example.org, eve@evil.test",
    "ada@example.org;eve@evil.test", '"ada"@example.org',
    "ada@example.org\r\nBcc: eve@evil.test", "ada@example.org\nBcc: eve@evil.test",
    "ada@example.org\rTo: eve@evil.test", "ada@example.org\x00", "ada\t@example.org",
    "ada@example.org\u2028Bcc: eve@evil.test", "ada@example.org\x85Bcc: eve@evil.test",
    "a" * 250 + "@example.org",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_a_bad_address_is_refused_with_a_reason(address: str) -> None:
    from feedpub.delivery.addresses import BadAddress, parse

    with pytest.raises(BadAddress) as refused:
        parse(address)
    assert "\n" not in str(refused.value) and "\r" not in str(refused.value)


def test_bad_and_duplicate_addresses_on_the_command_line_get_nothing(
        site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, readers=[])
    typed = [a for a in BAD_ADDRESSES if "\x00" not in a]  # no NUL in a command line
    result = site.cli("subscribers", "add", "--confirmed", "ada@example.org", "ADA@Example.org",
                      *typed)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "ada@example.org: added"
    assert lines[1] == "ada@example.org: already active"
    refused = [line for line in lines if ": not added: " in line]
    assert len(refused) == len(typed), result.stdout

    site.cli("send", check=True)

    assert smtp.copies() == {"ada@example.org": 1}
    assert [a for a in smtp.tries if a[0] == "RCPT"] == [("RCPT", "ada@example.org", "250")]
    assert b"evil.test" not in smtp.arrivals[0].raw


def test_an_international_address_goes_with_smtputf8(site: Site, smtp: SmtpServer) -> None:
    newsletter(site, smtp.port, ["jörg@bücher.example", "ascii@example.net"])
    summary = send(site)
    assert summary.done == {"sent": 2}
    (arrival,) = smtp.to("jörg@bücher.example")
    assert "SMTPUTF8" in arrival.options and arrival.message["To"] == "jörg@bücher.example"
    (plain,) = smtp.to("ascii@example.net")
    assert "SMTPUTF8" not in plain.options


def test_an_international_address_is_refused_by_a_server_without_smtputf8(site: Site) -> None:
    with SmtpServer(utf8=False) as smtp:
        digest_id = newsletter(site, smtp.port, ["jörg@bücher.example", "ascii@example.net"])
        summary = send(site)
    assert summary.done == {"rejected": 1, "sent": 1} and summary.bounced == 0
    assert smtp.copies() == {"ascii@example.net": 1}
    assert "no SMTPUTF8" in detail(site, digest_id, "jörg@bücher.example")
    assert subscriber(site, "jörg@bücher.example").status == "active"  # not their fault


@pytest.mark.parametrize("link", [
    "https://example.org/unsubscribe/7-abcdefghijklmnopqrstuv",
    "https://example.org/" + "u" * 55,  # ends a 76-character encoded line
    "https://newsletter.example.org/unsubscribe/?list=weekly&token=" + "x" * 150,
])
def test_the_link_goes_into_the_body_encoded_once_with_no_line_too_long(
        site: Site, link: str) -> None:
    from email import policy
    from email.parser import BytesParser

    from feedpub.delivery.addresses import parse
    from feedpub.delivery.message import PLACEHOLDER, addressed, letter
    from feedpub.digest.email import RenderedDigest

    # the placeholder at a line's end, after a space, at the very start and end, twice
    text = (f"{PLACEHOLDER}\nUnsubscribe: {PLACEHOLDER}\n" + "é" * 37 + PLACEHOLDER
            + " " * 3 + "." + "z" * 80 + f"\n\n{PLACEHOLDER}")
    html = f'<p>{"w" * 70}<a href="{PLACEHOLDER}">Unsubscribe</a></p>'
    site.write_config(newsletter_config(25))
    rendered = RenderedDigest("Subject", html, html, text, b"", "full")
    item = letter(site.config(), "2026-11-23-1", rendered, NOW)

    raw = addressed(item, parse("ada@example.org"), 7, link)

    message = BytesParser(policy=policy.default).parsebytes(raw)
    plain, rich = (p.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
                   for p in message.iter_parts())  # type: ignore[attr-defined]
    assert plain == text.replace(PLACEHOLDER, link)
    assert rich == html.replace(PLACEHOLDER, link)
    body = raw.split(b"\r\n\r\n", 1)[1]  # the headers hold the link whole (up to 998)
    assert max(len(line) for line in body.split(b"\r\n")) <= 76  # RFC 2045
    assert not message.defects


def test_no_mail_server_set_up_freezes_nothing(site: Site) -> None:
    site.write_config("[site]\nurl = \"https://example.org/\"\n")
    site.post("hello.md", "title: Hello\ndate: 2026-11-20\n")
    digest_id = another_digest(site)
    add(site, READERS[0])

    result = site.cli("send")

    assert result.returncode == 5
    assert result.stderr.startswith("error: no mail server: set [smtp] host in feedpub.toml")
    with open_ledger(site.config().paths.state) as ledger:
        assert not outbox.frozen(ledger, digest_id)  # a later send freezes who is there then
