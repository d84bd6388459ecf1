"""`feedpub serve` as a real process over real HTTP: validators, 304, HEAD, gzip, types, safety."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from starlette.datastructures import Headers

from feedpub.web.static import BadPath, accepts_gzip, content_type, safe_parts
from tests.conftest import Site

Response = tuple[int, dict[str, str], bytes]


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(port: int, path: str, method: str = "GET",
            headers: dict[str, str] | None = None) -> Response:
    """One raw HTTP request (the path is sent exactly as given); status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def start(site: Site, *args: str) -> subprocess.Popen[str]:
    """`python -m feedpub ARGS` in the site folder, stderr captured."""
    return subprocess.Popen([sys.executable, "-m", "feedpub", *args], cwd=site.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(check: object, timeout: float, step: float = 0.05) -> float:
    """Poll `check()` until truthy; seconds it took (fails the test on timeout)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            if check():  # type: ignore[operator]
                return time.monotonic() - began
        except OSError:
            pass
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {check}")


def stop(proc: subprocess.Popen[str], timeout: float = 10) -> tuple[int, str]:
    """SIGTERM `proc`; its exit code and stderr (killed if it overstays)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"did not stop within {timeout}s:\n{err}") from None
    return proc.returncode, err


def sample_site(site: Site) -> Site:
    """A site with two posts, built."""
    site.post("hello.md", "title: Hello <World> & co\ndate: 2026-11-01\ntags: [news]",
              "Hello, *world*.\n\n" + "Some text to compress. " * 60)
    site.post("second.md", "title: Second\ndate: 2026-11-02 10:00:00")
    site.cli("build", check=True)
    (site.root / "secret.txt").write_text("do not serve", encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, int]]:
    """`feedpub serve` on a built site, for the whole module."""
    site = Site(tmp_path_factory.mktemp("serve") / "site")
    site.posts.mkdir(parents=True)
    site.write_config('[site]\ntitle = "Served"\nurl = "https://example.org/"\n')
    sample_site(site)
    port = free_port()
    proc = start(site, "serve", "--port", str(port))
    wait_until(lambda: request(port, "/")[0] == 200, 15)
    yield site, port
    code, err = stop(proc)
    assert code == 0, err


# --- pure helpers -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("feed.xml", "application/rss+xml; charset=utf-8"),
    ("atom.xml", "application/atom+xml; charset=utf-8"),
    ("feed.json", "application/feed+json; charset=utf-8"),
    ("feed.xsl", "application/xml; charset=utf-8"),
    ("index.html", "text/html; charset=utf-8"),
    ("digest.txt", "text/plain; charset=utf-8"),
    ("digest.eml", "message/rfc822"),
    ("x.bin", "application/octet-stream"),
])
def test_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_browsers_get_xml_feeds_as_application_xml(name: str) -> None:
    # Chromium shows application/rss+xml as text, so the feed's XSLT would never apply
    assert content_type(name, browser=True) == "application/xml; charset=utf-8"


@pytest.mark.parametrize("path", ["/../x", "/a/../../x", "/.feedpub/x", "/a\\..\\x",
                                  "/x\x00", "relative", "/posts/./x"])
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(BadPath):
        safe_parts(path)


@pytest.mark.parametrize(("header", "expected"), [
    ("gzip", True), ("br, gzip;q=0.5", True), ("gzip;q=0", False), ("identity", False),
    ("", False), ("*", True),
])
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert accepts_gzip(Headers({"accept-encoding": header})) is expected


# --- the real server -----------------------------------------------------------------------


@pytest.mark.slow
def test_feeds_are_served_with_their_types(server: tuple[Site, int]) -> None:
    site, port = server
    status, headers, body = request(port, "/feed.xml")
    assert status == 200
    assert headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert body == (site.output / "feed.xml").read_bytes()
    assert not feedparser.parse(body).bozo
    for path, kind in [("/atom.xml", "application/atom+xml"), ("/feed.json",
                       "application/feed+json"), ("/feed.xsl", "application/xml"),
                       ("/", "text/html"), ("/posts/hello/", "text/html")]:
        status, headers, _ = request(port, path)
        assert (status, headers["content-type"]) == (200, kind + "; charset=utf-8"), path
    assert json.loads(request(port, "/feed.json")[2])["version"].startswith("https://jsonfeed")
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    _, headers, _ = request(port, "/feed.xml", headers=browser)
    assert headers["content-type"] == "application/xml; charset=utf-8"
    assert "accept" in [v.strip().lower() for v in headers["vary"].split(",")]


