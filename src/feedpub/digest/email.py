"""A digest's posts to HTML (CSS inlined), plain text, a subject and a .eml. No I/O, no clock
(image sizes come from a lookup the caller passes).

Each post shows its summary or, with `[digest] content = "full"` or its own `digest: full`,
the whole post (digest.content makes its HTML fit for email, digest.plaintext its text).
The same inputs give the same bytes: the MIME boundary comes from a hash of the parts,
the Date and Message-ID from the digest's recorded time and id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feedpub.config import Config
from feedpub.digest.entries import EXCERPTS, EmailPost, content, email_post, number
from feedpub.digest.images import SizeOf
from feedpub.errors import plural
from feedpub.feeds.model import Item
from feedpub.posts.text import xml_safe
from feedpub.templating import local_links, render, render_string
from feedpub.urls import site_host

if TYPE_CHECKING:
    import jinja2

# policy.SMTP would fold a long List-Unsubscribe into an encoded word clients ignore.
POLICY = policy.SMTP.clone(max_line_length=998)
SIZE_LIMIT = 102_000  # Gmail clips messages above ~102 KB
_HREF = re.compile(r'(\shref=")([^"]*)(")', re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CHARSET = '<meta charset="utf-8">'


@cache
def _inliner() -> Any:
    import css_inline  # heavy: only to render an email

    # No apply_width_attributes: width="100%" on tables is obsolete HTML (the Nu checker
    # refuses it); Outlook takes its 600 px column from the digest's [if mso] table.
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class DigestInfo:
    """What the templates know of the digest itself."""

    id: str
    created: dt.datetime  # in the site zone
    label: str  # the window, in words
    url: str  # the web version
    archive_url: str
    feed_url: str
    kind: str = "next"  # "next" (posts new since the last digest) or "explicit" (a window)


@dataclass(frozen=True)
class RenderedDigest:
    """Every form of one digest."""

    subject: str
    html: str  # the email's HTML part
    web_html: str  # the web version (no tracking parameters)
    text: str
    eml: bytes
    excerpts: str  # "full", "short" or "none": what had to go to fit SIZE_LIMIT
    cut: int = 0  # whole posts sent as a summary instead, to fit SIZE_LIMIT

    @property
    def shortened(self) -> str | None:
        """What was cut to stay under SIZE_LIMIT, in words; None when nothing was."""
        if self.excerpts == "none":
            how = "titles only"
        elif self.excerpts == "short":
            how = ("every post cut to a summary, and " if self.cut else "") + "shortened excerpts"
        elif self.cut:
            how = f"{plural(self.cut, 'post')} cut to a summary, the oldest first"
        else:
            return None
        return f"{how}: the full digest would pass 102 KB, where Gmail clips"


def _no_sizes(url: str) -> None:
    return None


def render_digest(env: jinja2.Environment, config: Config, info: DigestInfo,
                  items: Sequence[Item], unsubscribe: str | None = None,
                  size_of: SizeOf = _no_sizes) -> RenderedDigest:
    """Render the digest under SIZE_LIMIT: whole posts become summaries, the oldest first,
    then excerpts get shorter, until the .eml fits. `unsubscribe`: the link to leave
    ([digest] unsubscribe unless given: a sender puts a placeholder there, then each
    subscriber's own link); `size_of`: the sizes of the site's own images."""
    subject = render_subject(env, config, info, items)
    leave = config.digest.unsubscribe if unsubscribe is None else unsubscribe
    whole = sorted((n for n, item in enumerate(items) if content(config, item.post) == "full"),
                   key=lambda n: items[n].post.sort_key)  # the oldest first

    def attempt(cut: int, excerpts: str = "full") -> RenderedDigest:
        return _render(env, config, info, items, subject, excerpts, leave,
                       frozenset(whole[cut:]), size_of, cut)

    done = attempt(0)
    if len(done.eml) > SIZE_LIMIT and whole:
        done = _fewest_cut(attempt, len(whole)) or done
    for excerpts in EXCERPTS[1:]:
        if len(done.eml) <= SIZE_LIMIT:
            break
        done = attempt(len(whole), excerpts)
    return done


def _fewest_cut(attempt: Callable[[int], RenderedDigest], count: int) -> RenderedDigest | None:
    """The digest with the fewest whole posts (of `count`) cut to a summary that fits
    SIZE_LIMIT, by bisection (each cut makes it smaller); None when even all do not."""
    low, high, best = 1, count, None
    while low <= high:
        middle = (low + high) // 2
        done = attempt(middle)
        if len(done.eml) <= SIZE_LIMIT:
            best, high = done, middle - 1
        else:
            low = middle + 1
    return best


def _render(env: jinja2.Environment, config: Config, info: DigestInfo, items: Sequence[Item],
            subject: str, excerpts: str, unsubscribe: str, whole: frozenset[int],
            size_of: SizeOf, cut: int) -> RenderedDigest:
    refs: list[str] = []
    posts = [email_post(config, n, item, excerpts, refs, n - 1 in whole, size_of)
             for n, item in enumerate(items, 1)]
    context = {"site": config.site, "digest": info, "posts": posts, "subject": subject,
               "unsubscribe": unsubscribe, "excerpts": excerpts,
               "preheader": _preheader(posts)}
    # the web copy is one of the site's pages: its links to the site root-relative, so
    # that a local preview under the real url works (the email keeps absolute URLs)
    web_html = local_links(inline_css(render(env, "digest.html", **context, web=True)),
                           config.site.url)
    email_html = _track_html(inline_css(render(env, "digest.html", **context, web=False)),
                             config)
    view_ref = number(refs, info.url)
    unsubscribe_ref = number(refs, unsubscribe) if unsubscribe else None
    links = [(n, track(url, config)) for n, url in enumerate(refs, 1)]
    text = render(env, "digest.txt", **context, web=False, view_ref=view_ref,
                  unsubscribe_ref=unsubscribe_ref, links=links)
    return RenderedDigest(subject, email_html, web_html, text,
                          build_eml(config, info, subject, text, email_html, unsubscribe),
                          excerpts, cut)


def render_subject(env: jinja2.Environment, config: Config, info: DigestInfo,
                   items: Sequence[Item]) -> str:
    """The Subject: [digest] subject when set, else templates/email/subject.txt; one line."""
    context = {"site": config.site, "digest": info, "posts": [i.post for i in items]}
    if config.digest.subject is None:
        text = render(env, "subject.txt", **context)
    else:  # autoescape off: a Subject is not HTML
        where = f"{config.file or 'feedpub.toml'}: [digest] subject"
        text = render_string(env, "{% autoescape false %}" + config.digest.subject
                             + "{% endautoescape %}", where, **context)
    return one_line(text)


def one_line(text: str) -> str:
    """`text` on one line: CR, LF and other control characters become spaces."""
    return " ".join(_CONTROL.sub(" ", xml_safe(text)).split())


def _preheader(posts: Sequence[EmailPost]) -> str:
    return " · ".join(p.title for p in posts)[:140]


def inline_css(document: str) -> str:
    """CSS moved into style attributes; @media rules stay in one <style> in the head."""
    inlined = str(_inliner().inline(document))
    # The inliner puts the <style> first; a browser reading a file wants the charset
    # declared within the first 1024 bytes.
    if _CHARSET in inlined:
        inlined = inlined.replace(_CHARSET, "", 1).replace("<head>", "<head>" + _CHARSET, 1)
    return inlined


def track(url: str, config: Config) -> str:
    """`url` with the [digest] utm parameters when it is on the site's own host."""
    params = config.digest.utm
    parts = urlsplit(url)
    own = urlsplit(config.site.url).hostname
    if not params or parts.hostname != own or "/unsubscribe" in parts.path \
            or url == config.digest.unsubscribe:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    query += [(k, v) for k, v in params if k not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _track_html(document: str, config: Config) -> str:
    if not config.digest.utm:
        return document

    def fix(m: re.Match[str]) -> str:
        url = track(html.unescape(m.group(2)), config)
        return m.group(1) + html.escape(url, quote=True) + m.group(3)

    return _HREF.sub(fix, document)


def sender(config: Config) -> str:
    """The From address: [digest] from, else the site author, else noreply@ the site host."""
    if config.digest.from_:
        return config.digest.from_
    return config.site.author.email or f"noreply@{site_host(config.site.url)}"


def build_eml(config: Config, info: DigestInfo, subject: str, text: str,
              email_html: str, unsubscribe: str) -> bytes:
    """A multipart/alternative message (text, then HTML) with deterministic bytes."""
    msg = EmailMessage(policy=POLICY)
    set_from(msg, config)
    # No [digest] to: the sender's own address, the usual "to myself, Bcc the list", so
    # that `sendmail -t` and mail services accept the message as it is.
    msg["To"] = config.digest.to or sender(config)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(info.created)
    msg["Message-ID"] = f"<digest-{info.id}@{site_host(config.site.url)}>"
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        if unsubscribe.startswith("https://"):
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(email_html, subtype="html", charset="utf-8", cte="quoted-printable")
    for part in msg.iter_parts():
        del part["MIME-Version"]  # belongs in the top-level header only
    seed = hashlib.sha256((subject + text + email_html).encode()).hexdigest()[:32]
    msg.set_boundary(f"=_feedpub_{seed}")  # '=_' never occurs in quoted-printable text
    return msg.as_bytes()


def set_from(msg: EmailMessage, config: Config) -> None:
    """The From header: the sender, the site title as display name when it has none."""
    address = sender(config)
    if config.digest.from_ or "<" in address:
        msg["From"] = address
    else:  # the site title as display name; the header registry quotes it safely
        from email.headerregistry import Address

        local, _, domain = address.partition("@")
        msg["From"] = Address(one_line(config.site.title), local, domain)
