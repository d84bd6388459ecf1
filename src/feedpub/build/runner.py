"""Where a build's heavy work runs: here, or in forked processes that die with this one.

The only module that forks. A build that renders a post or two spends more time
importing Markdown and feedgen than rendering: the warm worker, forked once the build
knows it has work, imports them on the other core while this process loads the posts,
then takes the few jobs. Many jobs (a cold build) go to one process per core; many files to
parse are split in two, half parsed by a forked helper. Any failure of a worker means
the work is done here, as without it. Workers never outlive this process: they are
killed when it dies (PR_SET_PDEATHSIG, Linux) and when they read the end of their pipe.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar

T = TypeVar("T")
R = TypeVar("R")
PARALLEL_FROM = 48  # jobs from which a pool of processes is faster than one process
SPLIT_FROM = 64  # items from which splitting with a forked helper is faster
MAX_POOL = 4
_PR_SET_PDEATHSIG = 1


class Runner:
    """Runs a build's jobs; `close()` (or the with block's end) stops every worker."""

    def __init__(self, warm_up: Callable[[], None] | None = None) -> None:
        self.warm = _Worker.start(warm_up) if warm_up and _can_fork() else None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """`fn` of each item, in order: here, in the warm worker, or in a pool."""
        if len(items) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
            self.close()  # the pool's processes do this work
            return _pooled(fn, items)
        if self.warm and items and self.warm.send(_each, (fn, list(items))):
            return _answer_or_here(self.warm, fn, items)
        return map(fn, items)

    def split(self, fn: Callable[[list[T]], list[R]], items: list[T]) -> list[R]:
        """`fn(items)`, computed as two halves at once when there are many items."""
        helper = _Worker.start(None) if len(items) >= SPLIT_FROM and _can_fork() else None
        if helper is None:
            return fn(items)
        try:
            half = len(items) // 2
            sent = helper.send(fn, (items[half:],))
            mine = fn(items[:half])
            theirs = helper.receive() if sent else None
            return mine + (theirs if theirs is not None else fn(items[half:]))
        finally:
            helper.close()

    def close(self) -> None:
        """Stop the warm worker (it may still be importing); harmless twice."""
        if self.warm:
            self.warm.close()
            self.warm = None


class TooSlow(Exception):
    """A job ran past its time_limit()."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TooSlow in the block once it has run `seconds` (SIGALRM: only in a process's
    main thread, which is where workers and the CLI run jobs; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _can_fork() -> bool:
    # Forking a process that runs threads (the daemon) can deadlock the child.
    return hasattr(os, "fork") and threading.active_count() == 1


def _each(fn: Callable[[T], R], items: list[T]) -> list[R]:
    return [fn(item) for item in items]


def _answer_or_here(worker: _Worker, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    answer = worker.receive()
    yield from answer if answer is not None and len(answer) == len(items) else map(fn, items)


def _pooled(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    import multiprocessing  # here: a build that renders a post or two never starts a pool
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 1, MAX_POOL)
    method = "fork" if _can_fork() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        chunk = max(1, min(32, len(items) // (workers * 8)))
        yield from pool.map(fn, items, chunksize=chunk)


def die_with_parent(parent: int) -> None:
    """In a worker: be killed when `parent` dies; exit now if it already has."""
    import ctypes  # only in a worker

    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pipes' EOF still ends it
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


class _Worker:
    """A forked process answering (function, arguments) requests with the result."""

    def __init__(self, pid: int, requests: BinaryIO, answers: BinaryIO) -> None:
        self.pid, self.requests, self.answers = pid, requests, answers

    @classmethod
    def start(cls, warm_up: Callable[[], None] | None) -> _Worker | None:
        """Fork a worker that runs `warm_up` first; None if the fork fails."""
        jobs_r, jobs_w = os.pipe()
        results_r, results_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            for fd in (jobs_r, jobs_w, results_r, results_w):
                os.close(fd)
            return None
        if pid == 0:  # the worker: never returns
            os.close(jobs_w)
            os.close(results_r)
            _serve(parent, jobs_r, results_w, warm_up)
        os.close(jobs_r)
        os.close(results_w)
        return cls(pid, os.fdopen(jobs_w, "wb"), os.fdopen(results_r, "rb"))

    def send(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        """Ask for `fn(*args)` without waiting; False if it could not be sent."""
        try:
            pickle.dump((fn, args), self.requests, protocol=pickle.HIGHEST_PROTOCOL)
            self.requests.flush()
        except Exception:  # a dead worker, a broken pipe, a job that does not pickle
            return False
        return True

    def receive(self) -> Any:
        """The answer to the last request; None if the worker failed."""
        try:
            status, result = pickle.load(self.answers)
        except Exception:  # a dead worker
            return None
        return result if status == "ok" else None

    def close(self) -> None:
        """Stop the worker and reap it; harmless twice."""
        for handle in (self.requests, self.answers):
            with contextlib.suppress(OSError):  # a broken pipe to a dead worker
                handle.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _serve(parent: int, jobs_fd: int, results_fd: int, warm_up: Callable[[], None] | None,
           ) -> None:
    """The worker's life: die with the parent, warm up, answer until the end of input."""
    code = 0
    try:
        die_with_parent(parent)
        # Inherited descriptors (the build lock among them) close with this process only:
        # drop them now, so that nothing of the parent's is held by the worker.
        low, high = sorted((jobs_fd, results_fd))
        for start, end in ((3, low), (low + 1, high), (high + 1, os.sysconf("SC_OPEN_MAX"))):
            os.closerange(start, end)
        with os.fdopen(jobs_fd, "rb") as jobs, os.fdopen(results_fd, "wb") as results:
            if warm_up:
                warm_up()
            _answer(jobs, results)
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # a forked child: no atexit handlers, no flushing the parent's buffers


def _answer(jobs: BinaryIO, results: BinaryIO) -> None:
    while True:
        try:
            fn, args = pickle.load(jobs)
        except EOFError:  # the build is done with us
            return
        try:
            reply: tuple[str, object] = ("ok", fn(*args))
        except Exception as exc:
            reply = ("error", repr(exc))
        pickle.dump(reply, results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()
