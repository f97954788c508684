"""The store: every query prepbot makes, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import utcnow
from bot.store import database
from bot.store.schema import (
    answers,
    grades,
    member_stats,
    members,
    mock_items,
    mock_responses,
    mock_rounds,
    posts,
    review_states,
    schedules,
    servers,
    subscriptions,
)

MEMBER_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class MemberRef:
    id: int
    external_id: str
    display_name: str
    timezone: str | None


@dataclass(frozen=True)
class ServerRef:
    id: int
    external_id: str
    default_timezone: str | None


@dataclass(frozen=True)
class LeaderRow:
    member_id: int
    display_name: str | None
    external_id: str
    current_streak: int
    period_answers: int


class Store:
    """Owns the engine and all SQL; callers get plain rows and dataclasses."""

    def __init__(self, *, engine: AsyncEngine):
        self.engine = engine
        self._writer = engine.execution_options(prepbot_write=True)
        self.dialect = engine.dialect.name
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._server_ids: dict[tuple[str, str], ServerRef] = {}
        # Members seen lately: a command from a known member costs no write. Entries expire
        # so that a change made by another instance (timezone, forget-me) shows up soon.
        self._members: dict[tuple[str, str], tuple[MemberRef, float]] = {}

    @classmethod
    def from_url(cls, url: str, *, schema: str | None = None) -> Store:
        store = cls(engine=database.create_engine(url, schema=schema))
        store.url, store.schema = url, schema
        return store

    url: str | None = None  # how this store was opened, so another can open the same one
    schema: str | None = None

    async def upgrade(self) -> None:
        await database.upgrade(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))
        return True

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One write transaction (SQLite: BEGIN IMMEDIATE, one writer at a time)."""
        if self._write_lock is None:
            async with self._writer.begin() as conn:
                yield Tx(conn, self.dialect)
            return
        # SQLite has one writer per file; queueing our own writers here is far cheaper than
        # letting them poll the file lock through SQLite's busy handler.
        async with self._write_lock, self._writer.begin() as conn:
            yield Tx(conn, self.dialect)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        async with self.engine.connect() as conn:
            yield Tx(conn, self.dialect)

    # Servers and members ------------------------------------------------------------

    async def ensure_server(
        self, platform: str, external_id: str, name: str | None = None
    ) -> ServerRef:
        key = (platform, external_id)
        if key in self._server_ids:
            return self._server_ids[key]
        async with self.write() as tx:
            row = await tx.upsert_returning(
                servers,
                {"platform": platform, "external_id": external_id, "name": name},
                ("platform", "external_id"),
                {"created_at": utcnow()},
            )
        ref = ServerRef(row.id, row.external_id, row.default_timezone)
        self._server_ids[key] = ref
        return ref

    async def ensure_member(self, platform: str, external_id: str, name: str) -> MemberRef:
        key = (platform, external_id)
        known, expires = self._members.get(key, (None, 0.0))
        if known is not None and known.display_name == name[:200] and time.monotonic() < expires:
            return known
        async with self.write() as tx:
            row = await tx.upsert_returning(
                members,
                {"platform": platform, "external_id": external_id, "display_name": name[:200]},
                ("platform", "external_id"),
                {"created_at": utcnow()},
            )
        ref = MemberRef(row.id, row.external_id, row.display_name or name, row.timezone)
        self._members[key] = (ref, time.monotonic() + MEMBER_CACHE_SECONDS)
        return ref

    async def find_member(self, platform: str, external_id: str) -> MemberRef | None:
        async with self.read() as tx:
            row = (
                await tx.conn.execute(
                    select(members).where(
                        members.c.platform == platform, members.c.external_id == external_id
                    )
                )
            ).first()
        if row is None:
            return None
        return MemberRef(row.id, row.external_id, row.display_name or "", row.timezone)

    async def member_name(self, member_id: int) -> str | None:
        async with self.read() as tx:
            row = (
                await tx.conn.execute(
                    select(members.c.display_name, members.c.external_id).where(
                        members.c.id == member_id
                    )
                )
            ).first()
        return (row.display_name or row.external_id) if row else None

    def _forget_cached(self, member_id: int) -> None:
        for key, (ref, _expires) in list(self._members.items()):
            if ref.id == member_id:
                del self._members[key]

    async def set_member_timezone(self, member_id: int, timezone: str) -> None:
        self._forget_cached(member_id)
        async with self.write() as tx:
            await tx.conn.execute(
                update(members).where(members.c.id == member_id).values(timezone=timezone)
            )

    async def forget_member(self, member_id: int) -> dict[str, int]:
        """Delete everything stored about a member; return the rows removed per table."""
        removed: dict[str, int] = {}
        self._forget_cached(member_id)
        async with self.write() as tx:
            for table in (
                answers,
                grades,
                review_states,
                member_stats,
                subscriptions,
                mock_responses,
            ):
                result = await tx.conn.execute(delete(table).where(table.c.member_id == member_id))
                removed[table.name] = result.rowcount or 0
            await tx.conn.execute(delete(members).where(members.c.id == member_id))
        return removed

    # Channel questions ------------------------------------------------------------------

    async def channel_schedule(self, server_id: int, channel_id: str) -> Row | None:
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(schedules).where(
                        schedules.c.server_id == server_id, schedules.c.channel_id == channel_id
                    )
                )
            ).first()

    async def save_schedule(self, *, server_id: int, channel_id: str, **values: Any) -> int:
        """Create or replace the channel's schedule (and resume it); return its id."""
        now = utcnow()
        changes = {**values, "paused": False, "pause_reason": None, "updated_at": now}
        async with self.write() as tx:
            await tx.conn.execute(
                tx.insert(schedules)
                .values(server_id=server_id, channel_id=channel_id, created_at=now, **changes)
                .on_conflict_do_update(index_elements=["server_id", "channel_id"], set_=changes)
            )
            return (
                await tx.conn.execute(
                    select(schedules.c.id).where(
                        schedules.c.server_id == server_id, schedules.c.channel_id == channel_id
                    )
                )
            ).scalar_one()

    async def set_schedule_paused(
        self, schedule_id: int, paused: bool, reason: str | None = None
    ) -> None:
        """Pause or resume; `reason` says why the bot paused it by itself (channel gone)."""
        async with self.write() as tx:
            await tx.conn.execute(
                update(schedules)
                .where(schedules.c.id == schedule_id)
                .values(paused=paused, pause_reason=reason and reason[:500], updated_at=utcnow())
            )

    async def delete_schedule(self, schedule_id: int) -> None:
        async with self.write() as tx:
            await tx.conn.execute(delete(schedules).where(schedules.c.id == schedule_id))

    async def all_schedules(self) -> list[Row]:
        """Every schedule with its server's platform and external id."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(schedules, servers.c.platform, servers.c.external_id.label("server_ref"))
                .join(servers, servers.c.id == schedules.c.server_id)
                .order_by(schedules.c.id)
            )
            return list(result)

    async def schedule(self, schedule_id: int) -> Row | None:
        async with self.read() as tx:
            return (
                await tx.conn.execute(select(schedules).where(schedules.c.id == schedule_id))
            ).first()

    # Subscriptions: a member's own daily question by DM ------------------------------------

    async def subscription(self, server_id: int, member_id: int) -> Row | None:
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(subscriptions).where(
                        subscriptions.c.server_id == server_id,
                        subscriptions.c.member_id == member_id,
                    )
                )
            ).first()

    async def save_subscription(
        self, *, server_id: int, member_id: int, time_of_day: str, topics: str
    ) -> None:
        values = {"time_of_day": time_of_day, "topics": topics}
        async with self.write() as tx:
            await tx.conn.execute(
                tx.insert(subscriptions)
                .values(server_id=server_id, member_id=member_id, created_at=utcnow(), **values)
                .on_conflict_do_update(index_elements=["server_id", "member_id"], set_=values)
            )

    async def delete_subscription(self, server_id: int, member_id: int) -> bool:
        async with self.write() as tx:
            result = await tx.conn.execute(
                delete(subscriptions).where(
                    subscriptions.c.server_id == server_id,
                    subscriptions.c.member_id == member_id,
                )
            )
            return bool(result.rowcount)

    async def all_subscriptions(self) -> list[Row]:
        """Every subscription with what posting needs: platform, member id and timezone."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(
                    subscriptions,
                    servers.c.platform,
                    servers.c.default_timezone,
                    members.c.external_id.label("member_ref"),
                    members.c.timezone.label("member_timezone"),
                )
                .join(servers, servers.c.id == subscriptions.c.server_id)
                .join(members, members.c.id == subscriptions.c.member_id)
                .order_by(subscriptions.c.id)
            )
            return list(result)

    # Posting exactly once ----------------------------------------------------------------

    async def claim_post(self, post_id: int, *, owner: str, now: datetime, stale: datetime) -> bool:
        """Take the right to post `post_id`; False if it is posted or claimed since `stale`."""
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(posts)
                .where(
                    posts.c.id == post_id,
                    posts.c.posted_at.is_(None),
                    (posts.c.claimed_by.is_(None)) | (posts.c.claimed_at < stale),
                )
                .values(claimed_by=owner, claimed_at=now)
            )
            return result.rowcount == 1

    async def release_claim(self, post_id: int, *, owner: str) -> None:
        """Give a claim back after a failed post, so that it is retried."""
        async with self.write() as tx:
            await tx.conn.execute(
                update(posts)
                .where(posts.c.id == post_id, posts.c.claimed_by == owner)
                .values(claimed_by=None, claimed_at=None)
            )

    async def mark_posted(self, post_id: int, *, message_ref: str, now: datetime) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                update(posts)
                .where(posts.c.id == post_id)
                .values(message_ref=message_ref, posted_at=now)
            )

    async def previous_posted(self, server_id: int, channel_id: str, before: date) -> Row | None:
        """The channel's latest posted day before `before` (to add its tally)."""
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(posts)
                    .where(
                        posts.c.server_id == server_id,
                        posts.c.channel_id == channel_id,
                        posts.c.local_date < before,
                        posts.c.message_ref.is_not(None),
                    )
                    .order_by(posts.c.local_date.desc())
                    .limit(1)
                )
            ).first()

    async def count_posted(self) -> int:
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(func.count()).select_from(posts).where(posts.c.posted_at.is_not(None))
                )
            ).scalar_one()

    async def post_for_day(self, server_id: int, channel_id: str, day: date) -> Row | None:
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(posts).where(
                        posts.c.server_id == server_id,
                        posts.c.channel_id == channel_id,
                        posts.c.local_date == day,
                    )
                )
            ).first()

    async def post(self, post_id: int) -> Row | None:
        async with self.read() as tx:
            return (await tx.conn.execute(select(posts).where(posts.c.id == post_id))).first()

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
    ) -> Row:
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
            return (
                await tx.conn.execute(
                    select(posts).where(
                        posts.c.server_id == server_id,
                        posts.c.channel_id == channel_id,
                        posts.c.local_date == day,
                    )
                )
            ).one()

    async def post_answer_count(self, post_id: int) -> int:
        async with self.read() as tx:
            return (
                await tx.conn.execute(
                    select(func.count(func.distinct(answers.c.member_id))).where(
                        answers.c.post_id == post_id
                    )
                )
            ).scalar_one()

    # Member practice state --------------------------------------------------------------

    async def stats(self, server_id: int, member_id: int) -> Row | None:
        async with self.read() as tx:
            rows = await tx.load_stats([(server_id, member_id)])
        return rows.get((server_id, member_id))

    async def set_current_question(
        self, server_id: int, member_id: int, question_id: str, post_id: int | None
    ) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                tx.insert(member_stats)
                .values(
                    server_id=server_id,
                    member_id=member_id,
                    current_question_id=question_id,
                    current_post_id=post_id,
                    updated_at=utcnow(),
                )
                .on_conflict_do_update(
                    index_elements=["server_id", "member_id"],
                    set_={"current_question_id": question_id, "current_post_id": post_id},
                )
            )

    async def due_reviews(self, member_id: int, now: datetime) -> list[str]:
        """Question ids due for review, most overdue first."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(review_states.c.question_id)
                .where(review_states.c.member_id == member_id, review_states.c.due <= now)
                .order_by(review_states.c.due, review_states.c.question_id)
            )
            return list(result.scalars())

    async def seen_questions(self, member_id: int) -> set[str]:
        async with self.read() as tx:
            reviewed = await tx.conn.execute(
                select(review_states.c.question_id).where(review_states.c.member_id == member_id)
            )
            answered = await tx.conn.execute(
                select(answers.c.question_id).where(answers.c.member_id == member_id).distinct()
            )
            return set(reviewed.scalars()) | set(answered.scalars())

    async def topic_results(self, member_id: int) -> dict[str, tuple[int, int]]:
        """Per topic: (questions graded, of which last graded Good or Easy)."""
        good = func.sum(case((review_states.c.last_rating >= 3, 1), else_=0))
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(review_states.c.topic, func.count(), good)
                .where(review_states.c.member_id == member_id)
                .group_by(review_states.c.topic)
            )
            return {topic: (int(n), int(ok or 0)) for topic, n, ok in result}

    async def recent_answers(self, member_id: int, limit: int = 5) -> list[Row]:
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(answers.c.question_id, answers.c.created_at, answers.c.local_date)
                .where(answers.c.member_id == member_id)
                .order_by(answers.c.created_at.desc(), answers.c.id.desc())
                .limit(limit)
            )
            return list(result)

    async def activity_days(self, member_id: int, since: date) -> dict[date, int]:
        """Answers plus grades per local day since `since` (for the stats picture)."""
        counts: dict[date, int] = {}
        async with self.read() as tx:
            for table in (answers, grades):
                result = await tx.conn.execute(
                    select(table.c.local_date, func.count())
                    .where(table.c.member_id == member_id, table.c.local_date >= since)
                    .group_by(table.c.local_date)
                )
                for day, n in result:
                    counts[day] = counts.get(day, 0) + int(n)
        return counts

    # Leaderboard ------------------------------------------------------------------------

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
        row = await self.stats(server_id, member_id)
        if row is None:
            return None
        period_answers = self._period_answers(period, key)
        alive = row.alive_until is not None and row.alive_until >= today
        async with self.read() as tx:
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


class MockStore:
    """Mock-interview rounds: rounds, their questions (items) and candidates' responses."""

    def __init__(self, store: Store):
        self.store = store

    async def open_round(self, server_id: int, channel_id: str) -> Row | None:
        async with self.store.read() as tx:
            return (
                await tx.conn.execute(
                    select(mock_rounds).where(
                        mock_rounds.c.server_id == server_id,
                        mock_rounds.c.channel_id == channel_id,
                        mock_rounds.c.status == "open",
                    )
                )
            ).first()

    async def round(self, round_id: int) -> Row | None:
        async with self.store.read() as tx:
            return (
                await tx.conn.execute(select(mock_rounds).where(mock_rounds.c.id == round_id))
            ).first()

    async def create_round(self, values: dict[str, Any], question_ids: list[str]) -> int | None:
        """Create an open round and its items; None if the place already has an open round."""
        async with self.store.write() as tx:
            taken = (
                await tx.conn.execute(
                    select(mock_rounds.c.id).where(
                        mock_rounds.c.server_id == values["server_id"],
                        mock_rounds.c.channel_id == values["channel_id"],
                        mock_rounds.c.status == "open",
                    )
                )
            ).first()
            if taken is not None:
                return None
            round_id = (
                await tx.conn.execute(
                    mock_rounds.insert().values(status="open", **values).returning(mock_rounds.c.id)
                )
            ).scalar_one()
            await tx.conn.execute(
                mock_items.insert(),
                [
                    {"round_id": round_id, "position": n, "question_id": qid}
                    for n, qid in enumerate(question_ids, 1)
                ],
            )
            return round_id

    async def items(self, round_id: int) -> list[Row]:
        async with self.store.read() as tx:
            result = await tx.conn.execute(
                select(mock_items)
                .where(mock_items.c.round_id == round_id)
                .order_by(mock_items.c.position)
            )
            return list(result)

    async def update_item(self, item_id: int, **values: Any) -> None:
        async with self.store.write() as tx:
            await tx.conn.execute(
                update(mock_items).where(mock_items.c.id == item_id).values(**values)
            )

    async def update_round(self, round_id: int, **values: Any) -> bool:
        """Update an open round; False if it was already closed (by another instance)."""
        async with self.store.write() as tx:
            result = await tx.conn.execute(
                update(mock_rounds)
                .where(mock_rounds.c.id == round_id, mock_rounds.c.status == "open")
                .values(**values)
            )
            return result.rowcount == 1

    async def add_response(self, item_id: int, member_id: int, text: str, now: datetime) -> None:
        async with self.store.write() as tx:
            await tx.conn.execute(
                delete(mock_responses).where(
                    mock_responses.c.item_id == item_id, mock_responses.c.member_id == member_id
                )
            )
            await tx.conn.execute(
                mock_responses.insert().values(
                    item_id=item_id, member_id=member_id, text=text, created_at=now
                )
            )

    async def responses(self, round_id: int) -> list[Row]:
        """Responses of a round with who gave them."""
        async with self.store.read() as tx:
            result = await tx.conn.execute(
                select(mock_responses, members.c.display_name, members.c.external_id)
                .join(mock_items, mock_items.c.id == mock_responses.c.item_id)
                .join(members, members.c.id == mock_responses.c.member_id)
                .where(mock_items.c.round_id == round_id)
                .order_by(mock_responses.c.id)
            )
            return list(result)

    async def rounds_due(self, now: datetime, warn_before: Any) -> list[Row]:
        """Open rounds past their deadline, or within `warn_before` of it and not yet warned."""
        async with self.store.read() as tx:
            result = await tx.conn.execute(
                select(mock_rounds, servers.c.platform)
                .join(servers, servers.c.id == mock_rounds.c.server_id)
                .where(
                    mock_rounds.c.status == "open",
                    (mock_rounds.c.deadline <= now)
                    | (
                        (mock_rounds.c.deadline <= now + warn_before)
                        & mock_rounds.c.warned_at.is_(None)
                    ),
                )
                .order_by(mock_rounds.c.deadline)
            )
            return list(result)

    async def open_count(self) -> int:
        async with self.store.read() as tx:
            return (
                await tx.conn.execute(
                    select(func.count())
                    .select_from(mock_rounds)
                    .where(mock_rounds.c.status == "open")
                )
            ).scalar_one()

    async def history(
        self, server_id: int | None, member_id: int | None, limit: int = 20
    ) -> list[Row]:
        """Finished rounds, newest first, with their candidate's and lead's names."""
        candidate = members.alias("candidate")
        lead = members.alias("lead")
        query = (
            select(
                mock_rounds,
                candidate.c.display_name.label("candidate_name"),
                candidate.c.external_id.label("candidate_ref"),
                lead.c.display_name.label("lead_name"),
            )
            .outerjoin(candidate, candidate.c.id == mock_rounds.c.candidate_member_id)
            .outerjoin(lead, lead.c.id == mock_rounds.c.lead_member_id)
            .where(mock_rounds.c.status == "ended")
            .order_by(mock_rounds.c.ended_at.desc(), mock_rounds.c.id.desc())
            .limit(limit)
        )
        if server_id is not None:
            query = query.where(mock_rounds.c.server_id == server_id)
        if member_id is not None:
            query = query.where(mock_rounds.c.candidate_member_id == member_id)
        async with self.store.read() as tx:
            return list(await tx.conn.execute(query))


