"""output/ over HTTP: conditional GET, HEAD, gzip, the right types, nothing outside it."""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
from collections import OrderedDict
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from feedpub.urls import FEED_FILES, FEED_TYPES

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
}
COMPRESSIBLE = ("text/", "application/", "image/svg", "message/")
GZIP_MIN = 512
CACHE_SIZE = 512


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


class OutputApp:
    """ASGI app serving the files under `root`; ETags hash the bytes, so they survive rebuilds."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.etags = _LRU()
        self.gzipped: OrderedDict[str, bytes] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets: nothing to do
            return
        response = self.respond(scope)
        await response(scope, receive, send)

    def respond(self, scope: Scope) -> Response:
        """The response to one request."""
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("method not allowed\n", 405, {"Allow": "GET, HEAD"})
        try:
            parts = safe_parts(scope["path"])
        except BadPath:
            return PlainTextResponse("bad request\n", 400)
        target = self.root.joinpath(*parts)
        if scope["path"].endswith("/") or not parts:
            target = target / "index.html"
        elif (target / "index.html").is_file():
            query = scope.get("query_string", b"").decode("latin-1")
            return RedirectResponse(scope["path"] + "/" + (f"?{query}" if query else ""), 301)
        return self.file(target, Headers(scope=scope))

    def file(self, target: Path, headers: Headers) -> Response:
        """The file at `target` (200 or 304), or 404 when it is missing or outside root."""
        try:
            if not os.path.realpath(target).startswith(str(self.root) + os.sep):
                raise FileNotFoundError(target)
            with open(target, "rb") as handle:  # one fd: bytes and stat always match
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise FileNotFoundError(target)
                etag = self.etags.get(_key(info))
                data = None if etag and _not_modified(headers, etag, info.st_mtime) else (
                    handle.read())
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
            return PlainTextResponse("not found\n", 404)
        if etag is None and data is not None:
            etag = _etag(data)
            self.etags.put(_key(info), etag)
            data = None if _not_modified(headers, etag, info.st_mtime) else data
        assert etag is not None
        return self.build(target.name, etag, info.st_mtime, headers, data)

    def build(self, name: str, etag: str, mtime: float, headers: Headers,
              data: bytes | None) -> Response:
        """A 200 with `data` (gzipped when asked), or a 304 when `data` is None."""
        kind = content_type(name, is_browser(headers))
        compress = kind.startswith(COMPRESSIBLE) and accepts_gzip(headers)
        out = {"Last-Modified": formatdate(mtime, usegmt=True), "Cache-Control": "no-cache",
               "X-Content-Type-Options": "nosniff",
               "Vary": "Accept, Accept-Encoding" if name in BY_NAME else "Accept-Encoding"}
        if data is None:
            out["ETag"] = f"W/{etag}" if compress else etag
            return Response(status_code=304, headers=out)
        if compress and len(data) >= GZIP_MIN:
            data = self.compressed(etag, data)
            out["Content-Encoding"] = "gzip"
            etag = f"W/{etag}"  # another representation of the same bytes
        out["ETag"] = etag
        return Response(data, headers=out, media_type=kind)

    def compressed(self, etag: str, data: bytes) -> bytes:
        """`data` gzipped, remembered by its ETag."""
        if etag not in self.gzipped:
            self.gzipped[etag] = gzip.compress(data, compresslevel=6, mtime=0)
            while len(self.gzipped) > CACHE_SIZE // 4:
                self.gzipped.popitem(last=False)
        return self.gzipped[etag]


def _key(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


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
