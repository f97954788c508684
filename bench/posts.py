"""Benchmark: 10 000 channel schedules due at the same minute, fanned out by the scheduler.

    python bench/posts.py [--schedules 10000] [--limited 10000] [--rate 50]

Prints, on a fresh SQLite file each run:
- posts/s for the whole fan-out to a fake platform with no rate limit, and the scheduler's
  own time per post (question pick, claim, post, mark posted: everything but the platform,
  which answers at once);
- the baseline measured in the same run: the same fan-out posted one at a time (batches of
  one, concurrency 1: per post a read, a write that creates and claims it, a write that
  marks it posted), and the ratio of the two;
- with a platform that allows `--rate` posts/s (answering 429 + Retry-After beyond it), the
  total time against the bound the limit sets (schedules / rate);
- with `--pack N`, the unlimited fan-out again with an N-question pack added to the server,
  so that every pick goes through the server's own view of the bank;
- with `--servers N`, the unlimited fan-out again with the schedules spread over N servers
  (each batch then reads posts of many servers);
- with `--history DAYS`, the unlimited fan-out again after DAYS posted days in every
  channel: the rotation and the previous day's tally read that history.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import yaml
from sqlalchemy import select

from bot.adapters.base import Adapter, PlatformError, Sent
from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import load_valid_bank
from bot.engine.messages import Reply
from bot.engine.options import FileArg
from bot.fanout import BATCH
from bot.features import build_engine
from bot.scheduling import Scheduler
from bot.store.schema import posts, schedules
from bot.store.schema import servers as servers_table
from bot.store.store import Store

NOW = datetime(2026, 3, 10, 9, 0)


class FakePlatform(Adapter):
    """Accepts posts instantly; with `rate`, refuses more than `rate` per second with 429."""

    platform = "bench"

    def __init__(self, *, rate: float | None = None):
        self.rate = rate
        self.max_posts_per_second = rate
        self.posted = 0
        self.refused = 0
        self.window = (0.0, 0)

    @property
    def ready(self) -> bool:
        return True

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def post(self, channel_id: str, reply: Reply) -> Sent:
        if self.rate:
            second, count = self.window
            now = time.monotonic()
            if now - second >= 1.0:
                second, count = now, 0
            if count >= self.rate:
                self.refused += 1
                raise PlatformError("rate limited", status=429, retry_after=1.0 - (now - second))
            self.window = (second, count + 1)
        self.posted += 1
        return Sent(channel_id=channel_id, message_ref=str(self.posted))

    async def send_direct(self, user_id: str, reply: Reply) -> Sent:
        return await self.post(user_id, reply)

    async def update(self, sent: Sent, reply: Reply) -> None:
        pass


def pack_yaml(count: int) -> bytes:
    """A valid pack of `count` questions in the bank's first topic."""
    topic = next(iter(load_valid_bank([BUILTIN_CONTENT_DIR]).topics))
    return yaml.safe_dump(
        [
            {
                "id": f"bench-{i}",
                "topic": topic,
                "difficulty": "medium",
                "question": f"Bench question {i}: what does a lock protect?",
                "answer": f"Answer {i}: a lock protects shared state from concurrent writers.",
                "key_points": ["shared state", "one writer at a time"],
            }
            for i in range(count)
        ]
    ).encode()


async def add_history(
    store: Store, server_ids: list[int], count: int, days: int, question_ids: list[str]
) -> None:
    """`days` posted days before NOW in each of the `count` channels, all in one cycle."""
    for day in range(1, days + 1):
        async with store.write() as tx:
            await tx.conn.execute(
                posts.insert(),
                [
                    {
                        "server_id": server_ids[i % len(server_ids)],
                        "channel_id": f"c{i}",
                        "local_date": (NOW - timedelta(days=day)).date(),
                        "question_id": question_ids[(i + day) % len(question_ids)],
                        "cycle": 0,
                        "message_ref": f"c{i}|{day}",
                        "posted_at": NOW - timedelta(days=day),
                        "created_at": NOW - timedelta(days=day),
                    }
                    for i in range(count)
                ],
            )


