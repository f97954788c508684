"""Keeping the rank counts (bot/store/rank_tables.py) in step with the member_stats rows.

Every write of member_stats moves its members' counts in the same transaction: a member's
old row is counted out and the new one in, and the moves of a batch are netted and written
with one upsert per table. Forget-me counts a member out; `rebuild` recounts everything
(the migration's backfill, and `prepbot db check --repair`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from functools import cache
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Table, delete, func, literal, select, union_all

from bot.store import dialects
from bot.store.rank_tables import live_counts, score_counts, season_answers, tie_counts
from bot.store.schema import answers, member_stats

if TYPE_CHECKING:
    from bot.store.transactions import Tx

# The member_stats columns the counts depend on, in this order (a row as a tuple).
COUNTED = (
    "server_id",
    "member_id",
    "current_streak",
    "alive_until",
    "answers_total",
    "week_key",
    "week_answers",
    "month_key",
    "month_answers",
)
_of_record, _of_mapping = attrgetter(*COUNTED), itemgetter(*COUNTED)
TABLES = (score_counts, live_counts, tie_counts)
SCORES, LIVE, TIES = range(3)  # a move's table, as an index into TABLES


def counted(row: Any) -> tuple:
    """The counted columns of a stats row (a record or a dict), as a tuple."""
    return _of_mapping(row) if isinstance(row, dict) else _of_record(row)


def _entries(row: tuple) -> list[tuple]:
    """The counts one member_stats row is in, as (table index, *key)."""
    server, _, streak, alive, total, week, in_week, month, in_month = row
    scores = [
        board
        for board in (("week", week, in_week), ("month", month, in_month), ("all", "", total))
        if board[2] > 0
    ]
    found = [(SCORES, server, *board) for board in scores]
    if alive is None:
        return found
    if streak > 0:
        found.append((LIVE, server, "streak", "", alive, streak))
    for name, key, score in scores:
        found.append((LIVE, server, name, key, alive, score))
        found.append((TIES, server, name, key, streak, alive, score))
    return found


def _season_gains(old: tuple | None, new: tuple) -> list[tuple]:
    """Answers newly counted between two rows of a member, by season: (key, number).

    The month counter starts again at a new month, so answers counted before the change (in
    the same batch) belong to the month before.
    """
    server, member, *_, total, _, _, month, in_month = new
    gained = total - (old[4] if old else 0)
    if gained <= 0 or not month:
        return []
    same = old is not None and old[7] == month
    this = in_month - (old[8] if same else 0)
    gains = [((server, month, member), this)] if this > 0 else []
    if gained > this and old is not None and old[7] and not same:
        gains.append(((server, old[7], member), gained - this))
    return gains


async def keep(tx: Tx, before: Mapping[tuple[int, int], Any], after: Iterable[Any]) -> None:
    """Move the counts of each member from their `before` row (absent: new) to `after`."""
    outs: list[tuple] = []
    ins: list[tuple] = []
    gains: Counter = Counter()
    for row in after:
        new = counted(row)
        found = before.get((new[0], new[1]))
        old = counted(found) if found is not None else None
        if old == new:
            continue  # a grade, say, moves no count
        if old is not None:
            outs += _entries(old)
        ins += _entries(new)
        for key, number in _season_gains(old, new):
            gains[key] += number
    moves = Counter(ins)
    moves.subtract(Counter(outs))
    await _count_seasons(tx, gains, moves)
    await _write(tx, moves)


async def _count_seasons(tx: Tx, gains: Counter, moves: Counter) -> None:
    """Add season answers; move the season's score counts from each old total to the new."""
    if not gains:
        return
    rows = [
        {"server_id": s, "season": season, "member_id": m, "answers": n}
        for (s, season, m), n in sorted(gains.items())
    ]
    for server, season, member, total in await tx.conn.execute(_season_upsert(tx.dialect), rows):
        was = total - gains[(server, season, member)]
        if was > 0:
            moves[(SCORES, server, "season", season, was)] -= 1
        moves[(SCORES, server, "season", season, total)] += 1


@cache
def _season_upsert(dialect: str) -> Any:
    """Add answers to a member's season, returning the new totals (built once per dialect)."""
    per = season_answers.c
    stmt = dialects.insert(dialect, season_answers)
    return stmt.on_conflict_do_update(
        index_elements=["server_id", "season", "member_id"],
        set_={"answers": per.answers + stmt.excluded.answers},
    ).returning(per.server_id, per.season, per.member_id, per.answers)


@cache
def _adding(dialect: Any, table: Table) -> str:
    """An upsert adding `members` to a count row, compiled once per dialect and table.

    Its rows go to the driver as plain tuples in column order: a batch moves thousands of
    counts, and binding each through SQLAlchemy costs more than writing it.
    """
    stmt = dialects.insert(dialect.name, table)
    keys = [c.name for c in table.primary_key.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={"members": table.c.members + stmt.excluded.members}
    )
    compiled = stmt.compile(dialect=dialect)
    assert list(compiled.positiontup or []) == [c.name for c in table.c]
    return str(compiled)


