"""Ranks from the rank counts agree with a plain recount over member_stats and answers, after
random answers, grades, repeated answers, lapses (time moving on), days off, timezone skew
at month ends and forget-me; and the counts equal a rebuild from scratch."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from bot.engine.content import Question
from bot.engine.days_off import refresh_streaks
from bot.engine.seasons import season_days
from bot.engine.streaks import month_key, week_key
from bot.features.practice.recording import Activity, Recorder
from bot.store import rank_counts
from bot.store.rank_tables import live_counts, score_counts, season_answers, tie_counts
from bot.store.records import LeaderRow, SeasonRow, StatsRecord
from bot.store.schema import answers, member_stats, members
from bot.store.store import Store

QUESTIONS = [
    Question(id=f"q{i}", topic="t", difficulty="easy", question="?", answer="!", key_points=("a",))
    for i in range(3)
]
PERIODS = ("week", "month", "all")


# The plain recount: the queries that counted members before the rank counts existed.


def period_answers(period: str, key: str) -> Any:
    if period == "week":
        return case((member_stats.c.week_key == key, member_stats.c.week_answers), else_=0)
    if period == "month":
        return case((member_stats.c.month_key == key, member_stats.c.month_answers), else_=0)
    return member_stats.c.answers_total


async def plain_leaderboard(store: Store, server_id: int, today: date, period: str, key: str):
    score = period_answers(period, key).label("period_answers")
    columns = (
        member_stats.c.member_id,
        members.c.display_name,
        members.c.external_id,
        member_stats.c.current_streak,
        score,
    )
    stats = member_stats.c
    async with store.read() as tx:
        running = await tx.conn.execute(
            select(*columns)
            .join(members, members.c.id == stats.member_id)
            .where(
                stats.server_id == server_id, stats.alive_until >= today, stats.current_streak > 0
            )
            .order_by(stats.current_streak.desc(), score.desc(), stats.member_id)
        )
        rest = await tx.conn.execute(
            select(*columns)
            .join(members, members.c.id == stats.member_id)
            .where(
                stats.server_id == server_id,
                (stats.alive_until < today) | stats.alive_until.is_(None),
                score > 0,
            )
            .order_by(score.desc(), stats.member_id)
        )
        return [LeaderRow(*r) for r in running] + [
            LeaderRow(r[0], r[1], r[2], 0, r[4]) for r in rest
        ]


def plain_ranks(rows: list[Any], today: date, period: str, key: str) -> dict[int, int]:
    """Every member's rank by the rules of the board, counted member by member."""

    def score(r: Any) -> int:
        if period == "all":
            return r.answers_total
        counted, n = (
            (r.week_key, r.week_answers) if period == "week" else (r.month_key, r.month_answers)
        )
        return n if counted == key else 0

    def alive(r: Any) -> bool:
        return r.alive_until is not None and r.alive_until >= today

    ranks = {}
    for me in rows:
        if alive(me):
            ahead = sum(
                alive(r)
                and (
                    r.current_streak > me.current_streak
                    or (r.current_streak == me.current_streak and score(r) > score(me))
                )
                for r in rows
            )
        else:
            ahead = sum(alive(r) and r.current_streak > 0 for r in rows)
            ahead += sum(not alive(r) and score(r) > score(me) for r in rows)
        ranks[me.member_id] = ahead + 1
    return ranks


def season_per_member(server_id: int, first: date, last: date) -> Any:
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


async def plain_season(store: Store, server_id: int, season: str) -> list[SeasonRow]:
    """Every member with answers in the season, best first (ties by member id)."""
    per = season_per_member(server_id, *season_days(season))
    async with store.read() as tx:
        result = await tx.conn.execute(
            select(per.c.member_id, members.c.display_name, members.c.external_id, per.c.answers)
            .join(members, members.c.id == per.c.member_id)
            .order_by(per.c.answers.desc(), per.c.member_id)
        )
        return [SeasonRow(*row) for row in result]


# Checks ------------------------------------------------------------------------------------


async def stored_counts(store: Store) -> dict[str, set[tuple]]:
    """Every count table's rows, without counts of nobody."""
    found = {}
    async with store.read() as tx:
        for table in (score_counts, live_counts, tie_counts, season_answers):
            rows = await tx.conn.execute(select(table))
            found[table.name] = {tuple(r) for r in rows if r[-1] != 0}
    return found


class _Undo(Exception):
    """Rolls the rebuild back: the counts stay as the store kept them."""


async def rebuilt_counts(store: Store) -> dict[str, set[tuple]]:
    """The counts as a rebuild from scratch makes them (rolled back afterwards)."""
    found = {}
    with contextlib.suppress(_Undo):
        async with store.transaction() as tx:
            await rank_counts.rebuild(tx)
            for table in (score_counts, live_counts, tie_counts, season_answers):
                rows = await tx.conn.execute(select(table))
                found[table.name] = {tuple(r) for r in rows if r[-1] != 0}
            raise _Undo
    return found


async def compare(store: Store, servers: list[int], people: list[int], today: date) -> None:
    for server_id in servers:
        async with store.read() as tx:
            rows = await tx.all(
                StatsRecord, select(member_stats).where(member_stats.c.server_id == server_id)
            )
        for period in PERIODS:
            key = week_key(today) if period == "week" else month_key(today)
            plain = await plain_leaderboard(store, server_id, today, period, key)
            board = await store.leaderboard(server_id, today=today, period=period, key=key)
            assert board == plain[:10], (server_id, period, today)
            ranks = plain_ranks(rows, today, period, key)
            for member_id in people:
                got = await store.rank(server_id, member_id, today=today, period=period, key=key)
                assert got == ranks.get(member_id), (server_id, member_id, period, today)
        for season in {month_key(today), month_key(today.replace(day=1) - timedelta(days=1))}:
            first, last = season_days(season)
            plain = await plain_season(store, server_id, season)
            assert await store.season_board(server_id, first, last) == plain[:10], season
            ranks = {r.member_id: 1 + sum(o.answers > r.answers for o in plain) for r in plain}
            for member_id in people:
                got = await store.season_rank(server_id, member_id, first, last)
                assert got == ranks.get(member_id), (server_id, member_id, season)


