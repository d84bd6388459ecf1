"""The command line: each command loads the config, calls one function, reports."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedpub import __version__
from feedpub.errors import EXIT_CONFIG, EXIT_OK, EXIT_POST_ERRORS, FeedpubError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


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
            print(message, flush=True)  # in order with stderr when both go to one pipe


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def report_problems(problems: Any) -> None:
    for problem in problems:
        print(f"{problem.severity}: {problem}", file=sys.stderr)


def build(obj: Context) -> None:
    """Build the feeds and pages into output/ (exit 1 if some posts were skipped)."""
    from feedpub.workers import Workers

    # Forked first: it imports Markdown and feedgen on the other core while this
    # process reads the config and the posts; a build with nothing to do kills it.
    workers = Workers()
    try:
        from feedpub.build import build as run_build
        from feedpub.progress import bar

        config = obj.config()
        with bar(obj.verbosity >= 0, "Rendering posts") as progress:
            report = run_build(config, now(), progress, workers=workers)
    finally:
        workers.close()
    report_problems(report.problems)
    counts = (f"{report.feeds} feeds from {report.published} published posts "
              f"({report.scheduled} scheduled, {report.drafts} drafts)")
    if report.unchanged:
        obj.say(f"up to date: nothing changed since the last build ({counts})")
    else:
        obj.say(f"built {counts}: {len(report.written)} files written, "
                f"{len(report.removed)} removed -> {config.paths.output}")
    sys.exit(EXIT_POST_ERRORS if report.errors else EXIT_OK)


def digest(obj: Context, since: str | None, days: int | None, latest: int | None,
           tag: str | None, preview: bool, explain: bool) -> None:
    """Render the next email digest (or the chosen window) into output/digests/."""
    from feedpub.digest_build import make_digest, request_from_options

    config = obj.config()
    request = request_from_options(config, since, days, latest, tag, preview)
    result = make_digest(config, now(), request)
    report_problems(result.problems)
    for line in result.explanation if explain else ():
        print(line)
    obj.say(result.message)
    sys.exit(EXIT_POST_ERRORS if any(p.severity == "error" for p in result.problems) else EXIT_OK)


def check(obj: Context) -> None:
    """Validate config, posts and templates without writing anything."""
    from feedpub.check import check as run_check

    problems = run_check(obj.config(), now())
    report_problems(problems)
    errors = [p for p in problems if p.severity == "error"]
    obj.say(f"{len(errors)} errors, {len(problems) - len(errors)} warnings")
    sys.exit(EXIT_POST_ERRORS if errors else EXIT_OK)


def init(obj: Context, force: bool) -> None:
    """Write a commented feedpub.toml and an example post here."""
    from feedpub.scaffold import init as run_init

    target = obj.config_path or Path("feedpub.toml")
    for path in run_init(target, force, now()):
        obj.say(f"wrote {path}")


def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Serve output/ over HTTP (ETag, 304, gzip) until interrupted."""
    from feedpub.lock import setup_logging
    from feedpub.serve import serve_forever

    config = obj.config()
    setup_logging(obj.verbosity)
    port = config.server.port if port is None else port
    serve_forever(config.paths.output, host or config.server.host, port, obj.verbosity > 1)


def run(obj: Context, no_serve: bool, host: str | None, port: int | None) -> None:
    """Build, then keep feeds and digests current (file events, publish times, schedule)."""
    from feedpub.daemon import run as run_daemon
    from feedpub.lock import setup_logging

    config = obj.config()
    setup_logging(obj.verbosity)
    port = config.server.port if port is None else port
    run_daemon(config, host or config.server.host, port, not no_serve, obj.verbosity)


def status(obj: Context) -> None:
    """What is published, what is scheduled and when, the next and the last digest."""
    from feedpub.status import status as site_status

    print(site_status(obj.config(), now()), end="")


def at_least_1(text: str) -> int:
    """argparse type for --days and --latest: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def common_options() -> argparse.ArgumentParser:
    """--config, -q and -v after the command name too (`feedpub build --config x.toml`).

    -q and -v count into their own names, added to the group's by parse(); --config
    has no default, so it only replaces the group's when given.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", dest="config_path", type=Path, metavar="PATH",
                        default=argparse.SUPPRESS, help="feedpub.toml to use.")
    common.add_argument("-q", "--quiet", dest="less", action="count", default=0,
                        help="Say less.")
    common.add_argument("-v", "--verbose", dest="more", action="count", default=0,
                        help="Say more.")
    return common


