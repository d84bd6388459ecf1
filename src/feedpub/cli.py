"""The command line: each command loads the config, calls one function, reports.

The one error boundary: errors the user can fix become a message and an ExitStatus;
anything else is a bug, shown as one line (with the traceback under -v/--traceback).
Commands import what they need when they run: `feedpub --help` loads none of it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedpub import __version__
from feedpub.errors import WARNINGS_SHOWN, ExitStatus, FeedpubError, plural, shown

if TYPE_CHECKING:
    from feedpub.build.report import BuildReport
    from feedpub.config import Config
    from feedpub.errors import Problem

Progress = Callable[[int, int], None]
ENVIRONMENT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                      errno.EMFILE, errno.ENFILE}
BAR_FROM = 200  # fewer posts than this render too fast to need a progress bar


class Context:
    """What every command gets: where the config is, how much to say."""

    def __init__(self, config_path: Path | None, verbosity: int) -> None:
        self.config_path = config_path
        self.verbosity = verbosity

    def config(self) -> Config:
        from feedpub.config import load_config

        return load_config(self.config_path)

    def say(self, message: str, level: int = 0) -> None:
        if self.verbosity >= level:
            print(message, flush=True)  # in order with stderr when both go to one pipe


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def report_problems(problems: Sequence[Problem], notes: Sequence[str] = (),
                    warnings: int | None = None, hidden: int = 0) -> None:
    """The problems in order on stderr: every error and the first `warnings` warnings (all
    if None); then the notes, and how many warnings were not shown (`hidden` more)."""
    kept, left_out = shown(problems, warnings)
    lines = [f"{problem.severity}: {problem}\n" for problem in kept]
    lines += [f"warning: {note}\n" for note in notes]
    if left_out + hidden:
        lines.append(f"warning: {plural(left_out + hidden, 'more warning')} not shown "
                     "(feedpub check lists them all)\n")
    sys.stderr.write("".join(lines))


def exit_for(problems: Sequence[Problem]) -> None:
    errors = any(p.severity == "error" for p in problems)
    sys.exit(ExitStatus.POST_ERRORS if errors else ExitStatus.OK)


@contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[Progress | None]:
    """A `progress(done, total)` callback drawing a bar on a terminal; None otherwise."""
    if not enabled or not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if total >= BAR_FROM:
                task = bar.add_task(label, total=total) if task is None else task
                bar.update(task, completed=done)

        yield update


def build(obj: Context) -> None:
    """Build the feeds and pages into output/ (exit 1 if some posts were skipped)."""
    from feedpub.build.fastpath import prepare  # all a build with nothing to do imports
    from feedpub.store.digests import archive_wanted, lost

    config, moment = obj.config(), now()
    with prepare(config, moment) as work:
        report = work.report
        if report is None:
            from feedpub.build.pipeline import run

            with progress_bar(obj.verbosity >= 0, "Rendering posts") as progress:
                report = run(config, moment, work, progress)
    say_built(obj, config, report)
    if lost(config.paths.state, config.paths.output, archive_wanted(config)):  # after the build
        from feedpub.commands.digest import restore_lost

        restored = restore_lost(config, moment)
        if restored:
            obj.say(f"restored {plural(len(restored), 'digest file')} output/ had lost")
    exit_for(report.problems)


def say_built(obj: Context, config: Config, report: BuildReport) -> None:
    """The build's problems, then one line saying what it did."""
    report_problems(report.problems, report.notes,
                    None if obj.verbosity > 0 else WARNINGS_SHOWN, report.hidden)
    counts = (f"{plural(report.feeds, 'feed')} from {plural(report.published, 'published post')} "
              f"({report.scheduled} scheduled, {plural(report.drafts, 'draft')})")
    if report.unchanged:
        obj.say(f"up to date: nothing changed since the last build ({counts})")
    else:
        obj.say(f"built {counts}: {plural(len(report.written), 'file')} written, "
                f"{len(report.removed)} removed -> {config.paths.output}")


def digest(obj: Context, since: str | None, days: int | None, latest: int | None,
           tag: str | None, preview: bool, explain: bool) -> None:
    """Render the next email digest (or the chosen window) into output/digests/."""
    from feedpub.commands.digest import digest_now, explain_now
    from feedpub.digest.make import request_from_options

    config = obj.config()
    request = request_from_options(config, since, days, latest, tag, preview)
    if explain:
        lines, problems = explain_now(config, now(), request)
        report_problems(problems)
        print("\n".join(lines))
        obj.say("(explained only: nothing was built, written or recorded)")
    else:
        result, problems = digest_now(config, now(), request)
        report_problems(problems)
        obj.say(result.message)
    exit_for(problems)