async def _write(tx: Tx, moves: Mapping[tuple, int]) -> None:
    """Add netted moves to the count tables: one upsert each, its rows sorted so that
    concurrent writers lock them in one order."""
    by_table: list[list[tuple]] = [[] for _ in TABLES]
    for key, n in moves.items():
        if n:
            by_table[key[0]].append((*key[1:], n))
    dialect = tx.conn.dialect
    for table, found in zip(TABLES, by_table, strict=True):
        if found:
            found.sort()
            if dialect.name == "sqlite":  # dates as SQLAlchemy stores them there: ISO text
                found = [tuple(_iso(v) for v in row) for row in found]
            await tx.conn.exec_driver_sql(_adding(dialect, table), found)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def forget(tx: Tx, member_id: int) -> None:
    """Count a member out of every board (before their rows are deleted)."""
    moves: Counter = Counter()
    stats = select(*(member_stats.c[name] for name in COUNTED))
    for row in await tx.conn.execute(stats.where(member_stats.c.member_id == member_id)):
        moves.subtract(Counter(_entries(tuple(row))))
    mine = season_answers.c.member_id == member_id
    for server, season, _, total in await tx.conn.execute(select(season_answers).where(mine)):
        if total > 0:
            moves[(SCORES, server, "season", season, total)] -= 1
    await tx.conn.execute(delete(season_answers).where(mine))
    await _write(tx, moves)


def month_of(tx: Tx, day: Any) -> Any:
    """YYYY-MM of a date column, in the database's dialect."""
    if tx.dialect == "postgresql":
        return func.to_char(day, "YYYY-MM")
    return func.strftime("%Y-%m", day)


def _season_recount(tx: Tx) -> Any:
    """Answers per server, season and member, one per question per day, from the answers."""
    counted = (
        select(
            answers.c.server_id, answers.c.member_id, answers.c.question_id, answers.c.local_date
        )
        .distinct()
        .subquery()
    )
    season = month_of(tx, counted.c.local_date)
    return select(counted.c.server_id, season, counted.c.member_id, func.count()).group_by(
        counted.c.server_id, season, counted.c.member_id
    )


async def rebuild(tx: Tx) -> None:
    """Recount every rank count from member_stats and the answers."""
    for table in (score_counts, live_counts, tie_counts, season_answers):
        await tx.conn.execute(delete(table))
    names = [c.name for c in season_answers.c]
    await tx.conn.execute(season_answers.insert().from_select(names, _season_recount(tx)))
    for table, query in _recounts():
        await tx.conn.execute(table.insert().from_select([c.name for c in table.c], query))


async def check(store: Any, *, repair: bool = False) -> list[str]:
    """`prepbot db check`: each rank count that differs from a recount, as a line; with
    `repair`, everything is recounted (season counts from the answers, the rest from
    member_stats and the season counts)."""
    lines = []
    async with store.read() as tx:
        for table, query in ((season_answers, _season_recount(tx)), *_recounts()):
            recounted = {tuple(r[:-1]): r[-1] for r in await tx.conn.execute(query)}
            stored = {tuple(r[:-1]): r[-1] for r in await tx.conn.execute(select(table))}
            for key in sorted(recounted.keys() | stored.keys(), key=str):
                if stored.get(key, 0) != recounted.get(key, 0):
                    lines.append(
                        f"{table.name} {key}: {stored.get(key, 0)} != {recounted.get(key, 0)}"
                    )
    if repair and lines:
        async with store.write() as tx:
            await rebuild(tx)
    return lines


def _grouped(board: str, key: Any, *columns: Any, where: Any) -> Any:
    """Members per distinct `columns` (the first being the server), as count rows of `board`."""
    server, *rest = columns
    return (
        select(server, literal(board), key, *rest, func.count())
        .where(where)
        .group_by(*columns, *([] if isinstance(key, BindParameter) else [key]))
    )


def _recounts() -> Iterator[tuple[Table, Any]]:
    """Per count table: a query grouping member_stats (and season_answers) into its rows."""
    s, seasons = member_stats.c, season_answers.c
    boards = [
        ("week", s.week_key, s.week_answers),
        ("month", s.month_key, s.month_answers),
        ("all", literal(""), s.answers_total),
    ]
    alive = s.alive_until.is_not(None)
    yield (
        score_counts,
        union_all(
            *(_grouped(b, k, s.server_id, n, where=n > 0) for b, k, n in boards),
            _grouped(
                "season",
                seasons.season,
                seasons.server_id,
                seasons.answers,
                where=seasons.answers > 0,
            ),
        ),
    )
    streaks = _grouped(
        "streak",
        literal(""),
        s.server_id,
        s.alive_until,
        s.current_streak,
        where=alive & (s.current_streak > 0),
    )
    yield (
        live_counts,
        union_all(
            streaks,
            *(
                _grouped(b, k, s.server_id, s.alive_until, n, where=alive & (n > 0))
                for b, k, n in boards
            ),
        ),
    )
    yield (
        tie_counts,
        union_all(
            *(
                _grouped(
                    b, k, s.server_id, s.current_streak, s.alive_until, n, where=alive & (n > 0)
                )
                for b, k, n in boards
            )
        ),
    )
