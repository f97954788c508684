"""Counters the dashboard reads instead of scanning raw answers: who practised in which week
(`practice_weeks`) and per-question results (`question_stats`) on each server.

They are written in the same transaction as the answers and grades they count, and forget-me
takes a member's share back out, so they always agree with the rows they summarise.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, delete, func, select, update

from bot.store.schema import answers, grades, practice_weeks, question_stats

if TYPE_CHECKING:
    from bot.store.transactions import Tx

GOOD = 3  # Good and Easy


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


async def tally(tx: Tx, rows: list[dict[str, Any]], *, graded: bool) -> None:
    """Count new answers (or grades) into the weekly and per-question tallies."""
    weeks = sorted({(r["server_id"], week_of(r["local_date"]), r["member_id"]) for r in rows})
    await tx.conn.execute(
        tx.insert(practice_weeks).on_conflict_do_nothing(),
        [{"server_id": s, "week": w, "member_id": m} for s, w, m in weeks],
    )
    counts: dict[tuple[int, str], list[int]] = {}
    for r in rows:
        c = counts.setdefault((r["server_id"], r["question_id"]), [0, 0, 0])
        if graded:
            c[1] += 1
            c[2] += r["rating"] >= GOOD
        else:
            c[0] += 1
    stmt = tx.insert(question_stats)
    stmt = stmt.on_conflict_do_update(
        index_elements=["server_id", "question_id"],
        set_={
            name: question_stats.c[name] + stmt.excluded[name]
            for name in ("answered", "graded", "good")
        },
    )
    await tx.conn.execute(
        stmt,
        [
            {"server_id": s, "question_id": q, "answered": a, "graded": g, "good": o}
            for (s, q), (a, g, o) in sorted(counts.items())
        ],
    )


async def untally(tx: Tx, member_id: int) -> None:
    """Take a member's answers and grades out of the tallies (before they are deleted)."""
    good = func.sum(case((grades.c.rating >= GOOD, 1), else_=0))
    shares: dict[tuple[int, str], list[int]] = {}
    for table, columns in ((answers, (func.count(),)), (grades, (func.count(), good))):
        result = await tx.conn.execute(
            select(table.c.server_id, table.c.question_id, *columns)
            .where(table.c.member_id == member_id)
            .group_by(table.c.server_id, table.c.question_id)
        )
        for server_id, question_id, *numbers in result:
            share = shares.setdefault((server_id, question_id), [0, 0, 0])
            if table is answers:
                share[0] = int(numbers[0])
            else:
                share[1], share[2] = int(numbers[0]), int(numbers[1] or 0)
    if shares:
        await tx.conn.execute(
            update(question_stats)
            .where(
                question_stats.c.server_id == bindparam("s"),
                question_stats.c.question_id == bindparam("q"),
            )
            .values(
                answered=question_stats.c.answered - bindparam("a"),
                graded=question_stats.c.graded - bindparam("g"),
                good=question_stats.c.good - bindparam("o"),
            ),
            [
                {"s": s, "q": q, "a": a, "g": g, "o": o}
                for (s, q), (a, g, o) in sorted(shares.items())
            ],
        )
    await tx.conn.execute(delete(practice_weeks).where(practice_weeks.c.member_id == member_id))
