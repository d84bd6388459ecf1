"""Errors the user can fix, the problems found in posts, and the exit codes they map to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitStatus(IntEnum):
    """What a command's exit code means."""

    OK = 0
    POST_ERRORS = 1  # done, but some posts had errors (they were listed)
    USAGE = 2  # bad config or command line: nothing was done
    STATE = 3  # the state folder is unusable, locked, or another daemon runs
    TEMPLATE = 4  # a template failed to load or render
    MAIL_SERVER = 5  # the mail server cannot be reached or refuses us: send again later
    INTERNAL = 70  # a bug in feedpub (EX_SOFTWARE): never the user's input
    INTERRUPTED = 130  # Ctrl-C


class FeedpubError(Exception):
    """An error the user can fix; the message says how."""

    exit_status = ExitStatus.USAGE


class ConfigError(FeedpubError):
    """One or more problems in feedpub.toml or on the command line, all collected."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class StateError(FeedpubError):
    """The state folder (.feedpub/) or output/ cannot be used."""

    exit_status = ExitStatus.STATE


class TemplateError(FeedpubError):
    """A template has an error; the message names file and line."""

    exit_status = ExitStatus.TEMPLATE

    def __init__(self, where: str, line: int, message: str) -> None:
        self.where, self.line, self.message = where, line, message
        super().__init__(f"{where}:{line}: template error: {message}" if line
                         else f"{where}: template error: {message}")


@dataclass(frozen=True)
class Problem:
    """One problem with one input file: where, which field, what to do."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # or "warning": the post still publishes

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.path}:{self.line}:{field} {self.message}"


WARNINGS_SHOWN = 20  # warnings a build says; the rest are counted (feedpub check lists all)


def shown(problems: Sequence[Problem], warnings: int | None = WARNINGS_SHOWN,
          ) -> tuple[list[Problem], int]:
    """Every error and the first `warnings` warnings (all if None), in order; and how many
    warnings were left out."""
    kept, seen = [], 0
    for problem in problems:
        seen += problem.severity != "error"
        if problem.severity == "error" or warnings is None or seen <= warnings:
            kept.append(problem)
    return kept, len(problems) - len(kept)


MESSAGE_LIMIT = 240  # characters of a message quoting the input (one line, never a flood)


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` on one line, cut to `limit` characters (the cut said with an ellipsis)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def plural(count: int, noun: str) -> str:
    """'1 post', '2 posts': counts in messages."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def relative_name(path: Path, root: Path) -> str:
    """`path` as the user knows it: relative to the site root when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
