"""The pages the newsletter's endpoints answer with: templates/site/newsletter/*.html
(yours first, then feedpub's), in the site's base.html, autoescaped, never cached."""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse, PlainTextResponse, Response

from feedpub.config import Config
from feedpub.feeds.pages import feed_links
from feedpub.templating import environment, render

# A page holding a token (in its URL) is no one's to cache, frame or leak to another site.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Robots-Tag": "noindex",
}


class Answers:
    """Renders the answer pages of one site."""

    def __init__(self, config: Config) -> None:
        self.env = environment(config.paths.templates, "site")
        # `base` absolute: the endpoints may answer on another host than the site's
        self.context: dict[str, Any] = {"site": config.site, "base": config.site.url,
                                        "feeds": feed_links(config), "subscribe": None}

    def page(self, name: str, status: int = 200, headers: dict[str, str] | None = None,
             **context: Any) -> Response:
        """newsletter/`name`.html as the response; TemplateError naming file and line."""
        html = render(self.env, f"newsletter/{name}.html", **{**self.context, **context})
        return HTMLResponse(html, status, {**HEADERS, **(headers or {})})


def plain(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """A one-line text answer, for clients that are not a person at a form."""
    return PlainTextResponse(text + "\n", status, {**HEADERS, **(headers or {})})
