"""`feedpub run` and `feedpub serve`: long-running processes.

The daemon wires file events (watch), publish times and the digest schedule
(APScheduler) to build() and make_digest(), run in turn on one thread (tasks); it
serves output/ (web) meanwhile. It sequences them: a digest comes after a build.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from feedpub.build.pipeline import build
from feedpub.build.report import BuildReport
from feedpub.commands import send as sending
from feedpub.commands.digest import digest_now, restore_lost
from feedpub.config import Config, load_config
from feedpub.daemon.signals import setup_logging, stop_on_signals, wait_for_signal
from feedpub.daemon.tasks import TaskQueue
from feedpub.daemon.watch import Watcher
from feedpub.delivery.send import NothingToSend
from feedpub.digest import schedule
from feedpub.digest.plan import DigestRequest
from feedpub.errors import ConfigError, FeedpubError, plural, shown
from feedpub.store.digests import archive_wanted, lost
from feedpub.store.locks import daemon_lock
from feedpub.web.server import start_server

__all__ = ["run", "serve", "setup_logging"]
log = logging.getLogger("feedpub")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Daemon:
    """Keeps output/ current: rebuilds on file events and publish times, digests on schedule."""

    def __init__(self, config: Config) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler  # heavy

        self.config = config
        self.config_stamp = _stamp(config.file)
        self.tasks = TaskQueue()
        self.scheduler = BackgroundScheduler(
            timezone=config.site.zone,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
        self.watcher: Watcher | None = None
        self.stopping = threading.Event()  # a send stops between two messages
        self.built_once = False
        self.first_start, first = schedule.first_start(config, utcnow())
        if first:
            log.info("first daemon start on this site: digests count from now on")

    def start(self) -> None:
        """Build now, catch up a missed digest, then follow the clock and the files."""
        self.scheduler.start()
        self.submit_build()
        self.schedule_digests()
        self.tasks.submit("digest", self.digest)  # a slot missed while we were down
        self.tasks.submit("send", self.send)  # a send cut short while we were down
        self.watcher = self.watch()

    def stop(self) -> None:
        """Stop watching and scheduling; let the write in progress finish."""
        self.stopping.set()
        if self.watcher is not None:
            self.watcher.stop()
        self.scheduler.shutdown(wait=False)
        self.tasks.stop()

    def watch(self) -> Watcher:
        paths = self.config.paths
        files = [self.config.file] if self.config.file else []
        return Watcher([paths.posts, paths.static, paths.templates], files,
                       [paths.output, paths.state],
                       self.submit_build)

    def submit_build(self) -> None:
        self.tasks.submit("build", self.build)

    def build(self) -> None:
        """Rebuild as of now; then wake up again when the next scheduled post goes live."""
        self.reload_config()
        try:
            report = build(self.config, utcnow())
            restored = restore_lost(self.config, utcnow()) if lost(
                self.config.paths.state, self.config.paths.output,
                archive_wanted(self.config)) else ()
        except FeedpubError as exc:  # a broken template: the last good output stays served
            log.error("build failed: %s (still serving the last good output)", exc)
            return
        log_report(report, always=not self.built_once)
        if restored:
            log.info("restored %d digest files from the ledger", len(restored))
        self.built_once = True
        self.schedule_publish(report.next_publish)

    def schedule_publish(self, when: dt.datetime | None) -> None:
        from apscheduler.triggers.date import DateTrigger  # heavy

        if when is None:
            if self.scheduler.get_job("publish"):
                self.scheduler.remove_job("publish")
            return
        job = self.scheduler.get_job("publish")
        if job is None or job.next_run_time != when:
            log.info("next scheduled post goes live at %s",
                     when.astimezone(self.config.site.zone).isoformat(sep=" ", timespec="minutes"))
        self.scheduler.add_job(self.submit_build, DateTrigger(when), id="publish",
                               replace_existing=True)

    def schedule_digests(self) -> None:
        self.scheduler.add_job(lambda: self.tasks.submit("digest", self.digest),
                               schedule.trigger(self.config), id="digest", replace_existing=True)
        job = self.scheduler.get_job("digest")
        log.info("next digest at %s", job.next_run_time.isoformat(sep=" ", timespec="minutes")
                 if job else "never")

    def digest(self) -> None:
        """Render the digest of the latest slot if the ledger does not have it yet (then,
        with [delivery] auto, send it)."""
        try:
            run_due_digest(self.config, utcnow(), self.first_start)
        except FeedpubError as exc:
            log.error("digest failed: %s", exc)
        self.send()

    def send(self) -> None:
        """With [delivery] auto: send what waits; come back for deferred messages."""
        try:
            retry = send_waiting(self.config, self.stopping.is_set)
        except FeedpubError as exc:
            log.error("send failed: %s", exc)
            return
        if retry is not None:
            from apscheduler.triggers.date import DateTrigger  # heavy

            self.scheduler.add_job(lambda: self.tasks.submit("send", self.send),
                                   DateTrigger(max(retry, utcnow())), id="send",
                                   replace_existing=True)

    def reload_config(self) -> None:
        """Pick up an edited feedpub.toml (a broken one is reported and the old one kept)."""
        stamp = _stamp(self.config.file)
        if stamp == self.config_stamp or self.config.file is None:
            return
        self.config_stamp = stamp
        try:
            config = load_config(self.config.file)
        except ConfigError as exc:
            log.error("config not reloaded, keeping the previous one:\n%s", exc)
            return
        old, self.config = self.config, config
        log.info("reloaded %s", config.file)
        if (old.digest.schedule, old.site.timezone) != (config.digest.schedule,
                                                         config.site.timezone):
            self.schedule_digests()
        if old.paths != config.paths and self.watcher is not None:
            self.watcher.stop()
            self.watcher = self.watch()


def run_due_digest(config: Config, now: dt.datetime, since: dt.datetime) -> None:
    """Build, then render and record the digest owed for the latest slot, if any."""
    slot = schedule.due_slot(config, now, since)
    if slot is None:
        log.debug("no digest due")
        return
    result, _ = digest_now(config, now, DigestRequest(scheduled_for=slot))
    at = slot.astimezone(config.site.zone).isoformat(timespec="minutes")
    if result.digest_id is None:
        log.info("skipped digest for %s: %s", at, result.skipped_reason)
    else:
        log.info("digest %s with %s (slot %s)", result.digest_id,
                 plural(len(result.posts), "post"), at)


def send_waiting(config: Config, stop: Callable[[], bool]) -> dt.datetime | None:
    """With [delivery] auto: send every digest waiting (a new one, a send cut short);
    when to try again for deferred messages, if any are waiting."""
    if not (config.delivery.auto and config.smtp.host):
        return None
    for _ in range(100):  # each round sends one digest; a bound, never a busy loop
        try:
            summary = sending.send_now(config, None, stop=stop)
        except NothingToSend:
            break
        log.info("%s", sending.summary_line(summary))
        if summary.stopped:
            log.error("send stopped: %s", summary.stopped)
            break
    unfinished, retry = sending.waiting(config)
    return retry if unfinished else None


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        info = path.stat() if path else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info else None


def log_report(report: BuildReport, always: bool = False) -> None:
    """One line per thing a build did (the summary only when it wrote something, or `always`)."""
    problems, hidden = shown(report.problems)
    for problem in problems:
        level = logging.ERROR if problem.severity == "error" else logging.WARNING
        log.log(level, "%s", problem)
    for note in report.notes:
        log.warning("%s", note)
    if hidden + report.hidden:
        log.warning("%d more warnings not shown (feedpub check lists them all)",
                    hidden + report.hidden)
    for title in report.new_posts:
        log.info('published "%s"', title)
    level = logging.INFO if report.written or report.removed or always else logging.DEBUG
    log.log(level, "built %d feeds from %d posts (%d scheduled): %d files written, %d removed",
            report.feeds, report.published, report.scheduled, len(report.written),
            len(report.removed))


def run(config: Config, host: str, port: int, serve: bool = True, verbosity: int = 0) -> None:
    """`feedpub run`: hold the site's lock, keep output/ current, serve it, until a signal."""
    stop = stop_on_signals()
    with daemon_lock(config.paths.state):
        stop_server = start_server(config, host, port, verbosity > 1) if serve else None
        daemon = Daemon(config)
        daemon.start()
        try:
            wait_for_signal(stop)
            log.info("stopping")
        finally:
            if stop_server:
                stop_server()
            daemon.stop()


def serve(config: Config, host: str, port: int, verbosity: int = 0) -> None:
    """`feedpub serve`: serve output/ until SIGINT/SIGTERM, then return."""
    stop = stop_on_signals()
    stop_server = start_server(config, host, port, verbosity > 1)
    try:
        wait_for_signal(stop)
    finally:
        stop_server()
