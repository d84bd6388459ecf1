"""The newsletter's own emails: the confirmation a new subscriber gets, and an optional
welcome. No I/O, no clock: templates, addresses and links in, message bytes out.

Templates come from templates/email/ (yours first, then feedpub's): `confirm_subject.txt`,
`confirm.txt` and `confirm.html`; a welcome is sent only when `welcome.txt` exists
(feedpub ships none), with `welcome.html` as its HTML part and `welcome_subject.txt` as
its Subject when they exist too. The To address comes from delivery.addresses.parse (no
line breaks, one address) and every header is set through the email package, which
refuses a line break in a value: no header can be injected.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from feedpub.config import Config
from feedpub.delivery.addresses import Address
from feedpub.digest.email import POLICY, inline_css, one_line, set_from
from feedpub.templating import render
from feedpub.urls import site_host

if TYPE_CHECKING:
    import jinja2

WELCOME = "welcome.txt"  # its presence turns the welcome email on


def confirmation(env: jinja2.Environment, config: Config, to: Address, link: str,
                 now: dt.datetime) -> bytes:
    """The email asking `to` to confirm, by opening `link` (delivery.links.confirm_url)."""
    context = {"site": config.site, "address": to.text, "confirm_url": link}
    subject = one_line(render(env, "confirm_subject.txt", **context))
    text = render(env, "confirm.txt", subject=subject, **context)
    html = inline_css(render(env, "confirm.html", subject=subject, **context))
    return _message(config, to, subject, text, html, now, "confirm")


def welcome(env: jinja2.Environment, config: Config, to: Address, unsubscribe: str,
            now: dt.datetime) -> bytes | None:
    """The welcome email for a subscriber who just confirmed, None when there is no
    welcome.txt; it carries their unsubscribe link (body and List-Unsubscribe)."""
    if not exists(env, WELCOME):
        return None
    context = {"site": config.site, "address": to.text, "unsubscribe": unsubscribe}
    subject = one_line(render(env, "welcome_subject.txt", **context)
                       if exists(env, "welcome_subject.txt") else f"Welcome to {config.site.title}")
    text = render(env, WELCOME, subject=subject, **context)
    html = inline_css(render(env, "welcome.html", subject=subject, **context)) \
        if exists(env, "welcome.html") else None
    return _message(config, to, subject, text, html, now, "welcome", unsubscribe)


def exists(env: jinja2.Environment, name: str) -> bool:
    """True when template `name` is there (the user's or feedpub's)."""
    import jinja2

    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    except jinja2.TemplateError:
        return True  # there, but broken: rendering it names the file and line
    return True


def _message(config: Config, to: Address, subject: str, text: str, html: str | None,
             now: dt.datetime, kind: str, unsubscribe: str | None = None) -> bytes:
    msg = EmailMessage(policy=POLICY.clone(utf8=True) if to.utf8 else POLICY)
    set_from(msg, config)
    msg["To"] = to.text
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(kind, site_host(config.site.url))
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        if unsubscribe.startswith("https://"):
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        for part in msg.iter_parts():
            del part["MIME-Version"]  # belongs in the top-level header only
    return msg.as_bytes()