def check(obj: Context) -> None:
    """Validate config, posts and templates without writing anything."""
    from feedpub.commands.check import check as run_check

    problems = run_check(obj.config(), now())
    report_problems(problems)
    errors = [p for p in problems if p.severity == "error"]
    obj.say(f"{plural(len(errors), 'error')}, {plural(len(problems) - len(errors), 'warning')}")
    exit_for(problems)


def init(obj: Context, force: bool) -> None:
    """Write a commented feedpub.toml, an example post and templates/ here."""
    from feedpub.commands.init import init as run_init

    for path in run_init(obj.config_path or Path("feedpub.toml"), force, now()):
        obj.say(f"wrote {path}")


def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Serve output/ over HTTP (ETag, 304, gzip) until interrupted."""
    from feedpub.daemon.service import serve as serve_output
    from feedpub.daemon.signals import setup_logging

    config = obj.config()
    setup_logging(obj.verbosity, config.site.zone)
    port = config.server.port if port is None else port
    serve_output(config, host or config.server.host, port, obj.verbosity)


def run(obj: Context, no_serve: bool, host: str | None, port: int | None) -> None:
    """Build, then keep feeds and digests current (file events, publish times, schedule)."""
    from feedpub.daemon.service import run as run_daemon
    from feedpub.daemon.signals import setup_logging

    config = obj.config()
    setup_logging(obj.verbosity, config.site.zone)
    port = config.server.port if port is None else port
    run_daemon(config, host or config.server.host, port, not no_serve, obj.verbosity)


def status(obj: Context) -> None:
    """What is published, what is scheduled and when, the next and the last digest."""
    from feedpub.commands.status import site_status

    print(site_status(obj.config(), now()), end="")


def send(obj: Context, digest_id: str | None, test: str | None, dry_run: bool) -> None:
    """Send a digest by SMTP to every active subscriber, once each (resumes a send cut short)."""
    from feedpub.commands import send as sending

    config = obj.config()
    if dry_run:
        print("\n".join(sending.dry_run(config, digest_id)))
        return
    if test:
        outcome = sending.test_copy(config, test, digest_id)
        obj.say(f"test copy to {test}: {outcome.status} ({outcome.detail})")
        sys.exit(ExitStatus.OK if outcome.status == "sent" else ExitStatus.MAIL_SERVER)
    from feedpub.delivery.send import NothingToSend

    try:
        with progress_bar(obj.verbosity >= 0, "Sending") as progress:
            summary = sending.send_now(config, digest_id, progress)
    except NothingToSend as exc:
        obj.say(str(exc))
        return
    obj.say(sending.summary_line(summary))
    if summary.stopped:
        print(f"error: {summary.stopped}", file=sys.stderr)
        sys.exit(ExitStatus.MAIL_SERVER)


def subscribers_add(obj: Context, addresses: list[str], confirmed: bool) -> None:
    """Add subscribers (they confirm by email unless --confirmed)."""
    from feedpub.commands import subscribers as subs

    outcomes = subs.add(obj.config(), addresses, confirmed, now())
    for outcome in outcomes:
        obj.say(f"{outcome.address}: {outcome.note}")
    sys.exit(ExitStatus.OK if all(o.added or o.note.startswith("already") for o in outcomes)
             else ExitStatus.POST_ERRORS)


def subscribers_import(obj: Context, file: Path, pending: bool) -> None:
    """Import a CSV export (Mailchimp, Buttondown, listmonk, Substack): active unless --pending."""
    from feedpub.commands import subscribers as subs

    outcomes, problems = subs.import_file(obj.config(), file, pending, now())
    report_problems(problems)
    added = sum(o.added for o in outcomes)
    obj.say(f"imported {plural(added, 'address')} from {file}, "
            f"{len(outcomes) - added} already known or refused")
    exit_for(problems)


def subscribers_export(obj: Context) -> None:
    """Every subscriber as CSV (email, status, source, dates) on stdout."""
    from feedpub.commands import subscribers as subs

    subs.export(obj.config(), sys.stdout)


def subscribers_list(obj: Context, status: str | None) -> None:
    """How many subscribers of each status; --status S lists those addresses."""
    from feedpub.commands import subscribers as subs

    counts, shown = subs.listing(obj.config(), status)
    for address in shown:
        print(address)
    parts = ", ".join(f"{n} {state}" for state, n in counts.items())
    obj.say(f"{plural(sum(counts.values()), 'subscriber')}: {parts}")


def subscribers_remove(obj: Context, address: str) -> None:
    """Erase an address (the row goes; a hash stays so no import adds it back)."""
    from feedpub.commands import subscribers as subs

    if not subs.remove(obj.config(), address, now()):
        obj.say(f"{address}: not on the list")
        sys.exit(ExitStatus.POST_ERRORS)
    obj.say(f"{address}: removed (erased)")


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
    """--config, -q, -v and --traceback after the command name too.

    -q and -v count into their own names, added to the group's by parse(); --config
    has no default, so it only replaces the group's when given.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", dest="config_path", type=Path, metavar="PATH",
                        default=argparse.SUPPRESS, help="feedpub.toml to use.")
    common.add_argument("-q", "--quiet", dest="less", action="count", default=0,
                        help="Say less.")
    common.add_argument("-v", "--verbose", dest="more", action="count", default=0,
                        help="Say more (and show the traceback of an internal error).")
    common.add_argument("--traceback", dest="trace", action="store_true",
                        help="Show the traceback of an internal error.")
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
                        help="Say for every post why it would be in or out; write nothing.")


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
    parser.add_argument("--traceback", action="store_true",
                        help="Show the traceback of an internal error.")
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
    add_send_command(add_command(commands, send, common))
    add_subscribers_commands(commands, common)
    return parser


