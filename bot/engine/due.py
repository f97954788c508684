"""What is due to be posted daily: a channel's schedule or a member's DM subscription, and
when it is next due in its own timezone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.engine.options import WEEKDAYS


@dataclass(frozen=True)
class Due:
    """Something to post daily: a channel schedule or a member's DM subscription."""

    kind: str  # "channel" | "dm"
    key: int  # schedule id or subscription id
    platform: str
    server_id: int
    channel_id: str  # the channel, or the member's DM key (`@<user>`)
    user_ref: str | None  # the member's platform id, for DMs
    time_of_day: str  # HH:MM local
    timezone: str
    weekdays: tuple[str, ...]
    topics: tuple[str, ...]
    difficulty: str | None
    grace: timedelta
    question_kind: str | None = None  # open | output; None: any
    days_off: frozenset[date] = frozenset()  # a schedule's skips, a member's away days

    def local_due(self, day: date) -> datetime:
        """The aware moment this is due on local `day`."""
        return local_moment(day, self.time_of_day, self.timezone)

    def runs_on(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.weekdays and day not in self.days_off

    def latest_due(self, now: datetime) -> tuple[date, datetime] | None:
        """The most recent due moment at or before `now` (aware UTC), within a week."""
        return latest_moment(self.time_of_day, self.timezone, now, self.runs_on)


def local_moment(day: date, time_of_day: str, zone: str) -> datetime:
    """`time_of_day` (HH:MM) on local `day` in `zone`, as an aware moment."""
    hour, minute = map(int, time_of_day.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


def latest_moment(
    time_of_day: str, zone: str, now: datetime, runs_on: Callable[[date], bool]
) -> tuple[date, datetime] | None:
    """The most recent local day (within a week) that `runs_on`, whose `time_of_day` in
    `zone` is at or before `now` (aware): that day and moment, or None."""
    today = now.astimezone(ZoneInfo(zone)).date()
    for back in range(8):
        day = today - timedelta(days=back)
        moment = local_moment(day, time_of_day, zone)
        if runs_on(day) and moment <= now:
            return day, moment
    return None
