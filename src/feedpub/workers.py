"""Worker processes of `feedpub build`.

A build that changes a post or two spends more time importing Markdown, feedgen
and lxml than rendering. Forked before this process imports them, the render
worker imports them on the other core while this one reads the config, the
posts cache and the ledger, then renders the posts it is sent. A cold build also
forks a parse worker, which parses half of the files. A build is done with them,
used or not, when it ends (they are killed); if one fails in any way, the build
parses or renders in-process as it would without it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

PARSE_SPLIT_FROM = 64  # files to parse from which this process parses half of them


def _load_posts(files: list[tuple[str, str]], zone: str) -> list[Any]:
    from feedpub.parse import load_post

    where = ZoneInfo(zone)
    return [load_post(Path(path), name, where) for path, name in files]


class Worker:
    """A forked process that parses post files, or renders posts, when asked."""

    def __init__(self, pid: int, requests: BinaryIO, answers: BinaryIO) -> None:
        self.pid, self.requests, self.answers = pid, requests, answers

    @classmethod
    def start(cls, role: str = "render") -> Worker | None:
        """Fork a worker that imports what its role needs ("parse": YAML; "render":
        Markdown and feedgen) and answers requests; None where that would not help or
        is not safe (no fork, threads running, the imports done already)."""
        imported = "yaml" if role == "parse" else "markdown"
        if not hasattr(os, "fork") or threading.active_count() > 1 or imported in sys.modules:
            return None
        jobs_r, jobs_w = os.pipe()
        results_r, results_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            os.close(jobs_w)
            os.close(results_r)
            _serve(os.fdopen(jobs_r, "rb"), os.fdopen(results_w, "wb"), role)
        os.close(jobs_r)
        os.close(results_w)
        return cls(pid, os.fdopen(jobs_w, "wb"), os.fdopen(results_r, "rb"))

    def parse(self, files: Sequence[tuple[str, str]], zone: str) -> list[Any] | None:
        """parse.load_post for each (path, display name), in order; None if it failed.
        From PARSE_SPLIT_FROM files on, this process parses the first half meanwhile."""
        files = list(files)
        half = len(files) // 2 if len(files) >= PARSE_SPLIT_FROM else 0
        if not self._send("parse", (files[half:], zone)):
            return None
        mine = _load_posts(files[:half], zone) if half else []
        theirs = self._receive()
        return None if theirs is None else mine + theirs

    def submit(self, jobs: Sequence[Any]) -> bool:
        """Send render jobs (items.render_job for each) without waiting; results()
        answers. False if they could not be sent."""
        return self._send("render", list(jobs))

    def results(self) -> list[Any] | None:
        """The answer to the last request; None if the worker failed."""
        return self._receive()

    def _send(self, kind: str, payload: object) -> bool:
        try:
            pickle.dump((kind, payload), self.requests, protocol=pickle.HIGHEST_PROTOCOL)
            self.requests.flush()
        except Exception:  # a dead worker, a broken pipe, a job that does not pickle
            return False
        return True

    def _receive(self) -> list[Any] | None:
        try:
            status, results = pickle.load(self.answers)
        except Exception:  # a dead worker
            return None
        return list(results) if status == "ok" else None

    def close(self) -> None:
        """Stop the worker (it may still be importing) and reap it; harmless twice."""
        for handle in (self.requests, self.answers):
            with contextlib.suppress(OSError):  # a broken pipe to a dead worker
                handle.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        # Reaped now if it is gone already; else it is reaped when this process ends
        # (waiting for the kill to land cost ~4 ms of a one-edit build).
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)


class Workers:
    """The build's workers: the render worker from the start (its imports take
    longest); a parse worker only when many files are to be parsed (a cold build),
    to parse half of them. A worker that does not start (None) leaves its work here."""

    def __init__(self) -> None:
        self.render = Worker.start("render")
        self.parser: Worker | None = None

    def parse(self, files: Sequence[tuple[str, str]], zone: str) -> list[Any] | None:
        """parse.load_post for each file, half of them in a parse worker; None (parse
        them here) for fewer than PARSE_SPLIT_FROM files: forking for a few files cost
        more (~20 ms) than importing YAML here."""
        if len(files) < PARSE_SPLIT_FROM:
            return None
        if self.parser is None:
            self.parser = Worker.start("parse")
        return self.parser.parse(files, zone) if self.parser else None

    def close(self) -> None:
        for worker in (self.parser, self.render):
            if worker:
                worker.close()


def _serve(jobs: BinaryIO, results: BinaryIO, role: str) -> None:
    """The worker: import, then answer requests until the end of input."""
    code = 0
    try:
        work: Callable[[Any], list[Any]]
        if role == "parse":
            import feedpub.parse  # noqa: F401

            def work(payload: Any) -> list[Any]:
                return _load_posts(*payload)
        else:
            from feedpub.items import render_job, warm_up

            warm_up()

            def work(payload: Any) -> list[Any]:
                return [render_job(job) for job in payload]
        while True:
            try:
                _, payload = pickle.load(jobs)
            except EOFError:  # the build is done with us
                break
            try:
                reply: tuple[str, object] = ("ok", work(payload))
            except Exception as exc:
                reply = ("error", repr(exc))
            pickle.dump(reply, results, protocol=pickle.HIGHEST_PROTOCOL)
            results.flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no flushing the parent's buffers twice
