"""Benchmark: the leaderboard's top 10 and a member's rank at 100 000 members in one server.

    python bench/ranks.py [--members 100000] [--backends sqlite,postgresql]

For the week, month, season and all-time boards, on SQLite and PostgreSQL (127.0.0.1:5432,
database `test`, in a schema of its own, dropped afterwards): p50 and p99 of the Store's
top 10 and of a member's rank (random members), beside the baseline measured in the same
run on the same data: the counting queries prepbot used before the rank counts, which count
every member of the server (`plain_*` below).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import settle  # noqa: E402
from bot.engine.seasons import season_days  # noqa: E402
from bot.engine.streaks import month_key, week_key  # noqa: E402
from bot.features.practice.recording import count_answer  # noqa: E402
from bot.store import rank_counts  # noqa: E402
from bot.store.schema import answers, member_stats, members  # noqa: E402
from bot.store.store import Store  # noqa: E402
from bot.store.transactions import Tx  # noqa: E402
from tests.conftest import drop_schema, open_store, postgres_available  # noqa: E402
from tests.test_ranks import period_answers, season_per_member  # noqa: E402

TODAY = date(2026, 3, 18)
BOARDS = ("week", "month", "season", "all")


# The baseline: the counting queries of before, every member counted (their parts are the
# reference of tests/test_ranks.py) ---------------------------------------------------------


async def plain_top(store: Store, server_id: int, period: str, key: str) -> list:
    """The old top 10: running streaks in index order, the rest by answers if too few."""
    s = member_stats.c
    score = period_answers(period, key).label("period_answers")
    async with store.read() as tx:
        running = list(
            await tx.conn.execute(
                select(s.member_id, members.c.display_name, s.current_streak, score)
                .join(members, members.c.id == s.member_id)
                .where(s.server_id == server_id, s.alive_until >= TODAY, s.current_streak > 0)
                .order_by(s.current_streak.desc(), score.desc(), s.member_id)
                .limit(10)
            )
        )
        if len(running) < 10:
            running += await tx.conn.execute(
                select(s.member_id, members.c.display_name, s.current_streak, score)
                .join(members, members.c.id == s.member_id)
                .where(s.server_id == server_id, (s.alive_until < TODAY) | s.alive_until.is_(None))
                .where(score > 0)
                .order_by(score.desc(), s.member_id)
                .limit(10 - len(running))
            )
        return running


async def plain_rank(store: Store, server_id: int, member_id: int, period: str, key: str) -> int:
    s = member_stats.c
    score = period_answers(period, key)
    async with store.read() as tx:
        row = (await tx.load_stats([(server_id, member_id)]))[(server_id, member_id)]
        alive = row.alive_until is not None and row.alive_until >= TODAY
        count = select(func.count()).where(
            s.server_id == server_id,
            s.alive_until >= TODAY,
            s.current_streak > (row.current_streak if alive else 0),
        )
        ahead = (await tx.conn.execute(count)).scalar_one()
        mine = select(score).where(s.server_id == server_id, s.member_id == member_id)
        mine = (await tx.conn.execute(mine)).scalar_one()
        if alive:
            level = (s.alive_until >= TODAY) & (s.current_streak == row.current_streak)
        else:
            level = (s.alive_until < TODAY) | s.alive_until.is_(None)
        tied = select(func.count()).where(s.server_id == server_id, level, score > mine)
        return ahead + (await tx.conn.execute(tied)).scalar_one() + 1


def _season_answers(server_id: int) -> Any:
    return season_per_member(server_id, *season_days(month_key(TODAY)))


async def plain_season_top(store: Store, server_id: int) -> list:
    per = _season_answers(server_id)
    async with store.read() as tx:
        return list(
            await tx.conn.execute(
                select(per.c.member_id, members.c.display_name, per.c.answers)
                .join(members, members.c.id == per.c.member_id)
                .order_by(per.c.answers.desc(), per.c.member_id)
                .limit(10)
            )
        )


async def plain_season_rank(store: Store, server_id: int, member_id: int) -> int | None:
    per = _season_answers(server_id)
    async with store.read() as tx:
        mine = select(per.c.answers).where(per.c.member_id == member_id)
        mine = (await tx.conn.execute(mine)).scalar_one_or_none()
        if mine is None:
            return None
        ahead = select(func.count()).select_from(per).where(per.c.answers > mine)
        return (await tx.conn.execute(ahead)).scalar_one() + 1


# Data --------------------------------------------------------------------------------------


async def fill(store: Store, n: int) -> int:
    """One server with `n` members: stats rows and this month's answers; rank counts rebuilt."""
    server_id = (await store.ensure_server("bench", "big")).id
    rng = random.Random(1)
    week, last_week = week_key(TODAY), week_key(TODAY - timedelta(days=7))
    first, _ = season_days(month_key(TODAY))
    created = datetime(2026, 1, 1)
    async with store.write() as tx:
        for start in range(0, n, 10_000):
            await tx.conn.execute(
                members.insert(),
                [
                    {
                        "platform": "bench",
                        "external_id": f"x{i}",
                        "display_name": f"x{i}",
                        "created_at": created,
                    }
                    for i in range(start, min(n, start + 10_000))
                ],
            )
        ids = list((await tx.conn.execute(select(members.c.id).order_by(members.c.id))).scalars())
        stats, rows = [], []
        for member_id in ids:
            # Streak lengths are heavy-tailed: most members have short ones, few long ones.
            streak = min(int(rng.expovariate(1 / 4)), 365)
            last = TODAY - timedelta(days=rng.choice([0, 0, 1, 3]))
            stats.append(
                {
                    "server_id": server_id,
                    "member_id": member_id,
                    "current_streak": streak,
                    "longest_streak": streak,
                    "freezes": 0,
                    "last_day": last,
                    "alive_until": last + timedelta(days=1),
                    "answers_total": rng.randint(0, 300),
                    "grades_total": 0,
                    "week_key": week if rng.random() < 0.8 else last_week,
                    "week_answers": rng.randint(0, 20),
                    "month_key": "2026-03",
                    "month_answers": rng.randint(0, 60),
                    "updated_at": created,
                }
            )
            for k in range(rng.randint(0, 8)):
                day = first + timedelta(days=rng.randint(0, TODAY.day - 1))
                rows.append(
                    {
                        "server_id": server_id,
                        "member_id": member_id,
                        "question_id": f"q{k}",
                        "text": "an answer",
                        "local_date": day,
                        "created_at": created,
                    }
                )
        for start in range(0, len(stats), 10_000):
            await tx.conn.execute(member_stats.insert(), stats[start : start + 10_000])
        for start in range(0, len(rows), 20_000):
            await tx.conn.execute(answers.insert(), rows[start : start + 20_000])
        began = time.perf_counter()
        await rank_counts.rebuild(tx)
        print(
            f"  rank counts rebuilt from {n:,} members, {len(rows):,} answers "
            f"in {time.perf_counter() - began:.1f} s"
        )
    if store.dialect == "postgresql":
        async with store.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return server_id


