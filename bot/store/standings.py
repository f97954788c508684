"""The leaderboard: ranking members by running streak, then by answers in a period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.store.rank_queries import (
    LEADERBOARD_PLACE,
    SEASON_PLACE,
    SEASON_TOP,
    TOP_RESTING,
    TOP_RUNNING,
)
from bot.store.records import LeaderRow, SeasonRow
from bot.store.schema import members, season_results
from bot.store.transactions import Transactions

SEASON_PLACES = 3  # kept when a season ends


class Standings(Transactions):
    """Leaderboard and season reads: tops in index order, places from the rank counts."""

    async def leaderboard(
        self, server_id: int, *, today: date, period: str, key: str, limit: int = 10
    ) -> list[LeaderRow]:
        """Top members: running streaks first (longest first), then answers in the period.

        Running streaks are read in index order, so the top of a large server costs a few
        rows; only when fewer than `limit` streaks run are the others ranked by answers.
        """
        board, period_key = _board(period, key)
        values = {"server_id": server_id, "today": today, "period_key": period_key}
        async with self.read() as tx:
            result = await tx.conn.execute(TOP_RUNNING[board], {**values, "limit": limit})
            running = [LeaderRow(*row) for row in result]
            if len(running) >= limit:
                return running
            rest = await tx.conn.execute(
                TOP_RESTING[board], {**values, "limit": limit - len(running)}
            )
            return running + [LeaderRow(r[0], r[1], r[2], 0, r[4]) for r in rest]

    async def rank(
        self, server_id: int, member_id: int, *, today: date, period: str, key: str
    ) -> int | None:
        """The member's place on the leaderboard (1-based), or None if not on it.

        Read from the rank counts, not by counting members (bot/store/rank_queries.py).
        """
        board, period_key = _board(period, key)
        values = {
            "server_id": server_id,
            "member_id": member_id,
            "today": today,
            "period_key": period_key,
        }
        async with self.read() as tx:
            result = await tx.conn.execute(LEADERBOARD_PLACE[board], values)
            return result.scalar_one_or_none()

    # Seasons: a month's board, ranked by answers in it (one per question per day, as the
    # counters count), ties by member id like the boards above; a member's rank is shared by
    # everyone with as many answers. Read from the season counts (bot/store/rank_tables.py).

    async def season_board(
        self, server_id: int, first: date, last: date, *, limit: int = 10
    ) -> list[SeasonRow]:
        """The top of the season from `first` to `last` (the local days of its month)."""
        values = {"server_id": server_id, "period_key": _season(first, last), "limit": limit}
        async with self.read() as tx:
            return [SeasonRow(*row) for row in await tx.conn.execute(SEASON_TOP, values)]

    async def season_rank(
        self, server_id: int, member_id: int, first: date, last: date
    ) -> int | None:
        """The member's place in the season (1-based), or None without an answer in it."""
        values = {
            "server_id": server_id,
            "member_id": member_id,
            "period_key": _season(first, last),
        }
        async with self.read() as tx:
            return (await tx.conn.execute(SEASON_PLACE, values)).scalar_one_or_none()

    async def kept_season(self, server_id: int, season: str) -> list[SeasonRow]:
        """A finished season's top three as kept when it ended (empty: not kept)."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(
                    season_results.c.member_id,
                    members.c.display_name,
                    members.c.external_id,
                    season_results.c.answers,
                )
                .join(members, members.c.id == season_results.c.member_id)
                .where(season_results.c.server_id == server_id, season_results.c.season == season)
                .order_by(season_results.c.place)
            )
            return [SeasonRow(*row) for row in result]

    async def final_season(
        self, server_id: int, season: str, first: date, last: date, *, now: datetime
    ) -> list[SeasonRow]:
        """A finished season's top three, kept the first time it is asked for."""
        rows = await self.kept_season(server_id, season)
        if rows:
            return rows
        top = await self.season_board(server_id, first, last, limit=SEASON_PLACES)
        await self.keep_season(server_id, season, top, now=now)
        return await self.kept_season(server_id, season)

    async def keep_season(
        self, server_id: int, season: str, top: list[SeasonRow], *, now: datetime
    ) -> None:
        """Keep a finished season's top; a season already kept stays as it was."""
        if not top:
            return
        rows = [
            {
                "server_id": server_id,
                "season": season,
                "place": place,
                "member_id": row.member_id,
                "answers": row.answers,
                "created_at": now,
            }
            for place, row in enumerate(top, 1)
        ]
        async with self.write() as tx:
            await tx.conn.execute(tx.insert(season_results).values(rows).on_conflict_do_nothing())


def _season(first: date, last: date) -> str:
    """The season (YYYY-MM) of its first and last day."""
    if (first.year, first.month) != (last.year, last.month) or first.day != 1:
        raise ValueError(f"{first}..{last} is not one calendar month")
    return f"{first.year}-{first.month:02d}"


def _board(period: str, key: str) -> tuple[str, str]:
    """The rank counts' board and period key of a leaderboard period."""
    return (period, key) if period in ("week", "month") else ("all", "")
