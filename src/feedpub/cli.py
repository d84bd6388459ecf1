"""The command line: each command loads the config, calls one function, reports."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from feedpub import __version__
from feedpub.errors import EXIT_OK, EXIT_POST_ERRORS, FeedpubError


class Context:
    """What every command gets: where the config is, how much to say."""

    def __init__(self, config_path: Path | None, verbosity: int) -> None:
        self.config_path = config_path
        self.verbosity = verbosity

    def config(self) -> Any:
        from feedpub.config import load_config

        return load_config(self.config_path)

    def say(self, message: str, level: int = 0) -> None:
        if self.verbosity >= level:
            click.echo(message)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def report_problems(problems: Any) -> None:
    for problem in problems:
        click.echo(f"{problem.severity}: {problem}", err=True)


def _set_config(ctx: click.Context, _: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(Context).config_path = value


def _shift_verbosity(sign: int) -> Any:
    def callback(ctx: click.Context, _: click.Parameter, value: int) -> None:
        ctx.ensure_object(Context).verbosity += sign * value

    return callback


def common_options(command: Any) -> Any:
    """--config, -q and -v after the command name too (`feedpub build --config x.toml`)."""
    command = click.option("--config", "-c", type=click.Path(path_type=Path),
                           expose_value=False, callback=_set_config,
                           help="feedpub.toml to use.")(command)
    command = click.option("-q", "--quiet", count=True, expose_value=False,
                           callback=_shift_verbosity(-1), help="Say less.")(command)
    return click.option("-v", "--verbose", count=True, expose_value=False,
                        callback=_shift_verbosity(1), help="Say more.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedpub")
@click.option("--config", "-c", "config_path", type=click.Path(path_type=Path),
              help="feedpub.toml to use (default: ./feedpub.toml, else built-in defaults).")
@click.option("-q", "--quiet", "quiet", count=True, help="Say less (errors only).")
@click.option("-v", "--verbose", "verbose", count=True, help="Say more.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, quiet: int, verbose: int) -> None:
    """feedpub: Markdown posts to RSS, Atom and JSON feeds and email digests."""
    ctx.obj = Context(config_path, verbose - quiet)


@cli.command()
@common_options
@click.pass_obj
def build(obj: Context) -> None:
    """Build the feeds and pages into output/ (exit 1 if some posts were skipped)."""
    from feedpub.build import build as run_build
    from feedpub.progress import bar

    config = obj.config()
    with bar(obj.verbosity >= 0, "Rendering posts") as progress:
        report = run_build(config, now(), progress)
    report_problems(report.problems)
    counts = (f"{report.feeds} feeds from {report.published} published posts "
              f"({report.scheduled} scheduled, {report.drafts} drafts)")
    if report.unchanged:
        obj.say(f"up to date: nothing changed since the last build ({counts})")
    else:
        obj.say(f"built {counts}: {len(report.written)} files written, "
                f"{len(report.removed)} removed -> {config.paths.output}")
    sys.exit(EXIT_POST_ERRORS if report.errors else EXIT_OK)


@cli.command()
@common_options
@click.option("--since", metavar="DATE", help="Posts dated since DATE (site time zone).")
@click.option("--days", type=click.IntRange(1), help="Posts dated within the last N days.")
@click.option("--latest", type=click.IntRange(1), help="The N newest posts.")
@click.option("--tag", metavar="TAG", help="Only posts with this tag.")
@click.option("--preview", is_flag=True,
              help="Render into output/digests/preview/; record nothing.")
@click.option("--explain", is_flag=True, help="Say for every post why it is in or out.")
@click.pass_obj
def digest(obj: Context, since: str | None, days: int | None, latest: int | None,
           tag: str | None, preview: bool, explain: bool) -> None:
    """Render the next email digest (or the chosen window) into output/digests/."""
    from feedpub.digest_build import make_digest, request_from_options

    config = obj.config()
    request = request_from_options(config, since, days, latest, tag, preview)
    result = make_digest(config, now(), request)
    report_problems(result.problems)
    for line in result.explanation if explain else ():
        click.echo(line)
    obj.say(result.message)
    sys.exit(EXIT_POST_ERRORS if any(p.severity == "error" for p in result.problems) else EXIT_OK)


@cli.command()
@common_options
@click.pass_obj
def check(obj: Context) -> None:
    """Validate config, posts and templates without writing anything."""
    from feedpub.check import check as run_check

    problems = run_check(obj.config(), now())
    report_problems(problems)
    errors = [p for p in problems if p.severity == "error"]
    obj.say(f"{len(errors)} errors, {len(problems) - len(errors)} warnings")
    sys.exit(EXIT_POST_ERRORS if errors else EXIT_OK)


@cli.command()
@common_options
@click.option("--force", is_flag=True, help="Overwrite an existing feedpub.toml.")
@click.pass_obj
def init(obj: Context, force: bool) -> None:
    """Write a commented feedpub.toml and an example post here."""
    from feedpub.scaffold import init as run_init

    target = obj.config_path or Path("feedpub.toml")
    for path in run_init(target, force, now()):
        obj.say(f"wrote {path}")


@cli.command()
@common_options
@click.option("--host", help="Address to listen on (default: [server] host, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: [server] port, 8000).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Serve output/ over HTTP (ETag, 304, gzip) until interrupted."""
    from feedpub.lock import setup_logging
    from feedpub.serve import serve_forever

    config = obj.config()
    setup_logging(obj.verbosity)
    port = config.server.port if port is None else port
    serve_forever(config.paths.output, host or config.server.host, port, obj.verbosity > 1)


@cli.command()
@common_options
@click.option("--no-serve", is_flag=True, help="Keep output/ current without serving it.")
@click.option("--host", help="Address to listen on (default: [server] host, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: [server] port, 8000).")
@click.pass_obj
def run(obj: Context, no_serve: bool, host: str | None, port: int | None) -> None:
    """Build, then keep feeds and digests current (file events, publish times, schedule)."""
    from feedpub.daemon import run as run_daemon
    from feedpub.lock import setup_logging

    config = obj.config()
    setup_logging(obj.verbosity)
    port = config.server.port if port is None else port
    run_daemon(config, host or config.server.host, port, not no_serve, obj.verbosity)


@cli.command()
@common_options
@click.pass_obj
def status(obj: Context) -> None:
    """What is published, what is scheduled and when, the next and the last digest."""
    from feedpub.status import status as site_status

    click.echo(site_status(obj.config(), now()), nl=False)


def main() -> None:
    """Entry point: map user errors to messages and exit codes."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except FeedpubError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_code)
