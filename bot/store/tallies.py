"""Counters the dashboard reads instead of scanning raw answers: who practised in which week
(`practice_weeks`) and per-question results (`question_stats`) on each server.

They are written in the same transaction as the answers and grades they count, and forget-me
takes a member's share back out, so they always agree with the rows they summarise.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, delete, func, select, update

from bot.store import dialects
from bot.store.schema import answers, grades, practice_weeks, question_stats

if TYPE_CHECKING:
    from bot.store.transactions import Tx

GOOD = 3  # Good and Easy


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


@cache
def _statements(dialect: str) -> tuple[Any, Any]:
    """The two tally statements, built once per dialect (each batch runs them with its rows)."""
    weeks = dialects.insert(dialect, practice_weeks).on_conflict_do_nothing()
    stmt = dialects.insert(dialect, question_stats)
    counts = stmt.on_conflict_do_update(
        index_elements=["server_id", "question_id"],
        set_={
            name: question_stats.c[name] + stmt.excluded[name]
            for name in ("answered", "graded", "good")
        },
    )
    return weeks, counts


async def tally(tx: Tx, answered: list[dict[str, Any]], graded: list[dict[str, Any]]) -> None:
    """Count new answers and grades into the weekly and per-question tallies: one statement
    per table, however many rows."""
    rows = answered + graded
    if not rows:
        return
    weeks_stmt, counts_stmt = _statements(tx.dialect)
    weeks = sorted({(r["server_id"], week_of(r["local_date"]), r["member_id"]) for r in rows})
    await tx.run_many(
        weeks_stmt, [{"server_id": s, "week": w, "member_id": m} for s, w, m in weeks]
    )
    counts: dict[tuple[int, str], list[int]] = {}
    for r in answered:
        counts.setdefault((r["server_id"], r["question_id"]), [0, 0, 0])[0] += 1
    for r in graded:
        c = counts.setdefault((r["server_id"], r["question_id"]), [0, 0, 0])
        c[1] += 1
        c[2] += r["rating"] >= GOOD
    await tx.run_many(
        counts_stmt,
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


async def _counted(tx: Tx) -> tuple[set[tuple], dict[tuple, tuple[int, int, int]]]:
    """The tallies as the answer and grade rows say they should be."""
    weeks: set[tuple] = set()
    stats: dict[tuple, list[int]] = {}
    for table in (answers, grades):
        rating = grades.c.rating if table is grades else None
        columns = [table.c.server_id, table.c.member_id, table.c.question_id, table.c.local_date]
        for row in await tx.conn.execute(
            select(*columns, *([rating] if rating is not None else []))
        ):
            weeks.add((row[0], week_of(row[3]), row[1]))
            c = stats.setdefault((row[0], row[2]), [0, 0, 0])
            if table is answers:
                c[0] += 1
            else:
                c[1], c[2] = c[1] + 1, c[2] + (row[4] >= GOOD)
    return weeks, {key: tuple(c) for key, c in stats.items()}


async def _stored(tx: Tx) -> tuple[set[tuple], dict[tuple, tuple[int, int, int]]]:
    weeks = {tuple(row) for row in await tx.conn.execute(select(practice_weeks))}
    stats = {
        (row.server_id, row.question_id): (row.answered, row.graded, row.good)
        for row in await tx.conn.execute(select(question_stats))
        if (row.answered, row.graded, row.good) != (0, 0, 0)
    }
    return weeks, stats


async def recount(store: Any, *, repair: bool = False) -> list[str]:
    """`prepbot db check`: each tally that differs from a recount of the answers and grades,
    as a line; with `repair`, the recounted tallies replace the stored ones."""
    async with store.read() as tx:
        weeks, stats = await _counted(tx)
        stored_weeks, stored_stats = await _stored(tx)
    lines = [
        f"server {s} member {m}: practice in the week of {w} "
        + ("not tallied" if (s, w, m) in weeks else "tallied but not in the answers")
        for s, w, m in sorted(weeks ^ stored_weeks)
    ]
    for key in sorted(stats.keys() | stored_stats.keys()):
        if stats.get(key, (0, 0, 0)) != stored_stats.get(key, (0, 0, 0)):
            lines.append(
                f"server {key[0]} question {key[1]}: answers/grades/good "
                f"{stored_stats.get(key, (0, 0, 0))} != {stats.get(key, (0, 0, 0))}"
            )
    if repair and lines:
        async with store.write() as tx:
            await tx.conn.execute(delete(practice_weeks))
            await tx.conn.execute(delete(question_stats))
            if weeks:
                await tx.conn.execute(
                    practice_weeks.insert(),
                    [{"server_id": s, "week": w, "member_id": m} for s, w, m in sorted(weeks)],
                )
            if stats:
                await tx.conn.execute(
                    question_stats.insert(),
                    [
                        {"server_id": s, "question_id": q, "answered": a, "graded": g, "good": o}
                        for (s, q), (a, g, o) in sorted(stats.items())
                    ],
                )
    return lines
