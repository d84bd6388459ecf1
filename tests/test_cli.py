"""The real CLI: init, build, check, --help, exit codes and the error lines on stderr."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser

from feedpub import __version__
from feedpub.cli import digest, parse
from tests.conftest import FIXTURES, Site, make_corpus, tree_state

ERROR_LINE = re.compile(r"^error: posts/[^:]+\.md:\d+: (\w+: )?.+\(.+\)$")


def test_help_and_version_exit_0(site: Site) -> None:
    result = site.cli("--help")
    assert result.returncode == 0
    for command in ("build", "check", "init"):
        assert command in result.stdout
    assert site.cli("build", "--help").returncode == 0
    assert site.cli("--version").stdout == f"feedpub, version {__version__}\n"


def test_no_command_prints_the_help_on_stderr_and_exits_2(site: Site) -> None:
    result = site.cli()
    assert result.returncode == 2
    assert result.stdout == "" and "build" in result.stderr


def test_unknown_command_or_option_or_bad_value_exits_2(site: Site) -> None:
    for args in (["frobnicate"], ["build", "--no-such-option"], ["digest", "--days", "0"],
                 ["digest", "--latest"], ["serve", "--port", "eighty"]):
        result = site.cli(*args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("usage: feedpub") and "error: " in result.stderr, args
    assert not site.output.exists()


def test_common_options_count_before_and_after_the_command_and_the_last_config_wins() -> None:
    command, obj, options, trace = parse(["-q", "-c", "a.toml", "digest", "-vv", "--days",
                                          "3", "--config", "b.toml", "--preview"])
    assert command is digest
    assert (obj.verbosity, obj.config_path, trace) == (1, Path("b.toml"), True)
    assert options == {"since": None, "days": 3, "latest": None, "tag": None,
                       "preview": True, "explain": False}
    assert parse(["-c", "a.toml", "build"])[1].config_path == Path("a.toml")
    assert parse(["build"])[1].config_path is None


def test_help_imports_neither_click_nor_the_server() -> None:
    code = ("import sys\nfrom feedpub.cli import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "bad = [m for m in ('click', 'starlette', 'uvicorn', 'apscheduler', 'watchdog', "
            "'rich', 'jinja2') if m in sys.modules]\nassert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_init_in_an_empty_folder_then_build_works(tmp_path: Path) -> None:
    site = Site(tmp_path / "new")
    site.root.mkdir()
    result = site.cli("init")
    assert result.returncode == 0, result.stderr
    config = (site.root / "feedpub.toml").read_text(encoding="utf-8")
    assert config.count("#") >= 10  # commented
    for section in ("[site]", "[paths]", "[feeds]", "[digest]", "[server]"):
        assert section in config
    (post,) = site.posts.glob("*.md")
    build = site.cli("build")
    assert build.returncode == 0, build.stderr
    parsed = feedparser.parse((site.output / "feed.xml").read_bytes())
    assert not parsed.bozo and len(parsed.entries) == 1
    assert site.cli("check").returncode == 0
    again = site.cli("init")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert post.exists()


def test_a_clean_site_builds_with_exit_0_and_says_what_it_did(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "1 published" in result.stdout
    assert site.cli("-q", "build").stdout == ""


def test_every_fixture_problem_is_one_line_and_valid_posts_still_publish(site: Site) -> None:
    for path in (FIXTURES / "valid").glob("*.md"):
        shutil.copy(path, site.posts / path.name)
    for path in (FIXTURES / "invalid").glob("*.md"):
        shutil.copy(path, site.posts / path.name)
    site.post("dup.md", "title: Dup\ndate: 2024-01-01\nslug: date-only")
    result = site.cli("build")
    assert result.returncode == 1
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    invalid = sorted([p.name for p in (FIXTURES / "invalid").glob("*.md")] + ["dup.md"])
    assert sorted(re.match(r"error: posts/([^:]+):", e).group(1) for e in errors) == invalid
    for line in errors:
        assert ERROR_LINE.match(line), line
    assert "Traceback" not in result.stderr
    feed = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))
    assert len(feed["items"]) == len(list((FIXTURES / "valid").glob("*.md")))


def test_corpus_with_broken_posts_build_and_check(site: Site) -> None:
    manifest = json.loads(make_corpus(site.posts, 30, broken=12).read_text(encoding="utf-8"))
    broken = sorted(b["file"] for b in manifest["broken"])
    check = site.cli("check")
    assert check.returncode == 1
    assert not site.output.exists() and not (site.root / ".feedpub").exists()
    check_errors = [ln for ln in check.stderr.splitlines() if ln.startswith("error:")]
    assert sorted(re.match(r"error: posts/([^:]+):", e).group(1) for e in check_errors) == broken
    for line in check_errors:
        assert ERROR_LINE.match(line), line
    kinds = {b["file"]: b["kind"] for b in manifest["broken"]}
    words = {"bad-yaml": "not valid YAML", "missing-title": "title: missing",
             "bad-date": "date:", "non-utf8": "not UTF-8", "empty": "empty",
             "unclosed-front-matter": "never closed"}
    for line in check_errors:
        name = re.match(r"error: posts/([^:]+):", line).group(1)
        assert words[kinds[name]] in line, line
    build = site.cli("build")
    assert build.returncode == 1
    assert [ln for ln in build.stderr.splitlines() if ln.startswith("error:")] == check_errors
    feed = json.loads((site.output / "feed.json").read_text(encoding="utf-8"))
    assert len(feed["items"]) == min(20, manifest["summary"]["published"])


def test_check_on_a_built_site_changes_nothing(site: Site) -> None:
    site.post("a.md", "title: A\ndate: 2024-01-01")
    site.cli("build", check=True)
    before = tree_state(site.root)
    assert site.cli("check").returncode == 0
    assert tree_state(site.root) == before


def test_config_option_points_at_another_site(tmp_path: Path) -> None:
    site = Site(tmp_path / "elsewhere")
    site.posts.mkdir(parents=True)
    site.write_config('[site]\nurl = "https://example.org/"\n')
    site.post("a.md", "title: A\ndate: 2024-01-01")
    result = subprocess.run([sys.executable, "-m", "feedpub", "--config",
                             str(site.root / "feedpub.toml"), "build"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (site.output / "feed.xml").exists()
    assert not (tmp_path / "output").exists()


def test_config_option_works_after_the_command_name_too(site: Site, tmp_path: Path) -> None:
    post = site.post("a.md", "title: A\ndate: 2024-01-01")
    for path in (post, site.root / "feedpub.toml"):  # older than the racy-clean window
        os.utime(path, (1_700_000_000, 1_700_000_000))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "feedpub", "build", "-q", "--config",
         str(site.root / "feedpub.toml")], cwd=elsewhere, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert (site.output / "feed.xml").is_file()
    again = subprocess.run(
        [sys.executable, "-m", "feedpub", "build", "-c", str(site.root / "feedpub.toml")],
        cwd=elsewhere, capture_output=True, text=True)
    assert "up to date" in again.stdout
