"""`prepbot db check`: every member's counters recomputed from the raw answers and grades.

The counters (streaks, totals, this week's and month's answers) are kept current by the
answer path in the same transaction as the rows they count; this recomputation proves it,
after a crash for instance, and `--repair` writes the recomputed values where they differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine.streaks import StreakState, alive_until, month_key, record_day, week_key
from bot.store.store import Store

COMPARED = (
    "current_streak",
    "longest_streak",
    "freezes",
    "last_day",
    "answers_total",
    "grades_total",
    "week_answers",
    "month_answers",
)


@dataclass(frozen=True)
class Difference:
    server_id: int
    member_id: int
    column: str
    stored: Any
    recomputed: Any


def recount(
    answers: list[tuple[str, date]],
    grades: list[date],
    week: str,
    month: str,
    off: frozenset[date] = frozenset(),
) -> dict[str, Any]:
    """One member's counters on one server from their answers (question, day) and grade days,
    with their days off. One answer per question per day counts, as on the answer path."""
    counted = set(answers)
    state = StreakState()
    for day in sorted({d for _, d in counted} | set(grades)):
        state = record_day(state, day, off)
    return {
        "current_streak": state.current,
        "longest_streak": state.longest,
        "freezes": state.freezes,
        "last_day": state.last_day,
        "alive_until": alive_until(state, off),
        "answers_total": len(counted),
        "grades_total": len(grades),
        "week_answers": sum(week_key(d) == week for _, d in counted) if week else 0,
        "month_answers": sum(month_key(d) == month for _, d in counted) if month else 0,
    }


async def check(store: Store, *, repair: bool = False) -> list[Difference]:
    """Every stored counter that differs from its recomputation (written back with repair)."""
    raw = await store.activity_rows()
    differences: list[Difference] = []
    fixed = []
    every = await store.all_stats()
    off = await store.days_off_for([(s.server_id, s.member_id) for s in every], date.min)
    for stats in every:
        key = (stats.server_id, stats.member_id)
        answers, grades = raw.get(key, ([], []))
        again = recount(answers, grades, stats.week_key, stats.month_key, off.get(key, frozenset()))
        wrong = [c for c in COMPARED if getattr(stats, c) != again[c]]
        differences += [Difference(*key, c, getattr(stats, c), again[c]) for c in wrong]
        if wrong:
            fixed.append({**{c: getattr(stats, c) for c in stats.__slots__}, **again})
    if repair and fixed:
        async with store.write() as tx:
            await tx.save_stats(fixed)
    return differences
