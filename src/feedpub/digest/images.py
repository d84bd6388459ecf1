"""The size of an image the site serves itself, read from its file under output/.

The digest runs after the build, so an image a post shows from its own site (a file
beside the post, or in the static folder) is a file under output/ by then. Outlook needs
width and height attributes: the email knows them only for these images.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

Size = tuple[int, int]  # width, height in CSS pixels
SizeOf = Callable[[str], Size | None]  # an image URL to its size, None when not known


def site_image_sizes(site_url: str, output: Path) -> SizeOf:
    """A lookup of image sizes by absolute URL, for the files under `output` that
    `site_url` serves; None for any other URL, a missing file or an unreadable one."""
    known: dict[str, Size | None] = {}

    def size_of(url: str) -> Size | None:
        if url not in known:
            path = local_file(url, site_url, output)
            known[url] = _read_size(path) if path is not None else None
        return known[url]

    return size_of


def local_file(url: str, site_url: str, output: Path) -> Path | None:
    """The file under `output` that `url` names when the site serves it, else None."""
    parts, site = urlsplit(url), urlsplit(site_url)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc) \
            or not parts.path.startswith(site.path):
        return None
    relative = PurePosixPath(unquote(parts.path[len(site.path):]))
    if not relative.parts or any(p in ("..", ".") or "\\" in p for p in relative.parts) \
            or parts.path.endswith("/"):
        return None
    path = output.joinpath(*relative.parts)
    try:
        return path if path.is_file() else None
    except OSError:  # a name too long for the file system: no file of ours
        return None


def _read_size(path: Path) -> Size | None:
    import imagesize  # only for a digest that shows the site's own images

    width, height = imagesize.get(str(path))
    return (int(width), int(height)) if width > 0 and height > 0 else None