class Tx:
    """A connection inside one transaction, with the set-based operations of the answer path."""

    def __init__(self, conn: AsyncConnection, dialect: str):
        self.conn = conn
        self.dialect = dialect

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT, which supports ON CONFLICT on both databases."""
        return (postgresql if self.dialect == "postgresql" else sqlite).insert(table)

    async def upsert_returning(
        self,
        table: Any,
        values: dict[str, Any],
        keys: Sequence[str],
        insert_only: dict[str, Any],
    ) -> Row:
        """Insert or update by `keys` (values None are left as they are) and return the row."""
        updates = {k: v for k, v in values.items() if k not in keys and v is not None}
        stmt = self.insert(table).values(**values, **insert_only)
        if updates:
            stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        await self.conn.execute(stmt)
        where = [table.c[k] == values[k] for k in keys]
        return (await self.conn.execute(select(table).where(*where))).one()

    async def load_stats(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Row]:
        return await self._load_pairs(member_stats, "server_id", "member_id", keys)

    async def load_reviews(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Row]:
        return await self._load_pairs(review_states, "member_id", "question_id", keys)

    async def _load_pairs(
        self, table: Any, first: str, second: str, keys: Iterable[tuple[Any, Any]]
    ) -> dict[tuple[Any, Any], Row]:
        """Rows whose (first, second) key is in `keys`.

        SQLite scans the whole table for a row-value IN list. Instead, an IN list on the
        key's first column walks the primary key, and the joined key keeps the exact pairs
        (a second IN list would make SQLite probe every combination of the two).
        """
        wanted = set(keys)
        if not wanted:
            return {}
        a, b = table.c[first], table.c[second]
        joined = cast(a, String) + ":" + cast(b, String)
        result = await self.conn.execute(
            select(table).where(
                a.in_({x for x, _ in wanted}),
                joined.in_([f"{x}:{y}" for x, y in wanted]),
            )
        )
        return {(getattr(row, first), getattr(row, second)): row for row in result}

    async def insert_answers(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.conn.execute(answers.insert(), rows)

    async def insert_grades(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.conn.execute(grades.insert(), rows)

    async def save_stats(self, rows: list[dict[str, Any]]) -> None:
        """Upsert whole member_stats rows (every column but the current question)."""
        if not rows:
            return
        stmt = self.insert(member_stats)
        columns = [c for c in rows[0] if c not in ("server_id", "member_id")]
        stmt = stmt.on_conflict_do_update(
            index_elements=["server_id", "member_id"],
            set_={c: stmt.excluded[c] for c in columns},
        )
        await self.conn.execute(stmt, rows)

    async def save_reviews(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        stmt = self.insert(review_states)
        columns = [c for c in rows[0] if c not in ("member_id", "question_id")]
        stmt = stmt.on_conflict_do_update(
            index_elements=["member_id", "question_id"],
            set_={c: stmt.excluded[c] for c in columns},
        )
        await self.conn.execute(stmt, rows)