async def fan_out(
    path: Path,
    count: int,
    *,
    rate: float | None,
    concurrency: int,
    pack: int = 0,
    batch: int = BATCH,
    history: int = 0,
    servers: int = 1,
) -> tuple[float, FakePlatform]:
    store = Store.from_url(f"sqlite+aiosqlite:///{path}")
    await store.upgrade()
    server = await store.ensure_server("bench", "guild")
    async with store.write() as tx:
        others = [
            {"platform": "bench", "external_id": f"guild{k}", "created_at": NOW}
            for k in range(1, servers)
        ]
        if others:
            await tx.conn.execute(servers_table.insert(), others)
        ids = [server.id, *(await tx.conn.execute(select(servers_table.c.id))).scalars()]
        ids = sorted(set(ids))
        await tx.conn.execute(
            schedules.insert(),
            [
                {
                    "server_id": ids[i % len(ids)],
                    "channel_id": f"c{i}",
                    "time_of_day": "09:00",
                    "timezone": "UTC",
                    "weekdays": "mon,tue,wed,thu,fri,sat,sun",
                    "topics": "",
                    "grace_minutes": 120,
                    "paused": False,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(count)
            ],
        )
    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    await add_history(store, ids, count, history, sorted(bank.questions))
    engine = build_engine(store=store, bank=bank, clock=lambda: NOW)
    if pack:
        await engine.packs.import_pack(server.id, FileArg("bench.yaml", pack_yaml(pack)), by="b")
    platform = FakePlatform(rate=rate)
    scheduler = Scheduler(
        engine=engine, adapters={"bench": platform}, clock=lambda: NOW, concurrency=concurrency
    )
    scheduler.fanout.batch = batch
    await scheduler.reload()
    began = time.perf_counter()
    posted = await scheduler.fire("09:00", "UTC")
    elapsed = time.perf_counter() - began
    assert posted == count == platform.posted, (posted, platform.posted)
    await engine.close()
    await store.close()
    return elapsed, platform


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=2_000, help="schedules in the serial run")
    parser.add_argument("--limited", type=int, default=10_000, help="schedules in the limited run")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--pack", type=int, default=0, help="questions in a server pack")
    parser.add_argument(
        "--servers", type=int, default=0, help="also fan out with the schedules over N servers"
    )
    parser.add_argument(
        "--history", type=int, default=0, help="days already posted in every channel (max 300)"
    )
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        fast, _ = await fan_out(tmp_path / "fast.db", args.schedules, rate=None, concurrency=32)
        serial, _ = await fan_out(
            tmp_path / "serial.db", args.baseline, rate=None, concurrency=1, batch=1
        )
        rate = args.schedules / fast
        print(f"fan-out, no limit: {args.schedules} posts in {fast:.1f} s = {rate:.0f} posts/s")
        print(f"scheduler time per post: {fast / args.schedules * 1000:.2f} ms")
        base = args.baseline / serial
        print(
            f"baseline, one at a time: {base:.0f} posts/s, "
            f"{serial / args.baseline * 1000:.2f} ms per post"
        )
        print(f"ratio (fan-out / one at a time): {rate / base:.2f}")
        if args.pack:
            packed, _ = await fan_out(
                tmp_path / "pack.db", args.schedules, rate=None, concurrency=32, pack=args.pack
            )
            print(
                f"fan-out with a {args.pack}-question server pack: {args.schedules} posts in "
                f"{packed:.1f} s = {args.schedules / packed:.0f} posts/s"
            )
        if args.servers:
            spread, _ = await fan_out(
                tmp_path / "servers.db",
                args.schedules,
                rate=None,
                concurrency=32,
                servers=args.servers,
            )
            print(
                f"fan-out over {args.servers} servers: {args.schedules} posts in {spread:.1f} s "
                f"= {args.schedules / spread:.0f} posts/s, "
                f"{spread / args.schedules * 1000:.2f} ms per post"
            )
        if args.history:
            days = min(args.history, 300)  # within one cycle of the bank's questions
            aged, _ = await fan_out(
                tmp_path / "history.db", args.schedules, rate=None, concurrency=32, history=days
            )
            print(
                f"fan-out after {days} days of posts in every channel: {args.schedules} posts "
                f"in {aged:.1f} s = {args.schedules / aged:.0f} posts/s, "
                f"{aged / args.schedules * 1000:.2f} ms per post"
            )
        if args.limited:
            limited, platform = await fan_out(
                tmp_path / "limited.db", args.limited, rate=args.rate, concurrency=32
            )
            bound = args.limited / args.rate
            print(
                f"limited to {args.rate:.0f}/s: {args.limited} posts in {limited:.1f} s "
                f"(bound {bound:.0f} s, {limited / bound:.2f}x); 429s seen: {platform.refused}"
            )


if __name__ == "__main__":
    asyncio.run(main())
