"""`feedpub serve` under abuse, over real HTTP: slow and idle clients, odd paths, ranges, ETags."""

from __future__ import annotations

import gzip
import logging
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from feedpub.web.ranges import Unsatisfiable, byte_span
from feedpub.web.server import KEEP_ALIVE, REQUEST_TIMEOUT, connection_cap
from feedpub.web.throttle import Throttle
from tests.conftest import Site
from tests.test_serve import free_port, request, sample_site, stop, wait_until

DIGITS = b"0123456789" * 100  # 1000 bytes: byte n is str(n % 10)
SMALL = b"User-agent: *\nAllow: /\n" * 4  # text under the 512-byte gzip threshold
SLACK = 5.0  # seconds a timeout may overrun on a busy machine


def start_logged(site: Site, log: Path, *args: str,
                 max_files: int | None = None) -> subprocess.Popen[str]:
    """`python -m feedpub ARGS` in the site folder, stderr to `log`, `max_files` fds at most."""

    def limit() -> None:
        if max_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))

    with open(log, "w", encoding="utf-8") as err:
        return subprocess.Popen([sys.executable, "-m", "feedpub", *args], cwd=site.root,
                                stdout=subprocess.DEVNULL, stderr=err, text=True,
                                preexec_fn=limit)


def serve_site(site: Site, log: Path, max_files: int | None = None) -> tuple[subprocess.Popen[str],
                                                                              int]:
    """`feedpub serve` on `site`, answering; the process and its port."""
    port = free_port()
    proc = start_logged(site, log, "serve", "--port", str(port), max_files=max_files)
    wait_until(lambda: request(port, "/")[0] == 200, 15)
    return proc, port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, int, Path]]:
    """`feedpub serve` on a built site with a few awkward files; the site, port and log file."""
    site = Site(tmp_path_factory.mktemp("hardening") / "site")
    site.posts.mkdir(parents=True)
    site.write_config('[site]\ntitle = "Served"\nurl = "https://example.org/"\n')
    sample_site(site)
    (site.output / "digits.txt").write_bytes(DIGITS)
    (site.output / "robots.txt").write_bytes(SMALL)
    (site.output / "loop-a").symlink_to("loop-b")
    (site.output / "loop-b").symlink_to("loop-a")
    (site.output / "a b #1").mkdir()
    (site.output / "a b #1" / "index.html").write_text("<p>odd name</p>", encoding="utf-8")
    log = site.root / "serve.log"
    proc, port = serve_site(site, log)
    yield site, port, log
    code, _ = stop(proc)
    assert code == 0, log.read_text(encoding="utf-8")
    assert "Traceback" not in log.read_text(encoding="utf-8")


def connect(port: int, timeout: float) -> socket.socket:
    """A raw TCP connection to the server."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server has closed `sock` (read EOF or reset) before the socket timeout."""
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def timed_request(port: int, path: str) -> tuple[int, float]:
    """The status of GET `path` and the seconds it took."""
    began = time.monotonic()
    status = request(port, path)[0]
    return status, time.monotonic() - began


def tracebacks(log: Path) -> int:
    return log.read_text(encoding="utf-8").count("Traceback")


# --- 1. idle and slow clients ----------------------------------------------------------------

@pytest.mark.slow
def test_idle_connections_neither_block_requests_nor_stay_open(
        served: tuple[Site, int, Path]) -> None:
    _, port, _ = served
    with ExitStack() as stack:
        idle = [stack.enter_context(connect(port, REQUEST_TIMEOUT + SLACK)) for _ in range(200)]
        status, took = timed_request(port, "/feed.xml")
        assert (status, took < 2) == (200, True), took
        began = time.monotonic()
        assert all(closed_by_server(sock) for sock in idle)
        assert time.monotonic() - began < REQUEST_TIMEOUT + SLACK


@pytest.mark.slow
def test_kept_alive_connection_is_closed_after_the_keep_alive_timeout(
        served: tuple[Site, int, Path]) -> None:
    _, port, _ = served
    with connect(port, KEEP_ALIVE + SLACK) as sock:
        sock.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        began = time.monotonic()
        assert closed_by_server(sock)
        assert KEEP_ALIVE - 1 < time.monotonic() - began < KEEP_ALIVE + SLACK


