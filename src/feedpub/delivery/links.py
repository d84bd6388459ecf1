"""The public URLs of the newsletter's endpoints: under the site, or [delivery] url."""

from __future__ import annotations

from feedpub.config import Config
from feedpub.urls import newsletter_url

SUBSCRIBE, CONFIRM, UNSUBSCRIBE = "subscribe/", "confirm/", "unsubscribe/"


def endpoints(config: Config) -> str:
    """Where `feedpub serve`/`run` answer the newsletter's requests (ends with /)."""
    return newsletter_url(config.site.url, config.delivery.url)


def subscribe_url(config: Config) -> str:
    """The subscribe form's target."""
    return endpoints(config) + SUBSCRIBE


def confirm_url(config: Config, token: str) -> str:
    """The link in a confirmation email."""
    return f"{endpoints(config)}{CONFIRM}{token}"


def unsubscribe_url(config: Config, token: str) -> str:
    """A subscriber's own unsubscribe link (body and List-Unsubscribe)."""
    return f"{endpoints(config)}{UNSUBSCRIBE}{token}"
