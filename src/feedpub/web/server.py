"""The HTTP server (uvicorn) on its own thread: output/ as static files, and the
newsletter's endpoints (subscribe/, confirm/, unsubscribe/) in front of them."""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from feedpub.config import Config
from feedpub.errors import FeedpubError
from feedpub.urls import site_path
from feedpub.web.endpoints import Newsletter
from feedpub.web.postman import Postman
from feedpub.web.protocol import Limits, guarded_protocol
from feedpub.web.static import OutputApp
from feedpub.web.throttle import Throttle

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("feedpub.serve")
KEEP_ALIVE = 5  # seconds an idle connection stays open after a response
REQUEST_TIMEOUT = 10.0  # seconds a client has to send a whole request after connecting
MAX_CONNECTIONS = 512  # open at once; fewer when the descriptor limit is low
MIN_CONNECTIONS = 8
FD_RESERVE = 64  # descriptors kept for the rest of the process: files, logs, the daemon
# connections the kernel queues for us, and so (asyncio) the most accepted in one go, before
# the cap can refuse any: the cap leaves room for one such burst
BACKLOG = 128
# accept() failing for want of resources: asyncio retries a second later
OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a FeedpubError saying why not."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        raise FeedpubError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                           "(is another server running? pick another with --port)") from None


def connection_cap(max_files: int | None = None) -> int:
    """How many connections to hold open: MAX_CONNECTIONS, fewer under a low descriptor limit
    (`max_files`, by default this process's soft RLIMIT_NOFILE), so as not to run out."""
    if max_files is None:
        import resource  # POSIX only, like the rest of `serve`

        max_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if max_files < 0:  # RLIM_INFINITY
        return MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, max_files - FD_RESERVE - BACKLOG))


def site_app(site: Config, postman: Postman) -> Newsletter:
    """What `serve` and `run` answer: the newsletter's endpoints in front of output/,
    served under the path of [site] url (a local preview of a site under /blog/)."""
    return Newsletter(site, OutputApp(site.paths.output, site_path(site.site.url)), postman)


def start_server(site: Config, host: str, port: int, verbose: bool = False) -> Callable[[], None]:
    """Serve the site's output/ and its newsletter endpoints on host:port from a background
    thread; returns the function that stops it."""
    import uvicorn  # heavy

    sock = listen(host, port)
    limits = Limits(REQUEST_TIMEOUT, connection_cap(), Throttle(log))
    postman = Postman(site)
    app = site_app(site, postman)
    config = uvicorn.Config(app, http=guarded_protocol(limits), loop="asyncio",
                            timeout_keep_alive=KEEP_ALIVE, backlog=BACKLOG, log_config=None,
                            access_log=verbose, lifespan="off", timeout_graceful_shutdown=2,
                            log_level="info" if verbose else "warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=_run, args=(server, sock), name="feedpub-http", daemon=True)
    postman.start()
    thread.start()
    log.info("serving %s on http://%s:%d%s", site.paths.output, _display(host),
             sock.getsockname()[1], site_path(site.site.url))
    if site.smtp.host:
        log.info("answering the subscribe form at %ssubscribe/", app.prefix)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
        app.close()
        postman.stop()

    return stop


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    """The server thread: uvicorn on an event loop that reports accept() failures quietly."""

    async def serve() -> None:
        handler = functools.partial(_loop_error, Throttle(log))
        asyncio.get_running_loop().set_exception_handler(handler)
        await server.serve(sockets=[sock])

    asyncio.run(serve())


def _loop_error(throttle: Throttle, loop: asyncio.AbstractEventLoop,
                context: dict[str, Any]) -> None:
    """One line a minute for accept() out of descriptors (asyncio logs a traceback per try)."""
    exc = context.get("exception")
    if isinstance(exc, OSError) and exc.errno in OUT_OF_RESOURCES:
        throttle.warning("cannot accept connections: %s (raise the limit with `ulimit -n`)",
                         exc.strerror)
    else:
        loop.default_exception_handler(context)


def _display(host: str) -> str:
    return f"[{host}]" if ":" in host else host