@pytest.mark.slow
def test_validators_and_conditional_get(server: tuple[Site, int]) -> None:
    _, port = server
    _, headers, _ = request(port, "/feed.xml")
    etag, modified = headers["etag"], headers["last-modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    status, again, body = request(port, "/feed.xml", headers={"If-None-Match": etag})
    assert (status, body, again["etag"]) == (304, b"", etag)
    assert request(port, "/feed.xml", headers={"If-None-Match": f'"x", W/{etag}'})[0] == 304
    assert request(port, "/feed.xml", headers={"If-Modified-Since": modified})[0] == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert request(port, "/feed.xml", headers={"If-Modified-Since": old})[0] == 200
    assert request(port, "/feed.xml", headers={"If-None-Match": '"nope"'})[0] == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110)
    both = {"If-None-Match": '"nope"', "If-Modified-Since": modified}
    assert request(port, "/feed.xml", headers=both)[0] == 200


@pytest.mark.slow
def test_etag_follows_the_bytes_not_the_file(server: tuple[Site, int]) -> None:
    site, port = server
    before = request(port, "/atom.xml")[1]["etag"]
    path = site.output / "atom.xml"
    data = path.read_bytes()
    path.write_bytes(data)  # same bytes, new mtime: same ETag
    assert request(port, "/atom.xml")[1]["etag"] == before
    path.write_bytes(data.replace(b"Served", b"Served!"))
    try:
        assert request(port, "/atom.xml", headers={"If-None-Match": before})[0] == 200
    finally:
        path.write_bytes(data)


@pytest.mark.slow
def test_head_has_the_headers_and_no_body(server: tuple[Site, int]) -> None:
    _, port = server
    _, full, body = request(port, "/feed.xml")
    status, headers, empty = request(port, "/feed.xml", "HEAD")
    assert (status, empty) == (200, b"")
    assert headers["content-length"] == str(len(body))
    assert headers["etag"] == full["etag"]


@pytest.mark.slow
def test_gzip_when_asked(server: tuple[Site, int]) -> None:
    _, port = server
    _, _, plain = request(port, "/posts/hello/")
    status, headers, body = request(port, "/posts/hello/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain and len(body) < len(plain)
    assert "accept-encoding" in headers["vary"].lower()
    etag = headers["etag"]
    assert etag.startswith("W/")
    again = request(port, "/posts/hello/", headers={"Accept-Encoding": "gzip",
                                                    "If-None-Match": etag})
    assert again[0] == 304
    assert "content-encoding" not in request(port, "/posts/hello/")[1]


@pytest.mark.slow
def test_directories_redirect_and_never_list(server: tuple[Site, int]) -> None:
    _, port = server
    status, headers, _ = request(port, "/posts/hello")
    assert (status, headers["location"]) == (301, "/posts/hello/")
    assert request(port, "/posts/")[0] == 404
    assert request(port, "/posts")[0] == 404
    assert request(port, "/nope.xml")[0] == 404
    assert request(port, "/feed.xml", "POST")[0] == 405


TRAVERSALS = [
    "/../feedpub.toml", "/../secret.txt", "/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt",
    "/posts/%2e%2e/%2e%2e/secret.txt", "/posts/..%2f..%2fsecret.txt", "/%252e%252e%252fsecret.txt",
    "/..%5csecret.txt", "/%2e%2e%5csecret.txt", "//secret.txt", "/./../secret.txt",
    "/.%2e/secret.txt", "/%c0%ae%c0%ae/secret.txt", "/feed.xml%00", "/../.feedpub/feedpub.sqlite",
    "/posts/hello/../../../secret.txt",
]


@pytest.mark.slow
@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_output_is_reachable(server: tuple[Site, int], path: str) -> None:
    _, port = server
    status, _, body = request(port, path)
    assert status in (400, 404), (path, status)
    assert b"do not serve" not in body and b"[site]" not in body


@pytest.mark.slow
def test_symlinks_out_of_output_are_not_followed(server: tuple[Site, int]) -> None:
    site, port = server
    link = site.output / "leak.txt"
    link.symlink_to(site.root / "secret.txt")
    try:
        assert request(port, "/leak.txt")[0] == 404
    finally:
        link.unlink()


@pytest.mark.slow
def test_port_in_use_is_a_clear_error(server: tuple[Site, int]) -> None:
    site, port = server
    result = site.cli("serve", "--port", str(port), timeout=20)
    assert result.returncode != 0
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


@pytest.mark.slow
def test_server_binds_to_the_configured_address(site: Site) -> None:
    sample_site(site)
    port = free_port()
    site.write_config(f'[site]\nurl = "https://example.org/"\n[server]\nport = {port}\n')
    proc = start(site, "serve")
    try:
        wait_until(lambda: request(port, "/feed.xml")[0] == 200, 15)
        with socket.socket() as sock:  # localhost only: not on the machine's other addresses
            other = _other_address()
            if other:
                assert sock.connect_ex((other, port)) != 0
    finally:
        code, err = stop(proc)
    assert code == 0, err
    assert f"http://127.0.0.1:{port}/" in err


def _other_address() -> str | None:
    """A non-loopback address of this machine, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(sock.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_help_does_not_import_the_server() -> None:
    code = ("import sys; from feedpub.cli import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "bad = [m for m in ('starlette', 'uvicorn', 'apscheduler', 'watchdog') "
            "if m in sys.modules]\nassert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.returncode == 0, result.stderr
