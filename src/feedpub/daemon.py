"""`feedpub run`: APScheduler and file events wired to build() and make_digest(), one worker."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from feedpub import catchup
from feedpub.build import BuildReport, build
from feedpub.config import Config, load_config
from feedpub.errors import ConfigError, FeedpubError
from feedpub.lock import daemon_lock, stop_on_signals, wait_for_signal
from feedpub.watch import Watcher

log = logging.getLogger("feedpub")
STOP_TIMEOUT = 7.0  # seconds to let the build in progress finish on SIGTERM


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Worker:
    """One thread runs every build and digest in turn (feedgen's setlocale is not thread-safe)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.pending: dict[str, Callable[[], None]] = {}
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="feedpub-worker", daemon=True)
        self.thread.start()

    def submit(self, name: str, task: Callable[[], None]) -> None:
        """Queue `task`, unless a task of that name is already waiting (it will see the news)."""
        with self.cond:
            if not self.stopping:
                self.pending.setdefault(name, task)
                self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.pending or self.stopping)
                if self.stopping:
                    return
                name = next(iter(self.pending))
                task = self.pending.pop(name)
            try:
                task()
            except Exception:  # a bug: say so, keep serving the last good output
                log.exception("%s failed", name)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Drop waiting tasks, let the running one finish (up to `timeout` seconds)."""
        with self.cond:
            self.stopping = True
            self.pending.clear()
            self.cond.notify()
        self.thread.join(timeout)


class Daemon:
    """Keeps output/ current: rebuilds on file events and publish times, digests on schedule."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.config_stamp = _stamp(config.source)
        self.worker = Worker()
        self.scheduler = BackgroundScheduler(
            timezone=config.site.zone,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
        self.watcher: Watcher | None = None
        self.built_once = False
        self.first_start = catchup.first_start(config, utcnow())

    def start(self) -> None:
        """Build now, catch up a missed digest, then follow the clock and the files."""
        self.scheduler.start()
        self.submit_build()
        self.schedule_digests()
        self.worker.submit("digest", self.digest)  # a slot missed while we were down
        self.watcher = self.watch()

    def stop(self) -> None:
        """Stop watching and scheduling; let the write in progress finish."""
        if self.watcher is not None:
            self.watcher.stop()
        self.scheduler.shutdown(wait=False)
        self.worker.stop()

    def watch(self) -> Watcher:
        paths = self.config.paths
        files = [self.config.source] if self.config.source else []
        return Watcher([paths.posts, paths.templates], files, [paths.output, paths.state],
                       self.submit_build)

    def submit_build(self) -> None:
        self.worker.submit("build", self.build)

    def build(self) -> None:
        """Rebuild as of now; then wake up again when the next scheduled post goes live."""
        self.reload_config()
        try:
            report = build(self.config, utcnow())  # after output/ was deleted: digests too
        except FeedpubError as exc:  # a broken template: the last good output stays served
            log.error("build failed: %s (still serving the last good output)", exc)
            return
        log_report(report, always=not self.built_once)
        self.built_once = True
        self.schedule_publish(report.next_publish)


    def schedule_publish(self, when: dt.datetime | None) -> None:
        if when is None:
            if self.scheduler.get_job("publish"):
                self.scheduler.remove_job("publish")
            return
        log.debug("next scheduled post goes live at %s", when.isoformat())
        self.scheduler.add_job(self.submit_build, DateTrigger(when), id="publish",
                               replace_existing=True)

    def schedule_digests(self) -> None:
        self.scheduler.add_job(lambda: self.worker.submit("digest", self.digest),
                               catchup.trigger(self.config), id="digest", replace_existing=True)
        job = self.scheduler.get_job("digest")
        log.info("next digest at %s", job.next_run_time.isoformat() if job else "never")

    def digest(self) -> None:
        """Render the digest of the latest slot if the ledger does not have it yet."""
        try:
            catchup.run_due_digest(self.config, utcnow(), self.first_start)
        except FeedpubError as exc:
            log.error("digest failed: %s", exc)

    def reload_config(self) -> None:
        """Pick up an edited feedpub.toml (a broken one is reported and the old one kept)."""
        stamp = _stamp(self.config.source)
        if stamp == self.config_stamp or self.config.source is None:
            return
        self.config_stamp = stamp
        try:
            config = load_config(self.config.source)
        except ConfigError as exc:
            log.error("config not reloaded, keeping the previous one:\n%s", exc)
            return
        old, self.config = self.config, config
        log.info("reloaded %s", config.source)
        if (old.digest.schedule, old.site.timezone) != (config.digest.schedule,
                                                         config.site.timezone):
            self.schedule_digests()
        if old.paths != config.paths and self.watcher is not None:
            self.watcher.stop()
            self.watcher = self.watch()


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        info = path.stat() if path else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info else None


def log_report(report: BuildReport, always: bool = False) -> None:
    """One line per thing a build did (the summary only when it wrote something, or `always`)."""
    for problem in report.problems:
        level = logging.ERROR if problem.severity == "error" else logging.WARNING
        log.log(level, "%s", problem)
    for title in report.new_posts:
        log.info('published "%s"', title)
    level = logging.INFO if report.written or report.removed or always else logging.DEBUG
    log.log(level, "built %d feeds from %d posts (%d scheduled): %d files written, %d removed",
            report.feeds, report.published, report.scheduled, len(report.written),
            len(report.removed))


def run(config: Config, host: str, port: int, serve: bool = True, verbosity: int = 0) -> None:
    """`feedpub run`: hold the site's lock, keep output/ current, serve it, until a signal."""
    from feedpub.serve import start_server

    stop = stop_on_signals()
    with daemon_lock(config.paths.state):
        stop_server = start_server(config.paths.output, host, port, verbosity > 1) if serve \
            else None
        daemon = Daemon(config)
        daemon.start()
        try:
            wait_for_signal(stop)
            log.info("stopping")
        finally:
            if stop_server:
                stop_server()
            daemon.stop()
