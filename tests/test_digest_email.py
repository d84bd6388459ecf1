"""The digest as email: a clean .eml, valid HTML with CSS inlined, safe headers, templates."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import html5lib
import pytest

from feedpub.config import Config
from feedpub.digest.email import SIZE_LIMIT, track
from feedpub.digest.make import DigestResult
from feedpub.digest.plan import DigestRequest
from tests.conftest import NOW, Site, make_digest

NASTY = "Vec<T> & \"quotes\" 'single' <script>alert(1)</script> 🎉 👩‍💻"
UNSUBSCRIBE = "https://example.org/newsletter/unsubscribe?list=weekly&token=" + "a" * 60


def configure(site: Site, digest: str = "", title: str = 'Site <&> "Q" ✨') -> Config:
    site.write_config(f"""
        [site]
        title = {title!r}
        url = "https://example.org/blog/"
        description = "Notes & <asides>"
        timezone = "Europe/Berlin"
        author = {{ name = "Ada", email = "ada@example.org" }}
        [digest]
        to = "Readers <readers@example.org>"
        unsubscribe = "{UNSUBSCRIBE}"
        {digest}
    """)
    return site.config()


def write_posts(site: Site) -> None:
    site.post("nasty.md", f"title: {json.dumps(NASTY, ensure_ascii=False)}\n"
              "date: 2026-11-22\ntags: [C++, Node.js]\n"
              "summary: 'A [relative](../other/) link, an [anchor](#x), "
              "[elsewhere](https://other.org/a?b=1#c) and **bold**.'\nauthor: Zoë",
              "Body with a footnote.[^1]\n\n[^1]: The note.\n")
    site.post("footnotes.md", "title: Footnotes too\ndate: 2026-11-21",
              "First paragraph with a note.[^1] ![img](pic.png)\n\n[^1]: A note.\n")
    site.post("plain.md", "title: Plain\ndate: 2026-11-20\ntags: [python]",
              "Just text.\n")


def digest(site: Site, config: Config, now: dt.datetime = NOW) -> tuple[DigestResult, Path]:
    result = make_digest(config, now)
    assert result.digest_id, result.skipped_reason
    return result, site.output / "digests" / result.digest_id


def parse(path: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def message_with_config(site: Site, config: str) -> EmailMessage:
    """The digest .eml of the sample posts under `config` (feedpub.toml text)."""
    site.write_config(config)
    write_posts(site)
    _, folder = digest(site, site.config())
    return parse(folder / "digest.eml")


def html_part(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def text_part(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def assert_valid_html(document: str, page: bool = False) -> None:
    """html5lib's strict parser raises on any parse error; no <style> in the body; every
    link absolute in an email, and on a `page` of the site (the web copy, the archive)
    root-relative when it points into the site, so that a local preview works."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(document)
    body = document[document.index("<body"):]
    assert "<style" not in body.lower()
    hrefs = re.findall(r'\shref="([^"]*)"', document)
    allowed = ("https://", "http://", "mailto:", *(("/blog/",) if page else ()))
    assert hrefs and all(h.startswith(allowed) for h in hrefs), hrefs
    if page:
        assert not [h for h in hrefs if h.startswith("https://example.org/blog/")], hrefs
    ids = re.findall(r'\sid="([^"]*)"', document)
    assert len(ids) == len(set(ids)), ids


def test_eml_parses_without_defects_text_then_html(site: Site) -> None:
    config = configure(site)
    write_posts(site)
    result, folder = digest(site, config)
    message = parse(folder / "digest.eml")
    parts = list(message.iter_parts())
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert not message.defects and not any(p.defects for p in parts)
    assert message["Message-ID"] == f"<digest-{result.digest_id}@example.org>"
    assert message["Date"] == "Mon, 23 Nov 2026 13:00:00 +0100"
    assert message["To"] == "Readers <readers@example.org>"
    assert message["From"].addresses[0].addr_spec == "ada@example.org"
    assert message["From"].addresses[0].display_name == 'Site <&> "Q" ✨'
    assert result.size_bytes == (folder / "digest.eml").stat().st_size < SIZE_LIMIT


