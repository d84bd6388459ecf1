"""The sample site builds and its feeds read back."""

import feedparser

from tests.conftest import REPO, Site


def test_sample_posts_build_into_readable_feeds(site: Site) -> None:
    for seed in sorted((REPO / "posts").glob("*.md")):
        (site.posts / seed.name).write_bytes(seed.read_bytes())
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((site.output / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == 2
