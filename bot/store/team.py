"""The web dashboard's server-wide reads: counts kept with each answer (bot/store/tallies.py),
and aggregates in SQL over indexed columns."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select

from bot.store.records import QuestionCounts, RoundRow
from bot.store.schema import (
    member_stats,
    members,
    mock_items,
    mock_rounds,
    practice_weeks,
    question_stats,
)
from bot.store.transactions import Transactions


def _round_filters(
    server_id: int, candidate: int | None, lead: int | None, since: date | None, until: date | None
) -> list[Any]:
    where = [mock_rounds.c.server_id == server_id]
    if candidate is not None:
        where.append(mock_rounds.c.candidate_member_id == candidate)
    if lead is not None:
        where.append(mock_rounds.c.lead_member_id == lead)
    if since is not None:
        where.append(mock_rounds.c.started_at >= datetime.combine(since, time()))
    if until is not None:
        end = datetime.combine(until + timedelta(days=1), time())
        where.append(mock_rounds.c.started_at < end)
    return where


class TeamReads(Transactions):
    async def weekly_practising(self, server_id: int, starts: list[date]) -> list[int]:
        """Members who answered or graded in each week that begins on one of `starts`."""
        query = (
            select(practice_weeks.c.week, func.count())
            .where(practice_weeks.c.server_id == server_id, practice_weeks.c.week >= starts[0])
            .group_by(practice_weeks.c.week)
        )
        async with self.read() as tx:
            found = {week: int(n) for week, n in await tx.conn.execute(query)}
        return [found.get(start, 0) for start in starts]

    async def answering_in_month(self, server_id: int, key: str) -> int:
        """Members who answered in the month `key` (YYYY-MM) of their own calendar."""
        query = select(func.count()).where(
            member_stats.c.server_id == server_id,
            member_stats.c.month_key == key,
            member_stats.c.month_answers > 0,
        )
        async with self.read() as tx:
            return int((await tx.conn.execute(query)).scalar_one())

    async def question_counts(self, server_id: int) -> dict[str, QuestionCounts]:
        """Per question: answers and grades given on the server, and Good/Easy grades."""
        query = select(question_stats).where(question_stats.c.server_id == server_id)
        async with self.read() as tx:
            return {
                row.question_id: QuestionCounts(row.answered, row.graded, row.good)
                for row in await tx.conn.execute(query)
            }

    async def is_practising_member(self, server_id: int, member_id: int) -> bool:
        """Whether the member has counters on the server (they practised there)."""
        query = select(literal_column("1")).where(
            member_stats.c.server_id == server_id, member_stats.c.member_id == member_id
        )
        async with self.read() as tx:
            return (await tx.conn.execute(query)).first() is not None

    # Mock rounds ------------------------------------------------------------------------

    async def round_rows(
        self,
        server_id: int,
        *,
        candidate: int | None = None,
        lead: int | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[RoundRow], int]:
        """A page of the server's rounds (newest first) matching the filters, and how many
        match in all; totals are summed per round in SQL."""
        where = _round_filters(server_id, candidate, lead, since, until)
        page = (
            select(mock_rounds.c.id)
            .where(*where)
            .order_by(mock_rounds.c.started_at.desc(), mock_rounds.c.id.desc())
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        scores = (
            select(
                mock_items.c.round_id,
                func.sum(mock_items.c.score).label("score_total"),
                func.count(mock_items.c.score).label("scored"),
            )
            .where(mock_items.c.round_id.in_(select(page.c.id)))
            .group_by(mock_items.c.round_id)
            .subquery()
        )
        candidate_m, lead_m = members.alias("candidate"), members.alias("lead")
        query = (
            select(
                mock_rounds,
                candidate_m.c.display_name.label("candidate_name"),
                lead_m.c.display_name.label("lead_name"),
                scores.c.score_total,
                scores.c.scored,
            )
            .join(page, page.c.id == mock_rounds.c.id)
            .outerjoin(candidate_m, candidate_m.c.id == mock_rounds.c.candidate_member_id)
            .outerjoin(lead_m, lead_m.c.id == mock_rounds.c.lead_member_id)
            .outerjoin(scores, scores.c.round_id == mock_rounds.c.id)
            .order_by(mock_rounds.c.started_at.desc(), mock_rounds.c.id.desc())
        )
        async with self.read() as tx:
            rows = RoundRow.from_rows(await tx.conn.execute(query))
            total = (
                await tx.conn.execute(select(func.count()).select_from(mock_rounds).where(*where))
            ).scalar_one()
        return rows, int(total)

    async def round_people(self, server_id: int) -> tuple[dict[int, str], dict[int, str]]:
        """Who was interviewed and who led, on the server's rounds: id -> name."""
        found: tuple[dict[int, str], dict[int, str]] = ({}, {})
        async with self.read() as tx:
            for n, column in enumerate(
                (mock_rounds.c.candidate_member_id, mock_rounds.c.lead_member_id)
            ):
                people = (
                    select(column.label("member_id"))
                    .where(mock_rounds.c.server_id == server_id, column.is_not(None))
                    .distinct()
                    .subquery()
                )
                result = await tx.conn.execute(
                    select(members.c.id, members.c.display_name, members.c.external_id).join(
                        people, people.c.member_id == members.c.id
                    )
                )
                found[n].update({row[0]: row[1] or row[2] for row in result})
        return found
