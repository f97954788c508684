"""The store: every query prepbot makes, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import utcnow
from bot.store import database, dialects
from bot.store.community import CommunityStore
from bot.store.digests import Digests
from bot.store.inline import InlineSQLite
from bot.store.member_data import MemberData
from bot.store.places import Places
from bot.store.posts import Posts
from bot.store.records import (
    AnswerSummary,
    MemberRef,
    PastAnswer,
    ScheduleEntry,
    ScheduleRecord,
    ServerRef,
    StatsRecord,
    SubscriptionEntry,
    SubscriptionRecord,
)
from bot.store.rhythm import Rhythm
from bot.store.rounds import RoundStore
from bot.store.schema import (
    ai_usage,
    answers,
    grades,
    member_stats,
    members,
    review_states,
    schedules,
    servers,
    subscriptions,
)
from bot.store.signins import SignIns
from bot.store.standings import Standings
from bot.store.team import TeamReads

# Callers import the store's classes from here (the records also from bot.store.records).
__all__ = ["MemberRef", "RoundStore", "ServerRef", "Store"]

# One member's stats row by its key (streak, submit, hints read it): built once.
STATS_OF = select(member_stats).where(
    member_stats.c.server_id == bindparam("server_id"),
    member_stats.c.member_id == bindparam("member_id"),
)


class Store(
    Posts, Standings, Digests, MemberData, Rhythm, CommunityStore, SignIns, TeamReads, Places
):
    """Every query prepbot makes; callers get frozen records (bot.store.records), never rows.

    `read()`, `write()` and `transaction()` come from `Transactions`; the leaderboard from
    `Standings`; the web dashboard's reads from `TeamReads` and its sign-ins from `SignIns`;
    mock rounds live in `RoundStore`.
    """

    def __init__(self, *, engine: AsyncEngine, inline: InlineSQLite | None = None):
        super().__init__(engine=engine, inline=inline)
        self._server_ids: dict[tuple[str, str], ServerRef] = {}

    @classmethod
    def from_url(cls, url: str, *, schema: str | None = None, synchronous: str = "FULL") -> Store:
        engine = database.create_engine(url, schema=schema, synchronous=synchronous)
        store = cls(engine=engine, inline=database.inline_sqlite(engine, synchronous))
        store.url, store.schema = url, schema
        return store

    url: str | None = None  # how this store was opened, so another can open the same one
    schema: str | None = None

    async def upgrade(self) -> None:
        await database.upgrade(self.engine)

    async def close(self) -> None:
        await self.close_batches()
        if self.inline is not None:
            await self.inline.close()
        await self.close_checkpoints()
        await self.engine.dispose()

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))
        return True

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
        ref = ServerRef(row["id"], row["external_id"], row["default_timezone"])
        # Cached once committed: a rolled-back unit of work must not leave an unknown id.
        self.after_commit(lambda: self._server_ids.__setitem__(key, ref))
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

    async def set_server_timezone(self, server_id: int, timezone: str) -> None:
        """The server's default timezone, for channels and members without their own."""
        async with self.write() as tx:
            await tx.conn.execute(
                update(servers).where(servers.c.id == server_id).values(default_timezone=timezone)
            )
        for key, ref in list(self._server_ids.items()):
            if ref.id == server_id:
                del self._server_ids[key]

    async def set_member_timezone(self, member_id: int, timezone: str) -> None:
        self._forget_cached(member_id)
        async with self.write() as tx:
            await tx.conn.execute(
                update(members).where(members.c.id == member_id).values(timezone=timezone)
            )

    # Channel questions ------------------------------------------------------------------

    async def channel_schedule(self, server_id: int, channel_id: str) -> ScheduleRecord | None:
        async with self.read() as tx:
            return await tx.first(
                ScheduleRecord,
                select(schedules).where(
                    schedules.c.server_id == server_id, schedules.c.channel_id == channel_id
                ),
            )

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

    async def all_schedules(self) -> list[ScheduleEntry]:
        """Every schedule with its server's platform and external id."""
        async with self.read() as tx:
            return await tx.all(
                ScheduleEntry,
                select(schedules, servers.c.platform, servers.c.external_id.label("server_ref"))
                .join(servers, servers.c.id == schedules.c.server_id)
                .order_by(schedules.c.id),
            )

    async def schedule(self, schedule_id: int) -> ScheduleRecord | None:
        async with self.read() as tx:
            return await tx.first(
                ScheduleRecord, select(schedules).where(schedules.c.id == schedule_id)
            )

    # Subscriptions: a member's own daily question by DM ------------------------------------

    async def subscription(self, server_id: int, member_id: int) -> SubscriptionRecord | None:
        async with self.read() as tx:
            return await tx.first(
                SubscriptionRecord,
                select(subscriptions).where(
                    subscriptions.c.server_id == server_id,
                    subscriptions.c.member_id == member_id,
                ),
            )

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

    async def all_subscriptions(self) -> list[SubscriptionEntry]:
        """Every subscription with what posting needs: platform, member id and timezone."""
        async with self.read() as tx:
            return await tx.all(
                SubscriptionEntry,
                select(
                    subscriptions,
                    servers.c.platform,
                    servers.c.default_timezone,
                    members.c.external_id.label("member_ref"),
                    members.c.timezone.label("member_timezone"),
                )
                .join(servers, servers.c.id == subscriptions.c.server_id)
                .join(members, members.c.id == subscriptions.c.member_id)
                .order_by(subscriptions.c.id),
            )

    # Member practice state --------------------------------------------------------------

    async def stats(self, server_id: int, member_id: int) -> StatsRecord | None:
        async with self.read() as tx:
            result = await tx.conn.execute(
                STATS_OF, {"server_id": server_id, "member_id": member_id}
            )
            return StatsRecord.maybe(result.first())

    async def set_current_question(
        self, server_id: int, member_id: int, question_id: str, post_id: int | None
    ) -> None:
        await self.set_current_questions([(server_id, member_id, question_id, post_id)])

    async def set_current_questions(self, rows: list[tuple[int, int, str, int | None]]) -> None:
        """Each (server, member)'s current question and post, in one statement."""
        now = utcnow()
        values = [
            {
                "server_id": server_id,
                "member_id": member_id,
                "current_question_id": question_id,
                "current_post_id": post_id,
                "updated_at": now,
            }
            for server_id, member_id, question_id, post_id in rows
        ]
        async with self.write() as tx:
            await tx.conn.execute(_current_upsert(tx.dialect), values)

    async def use_hint(self, server_id: int, member_id: int) -> int:
        """Count one more hint shown for the member's current question; the new count."""
        async with self.write() as tx:
            await tx.conn.execute(
                update(member_stats)
                .where(member_stats.c.server_id == server_id, member_stats.c.member_id == member_id)
                .values(current_hints=member_stats.c.current_hints + 1)
            )
            query = select(member_stats.c.current_hints).where(
                member_stats.c.server_id == server_id, member_stats.c.member_id == member_id
            )
            return (await tx.conn.execute(query)).scalar_one()

    async def due_reviews(self, member_id: int, now: datetime) -> list[str]:
        """Question ids due for review, most overdue first."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(review_states.c.question_id)
                .where(review_states.c.member_id == member_id, review_states.c.due <= now)
                .order_by(review_states.c.due, review_states.c.question_id)
            )
            return list(result.scalars())

    async def take_ai_review(self, server_id: int, day: date, cap: int) -> bool:
        """Count one AI review for the server's `day`; False (nothing counted) at the cap."""
        async with self.write() as tx:
            stmt = tx.insert(ai_usage).values(server_id=server_id, day=day, count=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=["server_id", "day"],
                set_={"count": ai_usage.c.count + 1},
                where=ai_usage.c.count < cap,
            )
            result = await tx.conn.execute(stmt)
            return cap > 0 and result.rowcount == 1

    async def all_stats(self) -> list[StatsRecord]:
        """Every member's counters, on every server."""
        async with self.read() as tx:
            return await tx.all(StatsRecord, select(member_stats))

    async def activity_rows(
        self,
    ) -> dict[tuple[int, int], tuple[list[tuple[str, date]], list[date]]]:
        """Per (server, member): their answers as (question, day) and their grade days."""
        found: dict[tuple[int, int], tuple[list[tuple[str, date]], list[date]]] = {}
        async with self.read() as tx:
            for row in await tx.conn.execute(
                select(
                    answers.c.server_id,
                    answers.c.member_id,
                    answers.c.question_id,
                    answers.c.local_date,
                )
            ):
                found.setdefault((row[0], row[1]), ([], []))[0].append((row[2], row[3]))
            for row in await tx.conn.execute(
                select(grades.c.server_id, grades.c.member_id, grades.c.local_date)
            ):
                found.setdefault((row[0], row[1]), ([], []))[1].append(row[2])
        return found

    async def grades_on(self, member_id: int, day: date) -> int:
        """How many grades the member gave on their local `day`."""
        async with self.read() as tx:
            query = select(func.count()).where(
                grades.c.member_id == member_id, grades.c.local_date == day
            )
            return (await tx.conn.execute(query)).scalar_one()

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

    async def latest_grades(self, server_id: int, member_id: int) -> dict[str, int]:
        """Per question, the member's latest grade on this server."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(grades.c.question_id, grades.c.rating)
                .where(grades.c.server_id == server_id, grades.c.member_id == member_id)
                .order_by(grades.c.created_at, grades.c.id)
            )
            return {question_id: rating for question_id, rating in result}

    async def recent_answers(self, member_id: int, limit: int = 5) -> list[AnswerSummary]:
        async with self.read() as tx:
            return await tx.all(
                AnswerSummary,
                select(answers.c.question_id, answers.c.created_at, answers.c.local_date)
                .where(answers.c.member_id == member_id)
                .order_by(answers.c.created_at.desc(), answers.c.id.desc())
                .limit(limit),
            )

    async def answer_history(
        self, server_id: int, member_id: int, *, limit: int = 5, answer_id: int | None = None
    ) -> list[PastAnswer]:
        """The member's latest answers here (or one of them), each with the first grade they
        gave that question at or after answering it."""
        graded = (
            select(grades.c.rating)
            .where(
                grades.c.member_id == answers.c.member_id,
                grades.c.question_id == answers.c.question_id,
                grades.c.created_at >= answers.c.created_at,
            )
            .order_by(grades.c.created_at, grades.c.id)
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(
                answers.c.id,
                answers.c.question_id,
                answers.c.text,
                answers.c.local_date,
                answers.c.created_at,
                answers.c.hints_used,
                graded.label("rating"),
            )
            .where(answers.c.server_id == server_id, answers.c.member_id == member_id)
            .order_by(answers.c.created_at.desc(), answers.c.id.desc())
            .limit(limit)
        )
        if answer_id is not None:
            query = query.where(answers.c.id == answer_id)
        async with self.read() as tx:
            return await tx.all(PastAnswer, query)

    async def activity_days(self, server_id: int, member_id: int, since: date) -> dict[date, int]:
        """Answers plus grades per local day since `since`, on one server (the stats picture)."""
        counts: dict[date, int] = {}
        async with self.read() as tx:
            for table in (answers, grades):
                result = await tx.conn.execute(
                    select(table.c.local_date, func.count())
                    .where(
                        table.c.server_id == server_id,
                        table.c.member_id == member_id,
                        table.c.local_date >= since,
                    )
                    .group_by(table.c.local_date)
                )
                for day, n in result:
                    counts[day] = counts.get(day, 0) + int(n)
        return counts


@cache
def _current_upsert(dialect: str) -> Any:
    """Set the current question; hints count per question, so another starts from none
    (built once per dialect)."""
    insert = dialects.insert(dialect, member_stats)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=["server_id", "member_id"],
        set_={
            "current_question_id": new.current_question_id,
            "current_post_id": new.current_post_id,
            "current_hints": case(
                (
                    member_stats.c.current_question_id == new.current_question_id,
                    member_stats.c.current_hints,
                ),
                else_=0,
            ),
        },
    )
