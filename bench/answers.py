"""Benchmark: the answer path against a raw single-row insert.

    python bench/answers.py [--answers 6400]

Prints, for a fresh SQLite file each:
- answers/s through prepbot's answer path (answer row + grade row + FSRS review state +
  streak/counter stats row, all in one transaction, batched by group commit), driven by
  256 members answering at once;
- answers/s of the baseline: raw aiosqlite `INSERT` of one answer row + `COMMIT`, one at a
  time, with the same WAL and synchronous settings;
- both with synchronous=FULL (the default: a saved answer survives a power loss) and NORMAL;
- their ratio (prepbot / baseline; >= 1.0 means the full path is no slower), best of three
  runs each;
- p50/p99 latency of the answer path at a paced 2 000 answers/s.

Leaderboard and rank reads are bench/ranks.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.app import settle
from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import load_valid_bank
from bot.engine.core import Kit
from bot.features.practice import Practice
from bot.features.practice.recording import Activity
from bot.store.store import Store

CONCURRENCY = 256
PACED_RATE = 2000


async def open_practice(
    path: Path, synchronous: str = "FULL"
) -> tuple[Store, Practice, int, list[int]]:
    store = Store.from_url(f"sqlite+aiosqlite:///{path}", synchronous=synchronous)
    await store.upgrade()
    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    practice = Practice(Kit(store=store, bank=bank))
    server = await store.ensure_server("bench", "s1")
    members = [
        (await store.ensure_member("bench", f"m{i}", f"m{i}")).id for i in range(CONCURRENCY)
    ]
    return store, practice, server.id, members


def activities(practice: Practice, server_id: int, member_id: int, n: int, start: datetime):
    questions = list(practice.kit.bank.questions.values())
    rng = random.Random(member_id)
    for i in range(n):
        now = start + timedelta(hours=6 * i)
        q = rng.choice(questions)
        base = dict(server_id=server_id, member_id=member_id, day=now.date(), now=now, question=q)
        yield Activity(**base, text="A reference-style answer about " + q.topic, covered=(True,))
        yield Activity(**base, rating=rng.randint(1, 4))


async def answer_path(path: Path, total: int, synchronous: str = "FULL") -> float:
    """Answers per second through the real recorder, 64 members at once."""
    store, practice, server_id, members = await open_practice(path, synchronous)
    per_member = total // len(members)
    start = datetime(2026, 1, 1, 8)

    # Made before the clock starts: the benchmark times the answer path, not test data.
    work = {m: list(activities(practice, server_id, m, per_member, start)) for m in members}
    settle()  # as `prepbot run` does once started

    async def member(member_id: int) -> None:
        for activity in work[member_id]:
            await practice.recorder.submit(activity)

    began = time.perf_counter()
    await asyncio.gather(*(member(m) for m in members))
    elapsed = time.perf_counter() - began
    await practice.close()
    await store.close()
    return per_member * len(members) / elapsed


async def baseline(path: Path, total: int, synchronous: str = "FULL") -> float:
    """Raw aiosqlite: one answer row INSERT + COMMIT at a time."""
    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute(f"PRAGMA synchronous={synchronous}")
        await db.execute(
            "CREATE TABLE answers (id INTEGER PRIMARY KEY, server_id INT, member_id INT, "
            "question_id TEXT, text TEXT, local_date TEXT, created_at TEXT)"
        )
        await db.commit()
        began = time.perf_counter()
        for i in range(total):
            await db.execute(
                "INSERT INTO answers (server_id, member_id, question_id, text, local_date, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (1, i % CONCURRENCY, "q", "A reference-style answer", "2026-01-01", "2026-01-01"),
            )
            await db.commit()
        return total / (time.perf_counter() - began)


async def paced(path: Path, seconds: float) -> tuple[float, float]:
    """p50/p99 latency (ms) of answer+grade submitted at PACED_RATE answers per second."""
    store, practice, server_id, members = await open_practice(path)
    streams = [activities(practice, server_id, m, 10**6, datetime(2026, 1, 1)) for m in members]
    latencies: list[float] = []
    tasks = []
    settle()  # as `prepbot run` does once started

    async def one(stream) -> None:
        began = time.perf_counter()
        await practice.recorder.submit(next(stream))
        await practice.recorder.submit(next(stream))
        latencies.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    count = int(PACED_RATE * seconds)
    for i in range(count):
        due = began + i / PACED_RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(streams[i % len(streams)])))
    await asyncio.gather(*tasks)
    await practice.close()
    await store.close()
    latencies.sort()
    return statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=6400)
    parser.add_argument("--paced-seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        # Best of three runs each, alternating: thread hand-offs to SQLite's worker thread
        # make single runs swing widely on a busy 2-core machine.
        figures = {}
        for mode in ("FULL", "NORMAL"):
            ours = raw = 0.0
            for run in range(3):
                path, raw_path = tmp_path / f"{mode}{run}.db", tmp_path / f"raw{mode}{run}.db"
                ours = max(ours, await answer_path(path, args.answers, mode))
                raw = max(raw, await baseline(raw_path, args.answers, mode))
            figures[mode] = (ours, raw)
        p50, p99 = await paced(tmp_path / "paced.db", args.paced_seconds)
    for mode, (ours, raw) in figures.items():
        print(f"synchronous={mode}:")
        print(f"  answer path (answer+grade+stats, {CONCURRENCY} members):{ours:9.0f} answers/s")
        print(f"  baseline (raw aiosqlite INSERT+COMMIT):          {raw:9.0f} answers/s")
        print(f"  ratio (answer path / baseline):                  {ours / raw:9.2f}")
    print(f"paced at {PACED_RATE}/s: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
