"""Benchmark: the web dashboard's pages with 10 000 members and 1 000 mock rounds.

    python bench/dashboard.py [--members 10000] [--rounds 1000] [--answers 20] [--renders 60]
                              [--postgres-url URL | --no-postgres]

Fills a fresh SQLite file, and a fresh schema on PostgreSQL (127.0.0.1 by default; dropped
afterwards), with one server's members, their answers and grades over four months, streaks,
finished mock rounds, and suggestions and problem reports for the review queues; then
requests every page through the bot's own aiohttp application (signed in as an admin, over
127.0.0.1) and prints, per page, p50 and p95 of the time from request to last byte. The
baseline, measured in the same run and the same way, is a static aiohttp handler returning
a page of the same kind; the ratio is page p95 over baseline p95. Target: every page under
100 ms p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta

from aiohttp import web as aioweb
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot import web
from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import load_valid_bank
from bot.engine.signin import SignIn, token_hash
from bot.features import build_engine
from bot.store.schema import (
    dashboard_sessions,
    member_stats,
    members,
    mock_items,
    mock_rounds,
    reports,
    servers,
    suggestions,
)
from bot.store.store import Store
from bot.web import dashboard

NOW = datetime(2026, 3, 10, 12, 0)
TODAY = NOW.date()
DAYS = 120
COOKIE = "bench-session-cookie"
TARGET_MS = 100.0
CHUNK = 5_000


async def insert(store: Store, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with store.engine.begin() as conn:
            await conn.execute(table.insert(), rows[start : start + CHUNK])


async def record(store: Store, rows: list[dict], *, graded: bool) -> None:
    """Answers or grades the way the bot writes them: with the dashboard's tallies."""
    for start in range(0, len(rows), CHUNK):
        async with store.write() as tx:
            chunk = rows[start : start + CHUNK]
            await (tx.insert_grades(chunk) if graded else tx.insert_answers(chunk))


def practice_rows(n_members: int, per_member: int, question_ids: list[str], rng: random.Random):
    """Answers and grades: each member practises `per_member` days of the last DAYS."""
    answer_rows, grade_rows, stats_rows = [], [], []
    for member_id in range(1, n_members + 1):
        days = sorted(rng.sample(range(DAYS), per_member))
        for offset in days:
            day = TODAY - timedelta(days=offset)
            qid = rng.choice(question_ids)
            at = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
            answer_rows.append(
                dict(
                    server_id=1,
                    member_id=member_id,
                    question_id=qid,
                    text="An answer " * 8,
                    covered="",
                    local_date=day,
                    created_at=at,
                    hints_used=0,
                )
            )
            grade_rows.append(
                dict(
                    server_id=1,
                    member_id=member_id,
                    question_id=qid,
                    rating=rng.choice((1, 2, 3, 3, 4)),
                    local_date=day,
                    created_at=at + timedelta(minutes=1),
                )
            )
        streak = rng.choice((0, 0, 1, 2, 3, 5, 8, 13, 21))
        stats_rows.append(
            dict(
                server_id=1,
                member_id=member_id,
                current_streak=streak,
                longest_streak=streak + rng.randint(0, 9),
                freezes=rng.randint(0, 2),
                last_day=TODAY,
                alive_until=TODAY + timedelta(days=1) if streak else None,
                answers_total=per_member,
                grades_total=per_member,
                month_key=f"{TODAY:%Y-%m}",
                month_answers=sum(1 for offset in days if offset < TODAY.day),
                updated_at=NOW,
            )
        )
    return answer_rows, grade_rows, stats_rows


def round_rows(n_rounds: int, n_members: int, question_ids: list[str], rng: random.Random):
    rounds, items = [], []
    leads = list(range(1, 11))
    for round_id in range(1, n_rounds + 1):
        started = NOW - timedelta(hours=rng.randint(1, 24 * 365))
        rounds.append(
            dict(
                id=round_id,
                server_id=1,
                channel_id=f"c{round_id}",
                lead_member_id=rng.choice(leads),
                candidate_member_id=rng.randint(11, n_members),
                is_group=False,
                topics="",
                question_count=5,
                minutes=45,
                status="ended",
                started_at=started,
                deadline=started + timedelta(minutes=45),
                ended_at=started + timedelta(minutes=40),
            )
        )
        for position in range(1, 6):
            asked = started + timedelta(minutes=8 * (position - 1))
            items.append(
                dict(
                    round_id=round_id,
                    position=position,
                    question_id=rng.choice(question_ids),
                    asked_at=asked,
                    finished_at=asked + timedelta(minutes=7),
                    score=rng.randint(1, 5),
                    note="clear on the trade-offs",
                )
            )
    return rounds, items


async def populate(store: Store, args: argparse.Namespace, question_ids: list[str]) -> None:
    rng = random.Random(17)
    await insert(
        store,
        servers,
        [dict(id=1, platform="bench", external_id="g1", name="Bench team", created_at=NOW)],
    )
    await insert(
        store,
        members,
        [
            dict(
                id=n,
                platform="bench",
                external_id=f"u{n}",
                display_name=f"Member {n}",
                created_at=NOW,
            )
            for n in range(1, args.members + 1)
        ],
    )
    answer_rows, grade_rows, stats_rows = practice_rows(
        args.members, args.answers, question_ids, rng
    )
    await record(store, answer_rows, graded=False)
    await record(store, grade_rows, graded=True)
    await insert(store, member_stats, stats_rows)
    rounds, items = round_rows(args.rounds, args.members, question_ids, rng)
    await insert(store, mock_rounds, rounds)
    await insert(store, mock_items, items)
    await queue_rows(store, args, question_ids, rng)
    await insert(
        store,
        dashboard_sessions,
        [
            dict(
                token_hash=token_hash(COOKIE),
                server_id=1,
                member_id=1,
                role=2,
                csrf="x",
                created_at=NOW,
                expires_at=NOW + timedelta(days=1),
            )
        ],
    )
    async with store.engine.connect() as conn:  # fresh statistics for the planner
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    if store.dialect == "postgresql":
        # Index-only scans need the visibility map a VACUUM writes (autovacuum would, later).
        async with store.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute("VACUUM ANALYZE")


