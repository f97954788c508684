"""Days off: the one way a day stops counting against streaks.

A schedule's skip dates (everyone in its server) and a member's away days are both rows of
days off; the streak rules take them as a set of dates (`bot.engine.streaks`). Whenever the
days off change, the stored `alive_until` of the streaks they touch is recomputed, so that
the leaderboard (which reads it) keeps an away member's streak.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from bot.engine.streaks import StreakState, alive_until
from bot.store.store import Store

AWAY_PER_QUARTER = 14  # a member's away days per calendar quarter


def state_of(record: Any) -> StreakState:
    """The streak state of a stored stats row (none yet: all zero)."""
    if record is None or record.current_streak is None:
        return StreakState()
    return StreakState(
        record.current_streak, record.longest_streak, record.freezes, record.last_day
    )


async def days_off(store: Store, server_id: int, member_id: int, since: date) -> frozenset[date]:
    """The member's days off on the server after `since`: the server's skips, their away."""
    found = await store.days_off_for([(server_id, member_id)], since)
    return found.get((server_id, member_id), frozenset())


async def days_off_of(store: Store, rows: Sequence[Any]) -> dict[tuple[int, int], frozenset[date]]:
    """Each streak row's member's days off (rows with `server_id`, `member_id`, `last_day`),
    from the oldest streak among them on: one read for all of them."""
    days = [r.last_day for r in rows if r.last_day is not None]
    if not days:
        return {}
    return await store.days_off_for([(r.server_id, r.member_id) for r in rows], min(days))


async def refresh_streaks(
    store: Store, *, server_id: int | None = None, member_id: int | None = None
) -> int:
    """Recompute `alive_until` of a server's (or a member's) streaks after days off changed;
    return how many moved."""
    rows = await store.stats_touched_by(server_id=server_id, member_id=member_id)
    if not rows:
        return 0
    off = await days_off_of(store, rows)
    moved = []
    for r in rows:
        again = alive_until(state_of(r), off.get((r.server_id, r.member_id), frozenset()))
        if again != r.alive_until:
            moved.append((r.server_id, r.member_id, again))
    if moved:
        await store.set_alive_until(moved)
    return len(moved)


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of `day`'s calendar quarter."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    if first_month == 10:
        return start, date(day.year, 12, 31)
    return start, date(day.year, first_month + 3, 1) - timedelta(days=1)


def away_left(taken: list[date], days: list[date]) -> tuple[date, int] | None:
    """The first quarter in which `days` added to the away days already `taken` pass the
    allowance, with what is left there; None when they fit."""
    by_quarter: dict[date, set[date]] = {}
    for day in [*taken, *days]:
        by_quarter.setdefault(quarter_of(day)[0], set()).add(day)
    for start in sorted(by_quarter):
        if len(by_quarter[start]) > AWAY_PER_QUARTER:
            already = sum(1 for d in set(taken) if quarter_of(d)[0] == start)
            return start, max(0, AWAY_PER_QUARTER - already)
    return None


def describe_days(days: list[date]) -> str:
    """Days as runs: `Thu 24 Dec – Sat 26 Dec, Thu 31 Dec`."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [
        f"{r[0]:%a %d %b %Y}" if len(r) == 1 else f"{r[0]:%a %d %b} – {r[-1]:%a %d %b %Y}"
        for r in runs
    ]
    return ", ".join(parts) or "none"
