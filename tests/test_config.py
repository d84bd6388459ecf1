"""feedpub.toml: defaults, and every bad key, type or value named with what was expected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from feedpub.config import load_config
from feedpub.errors import ConfigError
from tests.conftest import Site


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feedpub.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value.problems


def test_no_config_means_every_default(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    assert config.file is None
    assert config.site.url == "http://127.0.0.1:8000/"
    assert config.feeds.formats == ("rss", "atom", "json")
    assert config.feeds.limit == 20
    assert config.paths.output == (tmp_path / "output").resolve()
    assert config.paths.state == (tmp_path / ".feedpub").resolve()


def test_values_are_read_and_the_url_gets_its_slash(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
        [site]
        url = "https://example.org/blog"
        timezone = "Europe/Berlin"
        author = { name = "Ada", email = "ada@example.org" }
        [feeds]
        formats = ["atom"]
        limit = 0
        content = "summary"
        tags = false
    """))
    assert config.site.url == "https://example.org/blog/"
    assert config.site.zone.key == "Europe/Berlin"
    assert config.site.author.email == "ada@example.org"
    assert (config.feeds.formats, config.feeds.limit, config.feeds.tags) == (("atom",), 0, False)


BAD = [
    ("[site]\ntitel = 'x'", "feedpub.toml:2: site.titel: unknown key (expected one of title"),
    ("[sight]\ntitle = 'x'", "feedpub.toml:1: unknown section [sight] (expected one of [site]"),
    ("[site]\nurl = 'example.org'", "site.url: expected an absolute http(s) URL"),
    ("[site]\ntimezone = 'Mars/Olympus'", "site.timezone: expected an IANA time zone"),
    ("[site]\nlanguage = 'English!'", "site.language: expected a language tag"),
    ("[site]\ntitle = 5", "site.title: expected a string, got 5"),
    ("[feeds]\nlimit = -1", "feeds.limit: expected a whole number from 0 to"),
    ("[feeds]\nlimit = '20'", "feeds.limit: expected a whole number"),
    ("[feeds]\nformats = ['rss', 'rdf']", 'feeds.formats: expected a non-empty list of "rss"'),
    ("[feeds]\ncontent = 'some'", 'feeds.content: expected "full" or "summary"'),
    ("[feeds]\ntags = 'yes'", "feeds.tags: expected true or false"),
    ("[digest]\nschedule = 'every monday'", "digest.schedule: expected a cron expression"),
    ("[server]\nport = 70000", "server.port: expected a whole number from 1 to 65535"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[b[1].split(":")[2] if b[1].count(":")
                                                          > 2 else b[1][:30] for b in BAD])
def test_a_bad_key_is_named_with_what_was_expected(tmp_path: Path, text: str,
                                                   expected: str) -> None:
    (problem,) = problems(tmp_path, text)
    assert expected in problem
    assert problem.startswith(str(tmp_path / "feedpub.toml") + ":")


def test_every_config_error_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(tmp_path, "\n".join(text for text, _ in BAD[2:7]).replace(
        "[site]\n", "", 4))
    assert len(found) == 5, found


def test_all_config_errors_together_on_the_cli_exit_2(site: Site) -> None:
    site.write_config("""
        [site]
        url = "nope"
        colour = "red"
        [feeds]
        limit = "many"
    """)
    for command in ("build", "check"):
        result = site.cli(command)
        assert result.returncode == 2, result.stderr
        assert "site.url: expected an absolute http(s) URL" in result.stderr
        assert "site.colour: unknown key" in result.stderr
        assert "feeds.limit: expected a whole number" in result.stderr
        assert "Traceback" not in result.stderr
    assert not site.output.exists()


def test_toml_syntax_error_names_the_line(site: Site) -> None:
    site.write_config("[site]\ntitle = \n")
    result = site.cli("build")
    assert result.returncode == 2
    assert "feedpub.toml" in result.stderr and "line 2" in result.stderr


def test_a_missing_config_given_with_config_is_an_error(site: Site) -> None:
    result = site.cli("--config", "nowhere.toml", "build")
    assert result.returncode == 2
    assert "nowhere.toml: no such config file (run 'feedpub init'" in result.stderr
