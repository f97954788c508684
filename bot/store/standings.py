"""The leaderboard: ranking members by running streak, then by answers in a period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select

from bot.store.records import LeaderRow, SeasonRow
from bot.store.schema import answers, member_stats, members, season_results
from bot.store.transactions import Transactions

SEASON_PLACES = 3  # kept when a season ends


class Standings(Transactions):
    """Leaderboard reads over the member_stats counters; season boards over the answers."""

    def _period_answers(self, period: str, key: str) -> Any:
        if period == "week":
            return case((member_stats.c.week_key == key, member_stats.c.week_answers), else_=0)
        if period == "month":
            return case((member_stats.c.month_key == key, member_stats.c.month_answers), else_=0)
        return member_stats.c.answers_total

    async def leaderboard(
        self, server_id: int, *, today: date, period: str, key: str, limit: int = 10
    ) -> list[LeaderRow]:
        """Top members: running streaks first (longest first), then answers in the period.

        Running streaks are read in index order, so the top of a large server costs a few
        rows; only when fewer than `limit` streaks run are the others ranked by answers.
        """
        period_answers = self._period_answers(period, key).label("period_answers")
        columns = (
            member_stats.c.member_id,
            members.c.display_name,
            members.c.external_id,
            member_stats.c.current_streak,
            period_answers,
        )
        async with self.read() as tx:
            running = [
                LeaderRow(*row)
                for row in await tx.conn.execute(
                    select(*columns)
                    .join(members, members.c.id == member_stats.c.member_id)
                    .where(
                        member_stats.c.server_id == server_id,
                        member_stats.c.alive_until >= today,
                        member_stats.c.current_streak > 0,
                    )
                    .order_by(
                        member_stats.c.current_streak.desc(),
                        period_answers.desc(),
                        member_stats.c.member_id,
                    )
                    .limit(limit)
                )
            ]
            if len(running) >= limit:
                return running
            rest = await tx.conn.execute(
                select(*columns)
                .join(members, members.c.id == member_stats.c.member_id)
                .where(
                    member_stats.c.server_id == server_id,
                    (member_stats.c.alive_until < today) | (member_stats.c.alive_until.is_(None)),
                    period_answers > 0,
                )
                .order_by(period_answers.desc(), member_stats.c.member_id)
                .limit(limit - len(running))
            )
            return running + [LeaderRow(r[0], r[1], r[2], 0, r[4]) for r in rest]

    async def rank(
        self, server_id: int, member_id: int, *, today: date, period: str, key: str
    ) -> int | None:
        """The member's place on the leaderboard (1-based), or None if not on it."""
        period_answers = self._period_answers(period, key)
        async with self.read() as tx:
            row = (await tx.load_stats([(server_id, member_id)])).get((server_id, member_id))
            if row is None:
                return None
            alive = row.alive_until is not None and row.alive_until >= today
            ahead_running = select(func.count()).where(
                member_stats.c.server_id == server_id,
                member_stats.c.alive_until >= today,
                member_stats.c.current_streak > (row.current_streak if alive else 0),
            )
            count = (await tx.conn.execute(ahead_running)).scalar_one()
            mine = (
                await tx.conn.execute(
                    select(period_answers).where(
                        member_stats.c.server_id == server_id,
                        member_stats.c.member_id == member_id,
                    )
                )
            ).scalar_one()
            if alive:
                tied = select(func.count()).where(
                    member_stats.c.server_id == server_id,
                    member_stats.c.alive_until >= today,
                    member_stats.c.current_streak == row.current_streak,
                    period_answers > mine,
                )
            else:
                tied = select(func.count()).where(
                    member_stats.c.server_id == server_id,
                    (member_stats.c.alive_until < today) | (member_stats.c.alive_until.is_(None)),
                    period_answers > mine,
                )
            count += (await tx.conn.execute(tied)).scalar_one()
        return count + 1

    # Seasons: a month's board, ranked by answers in it (one per question per day, as the
    # counters count), ties by member id like the boards above; a member's rank is shared by
    # everyone with as many answers. Plain queries over the answers of one month.

    async def season_board(
        self, server_id: int, first: date, last: date, *, limit: int = 10
    ) -> list[SeasonRow]:
        """The top of the season from `first` to `last` (local days), best first."""
        per = _season_answers(server_id, first, last)
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(
                    per.c.member_id, members.c.display_name, members.c.external_id, per.c.answers
                )
                .join(members, members.c.id == per.c.member_id)
                .order_by(per.c.answers.desc(), per.c.member_id)
                .limit(limit)
            )
            return [SeasonRow(*row) for row in result]

    async def season_rank(
        self, server_id: int, member_id: int, first: date, last: date
    ) -> int | None:
        """The member's place in the season (1-based), or None without an answer in it."""
        per = _season_answers(server_id, first, last)
        async with self.read() as tx:
            mine = (
                await tx.conn.execute(select(per.c.answers).where(per.c.member_id == member_id))
            ).scalar_one_or_none()
            if mine is None:
                return None
            ahead = select(func.count()).select_from(per).where(per.c.answers > mine)
            return (await tx.conn.execute(ahead)).scalar_one() + 1

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


def _season_answers(server_id: int, first: date, last: date) -> Any:
    """Per member: answers from `first` to `last`, one per question per day."""
    counted = (
        select(answers.c.member_id, answers.c.question_id, answers.c.local_date)
        .where(answers.c.server_id == server_id, answers.c.local_date.between(first, last))
        .distinct()
        .subquery()
    )
    return (
        select(counted.c.member_id, func.count().label("answers"))
        .group_by(counted.c.member_id)
        .subquery()
    )
