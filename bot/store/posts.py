"""Daily posts: each channel's question per local day, claimed and marked exactly once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update

from bot.clock import utcnow
from bot.store.records import PostRecord
from bot.store.schema import answers, posts
from bot.store.transactions import Transactions


def claim(table: Any, row: Any, owner: str, now: datetime, stale: datetime) -> Any:
    """The UPDATE that claims `row` of a table with claimed_by/claimed_at/posted_at: it
    matches only while the row is unsent and unclaimed (or claimed before `stale`)."""
    return (
        update(table)
        .where(
            row,
            table.c.posted_at.is_(None),
            table.c.claimed_by.is_(None) | (table.c.claimed_at < stale),
        )
        .values(claimed_by=owner, claimed_at=now)
    )


def release(table: Any, row: Any, owner: str) -> Any:
    """The UPDATE that gives `owner`'s claim on `row` back."""
    return (
        update(table)
        .where(row, table.c.claimed_by == owner)
        .values(claimed_by=None, claimed_at=None)
    )


# Reads behind every `today` and every answer: built once, their values bound per call.
POST_FOR_DAY = select(posts).where(
    posts.c.server_id == bindparam("server_id"),
    posts.c.channel_id == bindparam("channel_id"),
    posts.c.local_date == bindparam("day"),
)
POST_BY_ID = select(posts).where(posts.c.id == bindparam("id"))


class Posts(Transactions):
    """The posts table: rotation, claims, and what was posted where."""

    async def claim_post(self, post_id: int, *, owner: str, now: datetime, stale: datetime) -> bool:
        """Take the right to post `post_id`; False if it is posted or claimed since `stale`."""
        async with self.write() as tx:
            result = await tx.conn.execute(claim(posts, posts.c.id == post_id, owner, now, stale))
            return result.rowcount == 1

    async def release_claim(self, post_id: int, *, owner: str) -> None:
        """Give a claim back after a failed post, so that it is retried."""
        async with self.write() as tx:
            await tx.conn.execute(release(posts, posts.c.id == post_id, owner))

    async def mark_posted(self, post_id: int, *, message_ref: str, now: datetime) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                update(posts)
                .where(posts.c.id == post_id)
                .values(message_ref=message_ref, posted_at=now)
            )

    async def previous_posted(
        self, server_id: int, channel_id: str, before: date
    ) -> PostRecord | None:
        """The channel's latest posted day before `before` (to add its tally)."""
        async with self.read() as tx:
            return await tx.first(
                PostRecord,
                select(posts)
                .where(
                    posts.c.server_id == server_id,
                    posts.c.channel_id == channel_id,
                    posts.c.local_date < before,
                    posts.c.message_ref.is_not(None),
                )
                .order_by(posts.c.local_date.desc())
                .limit(1),
            )

    async def count_posted(self) -> int:
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(func.count()).select_from(posts).where(posts.c.posted_at.is_not(None))
                )
            ).scalar_one()

    async def post_for_day(self, server_id: int, channel_id: str, day: date) -> PostRecord | None:
        params = {"server_id": server_id, "channel_id": channel_id, "day": day}
        async with self.read() as tx:
            return PostRecord.maybe((await tx.conn.execute(POST_FOR_DAY, params)).first())

    async def post(self, post_id: int) -> PostRecord | None:
        async with self.read() as tx:
            return PostRecord.maybe((await tx.conn.execute(POST_BY_ID, {"id": post_id})).first())

    async def channel_cycle(self, server_id: int, channel_id: str) -> tuple[int, set[str]]:
        """The channel's current rotation cycle and the questions already used in it."""
        where = and_(posts.c.server_id == server_id, posts.c.channel_id == channel_id)
        async with self.read() as tx:
            cycle = (
                await tx.conn.execute(select(func.max(posts.c.cycle)).where(where))
            ).scalar_one()
            if cycle is None:
                return 0, set()
            used = (
                await tx.conn.execute(
                    select(posts.c.question_id).where(where, posts.c.cycle == cycle)
                )
            ).scalars()
            return cycle, set(used)

    async def create_post(
        self,
        *,
        server_id: int,
        channel_id: str,
        day: date,
        question_id: str,
        cycle: int,
        schedule_id: int | None = None,
    ) -> PostRecord:
        """Create the channel's question for `day`; if another writer won, return theirs."""
        values = {
            "server_id": server_id,
            "channel_id": channel_id,
            "local_date": day,
            "question_id": question_id,
            "cycle": cycle,
            "schedule_id": schedule_id,
            "created_at": utcnow(),
        }
        async with self.write() as tx:
            await tx.conn.execute(
                # No conflict target: a concurrent writer may trip either unique constraint
                # (channel and day, or schedule and day), and both mean "already there".
                tx.insert(posts).values(**values).on_conflict_do_nothing()
            )
            row = (
                await tx.conn.execute(
                    select(posts).where(
                        posts.c.server_id == server_id,
                        posts.c.channel_id == channel_id,
                        posts.c.local_date == day,
                    )
                )
            ).one()
            return PostRecord.from_row(row)

    async def post_answer_count(self, post_id: int) -> int:
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(func.count(func.distinct(answers.c.member_id))).where(
                        answers.c.post_id == post_id
                    )
                )
            ).scalar_one()
