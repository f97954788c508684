"""Daily posts: each channel's question per local day, claimed and marked exactly once."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update

from bot.clock import utcnow
from bot.store.records import PostRecord
from bot.store.schema import answers, posts
from bot.store.transactions import Transactions, Tx


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

PostKey = tuple[int, str, date]  # server, channel, local day: a post's natural key


def _near(keys: Collection[PostKey]) -> Any:
    """Rows whose server, channel and day are each among `keys`' (a superset of the keys:
    the caller keeps the exact ones). SQLite walks the unique index for each combination."""
    return and_(
        posts.c.server_id.in_({k[0] for k in keys}),
        posts.c.channel_id.in_({k[1] for k in keys}),
        posts.c.local_date.in_({k[2] for k in keys}),
    )


def _key(post: PostRecord) -> PostKey:
    return post.server_id, post.channel_id, post.local_date


RECENT = timedelta(days=8)  # where a channel's previous post is looked for first


async def _latest_posted(
    tx: Tx, channels: Collection[tuple[int, str]], before: date, *, since: date | None
) -> dict[tuple[int, str], date]:
    """Each channel's latest day before `before` (and from `since`) with a posted post."""
    if not channels:
        return {}
    query = (
        select(posts.c.server_id, posts.c.channel_id, func.max(posts.c.local_date))
        .where(
            posts.c.server_id.in_({s for s, _ in channels}),
            posts.c.channel_id.in_({c for _, c in channels}),
            posts.c.local_date < before,
            posts.c.message_ref.is_not(None),
        )
        .group_by(posts.c.server_id, posts.c.channel_id)
    )
    if since is not None:
        query = query.where(posts.c.local_date >= since)
    rows = await tx.conn.execute(query)
    return {(s, c): d for s, c, d in rows if (s, c) in channels}


