"""The leaderboard: ranking members by running streak, then by answers in a period."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from bot.store.records import LeaderRow
from bot.store.schema import member_stats, members
from bot.store.transactions import Transactions


class Standings(Transactions):
    """Leaderboard reads over the member_stats counters."""

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
