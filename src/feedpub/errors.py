"""Errors the user can fix, and the exit codes they map to."""

from __future__ import annotations

from pathlib import Path

from feedpub.records import record

EXIT_OK = 0
EXIT_POST_ERRORS = 1  # the build ran, but some posts were skipped
EXIT_CONFIG = 2  # bad config or command line: nothing was done
EXIT_STATE = 3  # state folder locked or unreadable, another daemon running
EXIT_TEMPLATE = 4  # a template failed to load or render


class FeedpubError(Exception):
    """An error the user can fix; the message says how."""

    exit_code = EXIT_CONFIG


class ConfigError(FeedpubError):
    """One or more problems in feedpub.toml, all collected."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class StateError(FeedpubError):
    """The state folder (.feedpub/) cannot be used."""

    exit_code = EXIT_STATE


class TemplateError(FeedpubError):
    """A user template has an error; the message names file and line."""

    exit_code = EXIT_TEMPLATE


@record
class PostProblem:
    """One problem with one post: where, which field, what to do."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # or "warning": the post still publishes

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.path}:{self.line}:{field} {self.message}"


def relative_name(path: Path, root: Path) -> str:
    """`path` as the user knows it: relative to the site root when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
