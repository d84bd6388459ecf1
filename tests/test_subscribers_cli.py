"""`feedpub subscribers add|import|export|list|remove`, with the exports people bring.

The files in tests/fixtures/exports/ follow the real exports: Mailchimp's three files
(subscribed, unsubscribed, cleaned: only the first has no column saying they left),
Buttondown (`type`), listmonk (`status` enabled/disabled/blocklisted, `attributes`
JSON), Substack (`active_subscription` is about paying; `email_disabled` about mail).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Site
from tests.smtp_server import SmtpServer, newsletter_config
from tests.test_delivery import another_digest, set_status

EXPORTS = FIXTURES / "exports"


def imported(site: Site, name: str, *options: str) -> tuple[int, list[str], str]:
    """Import fixture `name`: exit code, the problems (path made relative), stdout."""
    result = site.cli("subscribers", "import", str(EXPORTS / name), *options)
    problems = [line.replace(f"{EXPORTS}/", "") for line in result.stderr.splitlines()]
    return result.returncode, problems, result.stdout


def listed(site: Site, status: str) -> list[str]:
    result = site.cli("subscribers", "list", "--status", status, check=True)
    return result.stdout.splitlines()[:-1]  # the last line is the counts


def exported(site: Site) -> dict[str, str]:
    """address -> status, from `feedpub subscribers export`."""
    result = site.cli("subscribers", "export", check=True)
    return {row["email"]: row["status"] for row in csv.DictReader(io.StringIO(result.stdout))}


def test_mailchimp_subscribed_export(site: Site) -> None:
    code, problems, out = imported(site, "mailchimp_subscribed_members.csv")

    assert code == 1  # bad rows are errors; the rest went in
    assert problems == [
        "error: mailchimp_subscribed_members.csv:5: not added: 'charles at example.org' is not "
        "one plain address (no spaces, quotes, <>, commas or line breaks)",
        "error: mailchimp_subscribed_members.csv:9: not added: 'katherine@example.org Bcc: "
        "eve@evil.test' is not one plain address (no spaces, quotes, <>, commas or line breaks)",
    ]
    # "address" only: the CLI says "addresss" (plural() adds an s; cli.py is not ours)
    assert "imported 5 address" in out and "3 already known or refused" in out
    assert listed(site, "active") == ["ada@example.org", "Grace.Hopper@example.com",
                                      "alan.turing@example.ac.uk", "emilie@example.fr",
                                      "hedy@example.org"]


@pytest.mark.parametrize(("name", "why"), [
    ("mailchimp_unsubscribed_members.csv", "unsubscribed"),
    ("mailchimp_cleaned_members.csv", "cleaned"),
])
def test_mailchimp_unsubscribed_and_cleaned_exports_import_nobody(
        site: Site, name: str, why: str) -> None:
    code, problems, out = imported(site, name)
    assert code == 0 and "imported 0 address" in out
    assert problems and all(p.startswith(f"warning: {name}:") and
                            p.endswith(f": {why} in the export: not imported")
                            for p in problems)
    assert exported(site) == {}


def test_buttondown_export(site: Site) -> None:
    code, problems, _ = imported(site, "buttondown.csv")
    assert code == 1
    assert problems == [
        "warning: buttondown.csv:4: unsubscribed@example.org: unsubscribed in the export: "
        "not imported",
        "warning: buttondown.csv:5: removed@example.org: removed in the export: not imported",
        "warning: buttondown.csv:6: spammy@example.org: spammy in the export: not imported",
        "error: buttondown.csv:9: not added: 'not-an-email': An email address must have an "
        "@-sign.",
    ]
    assert exported(site) == {
        "regular@example.org": "active", "premium@example.org": "active",
        "unactivated@example.org": "pending",  # never confirmed there: not vouched for
        "gifted@example.org": "active", "churning@example.org": "active"}


def test_listmonk_export(site: Site) -> None:
    code, problems, _ = imported(site, "listmonk.csv")
    assert code == 0
    assert problems == [
        "warning: listmonk.csv:3: blocked@example.org: blocklisted in the export: not imported",
        "warning: listmonk.csv:4: disabled@example.org: disabled in the export: not imported"]
    assert exported(site) == {"enabled@example.org": "active",
                              "Second.Enabled@example.org": "active"}


def test_substack_export(site: Site) -> None:
    code, problems, _ = imported(site, "substack.csv")
    assert code == 0
    assert problems == ["warning: substack.csv:4: muted@example.org: email disabled in the "
                        "export: not imported"]
    # active_subscription=false is a free subscriber, not one who left
    assert exported(site) == {"free@example.org": "active", "paid@example.org": "active",
                              "founding@example.org": "active"}


def test_pending_import_waits_for_confirmation_and_gets_no_digest(site: Site) -> None:
    with SmtpServer() as smtp:
        site.write_config(newsletter_config(smtp.port))
        site.post("hello.md", "title: Hello\ndate: 2026-11-20\n")
        another_digest(site)
        code, _, _ = imported(site, "substack.csv", "--pending")
        assert code == 0
        site.cli("subscribers", "add", "--confirmed", "active@example.net", check=True)
        site.cli("send", check=True)
    assert listed(site, "pending") == ["free@example.org", "paid@example.org",
                                       "founding@example.org"]
    assert smtp.copies() == {"active@example.net": 1}


def test_an_import_never_makes_an_unsubscribed_address_active(site: Site) -> None:
    site.cli("subscribers", "add", "--confirmed", "free@example.org", check=True)
    set_status(site, "free@example.org", "unsubscribed")

    code, problems, _ = imported(site, "substack.csv")
    again = site.cli("subscribers", "add", "--confirmed", "FREE@example.org")

    assert code == 0
    assert problems[0].startswith("warning: substack.csv:2: not added: unsubscribed on ")
    assert "(only they can subscribe again, from the form)" in problems[0]
    assert again.returncode == 1 and "not added: unsubscribed on" in again.stdout
    assert exported(site)["free@example.org"] == "unsubscribed"


def test_remove_erases_and_a_later_import_is_refused(site: Site) -> None:
    imported(site, "listmonk.csv")

    removed = site.cli("subscribers", "remove", "ENABLED@example.org")
    missing = site.cli("subscribers", "remove", "nobody@example.org")
    bad = site.cli("subscribers", "remove", "not an address")
    code, problems, _ = imported(site, "listmonk.csv")

    assert removed.returncode == 0 and "removed (erased)" in removed.stdout
    assert missing.returncode == 1 and "nobody@example.org: not on the list" in missing.stdout
    assert bad.returncode == 2 and bad.stderr.startswith("error: 'not an address'")
    assert "Traceback" not in bad.stderr
    assert code == 0 and problems[0] == (
        "warning: listmonk.csv:2: not added: it was removed from the list (erased), so an "
        "import never adds it back")
    assert exported(site) == {"Second.Enabled@example.org": "active"}
    ledger = (site.root / ".feedpub" / "feedpub.sqlite").read_bytes()
    assert b"enabled@example.org" not in ledger.lower().replace(b"second.enabled", b"")
    # the owner may add it back by hand, on purpose
    assert site.cli("subscribers", "add", "--confirmed", "enabled@example.org").returncode == 0


def test_export_and_list_show_every_status(site: Site) -> None:
    imported(site, "buttondown.csv")
    site.cli("subscribers", "add", "--confirmed", "left@example.net", "gone@example.net",
             check=True)
    set_status(site, "left@example.net", "unsubscribed")
    set_status(site, "gone@example.net", "bounced")

    counts = site.cli("subscribers", "list", check=True)
    result = site.cli("subscribers", "export", check=True)

    assert counts.stdout == ("7 subscribers: 1 pending, 4 active, 1 unsubscribed, "
                             "1 bounced\n")
    assert listed(site, "bounced") == ["gone@example.net"]
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["email", "status", "source", "subscribed", "confirmed", "left"]
    by_address = {row["email"]: row for row in rows}
    assert by_address["left@example.net"]["status"] == "unsubscribed"
    assert by_address["left@example.net"]["left"]
    assert by_address["unactivated@example.org"]["confirmed"] == ""
    assert by_address["regular@example.org"]["source"] == "import"


def test_an_export_imports_into_another_site_as_it_was(site: Site, tmp_path: Path) -> None:
    imported(site, "buttondown.csv")
    site.cli("subscribers", "add", "--confirmed", "left@example.net", check=True)
    set_status(site, "left@example.net", "unsubscribed")
    export = tmp_path / "feedpub-export.csv"
    export.write_text(site.cli("subscribers", "export", check=True).stdout, encoding="utf-8")

    other = Site(tmp_path / "other")
    other.posts.mkdir(parents=True)
    result = other.cli("subscribers", "import", str(export))

    assert result.returncode == 0
    assert "left@example.net: unsubscribed in the export: not imported" in result.stderr
    assert exported(other) == {a: s for a, s in exported(site).items() if s != "unsubscribed"}


def test_semicolons_line_separators_and_no_email_column(site: Site, tmp_path: Path) -> None:
    excel = tmp_path / "excel.csv"  # a European spreadsheet: semicolons
    excel.write_text("Name;E-mail;Status\nAda;ada@example.org;subscribed\n"
                     "Mallory\u2028Eve;mallory@example.org;\n", encoding="utf-8")
    no_email = tmp_path / "names.csv"
    no_email.write_text("name,city\nAda,London\n", encoding="utf-8")

    ok = site.cli("subscribers", "import", str(excel))
    refused = site.cli("subscribers", "import", str(no_email))

    assert ok.returncode == 0, ok.stderr
    assert exported(site) == {"ada@example.org": "active", "mallory@example.org": "active"}
    assert refused.returncode == 3
    assert refused.stderr == (f"error: {no_email}:1: no email column (expected one named "
                              "'email address', 'email', 'e-mail'...)\n")


def test_an_imported_list_gets_the_digest_and_the_refused_rows_nothing(site: Site) -> None:
    with SmtpServer() as smtp:
        site.write_config(newsletter_config(smtp.port))
        site.post("hello.md", "title: Hello\ndate: 2026-11-20\n")
        another_digest(site)
        for name in ("mailchimp_subscribed_members.csv", "mailchimp_unsubscribed_members.csv",
                     "mailchimp_cleaned_members.csv"):
            imported(site, name)
        site.cli("send", check=True)
    good = {"ada@example.org", "grace.hopper@example.com", "alan.turing@example.ac.uk",
            "emilie@example.fr", "hedy@example.org"}
    assert smtp.copies() == dict.fromkeys(good, 1)
    assert {address.lower() for stage, address, _ in smtp.tries if stage == "RCPT"} == good
    assert not any(b"evil.test" in a.raw or b"katherine" in a.raw for a in smtp.arrivals)
