"""feedpub: Markdown posts to RSS, Atom and JSON feeds and email digests."""

__version__ = "0.1.0"
