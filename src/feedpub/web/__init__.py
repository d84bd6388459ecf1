"""What feedpub serves over HTTP: output/ as static files (static), on uvicorn (server)."""

from feedpub.web.server import listen, start_server
from feedpub.web.static import OutputApp

__all__ = ["OutputApp", "listen", "start_server"]
