"""Streak and freeze rules, as pure functions over a member's counted local days.

- A day counts when the member answers or grades something.
- The current streak is the run of counted days ending today, or ending yesterday while
  today is still open.
- Every 7th consecutive day earns a freeze (at most 2 banked); a single missed day spends one
  automatically and the streak goes on (the frozen day itself does not count); two missed
  days in a row break the streak whatever is banked.
- Days off (a schedule's skip dates for everyone in its server, a member's away days) do not
  count against a streak: they are neither missed nor counted, and spend no freeze. They are
  passed as `off`, a set of local dates, to each rule here; there are no other special cases.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

FREEZE_EVERY = 7
MAX_FREEZES = 2
NO_DAYS_OFF: frozenset[date] = frozenset()


@dataclass(frozen=True)
class StreakState:
    """What is stored per member and server."""

    current: int = 0
    longest: int = 0
    freezes: int = 0
    last_day: date | None = None


@dataclass(frozen=True)
class StreakView:
    """What a member sees on a given day."""

    current: int
    longest: int
    freezes: int
    counted_today: bool


def missed_days(last_day: date, day: date, off: Collection[date] = NO_DAYS_OFF) -> int:
    """The days strictly between `last_day` and `day` that count against a streak."""
    between = (day - last_day).days - 1
    if between <= 0:
        return 0
    return between - sum(1 for d in off if last_day < d < day)


def record_day(state: StreakState, day: date, off: Collection[date] = NO_DAYS_OFF) -> StreakState:
    """The state after `day` counted; a day already counted (or older) changes nothing."""
    if state.last_day is not None and day <= state.last_day:
        return state
    freezes = state.freezes
    if state.last_day is None:
        current = 1
    else:
        missed = missed_days(state.last_day, day, off)
        if missed == 0:
            current = state.current + 1
        elif missed == 1 and freezes > 0:
            freezes -= 1
            current = state.current + 1
        else:
            current = 1
    if current % FREEZE_EVERY == 0:
        freezes = min(MAX_FREEZES, freezes + 1)
    return replace(
        state,
        current=current,
        longest=max(state.longest, current),
        freezes=freezes,
        last_day=day,
    )


def alive_until(state: StreakState, off: Collection[date] = NO_DAYS_OFF) -> date | None:
    """The last local day on which the stored streak is still current without new activity
    (days off after the last counted day push it later)."""
    if state.last_day is None:
        return None
    covered = 1 if state.freezes > 0 else 0
    day = state.last_day + timedelta(days=1)  # open today; to reach tomorrow it must be excused
    while day in off or covered:
        if day not in off:
            covered -= 1
        day += timedelta(days=1)
    return day


def view(state: StreakState, today: date, off: Collection[date] = NO_DAYS_OFF) -> StreakView:
    """The streak as of `today`: broken, kept by a freeze, or running."""
    if state.last_day is None:
        return StreakView(0, state.longest, state.freezes, False)
    gap = (today - state.last_day).days
    missed = missed_days(state.last_day, today, off)
    if gap <= 0 or missed == 0:
        return StreakView(state.current, state.longest, state.freezes, gap <= 0)
    if missed == 1 and state.freezes > 0:
        # One day was missed: a freeze covers it.
        return StreakView(state.current, state.longest, state.freezes - 1, False)
    return StreakView(0, state.longest, state.freezes, False)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar date of an aware (or naive UTC) `moment` in `timezone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone)).date()


def week_key(day: date) -> str:
    """ISO week, e.g. 2026-W48: weeks start on Monday."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"