async def queue_rows(
    store: Store, args: argparse.Namespace, question_ids: list[str], rng: random.Random
) -> None:
    """Review queues of some size: 1 000 suggestions (a fifth waiting) and 5 000 reports of
    500 questions (a third open)."""
    body = json.dumps(
        {
            "topic": "python-fundamentals",
            "difficulty": "medium",
            "question": "What does a generator keep between two calls of next()?",
            "answer": "Its frame: local variables and the point where it stopped.",
            "key_points": ["the frame is kept", "execution resumes after the yield"],
        }
    )

    def by_member(ago: timedelta, **values: object) -> dict:
        return dict(
            server_id=1, member_id=rng.randint(1, args.members), created_at=NOW - ago, **values
        )

    waiting = [
        by_member(timedelta(hours=n), body=body, status="pending" if n % 5 == 0 else "rejected")
        for n in range(1_000)
    ]
    await insert(store, suggestions, waiting)
    reported = rng.sample(question_ids, min(500, len(question_ids)))
    texts = [
        by_member(
            timedelta(minutes=n),
            question_id=reported[n % len(reported)],
            text="The second key point contradicts the answer.",
            status="open" if n % 3 == 0 else "resolved",
        )
        for n in range(5_000)
    ]
    await insert(store, reports, texts)


def pages(rounds: int) -> dict[str, str]:
    return {
        "overview": "/dashboard/1/",
        "member page": "/dashboard/1/members/1",
        "question bank": "/dashboard/1/questions",
        "question search": "/dashboard/1/questions?q=thread&difficulty=medium",
        "mock rounds": "/dashboard/1/rounds",
        "rounds, filtered": "/dashboard/1/rounds?lead=3&from=2025-09-01",
        "scorecard": f"/dashboard/1/rounds/{max(1, rounds // 2)}",
        "review queues": "/dashboard/1/queues",
    }


async def timed(client: TestClient, path: str, renders: int) -> list[float]:
    for _ in range(3):  # warm-up: templates compiled, connections pooled
        response = await client.get(path)
        assert response.status == 200, (path, response.status, await response.text())
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        response = await client.get(path)
        await response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


async def measure(store: Store, args: argparse.Namespace, label: str) -> bool:
    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    question_ids = sorted(bank.questions)
    started = time.perf_counter()
    await populate(store, args, question_ids)
    loaded = time.perf_counter() - started
    signin = SignIn(public_url="http://127.0.0.1", secret=b"bench" * 8)
    engine = build_engine(store=store, bank=bank, clock=lambda: NOW, signin=signin)

    async def ready() -> dict[str, bool]:
        return {"database": True}

    async def static(_request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(text=STATIC_PAGE, content_type="text/html")

    app = web.build_app(ready=ready, routes=[aioweb.get("/static", static)])
    dashboard.setup(app, engine=engine, signin=signin, clock=lambda: NOW)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    client.session.cookie_jar.update_cookies({"prepbot_session": COOKIE})
    ok = True
    try:
        baseline = p95(await timed(client, "/static", args.renders))
        print(
            f"\n{label}: {args.members} members, {args.rounds} mock rounds, "
            f"{args.members * args.answers} answers and as many grades (loaded in {loaded:.0f} s)"
        )
        print(f"{'page':<18} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>7}")
        print(f"{'baseline (static)':<18} {'':>8} {baseline:>8.2f} {1:>7.1f}")
        for name, path in pages(args.rounds).items():
            times = await timed(client, path, args.renders)
            page_p95 = p95(times)
            ok &= page_p95 < TARGET_MS
            print(
                f"{name:<18} {statistics.median(times):>8.2f} {page_p95:>8.2f} "
                f"{page_p95 / baseline:>7.1f}{'' if page_p95 < TARGET_MS else '  over target'}"
            )
    finally:
        await client.close()
        await engine.close()
    return ok


STATIC_PAGE = (
    "<!doctype html><title>static</title>" + "<p>A static page of the same size.</p>" * 200
)


async def on_sqlite(args: argparse.Namespace) -> bool:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.from_url(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await store.upgrade()
        try:
            return await measure(store, args, "SQLite")
        finally:
            await store.close()


async def on_postgres(args: argparse.Namespace) -> bool:
    import asyncpg

    plain = args.postgres_url.replace("postgresql+asyncpg", "postgresql")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncpg.connect(plain, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"\nPostgreSQL: not reachable at {args.postgres_url} ({exc}); skipped")
        return True
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    store = Store.from_url(args.postgres_url, schema=schema)
    try:
        await store.upgrade()
        return await measure(store, args, "PostgreSQL")
    finally:
        await store.close()
        conn = await asyncpg.connect(plain)
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1_000)
    parser.add_argument("--answers", type=int, default=20, help="answers per member")
    parser.add_argument("--renders", type=int, default=60, help="requests per page")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    ok = asyncio.run(on_sqlite(args))
    if not args.no_postgres:
        ok &= asyncio.run(on_postgres(args))
    print(f"\nevery page under {TARGET_MS:.0f} ms p95: {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