def add_send_command(parser: argparse.ArgumentParser) -> None:
    """feedpub send [DIGEST_ID] [--test ADDRESS] [--dry-run]."""
    parser.add_argument("digest_id", nargs="?", metavar="DIGEST_ID",
                        help="The digest to send (default: the latest not sent, or the one "
                             "whose send was cut short).")
    parser.add_argument("--test", metavar="ADDRESS",
                        help="Send one copy to ADDRESS; record nothing.")
    parser.add_argument("--dry-run", action="store_true", help="Say who would get what.")


def add_subscribers_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """feedpub subscribers add|import|export|list|remove."""
    parser = commands.add_parser("subscribers", help="Manage the newsletter's subscribers.",
                                 description="Manage the newsletter's subscribers.",
                                 parents=[common], allow_abbrev=False)
    parser.set_defaults(command=None)
    actions = parser.add_subparsers(title="actions", metavar="ACTION")
    for name, action in (("add", subscribers_add), ("import", subscribers_import),
                         ("export", subscribers_export), ("list", subscribers_list),
                         ("remove", subscribers_remove)):
        sub = actions.add_parser(name, help=action.__doc__, description=action.__doc__,
                                 parents=[common], allow_abbrev=False)
        sub.set_defaults(command=action)
        if name == "add":
            sub.add_argument("addresses", nargs="+", metavar="EMAIL")
            sub.add_argument("--confirmed", action="store_true",
                             help="They agreed already: active now, no confirmation email.")
        elif name == "import":
            sub.add_argument("file", type=Path, metavar="FILE.csv")
            sub.add_argument("--pending", action="store_true",
                             help="Ask each to confirm instead of making them active.")
        elif name == "list":
            sub.add_argument("--status", choices=("pending", "active", "unsubscribed",
                                                  "bounced"), help="List these addresses.")
        elif name == "remove":
            sub.add_argument("address", metavar="EMAIL")


def parse(argv: Sequence[str] | None = None,
          ) -> tuple[Callable[..., None], Context, dict[str, Any], bool]:
    """The command to run, its Context, its own options and whether to show tracebacks;
    exit 2 on a usage error."""
    parser = make_parser()
    options = vars(parser.parse_args(argv))
    command = options.pop("command")
    if command is None:  # the help, on stderr, as a usage error
        parser.print_help(sys.stderr)
        sys.exit(ExitStatus.USAGE)
    more = options.pop("verbose") + options.pop("more")
    less = options.pop("quiet") + options.pop("less")
    trace = options.pop("traceback") or options.pop("trace", False) or more > 0
    return command, Context(options.pop("config_path"), more - less), options, trace


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command; map errors to messages and exit codes."""
    command, obj, options, trace = parse(argv)
    try:
        command(obj, **options)
    except KeyboardInterrupt:
        print("\naborted", file=sys.stderr)  # the newline closes the terminal's ^C
        sys.exit(ExitStatus.INTERRUPTED)
    except FeedpubError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        sys.exit(exc.exit_status)
    except Exception as exc:  # a bug: say so in one line, the traceback when asked
        if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRORS:  # the machine's
            print(f"error: {exc.filename or ''}: {exc.strerror} (is the disk full, or the "
                  "folder read-only?)", file=sys.stderr)
            sys.exit(ExitStatus.STATE)
        if trace:
            import traceback  # only for a bug

            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc} (a bug in feedpub {__version__}; "
              "run again with --traceback to see where, and please report it)", file=sys.stderr)
        sys.exit(ExitStatus.INTERNAL)


def run_cli() -> None:
    """The console script and `python -m feedpub`."""
    try:
        main()
    finally:
        # What is still alive is freed as the process ends; frozen, the interpreter's last
        # collections skip walking it (~10 ms of every command's exit; nothing is lost).
        gc.freeze()
