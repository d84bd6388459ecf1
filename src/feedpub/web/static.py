"""output/ over HTTP: conditional GET, HEAD, ranges, gzip, the right types, nothing outside it."""

from __future__ import annotations

import errno
import gzip
import hashlib
import logging
import os
import stat
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from feedpub.urls import FEED_FILES, FEED_TYPES
from feedpub.web.ranges import Unsatisfiable, byte_span, if_range_holds
from feedpub.web.throttle import Throttle

log = logging.getLogger("feedpub.serve")

UTF8 = "; charset=utf-8"
BY_NAME = {FEED_FILES[fmt]: FEED_TYPES[fmt] + UTF8 for fmt in FEED_FILES}  # feed.xml...
# Chromium (156) shows an application/rss+xml or atom+xml document as plain text, so the
# feed's <?xml-stylesheet?> never applies; served as application/xml it does. Browsers
# (Accept: text/html) get that; feed readers get the precise type.
BROWSER_TYPE = "application/xml" + UTF8
BY_SUFFIX = {
    ".html": "text/html" + UTF8,
    ".xsl": "application/xml" + UTF8,
    ".xml": "application/xml" + UTF8,
    ".json": "application/json" + UTF8,
    ".txt": "text/plain" + UTF8,
    ".css": "text/css" + UTF8,
    ".js": "text/javascript" + UTF8,
    ".svg": "image/svg+xml" + UTF8,
    ".eml": "message/rfc822",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".avif": "image/avif",
    # files beside posts and in static/
    ".pdf": "application/pdf",
    ".csv": "text/csv" + UTF8,
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".woff2": "font/woff2",
}
COMPRESSIBLE = ("text/", "application/", "image/svg", "message/")
GZIP_MIN = 512
CACHE_SIZE = 512
MAX_URL = 8192  # bytes of path and query; longer is 414, as in most servers
# Errors that mean "no file to serve here": a symlink loop, a name over 255 bytes, a file
# that vanished or that we may not read.
MISSING = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.ELOOP,
           errno.ENAMETOOLONG}
OUT_OF_FILES = {errno.EMFILE, errno.ENFILE}


class BadPath(Exception):
    """A request path that can never name a file under output/."""


def content_type(name: str, browser: bool = False) -> str:
    """The Content-Type served for a file called `name` (XML feeds differ for browsers)."""
    if name in BY_NAME:
        return BROWSER_TYPE if browser and name.endswith(".xml") else BY_NAME[name]
    return BY_SUFFIX.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def safe_parts(path: str) -> list[str]:
    """The segments of a decoded URL path, refusing traversal, dotfiles and odd bytes."""
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        raise BadPath(path)
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") for p in parts):  # '..', '.', and hidden temp files
        raise BadPath(path)
    return parts


def is_browser(headers: Headers) -> bool:
    """True when the client navigates like a browser (it asks for HTML)."""
    return "text/html" in headers.get("accept", "")


def accepts_gzip(headers: Headers) -> bool:
    """True when Accept-Encoding allows gzip (q > 0)."""
    for item in headers.get("accept-encoding", "").split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


class _LRU(OrderedDict[tuple[int, ...], str]):
    """A small least-recently-used map."""

    def put(self, key: tuple[int, ...], value: str) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_SIZE:
            self.popitem(last=False)


@dataclass(frozen=True)
class Found:
    """A regular file under root: its validators, and its bytes unless the client's are current."""

    name: str
    etag: str  # strong: a hash of the bytes
    mtime: float
    size: int
    data: bytes | None  # None: answer 304