# Measuring ---------------------------------------------------------------------------------


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> tuple[float, float]:
    """p50 and p99 in ms of the calls, one at a time (after one warm-up call)."""
    await calls[0]()
    times = []
    for call in calls:
        began = time.perf_counter()
        await call()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def readers(store: Store, server_id: int, board: str) -> tuple[Callable, ...]:
    """A board's top 10 and a member's rank: ours, and the baseline's."""
    if board == "season":
        first, last = season_days(month_key(TODAY))
        return (
            lambda: store.season_board(server_id, first, last),
            lambda: plain_season_top(store, server_id),
            lambda m: store.season_rank(server_id, m, first, last),
            lambda m: plain_season_rank(store, server_id, m),
        )
    key = week_key(TODAY) if board == "week" else month_key(TODAY)
    return (
        lambda: store.leaderboard(server_id, today=TODAY, period=board, key=key),
        lambda: plain_top(store, server_id, board, key),
        lambda m: store.rank(server_id, m, today=TODAY, period=board, key=key),
        lambda m: plain_rank(store, server_id, m, board, key),
    )


def one_each(read: Callable, people: list[int]) -> list[Callable]:
    return [functools.partial(read, m) for m in people]


async def measure(store: Store, server_id: int, n: int, samples: int) -> list[tuple]:
    rng = random.Random(2)
    people = [rng.randint(1, n) for _ in range(samples)]
    few = people[: max(20, samples // 10)]  # the baseline is slow: fewer samples
    settle()  # as `prepbot run` does once started
    # The floor: one member_stats row by its key, through the same store.
    floor = await timed(one_each(lambda m: store.stats(server_id, m), people))
    lines = [("(a one-row read)", floor, None, floor, None)]
    for board in BOARDS:
        top, plain_top_, rank, plain_rank_ = readers(store, server_id, board)
        lines.append(
            (
                board,
                await timed([top] * samples),
                await timed([plain_top_] * len(few)),
                await timed(one_each(rank, people)),
                await timed(one_each(plain_rank_, few)),
            )
        )
    return lines


def next_day(row: Any) -> dict[str, Any]:
    """A member's stats row after answering one question today (the day after `TODAY`)."""
    new = {name: getattr(row, name) for name in row.__slots__}
    day = TODAY + timedelta(days=1)
    if row.last_day != day:
        running = row.alive_until is not None and row.alive_until >= day
        new["current_streak"] = row.current_streak + 1 if running else 1
        new["last_day"], new["alive_until"] = day, day + timedelta(days=1)
    count_answer(new, day)
    return new


async def write_cost(store: Store, server_id: int, n: int, size: int) -> tuple[float, float]:
    """Median ms to save the stats rows of `size` random members answering, with the rank
    counts moved (ours) and without (the baseline: the stats rows alone), alternating; each
    batch in a transaction rolled back, so every one starts from the same counts."""
    rng = random.Random(3)
    keep, times = rank_counts.keep, {True: [], False: []}

    async def nothing(*_: Any) -> None:
        return None

    try:
        for _ in range(15):
            people = [(server_id, m) for m in rng.sample(range(1, n + 1), size)]
            for counted in (True, False):
                rank_counts.keep = keep if counted else nothing
                async with store.engine.connect() as conn:
                    tx = Tx(conn, store.dialect)
                    before = await tx.load_stats(people)
                    after = [next_day(row) for row in before.values()]
                    began = time.perf_counter()
                    await tx.save_stats(after, before=before)
                    times[counted].append((time.perf_counter() - began) * 1000)
                    await conn.rollback()
    finally:
        rank_counts.keep = keep
    return statistics.median(times[True]), statistics.median(times[False])


async def run(backend: str, n: int, samples: int, tmp: Path) -> list[tuple]:
    # The tests' own way to a migrated store: a SQLite file, or a schema of its own on the
    # PostgreSQL server the tests use (PREPBOT_TEST_POSTGRES_URL).
    store, schema = await open_store("sqlite" if backend == "sqlite" else "postgres", tmp)
    try:
        server_id = await fill(store, n)
        lines = await measure(store, server_id, n, samples)
        for size in (32, 256):
            ours, plain = await write_cost(store, server_id, n, size)
            print(
                f"  saving the stats of {size} members answering: {ours:.1f} ms with the rank "
                f"counts, {plain:.1f} ms without ({(ours - plain) * 1000 / size:.0f} µs a member)"
            )
        return lines
    finally:
        await store.close()
        if schema:
            await drop_schema(schema)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            print(f"{backend}, {args.members:,} members in one server:")
            lines = await run(backend, args.members, args.samples, Path(tmp))
            print(
                f"  {'board':<16} {'top-10 p50/p99 ms':>16} {'baseline':>16} {'faster':>11}"
                f" {'rank p50/p99 ms':>16} {'baseline':>16} {'faster':>11}"
            )
            for board, top, plain_top_, rank, plain_rank_ in lines:
                print(f"  {board:<16}" + figures(top, plain_top_) + figures(rank, plain_rank_))


def figures(ours: tuple[float, float], plain: tuple[float, float] | None) -> str:
    """p50/p99 of ours and of the baseline, and how many times faster ours is (p50, p99)."""
    text = f" {ours[0]:7.3f} /{ours[1]:7.3f}"
    if plain is None:
        return text + " " * 31
    faster = f"{plain[0] / ours[0]:.0f}x/{plain[1] / ours[1]:.0f}x"
    return text + f" {plain[0]:7.2f} /{plain[1]:7.2f} {faster:>11}"


if __name__ == "__main__":
    postgres_available()  # asked once, before the loop runs (as the test session does)
    asyncio.run(main())
