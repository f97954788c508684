"""The daily fan-out in sets: many channels per batch, each posted once with its own post."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import yaml

from bot.engine.options import FileArg
from bot.fanout import BATCH
from bot.features import build_engine
from bot.scheduling import Scheduler
from bot.store.store import Store
from tests.conftest import make_actor
from tests.fakes.recording import RecordingAdapter
from tests.test_scheduling import add_schedule, at


async def test_many_channels_in_several_batches_each_get_their_own_post_once(
    engine, scheduler, clock
):
    servers = {f"c{i}": f"s{i % 2}" for i in range(BATCH + 20)}  # more than one batch
    channels = list(servers)
    for channel, server in servers.items():
        await add_schedule(engine, channel, "09:00 UTC", server=server)
    await scheduler.reload()
    at(clock, "2026-03-10T09:00", "UTC")
    assert await scheduler.fire("09:00", "UTC") == len(channels)
    assert await scheduler.fire("09:00", "UTC") == 0
    posted = scheduler.adapter.posts()
    assert sorted(p.target for p in posted) == sorted(channels)
    day = datetime(2026, 3, 10).date()
    for record in posted:
        actor = make_actor(channel=record.target, server=servers[record.target])
        place = await engine.kit.place(actor)
        post = await engine.store.post_for_day(place.server.id, record.target, day)
        assert post.posted_at is not None and post.message_ref
        card = record.reply.cards[0]
        assert card.footer == f"id: {post.question_id}"
        assert {b.action.target.post_id for b in card.buttons} == {post.id}  # its own post


async def test_the_fan_out_follows_the_rotation_of_today(store: Store, bank, clock, tmp_path):
    """Posts chosen in sets are the ones `today` would have chosen, across cycles."""
    other = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'today.db'}")
    await other.upgrade()
    engines = [build_engine(store=s, bank=bank, clock=clock) for s in (store, other)]
    for e in engines:
        await add_schedule(e, "rot", "09:00 UTC topics=beta")  # 3 questions: 3 cycles below
        await add_schedule(e, "all", "09:00 UTC")
    sched = Scheduler(engine=engines[0], adapters={"test": RecordingAdapter()}, clock=clock)
    await sched.reload()
    start = datetime(2026, 3, 10, 9, 0)
    for n in range(8):
        clock.now = start + timedelta(days=n)
        assert await sched.fire("09:00", "UTC") == 2
    for channel in ("rot", "all"):
        for n in range(8):
            actor = make_actor(channel=channel)
            clock.now = start + timedelta(days=n)
            today = await engines[1].run_text(actor, "today")
            place = await engines[0].kit.place(actor)
            posted = await store.post_for_day(place.server.id, channel, clock.now.date())
            assert today.cards[0].footer.startswith(f"id: {posted.question_id}"), (channel, n)
    for e in engines:
        await e.close()
    await other.close()


async def test_servers_with_their_own_pack_get_their_own_questions(engine, scheduler, clock):
    pack = [
        {
            "id": f"lock-{i}",
            "topic": "gamma",
            "difficulty": "easy",
            "question": f"Pack question {i}: what does a lock protect?",
            "answer": f"Answer {i}: a lock protects shared state from concurrent writers.",
            "key_points": ["shared state", "one writer at a time"],
        }
        for i in range(3)
    ]
    for server in ("s1", "s2"):
        for channel in ("a", "b"):
            await add_schedule(engine, f"{server}-{channel}", "09:00 UTC topics=gamma", server)
    place = await engine.kit.place(make_actor(server="s2"))
    file = FileArg("locks.yaml", yaml.safe_dump(pack).encode())
    await engine.packs.import_pack(place.server.id, file, by="boss")
    await scheduler.reload()
    at(clock, "2026-03-10T09:00", "UTC")
    assert await scheduler.fire("09:00", "UTC") == 4
    ids = {p.target: p.reply.cards[0].footer for p in scheduler.adapter.posts()}
    shipped = {q.id for q in engine.bank.select(("gamma",))}
    assert {ids["s1-a"], ids["s1-b"]} <= {f"id: {q}" for q in shipped}
    s2 = place.server.id
    ours = {f"id: s{s2}.lock-{i}" for i in range(3)} | {f"id: {q}" for q in shipped}
    assert {ids["s2-a"], ids["s2-b"]} <= ours


async def test_a_post_claimed_by_a_live_process_is_left_to_it(engine, scheduler, clock):
    await add_schedule(engine, "a", "09:00 UTC")
    await add_schedule(engine, "b", "09:00 UTC")
    await scheduler.reload()
    at(clock, "2026-03-10T09:00", "UTC")
    place = await engine.kit.place(make_actor(channel="a"))
    post = await engine.practice.daily.for_day(
        server_id=place.server.id, channel_id="a", day=clock.now.date()
    )
    assert await engine.store.claim_post(
        post.id, owner="elsewhere", now=clock.now, stale=clock.now - timedelta(minutes=5)
    )
    assert await scheduler.fire("09:00", "UTC") == 1
    assert [p.target for p in scheduler.adapter.posts()] == ["b"]
    clock.now += timedelta(minutes=6)  # the other process died: its claim is stale
    assert await scheduler.sweep() == 1
    assert sorted(p.target for p in scheduler.adapter.posts()) == ["a", "b"]


async def test_set_reads_agree_with_the_one_channel_reads(store: Store):
    """`cycles_of` and `previous_posted_many` give what the per-channel queries give."""
    rng = random.Random(18)
    server = await store.ensure_server("test", "s1")
    start = datetime(2026, 1, 1).date()
    channels = [f"c{i}" for i in range(6)]
    for channel in channels[1:]:  # c0 has no history at all
        cycle = 0
        for n in range(rng.randint(1, 40)):
            cycle += rng.random() < 0.1
            post = await store.create_post(
                server_id=server.id,
                channel_id=channel,
                day=start + timedelta(days=n + rng.randint(0, 1) * 20),
                question_id=f"q{rng.randint(1, 9)}",
                cycle=cycle,
            )
            if rng.random() < 0.7:
                await store.mark_posted_many([(post.id, f"{channel}|m{n}")], now=datetime.now())
    pairs = {(server.id, c) for c in channels}
    cycles = await store.cycles_of(pairs)
    day = start + timedelta(days=30)
    previous = await store.previous_posted_many({(server.id, c, day) for c in channels})
    for channel in channels:
        cycle, used = await store.channel_cycle(server.id, channel)
        assert cycles.get((server.id, channel), (0, set())) == (cycle, used), channel
        assert previous.get((server.id, channel)) == await store.previous_posted(
            server.id, channel, day
        )


class SlowPlatform(RecordingAdapter):
    """Each post takes `minutes` of the clock (a platform answering with long waits)."""

    def __init__(self, clock, minutes: int):
        super().__init__()
        self.clock, self.minutes = clock, minutes
        self.on_post = None

    async def post(self, channel_id, reply):
        self.clock.now += timedelta(minutes=self.minutes)
        if self.on_post is not None:
            await self.on_post(channel_id)
        return await super().post(channel_id, reply)


async def test_a_claim_that_waited_long_is_renewed_or_left_to_who_took_it(engine, clock):
    for channel in ("a", "b", "c"):
        await add_schedule(engine, channel, "09:00 UTC")
    slow = SlowPlatform(clock, minutes=3)
    sched = Scheduler(engine=engine, adapters={"test": slow}, clock=clock, concurrency=1)
    await sched.reload()
    at(clock, "2026-03-10T09:00", "UTC")
    assert await sched.fire("09:00", "UTC") == 3  # 3, 6 minutes in: renewed, still ours
    day = clock.now.date() + timedelta(days=1)
    clock.now = datetime.combine(day, datetime.min.time()).replace(hour=9)
    place = await engine.kit.place(make_actor(channel="a"))
    taken = []

    async def another_process_takes_a_stale_claim(posting: str):
        slow.on_post = None  # once, while this process posts its first
        for channel in {"a", "b", "c"} - {posting}:
            post = await engine.store.post_for_day(place.server.id, channel, day)
            stale = clock.now - timedelta(minutes=5)
            if post.posted_at is None and await engine.store.claim_post(
                post.id, owner="elsewhere", now=clock.now, stale=stale
            ):
                taken.append(channel)

    slow.minutes, slow.on_post = 6, another_process_takes_a_stale_claim
    assert await sched.fire("09:00", "UTC") == 1
    assert len(taken) == 2  # the other process posts those two; this one does not
    assert len(slow.posts()) == 4