class OutputApp:
    """ASGI app serving the files under `root`; ETags hash the bytes, so they survive rebuilds."""

    def __init__(self, root: Path, base: str = "/") -> None:
        self.root = root.resolve()
        self.base = base  # the URL path output/ is served under: the path of [site] url
        self.etags = _LRU()
        self.gzipped: OrderedDict[str, bytes] = OrderedDict()
        self.out_of_files = Throttle(log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets: nothing to do
            return
        response = self.respond(scope)
        await response(scope, receive, send)

    def respond(self, scope: Scope) -> Response:
        """The response to one request."""
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("method not allowed\n", 405, {"Allow": "GET, HEAD"})
        if _url_length(scope) > MAX_URL:
            return PlainTextResponse("URL too long\n", 414)
        path = scope["path"]
        if not path.startswith(self.base):  # a preview of a site that lives under /blog/
            if path in ("/", self.base.rstrip("/")):
                return RedirectResponse(self.base, 302)
            return PlainTextResponse(f"not found (this site lives under {self.base})\n", 404)
        path = "/" + path[len(self.base):]
        try:
            parts = safe_parts(path)
        except BadPath:
            return PlainTextResponse("bad request\n", 400)
        if path.endswith("/") or not parts:
            parts = [*parts, "index.html"]
        elif _is_file(self.root.joinpath(*parts, "index.html")):
            return directory_redirect(parts, scope.get("query_string", b""), self.base)
        return self.file(self.root.joinpath(*parts), Headers(scope=scope), scope["method"])

    def file(self, target: Path, headers: Headers, method: str) -> Response:
        """The file at `target` (200, 206, 304 or 416); 404 when missing or outside root."""
        try:
            found = self.read(target, headers)
        except OSError as exc:
            return self.unreadable(exc)
        return self.build(found, headers, method)

    def read(self, target: Path, headers: Headers) -> Found:
        """The file at `target`, read only if the client's copy is not current."""
        if not os.path.realpath(target).startswith(str(self.root) + os.sep):
            raise FileNotFoundError(errno.ENOENT, "outside the output folder", str(target))
        with open(target, "rb") as handle:  # one fd: bytes and stat always match
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, "not a regular file", str(target))
            etag = self.etags.get(_key(info))
            fresh = etag is not None and _not_modified(headers, etag, info.st_mtime)
            data = None if fresh else handle.read()
        if etag is None:
            assert data is not None
            etag = _etag(data)
            self.etags.put(_key(info), etag)
            data = None if _not_modified(headers, etag, info.st_mtime) else data
        return Found(target.name, etag, info.st_mtime, info.st_size, data)

    def unreadable(self, exc: OSError) -> Response:
        """404 when no file is there to serve, 503 when out of descriptors; a bug otherwise."""
        if exc.errno in MISSING:
            return PlainTextResponse("not found\n", 404)
        if exc.errno in OUT_OF_FILES:
            self.out_of_files.warning("cannot open files (%s): answering 503 (raise the limit "
                                      "with `ulimit -n`)", exc.strerror)
            return PlainTextResponse("busy, try again\n", 503, {"Retry-After": "1"})
        raise exc

    def build(self, found: Found, headers: Headers, method: str) -> Response:
        """304, or the file: gzipped when asked and worth it, or the byte range asked for."""
        kind = content_type(found.name, is_browser(headers))
        gzipped = should_gzip(kind, found.size, headers)
        # a gzipped body is another representation of the same bytes: a weak ETag, on 304 too
        out = _validators(found, f"W/{found.etag}" if gzipped else found.etag)
        if found.data is None:
            return Response(status_code=304, headers=out)
        if gzipped:
            out["Content-Encoding"] = "gzip"
            return Response(self.compressed(found.etag, found.data), headers=out, media_type=kind)
        if method == "GET" and "range" in headers:
            return ranged(found, found.data, headers, out, kind)
        return Response(found.data, headers=out, media_type=kind)

    def compressed(self, etag: str, data: bytes) -> bytes:
        """`data` gzipped, remembered by its ETag."""
        if etag not in self.gzipped:
            self.gzipped[etag] = gzip.compress(data, compresslevel=6, mtime=0)
            while len(self.gzipped) > CACHE_SIZE // 4:
                self.gzipped.popitem(last=False)
        return self.gzipped[etag]


def should_gzip(kind: str, size: int, headers: Headers) -> bool:
    """Gzip text of GZIP_MIN bytes or more when asked, but never for a Range request:
    a range counts the file's own bytes (and If-Range needs the strong ETag)."""
    return (kind.startswith(COMPRESSIBLE) and size >= GZIP_MIN and accepts_gzip(headers)
            and "range" not in headers)


def ranged(found: Found, data: bytes, headers: Headers, out: dict[str, str],
            kind: str) -> Response:
    """206 with the one range asked for, 416 if it lies past the end, else the whole file."""
    if not if_range_holds(headers.get("if-range"), found.etag, found.mtime):
        return Response(data, headers=out, media_type=kind)  # the client's part is stale
    try:
        span = byte_span(headers["range"], len(data))
    except Unsatisfiable:
        return PlainTextResponse("range not satisfiable\n", 416, {
            "Content-Range": f"bytes */{len(data)}", "Accept-Ranges": "bytes"})
    if span is None:
        return Response(data, headers=out, media_type=kind)
    first, last = span
    out["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return Response(data[first:last + 1], 206, headers=out, media_type=kind)


def directory_redirect(parts: list[str], query: bytes, base: str = "/") -> Response:
    """301 to the directory's URL with its slash: always one path on this site.

    Built from the segments, so `//tags/python` goes to `/tags/python/`, never to the
    protocol-relative `//tags/python/` that a browser reads as the host `tags`.
    """
    location = base + "".join(quote(part, safe="") + "/" for part in parts)
    if query:
        location += "?" + query.decode("latin-1")
    return RedirectResponse(location, 301)


def _key(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


def _validators(found: Found, etag: str) -> dict[str, str]:
    """The headers every answer about `found` carries, 304 included."""
    return {"ETag": etag, "Last-Modified": formatdate(found.mtime, usegmt=True),
            "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
            "Accept-Ranges": "bytes",
            "Vary": "Accept, Accept-Encoding" if found.name in BY_NAME else "Accept-Encoding"}


def _url_length(scope: Scope) -> int:
    return len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string", b""))


def _is_file(path: Path) -> bool:
    """Path.is_file(), but False for a name too long or a symlink loop rather than an error."""
    try:
        return path.is_file()
    except OSError:
        return False


def _etag(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


def _not_modified(headers: Headers, etag: str, mtime: float) -> bool:
    """RFC 9110 13.2.2: If-None-Match (weak comparison) wins over If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return int(mtime) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