@pytest.mark.slow
def test_slow_clients_are_dropped_after_the_request_timeout(
        served: tuple[Site, int, Path]) -> None:
    _, port, _ = served
    with connect(port, REQUEST_TIMEOUT + SLACK) as half, \
            connect(port, REQUEST_TIMEOUT + SLACK) as trickle, \
            connect(port, REQUEST_TIMEOUT + SLACK) as after_response:
        half.sendall(b"GET /feed.x")  # half a request line, then nothing
        after_response.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert after_response.recv(4096).startswith(b"HTTP/1.1 200")
        began = time.monotonic()
        # one byte every half second: the keep-alive timer alone never fires
        for sock in (trickle, after_response):
            sock.sendall(b"GET / HTTP/1.1\r\n")
        while time.monotonic() - began < REQUEST_TIMEOUT + SLACK:
            try:
                trickle.sendall(b"X")
                after_response.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.5)
        assert all(closed_by_server(sock) for sock in (half, trickle, after_response))
        assert time.monotonic() - began < REQUEST_TIMEOUT + SLACK
    assert request(port, "/robots.txt")[0] == 200


@pytest.mark.slow
def test_at_the_descriptor_limit_clients_get_a_prompt_answer_and_the_log_one_line(
        tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.posts.mkdir(parents=True)
    site.write_config('[site]\ntitle = "Served"\nurl = "https://example.org/"\n')
    sample_site(site)
    log = tmp_path / "serve.log"
    proc, port = serve_site(site, log, max_files=128)
    try:
        with ExitStack() as stack:
            for _ in range(300):
                stack.enter_context(connect(port, 10))
            status, took = timed_request(port, "/feed.xml")
            assert status in (200, 503) and took < 3, (status, took)
        wait_until(lambda: request(port, "/feed.xml")[0] == 200, REQUEST_TIMEOUT + SLACK)
    finally:
        stop(proc)
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text
    assert len(text.splitlines()) < 10, text[:3000]
    assert "connections" in text


@pytest.mark.parametrize(("max_files", "cap"), [
    (20000, 512), (1024, 512), (256, 64), (128, 8), (40, 8), (resource.RLIM_INFINITY, 512)])
def test_connection_cap_leaves_room_under_the_descriptor_limit(max_files: int, cap: int) -> None:
    assert connection_cap(max_files) == cap


def test_throttle_logs_once_per_interval_and_counts_the_rest(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    throttle = Throttle(logging.getLogger("feedpub.test"), every=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="feedpub.test"):
        for _ in range(1000):
            throttle.warning("out of %s", "files")
        now[0] = 61
        throttle.warning("out of %s", "files")
    assert [r.getMessage() for r in caplog.records] == [
        "out of files", "out of files (999 more like this since the last report)"]


# --- 2. paths that used to be 500s ----------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize(("path", "statuses"), [
    ("/loop-a", (404,)),
    ("/loop-a/x", (404,)),
    ("/loop-b/", (404,)),
    ("/" + "x" * 300, (404,)),
    ("/" + "x" * 300 + "/", (404,)),
    ("/posts/" + "%78" * 300 + "/feed.xml", (404,)),
    ("/" + "x" * 10_000, (414,)),
    ("/" + "x" * 100_000, (414, 400)),
    ("/feed.xml?" + "q" * 100_000, (414, 400)),
])
def test_odd_paths_are_client_errors_without_tracebacks(
        served: tuple[Site, int, Path], path: str, statuses: tuple[int, ...]) -> None:
    _, port, log = served
    before = tracebacks(log)
    assert request(port, path)[0] in statuses
    time.sleep(0.1)  # let the log catch up
    assert tracebacks(log) == before


# --- 3. redirects stay on the site -----------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize(("path", "location"), [
    ("/tags/news", "/tags/news/"),
    ("//tags/news", "/tags/news/"),
    ("///tags//news", "/tags/news/"),
    ("//tags/news?page=2", "/tags/news/?page=2"),
    ("/a%20b%20%231", "/a%20b%20%231/"),
])
def test_directory_redirects_stay_on_the_site(
        served: tuple[Site, int, Path], path: str, location: str) -> None:
    _, port, _ = served
    status, headers, _ = request(port, path)
    assert (status, headers["location"]) == (301, location)
    assert request(port, location)[0] == 200