def add_command(commands: Any, command: Callable[..., None],
                common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """A subparser named after `command`, its help the docstring, taking the common options."""
    parser: argparse.ArgumentParser = commands.add_parser(
        command.__name__, help=command.__doc__, description=command.__doc__,
        parents=[common], allow_abbrev=False)
    parser.set_defaults(command=command)
    return parser


def add_digest_options(parser: argparse.ArgumentParser) -> None:
    """Which posts go into the digest, and whether it is a preview."""
    parser.add_argument("--since", metavar="DATE",
                        help="Posts dated since DATE (site time zone).")
    parser.add_argument("--days", type=at_least_1, metavar="N",
                        help="Posts dated within the last N days.")
    parser.add_argument("--latest", type=at_least_1, metavar="N", help="The N newest posts.")
    parser.add_argument("--tag", metavar="TAG", help="Only posts with this tag.")
    parser.add_argument("--preview", action="store_true",
                        help="Render into output/digests/preview/; record nothing.")
    parser.add_argument("--explain", action="store_true",
                        help="Say for every post why it is in or out.")


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """--host and --port, for serve and run."""
    parser.add_argument("--host",
                        help="Address to listen on (default: [server] host, 127.0.0.1).")
    parser.add_argument("--port", type=int,
                        help="Port to listen on (default: [server] port, 8000).")


def make_parser() -> argparse.ArgumentParser:
    """`feedpub [OPTIONS] COMMAND [OPTIONS]`: the group's options, then one parser a command."""
    parser = argparse.ArgumentParser(
        prog="feedpub", allow_abbrev=False,
        description="feedpub: Markdown posts to RSS, Atom and JSON feeds and email digests.")
    parser.add_argument("--version", action="version", version=f"feedpub, version {__version__}",
                        help="Show the version and exit.")
    parser.add_argument("-c", "--config", dest="config_path", type=Path, metavar="PATH",
                        help="feedpub.toml to use (default: ./feedpub.toml, else built-in "
                             "defaults).")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="Say less (errors only).")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="Say more.")
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    common = common_options()  # one parent for every command: argparse copies its actions
    add_command(commands, build, common)
    add_command(commands, check, common)
    add_digest_options(add_command(commands, digest, common))
    add_command(commands, init, common).add_argument(
        "--force", action="store_true", help="Overwrite an existing feedpub.toml.")
    options = add_command(commands, run, common)
    options.add_argument("--no-serve", action="store_true",
                         help="Keep output/ current without serving it.")
    add_server_options(options)
    add_server_options(add_command(commands, serve, common))
    add_command(commands, status, common)
    return parser


def parse(argv: Sequence[str] | None = None) -> tuple[Callable[..., None], Context, dict[str, Any]]:
    """The command to run, its Context and its own options; exit 2 on a usage error."""
    parser = make_parser()
    options = vars(parser.parse_args(argv))
    command = options.pop("command")
    if command is None:  # like click: the help, on stderr, as a usage error
        parser.print_help(sys.stderr)
        sys.exit(EXIT_CONFIG)
    more = options.pop("verbose") + options.pop("more")
    less = options.pop("quiet") + options.pop("less")
    return command, Context(options.pop("config_path"), more - less), options


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command; map user errors to messages and exit codes."""
    command, obj, options = parse(argv)
    try:
        command(obj, **options)
    except KeyboardInterrupt:
        print("\naborted", file=sys.stderr)  # the newline closes the terminal's ^C
        sys.exit(130)
    except FeedpubError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        sys.exit(exc.exit_code)


def run_cli() -> None:
    """The console script and `python -m feedpub`: main(), then leave at once.

    Every file and database is closed when main() returns; what is left is the
    interpreter freeing every module's objects, ~20 ms a command for nothing.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    if "logging" in sys.modules:  # the daemon's handlers
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: the reader is gone
            code = code or 1
    os._exit(code)
