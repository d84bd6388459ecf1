"""A worker process forked at the start of `feedpub build`.

A build that changes a post or two spends more time importing PyYAML, Markdown,
feedgen and lxml than parsing and rendering. Forked before this process imports
them, the worker imports them on the other core while this one reads the config,
the posts cache and the ledger; then it parses the changed files and renders the
posts it is sent. A build is done with it, used or not, when it ends (it is
killed); if it fails in any way, the build parses and renders in-process as it
would without it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

PARSE_SPLIT_FROM = 64  # files to parse from which this process parses half of them


def _load_posts(files: list[tuple[str, str]], zone: str) -> list[Any]:
    from feedpub.parse import load_post

    where = ZoneInfo(zone)
    return [load_post(Path(path), name, where) for path, name in files]


class RenderWorker:
    """One forked process that parses post files and renders posts, when asked."""

    def __init__(self, pid: int, jobs: BinaryIO, results: BinaryIO) -> None:
        self.pid, self.jobs, self.results = pid, jobs, results

    @classmethod
    def start(cls) -> RenderWorker | None:
        """Fork a worker that imports YAML, then the render stack, and answers requests;
        None where that would not help or is not safe (no fork, threads running, the
        imports done already)."""
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

    def parse(self, files: Sequence[tuple[str, str]], zone: str) -> list[Any] | None:
        """parse.load_post for each (path, display name), in order; None if it failed.
        Many files are split: this process parses the first half meanwhile."""
        files = list(files)
        half = len(files) // 2 if len(files) >= PARSE_SPLIT_FROM else 0
        if not self._send("parse", (files[half:], zone)):
            return None
        mine = _load_posts(files[:half], zone) if half else []
        theirs = self._receive()
        return None if theirs is None else mine + theirs

    def run(self, jobs: Sequence[Any]) -> list[Any] | None:
        """items.render_job for each job, in order; None if the worker failed."""
        return self._receive() if self._send("render", list(jobs)) else None

    def _send(self, kind: str, payload: object) -> bool:
        try:
            pickle.dump((kind, payload), self.jobs, protocol=pickle.HIGHEST_PROTOCOL)
            self.jobs.flush()
        except Exception:  # a dead worker, a broken pipe, a job that does not pickle
            return False
        return True

    def _receive(self) -> list[Any] | None:
        try:
            status, results = pickle.load(self.results)
        except Exception:  # a dead worker
            return None
        return list(results) if status == "ok" else None

    def close(self) -> None:
        """Stop the worker (it may still be importing) and reap it; harmless twice."""
        for handle in (self.jobs, self.results):
            with contextlib.suppress(OSError):  # a broken pipe to a dead worker
                handle.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(jobs: BinaryIO, results: BinaryIO) -> None:
    """The worker: a thread answers requests while the main thread imports the render
    stack; a render request waits for that, a parse request (YAML is imported first)
    does not."""
    code = 0
    try:
        import feedpub.parse  # noqa: F401  (YAML first: a parse request comes before a render)

        rendering = threading.Event()
        render_job: Callable[[Any], Any] | None = None

        def answer() -> None:
            while True:
                try:
                    kind, payload = pickle.load(jobs)
                except EOFError:  # the build is done with us
                    os._exit(0)
                except Exception:  # a broken request: the build parses and renders itself
                    os._exit(1)
                try:
                    if kind == "parse":
                        made = _load_posts(*payload)
                    else:
                        rendering.wait()
                        if render_job is None:
                            raise RuntimeError("the render stack did not import")
                        made = [render_job(job) for job in payload]
                    reply: tuple[str, object] = ("ok", made)
                except Exception as exc:
                    reply = ("error", repr(exc))
                pickle.dump(reply, results, protocol=pickle.HIGHEST_PROTOCOL)
                results.flush()

        threading.Thread(target=answer, daemon=True).start()
        try:
            from feedpub.items import render_job as job
            from feedpub.items import warm_up

            warm_up()
            render_job = job
        finally:
            rendering.set()
        while True:  # the answering thread ends the process at end of input
            time.sleep(3600)
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no flushing the parent's buffers twice