def test_list_unsubscribe_is_one_unfolded_line(site: Site) -> None:
    config = configure(site)
    write_posts(site)
    _, folder = digest(site, config)
    raw = (folder / "digest.eml").read_bytes()
    assert f"\r\nList-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_mailto_unsubscribe_has_no_one_click_header(site: Site) -> None:
    message = message_with_config(site, """
        [site]
        url = "https://example.org/"
        [digest]
        unsubscribe = "mailto:leave@example.org"
    """)
    assert message["List-Unsubscribe"] == "<mailto:leave@example.org>"
    assert message["List-Unsubscribe-Post"] is None
    assert message["From"].addresses[0].addr_spec == "noreply@example.org"


def test_html_is_valid_inlined_and_absolute(site: Site) -> None:
    config = configure(site)
    write_posts(site)
    _, folder = digest(site, config)
    email_html = html_part(parse(folder / "digest.eml"))
    web_html = (folder / "index.html").read_text(encoding="utf-8")
    for document, page in ((email_html, False), (web_html, True)):
        assert_valid_html(document, page)
        assert "@media (prefers-color-scheme: dark)" in document  # kept in the head
        assert 'width="600"' in document and 'style="' in document
    assert 'class="preheader"' in email_html and "View it in your browser" in email_html
    assert "Unsubscribe" in email_html and "Unsubscribe" not in web_html
    assert_valid_html((site.output / "digests" / "index.html").read_text(encoding="utf-8"),
                      page=True)


def test_titles_are_escaped_in_html_and_intact_in_text_and_subject(site: Site) -> None:
    config = configure(site, 'subject = "{{ posts[0].title }} & more from {{ site.title }}"')
    write_posts(site)
    _, folder = digest(site, config)
    message = parse(folder / "digest.eml")
    assert message["Subject"] == f'{NASTY} & more from Site <&> "Q" ✨'
    assert NASTY in text_part(message)
    email_html = html_part(message)
    assert "<script>" not in email_html
    tree = html5lib.parse(email_html, namespaceHTMLElements=False)
    headings = ["".join(h.itertext()) for h in tree.iter("h2")]
    assert NASTY in headings
    assert "Vec&lt;T&gt; &amp; " in email_html


def test_a_title_with_cr_lf_cannot_add_a_header(site: Site) -> None:
    message = message_with_config(site, """
        [site]
        title = "Evil\\r\\nBcc: victim@example.com\\r\\nX-Injected: 1"
        url = "https://example.org/"
        [digest]
        subject = "{{ site.title }}\\r\\nX-Also: {{ posts|length }}\\n\\nbody"
    """)
    for name in ("Bcc", "X-Injected", "X-Also"):
        assert message[name] is None
    assert message["Subject"] == "Evil Bcc: victim@example.com X-Injected: 1 X-Also: 3 body"
    assert "Bcc" in message["From"].addresses[0].display_name
    assert not message.defects


def test_text_part_has_numbered_links_from_its_own_template(site: Site) -> None:
    config = configure(site)
    write_posts(site)
    _, folder = digest(site, config)
    text = (folder / "digest.txt").read_text(encoding="utf-8")
    assert "<" not in text.replace(NASTY, "").replace('Site <&> "Q"', "")  # no HTML leaked
    links = dict(re.findall(r"^\[(\d+)\] (\S+)$", text, re.MULTILINE))
    assert links["1"] == "https://example.org/blog/posts/nasty/"
    assert "relative [2]" in text and links["2"] == "https://example.org/blog/posts/other/"
    assert "elsewhere [4]" in text and links["4"] == "https://other.org/a?b=1#c"
    assert UNSUBSCRIBE in links.values()


def test_utm_only_on_own_links_with_fragment_after_query(site: Site) -> None:
    config = configure(site, 'utm = { source = "digest", medium = "email" }')
    assert track("https://example.org/blog/x/#frag", config) == \
        "https://example.org/blog/x/?utm_medium=email&utm_source=digest#frag"
    assert track("https://example.org/p?utm_source=mine", config) == \
        "https://example.org/p?utm_source=mine&utm_medium=email"
    assert track("https://other.org/", config) == "https://other.org/"
    assert track(UNSUBSCRIBE, config) == UNSUBSCRIBE
    write_posts(site)
    _, folder = digest(site, config)
    email_html = html_part(parse(folder / "digest.eml"))
    web_html = (folder / "index.html").read_text(encoding="utf-8")
    assert "posts/other/?utm_medium=email&amp;utm_source=digest" in email_html
    assert 'href="https://other.org/a?b=1#c"' in email_html
    assert "utm_" not in web_html
    assert "?utm_medium=email&utm_source=digest" in (folder / "digest.txt").read_text()


