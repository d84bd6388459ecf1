"""Post ids never change once published: title edits, http->https, another host, a deleted
output/, a renamed file (reported with the `id:` fix); an explicit `id:` wins."""

from __future__ import annotations

import json
import shutil

from tests.conftest import NOW, Site, build_in_process


def ids_by_title(site: Site) -> dict[str, str]:
    items = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))["items"]
    return {i["title"]: i["id"] for i in items}


def set_url(site: Site, url: str) -> None:
    site.write_config(f"""
        [site]
        url = "{url}"
        timezone = "UTC"
    """)


def test_a_title_edit_keeps_the_id(site: Site) -> None:
    site.post("hello.md", "title: Hello\ndate: 2024-01-01")
    build_in_process(site)
    (old,) = ids_by_title(site).values()
    site.post("hello.md", "title: Hello, edited\ndate: 2024-01-01")
    build_in_process(site)
    assert ids_by_title(site) == {"Hello, edited": old}


def test_ids_survive_http_to_https_and_another_host(site: Site) -> None:
    site.post("hello.md", "title: Hello\ndate: 2024-01-01")
    set_url(site, "http://example.org/")
    build_in_process(site)
    first = ids_by_title(site)
    assert not first["Hello"].startswith("http")  # a tag: URI has no scheme to change
    for url in ("https://example.org/", "https://blog.example.net/sub/"):
        set_url(site, url)
        build_in_process(site)
        assert ids_by_title(site) == first
        assert url in (site.output / "feed.xml").read_text(encoding="utf-8")


def test_https_switch_keeps_ids_even_without_the_ledger(site: Site) -> None:
    site.post("hello.md", "title: Hello\ndate: 2024-01-01")
    set_url(site, "http://example.org/")
    build_in_process(site)
    first = ids_by_title(site)
    shutil.rmtree(site.root / ".feedpub")
    shutil.rmtree(site.output)
    set_url(site, "https://example.org/")
    build_in_process(site)
    assert ids_by_title(site) == first


def test_deleting_output_keeps_ids(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    site.post("b.md", "title: B\ndate: 2024-01-02\nid: my-own-id")
    build_in_process(site)
    first = ids_by_title(site)
    shutil.rmtree(site.output)
    set_url(site, "https://moved.example.com/")  # the ledger, not the url, decides
    build_in_process(site)
    assert ids_by_title(site) == first


def test_an_explicit_id_wins(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    build_in_process(site)
    site.post("a.md", "title: A\ndate: 2024-01-01\nid: urn:uuid:1234")
    build_in_process(site)
    assert ids_by_title(site) == {"A": "urn:uuid:1234"}
    rss = (site.output / "feed.xml").read_text(encoding="utf-8")
    assert '<guid isPermaLink="false">urn:uuid:1234</guid>' in rss


def test_a_renamed_file_keeps_its_id_and_is_reported_with_the_fix(site: Site) -> None:
    site.post("old-name.md", "title: Renamed\ndate: 2024-01-01", body="Same body.\n")
    build_in_process(site)
    (old_id,) = ids_by_title(site).values()
    (site.posts / "old-name.md").rename(site.posts / "new-name.md")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr  # a warning, not an error
    assert ids_by_title(site) == {"Renamed": old_id}
    (line,) = [ln for ln in result.stderr.splitlines() if "new-name.md" in ln]
    assert line.startswith("warning: posts/new-name.md:1: id: ")
    assert "posts/old-name.md" in line and f"id: {old_id}" in line
    assert not (site.output / "posts" / "old-name").exists()
    assert (site.output / "posts" / "new-name" / "index.html").exists()
    # `check` says the same, and writes nothing.
    site.post("new-name.md", "title: Renamed again\ndate: 2024-01-01", body="Same body.\n")
    check = site.cli("check")
    assert check.returncode == 0


def test_a_new_post_gets_a_new_id_and_an_old_one_is_never_reused(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01", body="One.\n")
    build_in_process(site)
    first = ids_by_title(site)
    site.post("b.md", "title: B\ndate: 2024-01-02", body="Two.\n")
    build_in_process(site, NOW)
    ids = ids_by_title(site)
    assert ids["A"] == first["A"] and ids["B"] != ids["A"]