async def test_ranks_agree_with_a_plain_recount_after_random_activity(store: Store):
    rng = random.Random(18)
    servers = [(await store.ensure_server("test", f"s{i}")).id for i in range(2)]
    people = [(await store.ensure_member("test", f"u{i}", f"U{i}")).id for i in range(14)]
    ahead = {m: rng.random() < 0.3 for m in people}  # a timezone a day ahead of the server's
    recorder = Recorder(store)
    day = date(2026, 11, 22)  # through a month's end and several weeks
    try:
        for step in range(24):
            day += timedelta(days=rng.choice([1, 1, 1, 2]))
            now = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
            batch = []
            for member_id in rng.sample(people, rng.randint(3, len(people))):
                if rng.random() < 0.1:
                    ahead[member_id] = not ahead[member_id]  # moved to another timezone
                local = day + timedelta(days=1) if ahead[member_id] else day
                for _ in range(rng.randint(1, 3)):
                    graded = rng.random() < 0.3
                    batch.append(
                        Activity(
                            server_id=rng.choice(servers),
                            member_id=member_id,
                            day=local,
                            now=now,
                            question=rng.choice(QUESTIONS),
                            text=None if graded else "an answer",
                            rating=rng.randint(1, 4) if graded else None,
                        )
                    )
            await asyncio.gather(*(recorder.submit(a) for a in batch))
            if rng.random() < 0.3:  # someone goes away for a few days
                member_id = rng.choice(people)
                away = [day + timedelta(days=i) for i in range(1, rng.randint(2, 5))]
                await store.add_days_off(away, now=now, member_id=member_id)
                await refresh_streaks(store, member_id=member_id)
            if rng.random() < 0.15:  # a server skips a day
                server_id = rng.choice(servers)
                await store.add_days_off([day + timedelta(days=1)], now=now, server_id=server_id)
                await refresh_streaks(store, server_id=server_id)
            if step % 8 == 7:
                gone = people.pop(rng.randrange(len(people)))
                await store.forget_member(gone)
            assert await stored_counts(store) == await rebuilt_counts(store)
            if step % 4 == 1:
                for later in (0, 2):  # streaks lapse as days pass without a write
                    await compare(store, servers, people, day + timedelta(days=later))
    finally:
        await recorder.close()


async def record(store: Store, *activities: Activity) -> None:
    """Record activities as one batch (one transaction)."""
    recorder = Recorder(store)
    try:
        await asyncio.gather(*(recorder.submit(a) for a in activities))
    finally:
        await recorder.close()


def answer(server_id: int, member_id: int, day: date, question: int = 0) -> Activity:
    now = datetime.combine(day, datetime.min.time())
    return Activity(server_id, member_id, day, now, QUESTIONS[question], text="an answer")


async def test_a_batch_across_a_month_end_counts_each_answer_in_its_season(store: Store):
    server_id = (await store.ensure_server("test", "s")).id
    ann = (await store.ensure_member("test", "ann", "Ann")).id
    await record(store, answer(server_id, ann, date(2026, 11, 29)))
    # Late on the 30th, then (moved east) already the 1st, in one batch.
    await record(
        store,
        answer(server_id, ann, date(2026, 11, 30)),
        answer(server_id, ann, date(2026, 12, 1), question=1),
    )
    for season, answers_in_it in (("2026-11", 2), ("2026-12", 1)):
        board = await store.season_board(server_id, *season_days(season))
        assert [(r.member_id, r.answers) for r in board] == [(ann, answers_in_it)]
    assert await stored_counts(store) == await rebuilt_counts(store)


async def test_the_migration_fills_the_counts_from_what_is_stored(store: Store):
    from alembic import command

    from bot.store import database

    servers = [(await store.ensure_server("test", f"s{i}")).id for i in range(2)]
    people = [(await store.ensure_member("test", f"u{i}", f"U{i}")).id for i in range(4)]
    for offset in range(5):
        day = date(2026, 11, 28) + timedelta(days=offset)
        await record(
            store,
            *(answer(s, m, day, offset % 3) for s in servers for m in people[offset % 2 :]),
        )
    kept = await stored_counts(store)
    assert kept["season_answers"] and kept["tie_counts"]
    async with store.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(database._alembic_config(sync), "0012"))
    await store.upgrade()
    assert await stored_counts(store) == kept


async def test_db_check_finds_and_repairs_drifted_rank_counts(store: Store):
    from sqlalchemy import delete, update

    server_id = (await store.ensure_server("test", "s")).id
    people = [(await store.ensure_member("test", f"u{i}", f"U{i}")).id for i in range(3)]
    await record(store, *(answer(server_id, m, date(2026, 11, 30)) for m in people))
    assert await rank_counts.check(store) == []
    async with store.write() as tx:
        await tx.conn.execute(update(tie_counts).values(members=tie_counts.c.members + 1))
        await tx.conn.execute(delete(season_answers).where(season_answers.c.member_id == people[0]))
    found = await rank_counts.check(store)
    assert any(line.startswith("tie_counts") for line in found)
    assert any(line.startswith("season_answers") for line in found)
    assert await rank_counts.check(store, repair=True)
    assert await rank_counts.check(store) == []
    assert await store.season_rank(server_id, people[0], *season_days("2026-11")) == 1
