"""The web dashboard's server-wide reads, aggregated in SQL over indexed columns."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, literal_column, select, union, union_all

from bot.store.records import QuestionCounts, RoundRow
from bot.store.schema import answers, grades, member_stats, members, mock_items, mock_rounds
from bot.store.transactions import Transactions


def _practice(server_id: int, since: date, *, distinct: bool) -> Any:
    """(member, day) of every answer and grade on the server since `since`."""
    parts = [
        select(table.c.member_id, table.c.local_date).where(
            table.c.server_id == server_id, table.c.local_date >= since
        )
        for table in (answers, grades)
    ]
    return (union if distinct else union_all)(*parts).subquery()


class TeamReads(Transactions):
    async def practising_since(self, server_id: int, since: date) -> int:
        """How many members answered or graded something on the server since `since`."""
        rows = _practice(server_id, since, distinct=True)
        query = select(func.count(func.distinct(rows.c.member_id)))
        async with self.read() as tx:
            return int((await tx.conn.execute(query)).scalar_one())

    async def weekly_practising(self, server_id: int, starts: list[date]) -> list[int]:
        """Members practising in each week that begins on one of `starts` (ascending)."""
        rows = _practice(server_id, starts[0], distinct=False)
        week = case(
            *[(rows.c.local_date >= start, n) for n, start in reversed(list(enumerate(starts)))],
            else_=-1,
        ).label("week")
        query = select(week, func.count(func.distinct(rows.c.member_id))).group_by(week)
        counts = [0] * len(starts)
        async with self.read() as tx:
            for n, count in await tx.conn.execute(query):
                if n >= 0:
                    counts[n] = int(count)
        return counts

    async def question_counts(self, server_id: int) -> dict[str, QuestionCounts]:
        """Per question: answers and grades given on the server, and Good/Easy grades."""
        good = func.sum(case((grades.c.rating >= 3, 1), else_=0))
        found: dict[str, list[int]] = {}
        async with self.read() as tx:
            answered = await tx.conn.execute(
                select(answers.c.question_id, func.count())
                .where(answers.c.server_id == server_id)
                .group_by(answers.c.question_id)
            )
            for qid, n in answered:
                found.setdefault(qid, [0, 0, 0])[0] = int(n)
            graded = await tx.conn.execute(
                select(grades.c.question_id, func.count(), good)
                .where(grades.c.server_id == server_id)
                .group_by(grades.c.question_id)
            )
            for qid, n, ok in graded:
                counts = found.setdefault(qid, [0, 0, 0])
                counts[1], counts[2] = int(n), int(ok or 0)
        return {qid: QuestionCounts(*counts) for qid, counts in found.items()}

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
