"""What a channel's daily post is: time, timezone, weekdays, topics, difficulty, grace."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.engine.content import Bank
from bot.engine.messages import Card, Field
from bot.engine.options import WEEKDAYS

DEFAULT_TIME = "09:00"
DEFAULT_GRACE_MINUTES = 120


@dataclass(frozen=True)
class ScheduleSpec:
    time_of_day: str = DEFAULT_TIME
    timezone: str = "UTC"
    weekdays: tuple[str, ...] = WEEKDAYS
    topics: tuple[str, ...] = ()
    difficulty: str | None = None
    grace_minutes: int = DEFAULT_GRACE_MINUTES
    kind: str | None = None  # open | output; None: any

    @classmethod
    def of(cls, row: Any) -> ScheduleSpec:
        """The spec of a stored schedule."""
        return cls(
            time_of_day=row.time_of_day,
            timezone=row.timezone,
            weekdays=tuple(filter(None, row.weekdays.split(","))),
            topics=tuple(filter(None, row.topics.split(","))),
            difficulty=row.difficulty,
            grace_minutes=row.grace_minutes,
            kind=row.kind,
        )

    def changed(self, changes: dict[str, Any]) -> ScheduleSpec:
        """This spec with the options given (None: unchanged; difficulty `any` clears it)."""
        names = {
            "time": "time_of_day",
            "timezone": "timezone",
            "weekdays": "weekdays",
            "topics": "topics",
            "grace": "grace_minutes",
        }
        updates = {names[k]: v for k, v in changes.items() if k in names and v is not None}
        for name in ("difficulty", "kind"):
            value = changes.get(name)
            if value is not None:
                updates[name] = None if value == "any" else value
        return replace(self, **updates)

    def columns(self) -> dict[str, Any]:
        """As the store keeps it."""
        return {
            "time_of_day": self.time_of_day,
            "timezone": self.timezone,
            "weekdays": ",".join(self.weekdays),
            "topics": ",".join(self.topics),
            "difficulty": self.difficulty,
            "grace_minutes": self.grace_minutes,
            "kind": self.kind,
        }

    def card(self, bank: Bank, *, paused: bool, title: str) -> Card:
        topics = ", ".join(bank.topics[t].title for t in self.topics if t in bank.topics)
        return Card(
            title=title,
            body=f"Daily question at **{self.time_of_day}** ({self.timezone})"
            + (" · **paused**" if paused else ""),
            fields=(
                Field("Days", ", ".join(d.title() for d in self.weekdays), inline=True),
                Field("Topics", topics or "all", inline=True),
                Field("Difficulty", self.difficulty or "any", inline=True),
                Field("Catch-up window", f"{self.grace_minutes} min", inline=True),
                Field("Kind", self.kind or "any", inline=True),
            ),
            tone="warning" if paused else "success",
        )
