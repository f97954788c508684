"""Weekly digests: each channel's setting, exactly-once sends, and a week's activity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, delete, func, select, union, update

from bot.store.posts import claim, release
from bot.store.records import DayActivity, DigestEntry, QuestionResult
from bot.store.schema import answers, digests, grades, sends, servers
from bot.store.tallies import GOOD
from bot.store.transactions import Transactions


class Digests(Transactions):
    """The digests table; the `sends` claims; what a server did in a span of days."""

    async def set_digest(
        self,
        server_id: int,
        channel_id: str,
        *,
        weekday: str,
        time_of_day: str,
        timezone: str,
        set_by: str,
        now: datetime,
    ) -> None:
        values = {
            "server_id": server_id,
            "channel_id": channel_id,
            "weekday": weekday,
            "time_of_day": time_of_day,
            "timezone": timezone,
            "set_by": set_by,
            "updated_at": now,
        }
        async with self.write() as tx:
            await tx.upsert_returning(
                digests, values, ("server_id", "channel_id"), {"created_at": now}
            )

    async def remove_digest(self, server_id: int, channel_id: str) -> bool:
        async with self.write() as tx:
            result = await tx.conn.execute(
                delete(digests).where(
                    digests.c.server_id == server_id, digests.c.channel_id == channel_id
                )
            )
            return bool(result.rowcount)

    async def all_digests(self) -> list[DigestEntry]:
        """Every digest, with its server's platform and default timezone."""
        async with self.read() as tx:
            return await tx.all(
                DigestEntry,
                select(
                    digests,
                    servers.c.platform,
                    servers.c.default_timezone.label("server_timezone"),
                )
                .join(servers, servers.c.id == digests.c.server_id)
                .order_by(digests.c.id),
            )

    # Exactly-once sends ---------------------------------------------------------------

    async def claim_send(self, key: str, *, owner: str, now: datetime, stale: datetime) -> bool:
        """Take the right to send `key`; False if it is sent, or claimed since `stale`."""
        async with self.write() as tx:
            await tx.conn.execute(
                tx.insert(sends).values(key=key, created_at=now).on_conflict_do_nothing()
            )
            result = await tx.conn.execute(claim(sends, sends.c.key == key, owner, now, stale))
            return result.rowcount == 1

    async def release_send(self, key: str, *, owner: str) -> None:
        """Give a claim back after a failed send, so that it is retried."""
        async with self.write() as tx:
            await tx.conn.execute(release(sends, sends.c.key == key, owner))

    async def mark_sent(self, key: str, *, message_ref: str, now: datetime) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                update(sends)
                .where(sends.c.key == key)
                .values(message_ref=message_ref, posted_at=now)
            )

    async def sent_keys(self, keys: list[str]) -> set[str]:
        """Which of `keys` have been sent."""
        if not keys:
            return set()
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(sends.c.key).where(sends.c.key.in_(keys), sends.c.posted_at.is_not(None))
            )
            return set(result.scalars())

    # A span of days -------------------------------------------------------------------

    async def activity_by_day(self, server_id: int, first: date, last: date) -> list[DayActivity]:
        """Per local day with practice: members who answered or graded, and answers."""
        active = _active(server_id, first, last)
        counted = (
            select(answers.c.local_date, func.count().label("answers"))
            .where(answers.c.server_id == server_id, answers.c.local_date.between(first, last))
            .group_by(answers.c.local_date)
            .subquery()
        )
        people = (
            select(active.c.local_date, func.count().label("members"))
            .group_by(active.c.local_date)
            .subquery()
        )
        async with self.read() as tx:
            return await tx.all(
                DayActivity,
                select(
                    people.c.local_date,
                    people.c.members,
                    func.coalesce(counted.c.answers, 0).label("answers"),
                )
                .outerjoin(counted, counted.c.local_date == people.c.local_date)
                .order_by(people.c.local_date),
            )

    async def active_days(self, server_id: int, first: date, last: date) -> dict[int, int]:
        """Per member: local days in the span on which they answered or graded."""
        active = _active(server_id, first, last)
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(active.c.member_id, func.count()).group_by(active.c.member_id)
            )
            return {member_id: days for member_id, days in result}

    async def members_active(self, server_id: int, first: date, last: date) -> int:
        return len(await self.active_days(server_id, first, last))

    async def question_results(
        self, server_id: int, first: date, last: date
    ) -> list[QuestionResult]:
        """Per question graded in the span: grades and how many were Good or Easy."""
        good = func.sum(case((grades.c.rating >= GOOD, 1), else_=0))
        async with self.read() as tx:
            return await tx.all(
                QuestionResult,
                select(
                    grades.c.question_id,
                    func.count().label("graded"),
                    good.label("good"),
                )
                .where(grades.c.server_id == server_id, grades.c.local_date.between(first, last))
                .group_by(grades.c.question_id),
            )

    async def answers_by_question(self, server_id: int, first: date, last: date) -> dict[str, int]:
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(answers.c.question_id, func.count())
                .where(answers.c.server_id == server_id, answers.c.local_date.between(first, last))
                .group_by(answers.c.question_id)
            )
            return dict(result.all())


def _active(server_id: int, first: date, last: date) -> Any:
    """(member_id, local_date) of each day a member answered or graded in the span."""
    return union(
        select(answers.c.member_id, answers.c.local_date).where(
            answers.c.server_id == server_id, answers.c.local_date.between(first, last)
        ),
        select(grades.c.member_id, grades.c.local_date).where(
            grades.c.server_id == server_id, grades.c.local_date.between(first, last)
        ),
    ).subquery()
