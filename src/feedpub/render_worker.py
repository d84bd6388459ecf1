"""A render process forked at the start of `feedpub build`.

A build that renders a post or two spends more time importing Markdown, feedgen
and lxml than rendering. Forked before this process imports them, the worker
imports them on the other core while this one reads the config, the posts and
the ledger; then it renders the posts it is sent. A build with nothing to render
kills it; if it fails in any way, the build renders in-process as it would
without it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO


class RenderWorker:
    """One forked process that renders a list of jobs (feedpub.items.render_job), once."""

    def __init__(self, pid: int, jobs: BinaryIO, results: BinaryIO) -> None:
        self.pid, self.jobs, self.results = pid, jobs, results
        self.done = False  # it was sent its jobs (and so leaves by itself)

    @classmethod
    def start(cls) -> RenderWorker | None:
        """Fork a worker that imports the render stack now and renders the jobs it is
        sent; None where that would not help or is not safe (no fork, threads running,
        the imports done already)."""
        if not hasattr(os, "fork") or threading.active_count() > 1 or "markdown" in sys.modules:
            return None
        jobs_r, jobs_w = os.pipe()
        results_r, results_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            os.close(jobs_w)
            os.close(results_r)
            _serve(os.fdopen(jobs_r, "rb"), os.fdopen(results_w, "wb"))
        os.close(jobs_r)
        os.close(results_w)
        return cls(pid, os.fdopen(jobs_w, "wb"), os.fdopen(results_r, "rb"))

    def run(self, jobs: Sequence[Any]) -> list[Any] | None:
        """The rendered jobs, in order; None if the worker failed."""
        self.done = True
        try:
            pickle.dump(list(jobs), self.jobs, protocol=pickle.HIGHEST_PROTOCOL)
            self.jobs.flush()
            status, results = pickle.load(self.results)
        except Exception:  # a dead worker, a broken pipe, a job that does not pickle
            return None
        return list(results) if status == "ok" else None

    def close(self) -> None:
        """Stop the worker (at once when it was never used: it may still be importing)
        and reap it. Closing twice is harmless."""
        for handle in (self.jobs, self.results):
            with contextlib.suppress(OSError):  # a broken pipe to a dead worker
                handle.close()
        if not self.done:
            self.done = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(jobs: BinaryIO, results: BinaryIO) -> None:
    code = 0
    try:
        from feedpub.items import render_job, warm_up

        try:
            warm_up()
            batch = pickle.load(jobs)
        except EOFError:  # the build needed no render
            batch = None
        if batch is not None:
            try:
                reply: tuple[str, object] = ("ok", [render_job(job) for job in batch])
            except Exception as exc:
                reply = ("error", repr(exc))
            pickle.dump(reply, results, protocol=pickle.HIGHEST_PROTOCOL)
            results.flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no flushing the parent's buffers twice