def test_same_ledger_and_posts_give_the_same_bytes(site: Site) -> None:
    config = configure(site)
    write_posts(site)
    _, folder = digest(site, config)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    shutil.rmtree(site.output)
    later = make_digest(config, NOW + dt.timedelta(hours=3))  # nothing new: restores only
    assert later.digest_id is None
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_big_digest_falls_back_to_short_excerpts(site: Site) -> None:
    configure(site, "max_posts = 60")
    long_summary = "Words and more words " * 60
    for n in range(60):
        site.post(f"p{n}.md", f"title: Post {n}\ndate: 2026-11-2{n % 3}\n"
                  f"summary: '{long_summary} [link](https://example.org/{n}/)'")
    result, folder = digest(site, site.config())
    assert len(result.posts) == 60
    assert result.shortened and "102 KB" in result.shortened
    assert (folder / "digest.eml").stat().st_size <= SIZE_LIMIT
    assert not parse(folder / "digest.eml").defects


def test_a_user_template_overrides_the_default(site: Site) -> None:
    config = configure(site)
    write_posts(site)
    custom = site.root / "templates" / "email"
    custom.mkdir(parents=True)
    (custom / "digest.txt").write_text(
        "MY DIGEST\n{% for post in posts %}* {{ post.title }} <{{ post.url }}>\n{% endfor %}")
    (custom / "subject.txt").write_text("Weekly: {{ posts|length }}\n")
    _, folder = digest(site, config)
    message = parse(folder / "digest.eml")
    assert text_part(message).startswith("MY DIGEST\n* ")
    assert message["Subject"] == "Weekly: 3"
    assert "Read more" in html_part(message)  # digest.html still the package's


@pytest.mark.parametrize("source, line, words", [
    ("<p>\n{% for post in posts %}\n{{ post.title ) }}\n{% endfor %}\n", 3, "unexpected ')'"),
    ("<p>\n\n\n{{ digest.nope.deeper }}\n", 4, "nope"),
])
def test_a_template_error_names_file_and_line(site: Site, source: str, line: int,
                                              words: str) -> None:
    configure(site)
    write_posts(site)
    custom = site.root / "templates" / "email"
    custom.mkdir(parents=True)
    (custom / "digest.html").write_text(source)
    result = site.cli("digest", "--latest", "1")
    assert result.returncode == 4
    assert f"templates/email/digest.html:{line}: template error" in result.stderr
    assert words in result.stderr


def test_cli_digest_on_the_sample_site(site: Site) -> None:
    from tests.conftest import REPO

    for seed in sorted((REPO / "posts").glob("*.md")):
        shutil.copy(seed, site.posts / seed.name)
    result = site.cli("digest", "--latest", "10")
    assert result.returncode == 0, result.stderr
    assert "2 posts" in result.stdout
    folder = next(p for p in (site.output / "digests").iterdir() if p.is_dir())
    assert_valid_html(html_part(parse(folder / "digest.eml")))
    assert not parse(folder / "digest.eml").defects
    assert DigestRequest().explicit is False


def test_archive_and_digest_feed_list_every_digest_newest_first(site: Site) -> None:
    import feedparser

    config = configure(site)
    write_posts(site)
    first, _ = digest(site, config)
    site.post("later.md", "title: Later & <better>\ndate: 2026-11-24")
    second, _ = digest(site, config, NOW + dt.timedelta(days=2))
    feed = feedparser.parse((site.output / "digests" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.link for e in feed.entries] == [
        f"https://example.org/blog/digests/{second.digest_id}/",
        f"https://example.org/blog/digests/{first.digest_id}/"]
    assert "Later &amp; &lt;better&gt;" in feed.entries[0].description
    archive = (site.output / "digests" / "index.html").read_text(encoding="utf-8")
    assert archive.index(str(second.digest_id)) < archive.index(str(first.digest_id))
    assert "Later &amp; &lt;better&gt;" in archive