# --- 4. byte ranges --------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize(("spec", "first", "last"), [
    ("bytes=0-9", 0, 9), ("bytes=990-", 990, 999), ("bytes=-5", 995, 999),
    ("bytes=995-5000", 995, 999), ("bytes=10-10", 10, 10), ("bytes=-5000", 0, 999),
])
def test_a_single_range_is_a_206(served: tuple[Site, int, Path], spec: str, first: int,
                                 last: int) -> None:
    _, port, _ = served
    full = request(port, "/digits.txt")[1]
    assert full["accept-ranges"] == "bytes"
    for encoding in ({}, {"Accept-Encoding": "gzip"}):  # a range counts the file's own bytes
        status, headers, body = request(port, "/digits.txt", headers={"Range": spec, **encoding})
        assert status == 206
        assert body == DIGITS[first:last + 1]
        assert headers["content-range"] == f"bytes {first}-{last}/{len(DIGITS)}"
        assert headers["content-length"] == str(last - first + 1)
        assert headers["etag"] == full["etag"] and "content-encoding" not in headers


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_an_unsatisfiable_range_is_a_416(served: tuple[Site, int, Path], spec: str) -> None:
    _, port, _ = served
    status, headers, _ = request(port, "/digits.txt", headers={"Range": spec})
    assert (status, headers["content-range"]) == (416, f"bytes */{len(DIGITS)}")


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["bytes=0-1,5-6", "bytes=9-2", "items=0-1", "bytes=x-y",
                                  "bytes=-", "bytes=0-1,"])
def test_other_ranges_get_the_whole_file(served: tuple[Site, int, Path], spec: str) -> None:
    _, port, _ = served
    status, _, body = request(port, "/digits.txt", headers={"Range": spec})
    assert (status, body) == (200, DIGITS)


@pytest.mark.slow
def test_if_range_with_the_current_etag_gets_the_range_and_otherwise_the_file(
        served: tuple[Site, int, Path]) -> None:
    _, port, _ = served
    headers = request(port, "/digits.txt")[1]
    etag, modified = headers["etag"], headers["last-modified"]
    ask = {"Range": "bytes=0-3"}
    assert request(port, "/digits.txt", headers={**ask, "If-Range": etag})[0] == 206
    assert request(port, "/digits.txt", headers={**ask, "If-Range": modified})[0] == 206
    for stale in ('"other"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT", "junk"):
        status, _, body = request(port, "/digits.txt", headers={**ask, "If-Range": stale})
        assert (status, body) == (200, DIGITS), stale


@pytest.mark.slow
def test_conditional_get_wins_over_range_and_head_ignores_it(
        served: tuple[Site, int, Path]) -> None:
    _, port, _ = served
    etag = request(port, "/digits.txt")[1]["etag"]
    assert request(port, "/digits.txt", headers={"Range": "bytes=0-3",
                                                 "If-None-Match": etag})[0] == 304
    status, headers, body = request(port, "/digits.txt", "HEAD", headers={"Range": "bytes=0-3"})
    assert (status, body, headers["content-length"]) == (200, b"", str(len(DIGITS)))


@pytest.mark.parametrize(("spec", "size", "span"), [
    ("bytes=0-0", 1, (0, 0)), ("bytes=0-", 5, (0, 4)), ("bytes=-2", 5, (3, 4)),
    ("BYTES=1-2", 5, (1, 2)), ("bytes=1-2,3-4", 5, None), ("bytes=+1-2", 5, None),
    ("bytes=١-٢", 5, None), ("bytes=3-1", 5, None), ("pages=1-2", 5, None), ("bytes=", 5, None),
])
def test_byte_span(spec: str, size: int, span: tuple[int, int] | None) -> None:
    assert byte_span(spec, size) == span


@pytest.mark.parametrize(("spec", "size"), [("bytes=5-", 5), ("bytes=-0", 5), ("bytes=0-", 0),
                                             ("bytes=-3", 0)])
def test_byte_span_unsatisfiable(spec: str, size: int) -> None:
    with pytest.raises(Unsatisfiable):
        byte_span(spec, size)


# --- 5. one ETag per representation ---------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("path", ["/robots.txt", "/posts/hello/"])
def test_304_carries_the_etag_the_200_would_have(served: tuple[Site, int, Path],
                                                 path: str) -> None:
    _, port, _ = served
    for ask in ({}, {"Accept-Encoding": "gzip"}):
        status, headers, body = request(port, path, headers=ask)
        assert status == 200
        if headers.get("content-encoding") == "gzip":
            assert headers["etag"].startswith("W/") and gzip.decompress(body)
        status, again, _ = request(port, path, headers={**ask, "If-None-Match": headers["etag"]})
        assert (status, again["etag"]) == (304, headers["etag"]), ask


@pytest.mark.slow
def test_small_text_is_not_gzipped_and_keeps_its_strong_etag(
        served: tuple[Site, int, Path]) -> None:
    _, port, _ = served
    status, headers, body = request(port, "/robots.txt", headers={"Accept-Encoding": "gzip"})
    assert (status, body, headers.get("content-encoding")) == (200, SMALL, None)
    assert headers["etag"].startswith('"')
