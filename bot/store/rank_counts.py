"""Keeping the rank counts (bot/store/rank_tables.py) in step with the member_stats rows.

Every write of member_stats moves its members' counts in the same transaction: a member's
old row is counted out and the new one in, and the moves of a batch are netted and written
with one upsert per table. Forget-me counts a member out; `rebuild` recounts everything
(the migration's backfill, and `prepbot db check --repair`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Table, delete, func, literal, select, union_all

from bot.store.rank_tables import live_counts, score_counts, season_answers, tie_counts
from bot.store.schema import answers, member_stats

if TYPE_CHECKING:
    from bot.store.transactions import Tx

BOARDS = ("week", "month", "all")
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
Moves = dict[Table, Counter]


def board_score(row: Any, board: str) -> tuple[str, int]:
    """A stats row's (period key, score) on a board."""
    if board == "week":
        return row.week_key, row.week_answers
    if board == "month":
        return row.month_key, row.month_answers
    return "", row.answers_total


def _entries(row: Mapping[str, Any]) -> Iterator[tuple[Table, tuple]]:
    """The counts one member_stats row is in: table and key."""
    server, alive, streak = row["server_id"], row["alive_until"], row["current_streak"]
    scores = [
        ("week", row["week_key"], row["week_answers"]),
        ("month", row["month_key"], row["month_answers"]),
        ("all", "", row["answers_total"]),
    ]
    scores = [s for s in scores if s[2] > 0]
    for board, key, score in scores:
        yield score_counts, (server, board, key, score)
    if alive is None:
        return
    if streak > 0:
        yield live_counts, (server, "streak", "", alive, streak)
    for board, key, score in scores:
        yield live_counts, (server, board, key, alive, score)
        yield tie_counts, (server, board, key, streak, alive, score)


def counted(row: Any) -> Mapping[str, Any]:
    """The columns of a stats row (a record or a mapping) that the counts depend on."""
    return row if isinstance(row, Mapping) else {name: getattr(row, name) for name in COUNTED}


def _season_gains(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple]:
    """Answers newly counted between two rows of a member, by season: (key, number).

    The month counter starts again at a new month, so answers counted before the change (in
    the same batch) belong to the month before.
    """
    gained = new["answers_total"] - (old["answers_total"] if old else 0)
    if gained <= 0 or not new["month_key"]:
        return []
    same = old is not None and old["month_key"] == new["month_key"]
    this = new["month_answers"] - (old["month_answers"] if same else 0)
    who = (new["server_id"], new["member_id"])
    gains = [((who[0], new["month_key"], who[1]), this)] if this > 0 else []
    if gained > this and old is not None and old["month_key"] and not same:
        gains.append(((who[0], old["month_key"], who[1]), gained - this))
    return gains


async def keep(tx: Tx, before: Mapping[tuple[int, int], Any], after: Iterable[Any]) -> None:
    """Move the counts of each member from their `before` row (absent: new) to `after`."""
    moves: Moves = {table: Counter() for table in (score_counts, live_counts, tie_counts)}
    gains: Counter = Counter()
    for row in after:
        new = counted(row)
        found = before.get((new["server_id"], new["member_id"]))
        old = counted(found) if found is not None else None
        if old is not None:
            for table, key in _entries(old):
                moves[table][key] -= 1
        for table, key in _entries(new):
            moves[table][key] += 1
        for key, number in _season_gains(old, new):
            gains[key] += number
    await _count_seasons(tx, gains, moves[score_counts])
    for table, counter in moves.items():
        await _write(tx, table, counter)


async def _count_seasons(tx: Tx, gains: Counter, scores: Counter) -> None:
    """Add season answers; move the season's score counts from each old total to the new."""
    if not gains:
        return
    stmt = tx.insert(season_answers)
    stmt = stmt.on_conflict_do_update(
        index_elements=["server_id", "season", "member_id"],
        set_={"answers": season_answers.c.answers + stmt.excluded.answers},
    ).returning(*season_answers.c)
    rows = [
        {"server_id": s, "season": season, "member_id": m, "answers": n}
        for (s, season, m), n in sorted(gains.items())
    ]
    for server, season, member, total in await tx.conn.execute(stmt, rows):
        was = total - gains[(server, season, member)]
        if was > 0:
            scores[(server, "season", season, was)] -= 1
        scores[(server, "season", season, total)] += 1


async def _write(tx: Tx, table: Table, counter: Counter) -> None:
    """Add netted moves to a count table (sorted, so concurrent writers lock in one order)."""
    keys = [c.name for c in table.primary_key.columns]
    rows = [
        {**dict(zip(keys, key, strict=True)), "members": n}
        for key, n in sorted(counter.items())
        if n
    ]
    if not rows:
        return
    stmt = tx.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={"members": table.c.members + stmt.excluded.members}
    )
    await tx.conn.execute(stmt, rows)


async def forget(tx: Tx, member_id: int) -> None:
    """Count a member out of every board (before their rows are deleted)."""
    stats = await tx.conn.execute(
        select(*(member_stats.c[name] for name in COUNTED)).where(
            member_stats.c.member_id == member_id
        )
    )
    moves: Moves = {table: Counter() for table in (score_counts, live_counts, tie_counts)}
    for row in stats:
        for table, key in _entries(row._mapping):
            moves[table][key] -= 1
    seasons = await tx.conn.execute(
        select(season_answers).where(season_answers.c.member_id == member_id)
    )
    for server, season, _, total in seasons:
        if total > 0:
            moves[score_counts][(server, "season", season, total)] -= 1
    await tx.conn.execute(delete(season_answers).where(season_answers.c.member_id == member_id))
    for table, counter in moves.items():
        await _write(tx, table, counter)


def month_of(tx: Tx, day: Any) -> Any:
    """YYYY-MM of a date column, in the database's dialect."""
    if tx.dialect == "postgresql":
        return func.to_char(day, "YYYY-MM")
    return func.strftime("%Y-%m", day)


async def rebuild(tx: Tx) -> None:
    """Recount every rank count from member_stats and the answers."""
    for table in (score_counts, live_counts, tie_counts, season_answers):
        await tx.conn.execute(delete(table))
    counted = (
        select(
            answers.c.server_id, answers.c.member_id, answers.c.question_id, answers.c.local_date
        )
        .distinct()
        .subquery()
    )
    season = month_of(tx, counted.c.local_date)
    await tx.conn.execute(
        season_answers.insert().from_select(
            ["server_id", "season", "member_id", "answers"],
            select(counted.c.server_id, season, counted.c.member_id, func.count()).group_by(
                counted.c.server_id, season, counted.c.member_id
            ),
        )
    )
    for table, query in _recounts():
        await tx.conn.execute(table.insert().from_select([c.name for c in table.c], query))


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
