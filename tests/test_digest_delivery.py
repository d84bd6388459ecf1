"""The digest leaves feedpub: through a real SMTP server, and into a real browser."""

from __future__ import annotations

import html
import os
import re
import shutil
import smtplib
import socket
import subprocess
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from feedpub.digest.plan import DigestRequest
from tests.conftest import NOW, REPO, Site, make_corpus, make_digest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = os.environ.get("FEEDPUB_SHOTS")  # a folder to keep copies of the screenshots in


def site_digest(site: Site, corpus: str = "corpus") -> Path:
    """A digest of the 20 newest posts of the sample site or a 60-post corpus; its folder."""
    if corpus == "sample":
        for seed in sorted((REPO / "posts").glob("*.md")):
            shutil.copy(seed, site.posts / seed.name)
    else:
        make_corpus(site.posts, 60)
    site.write_config("""
        [site]
        title = "Corpus <Test> & Co"
        url = "https://example.org/"
        description = "A synthetic blog about software"
        timezone = "Europe/Berlin"
        [digest]
        unsubscribe = "https://example.org/unsubscribe"
    """)
    result = make_digest(site.config(), NOW, DigestRequest(latest=20))
    assert result.digest_id and len(result.posts) == (2 if corpus == "sample" else 20)
    return site.output / "digests" / result.digest_id


def free_port() -> int:
    with socket.socket() as sock:  # aiosmtpd's Controller(port=0) fails (aiosmtpd#276)
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Collector:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.mark.slow
def test_the_eml_goes_through_a_real_smtp_server(site: Site) -> None:
    from aiosmtpd.controller import Controller

    eml = (site_digest(site) / "digest.eml").read_bytes()
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=10) as smtp:
            refused = smtp.sendmail("noreply@example.org", ["reader@example.net"], eml)
    finally:
        controller.stop()
    assert refused == {}
    (sender, recipients, content), = collector.received
    assert (sender, recipients) == ("noreply@example.org", ["reader@example.net"])
    assert content.rstrip(b"\r\n") == eml.rstrip(b"\r\n")  # byte for byte
    message = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(message, EmailMessage) and not message.defects
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert not any(p.defects for p in parts)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )


def framed(document: str, width: int) -> str:
    """`document` in an iframe exactly `width` px wide (headless windows are at least 500 px
    wide), with a script recording the frame's scroll width against its viewport width."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}'
        'iframe{border:0;display:block}</style></head><body>'
        f'<iframe id="f" style="width:{width}px;height:3000px" '
        f'srcdoc="{html.escape(document, quote=True)}"></iframe><script>'
        'addEventListener("load", function () { var f = document.getElementById("f");'
        ' document.body.setAttribute("data-probe", f.contentDocument.documentElement'
        '.scrollWidth + "/" + f.contentWindow.innerWidth); });</script></body></html>'
    )


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                    "(apt-get install chromium; .ci/run does): no screenshot test")
@pytest.mark.parametrize("width", [600, 375])
@pytest.mark.parametrize("corpus", ["sample", "corpus"])
def test_default_digest_in_headless_chromium_has_no_horizontal_overflow(
        site: Site, tmp_path: Path, corpus: str, width: int) -> None:
    message = BytesParser(policy=policy.default).parsebytes(
        (site_digest(site, corpus) / "digest.eml").read_bytes())
    assert isinstance(message, EmailMessage)
    body = message.get_body(("html",))
    assert body is not None
    page = tmp_path / f"{corpus}-{width}.html"
    page.write_text(framed(str(body.get_content()), width), encoding="utf-8")
    dom = chromium("--virtual-time-budget=5000", f"--window-size={width},3000", "--dump-dom",
                   page.as_uri(), profile=tmp_path / "profile").stdout
    probe = re.search(r'data-probe="(\d+)/(\d+)"', dom)
    assert probe, "the probe script did not run"
    scroll_width, viewport = int(probe.group(1)), int(probe.group(2))
    assert viewport == width and scroll_width <= viewport
    shot = tmp_path / f"{corpus}-{width}.png"
    chromium(f"--window-size={width},2400", f"--screenshot={shot}", page.as_uri(),
             profile=tmp_path / "profile")
    assert shot.stat().st_size > 20_000  # a real rendering, not a blank page
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(SHOTS) / shot.name)
