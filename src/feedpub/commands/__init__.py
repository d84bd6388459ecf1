"""What each command does, step by step: build and digest in turn, check, status, init."""

from feedpub.commands.build import build_site, digest_now, explain_now
from feedpub.commands.check import check
from feedpub.commands.init import init
from feedpub.commands.status import site_status

__all__ = ["build_site", "check", "digest_now", "explain_now", "init", "site_status"]
