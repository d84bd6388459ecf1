"""What a build did, for the CLI, the daemon and the no-change fast path."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from feedpub.errors import Problem, shown


@dataclass(frozen=True)
class BuildReport:
    published: int
    scheduled: int
    drafts: int
    feeds: int
    written: tuple[str, ...]
    removed: tuple[str, ...]
    problems: tuple[Problem, ...]
    next_publish: dt.datetime | None
    new_posts: tuple[str, ...] = ()  # titles published for the first time
    unchanged: bool = False  # True when the inputs were the last build's: nothing was done
    notes: tuple[str, ...] = ()  # said once, never replayed: a damaged cache rebuilt
    hidden: int = 0  # warnings a no-change build replays as a count only (not in problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def to_json(self) -> str:
        """What a no-change build replays: the counts, every error, the first warnings and
        how many more (a big site's thousands of warnings cost its no-change build ~60 ms
        to read back); the notes are said once, never replayed."""
        problems, hidden = shown(self.problems)
        data = {"published": self.published, "scheduled": self.scheduled,
                "drafts": self.drafts, "feeds": self.feeds,
                "problems": [(p.path, p.line, p.field, p.message, p.severity)
                             for p in problems],  # rows: Problem(*row)
                "hidden": hidden + self.hidden,
                "next_publish": self.next_publish.isoformat() if self.next_publish else None}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BuildReport:
        """The report a no-change build gives: the last one's counts, nothing written."""
        data = json.loads(text)
        return cls(
            published=data["published"], scheduled=data["scheduled"], drafts=data["drafts"],
            feeds=data["feeds"], written=(), removed=(),
            problems=tuple(Problem(**p) if isinstance(p, dict) else Problem(*p)
                           for p in data["problems"]),  # dicts: stored by an earlier feedpub
            next_publish=(dt.datetime.fromisoformat(data["next_publish"])
                          if data["next_publish"] else None),
            unchanged=True, hidden=data.get("hidden", 0),
        )
