"""The HTTP server (uvicorn) on its own thread, serving the web app."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from feedpub.errors import FeedpubError
from feedpub.web.static import OutputApp

log = logging.getLogger("feedpub.serve")


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a FeedpubError saying why not."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as exc:
        raise FeedpubError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                           "(is another server running? pick another with --port)") from None


def start_server(output: Path, host: str, port: int, verbose: bool = False) -> Callable[[], None]:
    """Serve `output` on host:port from a background thread; returns the function that stops it."""
    import uvicorn  # heavy

    sock = listen(host, port)
    config = uvicorn.Config(OutputApp(output), log_config=None, access_log=verbose,
                            lifespan="off", timeout_graceful_shutdown=2,
                            log_level="info" if verbose else "warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="feedpub-http", daemon=True)
    thread.start()
    log.info("serving %s on http://%s:%d/", output, _display(host), sock.getsockname()[1])

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    return stop


def _display(host: str) -> str:
    return f"[{host}]" if ":" in host else host
