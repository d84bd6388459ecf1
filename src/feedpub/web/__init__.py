"""What feedpub serves over HTTP: output/ as static files (static), on uvicorn (server)."""