class Posts(Transactions):
    """The posts table: rotation, claims, and what was posted where."""

    async def claim_post(self, post_id: int, *, owner: str, now: datetime, stale: datetime) -> bool:
        """Take the right to post `post_id`; False if it is posted or claimed since `stale`."""
        async with self.write() as tx:
            result = await tx.conn.execute(claim(posts, posts.c.id == post_id, owner, now, stale))
            return result.rowcount == 1

    async def renew_claim(self, post_id: int, *, owner: str, now: datetime) -> bool:
        """Keep `owner`'s claim on an unsent post young; False if another owner has it now."""
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(posts)
                .where(
                    posts.c.id == post_id,
                    posts.c.claimed_by == owner,
                    posts.c.posted_at.is_(None),
                )
                .values(claimed_at=now)
            )
            return result.rowcount == 1

    async def release_claim(self, post_id: int, *, owner: str) -> None:
        """Give a claim back after a failed post, so that it is retried."""
        async with self.write() as tx:
            await tx.conn.execute(release(posts, posts.c.id == post_id, owner))

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

    # Sets, for the scheduler's fan-out: a few statements per batch of posts, not per post.

    async def posts_on(self, keys: Collection[PostKey]) -> dict[PostKey, PostRecord]:
        """The posts that exist for `keys` (server, channel, local day)."""
        if not keys:
            return {}
        async with self.read() as tx:
            found = await tx.all(PostRecord, select(posts).where(_near(keys)))
        return {_key(p): p for p in found if _key(p) in keys}

    async def cycles_of(
        self, channels: Collection[tuple[int, str]]
    ) -> dict[tuple[int, str], tuple[int, set[str]]]:
        """Each channel's current rotation cycle and the questions used in it (as
        `channel_cycle`); channels without posts are left out."""
        if not channels:
            return {}
        top = (
            select(posts.c.server_id, posts.c.channel_id, func.max(posts.c.cycle).label("top"))
            .where(
                posts.c.server_id.in_({s for s, _ in channels}),
                posts.c.channel_id.in_({c for _, c in channels}),
            )
            .group_by(posts.c.server_id, posts.c.channel_id)
            .subquery()
        )
        # One row per channel, its used questions joined into one string: a cycle can hold
        # hundreds of posts, and rows cost far more to fetch than characters. Ids hold no
        # comma (content.ID_PATTERN).
        query = (
            select(
                posts.c.server_id,
                posts.c.channel_id,
                posts.c.cycle,
                func.aggregate_strings(posts.c.question_id, ","),
            )
            .join(
                top,
                and_(
                    posts.c.server_id == top.c.server_id,
                    posts.c.channel_id == top.c.channel_id,
                    posts.c.cycle == top.c.top,
                ),
            )
            .group_by(posts.c.server_id, posts.c.channel_id, posts.c.cycle)
        )
        async with self.read() as tx:
            rows = await tx.conn.execute(query)
            return {
                (server_id, channel_id): (cycle, set(used.split(",")))
                for server_id, channel_id, cycle, used in rows
                if (server_id, channel_id) in channels
            }

    async def create_and_claim(
        self,
        new: list[dict[str, Any]],
        known: Iterable[PostRecord],
        *,
        owner: str,
        now: datetime,
        stale: datetime,
    ) -> list[PostRecord]:
        """In one transaction, create the `new` posts (rows of `create_post`; where another
        writer was first, theirs stands) and claim them and the `known` ones; return the
        posts claimed, unposted and unclaimed (or claimed before `stale`) until now."""
        ids = {p.id for p in known}
        async with self.write() as tx:
            if new:
                insert = tx.insert(posts).on_conflict_do_nothing()
                made = set((await tx.conn.execute(insert.returning(posts.c.id), new)).scalars())
                ids |= made
                if len(made) < len(new):  # a concurrent writer was first: claim theirs
                    wanted = {(r["server_id"], r["channel_id"], r["local_date"]) for r in new}
                    taken = await self.posts_on(wanted)  # joins this transaction
                    ids.update(p.id for p in taken.values())
            if not ids:
                return []
            claimed = claim(posts, posts.c.id.in_(ids), owner, now, stale).returning(posts)
            return await tx.all(PostRecord, claimed)

    async def mark_posted_many(self, sent: list[tuple[int, str]], *, now: datetime) -> None:
        """Mark posts sent: (post id, message ref) pairs, in one transaction."""
        if not sent:
            return
        statement = (
            update(posts)
            .where(posts.c.id == bindparam("post_id"))
            .values(message_ref=bindparam("ref"), posted_at=now)
        )
        async with self.write() as tx:
            await tx.conn.execute(statement, [{"post_id": i, "ref": ref} for i, ref in sent])

    async def previous_posted_many(
        self, keys: Collection[PostKey]
    ) -> dict[tuple[int, str], PostRecord]:
        """Each channel's latest posted day before its key's day (as `previous_posted`)."""
        latest: set[PostKey] = set()
        async with self.read() as tx:
            for day in {d for _, _, d in keys}:  # one day, or a few in a sweep
                channels = {(s, c) for s, c, d in keys if d == day}
                # Most have posted in the last week: look there first, then further back
                # only for the rest (new channels: no history to walk).
                recent = await _latest_posted(tx, channels, day, since=day - RECENT)
                older = await _latest_posted(tx, channels - recent.keys(), day, since=None)
                latest.update((s, c, d) for (s, c), d in (recent | older).items())
        return {(p.server_id, p.channel_id): p for p in (await self.posts_on(latest)).values()}

    async def answer_counts(self, post_ids: Collection[int]) -> dict[int, int]:
        """How many members answered each post; 0s left out."""
        if not post_ids:
            return {}
        query = (
            select(answers.c.post_id, func.count(func.distinct(answers.c.member_id)))
            .where(answers.c.post_id.in_(post_ids))
            .group_by(answers.c.post_id)
        )
        async with self.read() as tx:
            return {post_id: count for post_id, count in await tx.conn.execute(query)}
