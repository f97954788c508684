"""Daily posts with controlled time: local times across DST, catch-up, exactly once, faults."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters.base import PlatformError
from bot.engine.core import Engine
from bot.features import build_engine
from bot.scheduling import Scheduler
from bot.store.store import Store
from tests.conftest import Clock, make_actor
from tests.fakes.recording import RecordingAdapter

UTC = ZoneInfo("UTC")


async def add_schedule(engine: Engine, channel: str, spec: str, server: str = "s1") -> int:
    from tests.conftest import make_actor

    admin = make_actor("boss", channel=channel, server=server, is_admin=True)
    reply = await engine.run_text(admin, f"schedule set {spec}")
    assert reply.cards[0].title == "Schedule saved", reply.plain_text()
    place = await engine.practice.place(admin)
    return (await engine.store.channel_schedule(place.server.id, channel)).id


def at(clock: Clock, local: str, zone: str) -> None:
    """Set the clock to a local wall time in `zone`."""
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
    clock.now = moment.astimezone(UTC).replace(tzinfo=None)


async def test_jobs_fire_at_local_time_across_dst_in_two_zones(engine, scheduler):
    await add_schedule(engine, "berlin", "09:00 Europe/Berlin")
    await add_schedule(engine, "newyork", "09:00 America/New_York")
    await scheduler.start()
    for zone, start in (("Europe/Berlin", "2026-03-26"), ("America/New_York", "2026-03-06")):
        job = scheduler.aps.get_job(f"due:{zone}:09:00")
        moment = datetime.fromisoformat(start).replace(tzinfo=UTC)
        fires = []
        for _ in range(6):
            moment = job.trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
            fires.append(moment)
        local = [f.astimezone(ZoneInfo(zone)) for f in fires]
        assert all((t.hour, t.minute) == (9, 0) for t in local)  # 09:00 on both sides
        days = [t.date() for t in local]
        assert all((b - a).days == 1 for a, b in itertools.pairwise(days))  # no gap or repeat
        offsets = {f.utcoffset() for f in local}
        assert len(offsets) == 2  # the window crosses the DST change


async def test_fire_posts_each_due_channel_once_with_a_thread(engine, scheduler, clock):
    await add_schedule(engine, "a", "09:00 Europe/Berlin weekdays=mon-fri")
    await add_schedule(engine, "b", "09:00 Europe/Berlin")
    await scheduler.reload()
    at(clock, "2026-03-14T09:00", "Europe/Berlin")  # a Saturday: only "b" runs
    assert await scheduler.fire("09:00", "Europe/Berlin") == 1
    at(clock, "2026-03-16T09:00", "Europe/Berlin")  # Monday: both
    assert await scheduler.fire("09:00", "Europe/Berlin") == 2
    assert await scheduler.fire("09:00", "Europe/Berlin") == 0  # a second run posts nothing
    posts = scheduler.adapter.posts()
    assert sorted(p.target for p in posts) == ["a", "b", "b"]
    assert all(p.reply.thread_title and not p.reply.private for p in posts)
    labels = [b.label for b in posts[0].reply.cards[0].buttons]
    assert labels == ["Answer", "Hint", "Reveal", "Skip"]


async def test_catch_up_inside_the_grace_window_and_not_outside(engine, scheduler, clock, caplog):
    await add_schedule(engine, "inside", "08:00 UTC grace=120")
    await add_schedule(engine, "outside", "07:00 UTC grace=120")
    at(clock, "2026-03-10T09:30", "UTC")  # 90 min after "inside", 150 after "outside"
    caplog.set_level(logging.WARNING)
    await scheduler.reload()
    assert await scheduler.sweep() == 1
    assert [p.target for p in scheduler.adapter.posts()] == ["inside"]
    assert "missed by more than its 120-minute grace window" in caplog.text


async def test_a_failed_post_is_retried_and_not_lost(engine, scheduler, clock):
    await add_schedule(engine, "flaky", "09:00 UTC")
    at(clock, "2026-03-10T09:00", "UTC")
    await scheduler.reload()
    scheduler.adapter.fail("flaky", *[PlatformError("boom", status=502)] * 5)
    assert await scheduler.fire("09:00", "UTC") == 0  # five attempts, all failed: claim given back
    clock.now += timedelta(minutes=5)
    assert await scheduler.sweep() == 1  # the sweep retries inside the grace window
    assert len(scheduler.adapter.attempts) == 6 and len(scheduler.adapter.posts()) == 1


async def test_429_retry_after_is_honoured_and_5xx_retried(engine, scheduler, clock):
    await add_schedule(engine, "busy", "09:00 UTC")
    at(clock, "2026-03-10T09:00", "UTC")
    await scheduler.reload()
    scheduler.adapter.fail(
        "busy",
        PlatformError("slow down", status=429, retry_after=0.2),
        PlatformError("x", status=500),
    )
    assert await scheduler.fire("09:00", "UTC") == 1
    first, second, _third = scheduler.adapter.attempts
    assert second.at - first.at >= 0.2  # waited as long as the platform asked
    assert len(scheduler.adapter.posts()) == 1


async def test_a_gone_channel_pauses_only_its_schedule(engine, scheduler, clock, store):
    gone = await add_schedule(engine, "gone", "09:00 UTC")
    await add_schedule(engine, "fine", "09:00 UTC")
    at(clock, "2026-03-10T09:00", "UTC")
    await scheduler.reload()
    scheduler.adapter.fail("gone", PlatformError("Unknown Channel", status=404))
    assert await scheduler.fire("09:00", "UTC") == 1
    assert [p.target for p in scheduler.adapter.posts()] == ["fine"]
    row = await store.schedule(gone)
    assert row.paused and "404" in row.pause_reason
    told = scheduler.adapter.posts("direct")  # the admin who set it hears about it
    assert [t.target for t in told] == ["boss"]
    assert "schedule resume" in told[0].reply.cards[0].body
    assert all(d.channel_id != "gone" for items in scheduler.groups.values() for d in items)


async def test_the_previous_post_gets_its_tally(engine, scheduler, clock):
    from tests.conftest import make_actor

    await add_schedule(engine, "c1", "09:00 UTC")
    await scheduler.reload()
    at(clock, "2026-03-10T09:00", "UTC")
    await scheduler.fire("09:00", "UTC")
    post = scheduler.adapter.posts()[0]
    button = post.reply.cards[0].buttons[0]
    for user in ("ann", "bob"):
        form = await engine.run_action(make_actor(user), button.action)
        await engine.run_action(make_actor(user), form.form.action, {"answer": "thread pool"})
    at(clock, "2026-03-11T09:00", "UTC")
    await scheduler.fire("09:00", "UTC")
    updates = scheduler.adapter.posts("update")
    assert len(updates) == 1 and updates[0].target == "c1/m1"
    assert "answered by 2 people" in updates[0].reply.cards[0].footer


async def test_subscriptions_send_a_dm_at_the_members_local_time(engine, scheduler, clock):
    from tests.conftest import make_actor

    ann = make_actor("ann")
    await engine.run_text(ann, "timezone Asia/Tokyo")
    reply = await engine.run_text(ann, "subscribe 07:30 alpha")
    assert "07:30" in reply.cards[0].body and "Asia/Tokyo" in reply.cards[0].body
    await scheduler.reload()
    assert ("07:30", "Asia/Tokyo") in scheduler.groups
    at(clock, "2026-03-10T07:30", "Asia/Tokyo")
    assert await scheduler.fire("07:30", "Asia/Tokyo") == 1
    dm = scheduler.adapter.posts("direct")[0]
    assert dm.target == "ann" and dm.reply.thread_title is None
    qid = dm.reply.cards[0].footer.removeprefix("id: ")
    assert engine.bank.get(qid).topic == "alpha"
    # In a DM, `today` is the same question.
    today = await engine.run_text(make_actor("ann", is_dm=True, channel="D1"), "today")
    assert today.cards[0].footer == dm.reply.cards[0].footer
    assert (await engine.run_text(ann, "unsubscribe")).cards[0].title == "Unsubscribed"
    await scheduler.reload()
    assert ("07:30", "Asia/Tokyo") not in scheduler.groups


async def test_two_schedulers_on_one_database_post_once(store: Store, bank, clock, tmp_path):
    other = Store.from_url(store.url, schema=store.schema)  # its own connections
    engines = [build_engine(store=s, bank=bank, clock=clock) for s in (store, other)]
    await add_schedule(engines[0], "race", "09:00 UTC")
    adapter = RecordingAdapter()
    schedulers = [
        Scheduler(engine=e, adapters={"test": adapter}, clock=clock, owner=f"p{i}")
        for i, e in enumerate(engines)
    ]
    for s in schedulers:
        await s.reload()
    at(clock, "2026-03-10T09:00", "UTC")
    results = await asyncio.gather(*(s.fire("09:00", "UTC") for s in schedulers))
    assert sorted(results) == [0, 1]
    assert len(adapter.posts()) == 1
    for e in engines:
        await e.close()
    await other.close()


async def test_thirty_days_with_random_restarts_post_every_due_question_once(store, bank, clock):
    rng = random.Random(2026)
    specs = [
        ("c-berlin", "09:00 Europe/Berlin"),
        ("c-ny", "08:30 America/New_York weekdays=mon-fri"),
        ("c-tokyo", "07:15 Asia/Tokyo weekdays=mon,wed,fri"),
        ("c-utc", "23:50 UTC"),
    ]
    setup = build_engine(store=store, bank=bank, clock=clock)
    for channel, spec in specs:
        await add_schedule(setup, channel, spec)
    await setup.close()
    adapter = RecordingAdapter()
    start = datetime(2026, 3, 1, 3, 0)  # nothing due in the 2 h before; spans both DST changes
    end = start + timedelta(days=30)

    async def boot() -> tuple[Engine, Scheduler]:
        engine = build_engine(store=store, bank=bank, clock=clock)
        sched = Scheduler(engine=engine, adapters={"test": adapter}, clock=clock)
        await sched.reload()
        await sched.sweep()  # start-up catch-up
        return engine, sched

    clock.now = start
    engine, sched = await boot()
    expected = 0
    restarts = 0
    # Walk through every due moment in order; sometimes the process is down at that moment
    # and comes back 10-100 minutes later (inside the 120-minute grace window).
    moments = []
    for _ in range(40):
        for items in sched.groups.values():
            for item in items:
                day = (start + timedelta(days=_)).date()
                if item.runs_on(day):
                    moments.append((item.local_due(day).astimezone(UTC).replace(tzinfo=None), item))
    moments = sorted(m for m in moments if start <= m[0] < end)
    expected = len(moments)
    for moment, item in moments:
        if rng.random() < 0.2:
            await engine.close()
            restarts += 1
            clock.now = moment + timedelta(minutes=rng.randint(10, 100))
            engine, sched = await boot()
        else:
            clock.now = moment + timedelta(seconds=rng.randint(0, 30))
            await sched.fire(item.time_of_day, item.timezone)
    await engine.close()
    posted = [(r.target, r.reply.cards[0].title) for r in adapter.posts()]
    assert restarts > 5
    assert len(posted) == expected
    assert len(set(posted)) == expected  # never twice for a channel and day
    assert await store.count_posted() == expected


async def two_workers(store: Store, now: str, out: Path) -> list[str]:
    """Two scheduler processes (tests/sched_worker.py) at `now`; the targets they posted to."""
    command = [
        sys.executable,
        "-m",
        "tests.sched_worker",
        store.url,
        store.schema or "-",
        now,
        str(out),
    ]
    procs = [await asyncio.create_subprocess_exec(*command) for _ in range(2)]
    codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), timeout=120)
    assert codes == [0, 0]
    return (await asyncio.to_thread(out.read_text)).split()


async def test_two_processes_on_one_database_post_each_schedule_once(store, engine, tmp_path):
    channels = [f"ch{i}" for i in range(12)]
    for channel in channels:
        await add_schedule(engine, channel, "09:00 UTC")
    lines = await two_workers(store, "2026-03-10T09:05:00", tmp_path / "posts.txt")
    assert sorted(lines) == sorted(channels)  # every schedule once, none twice


async def test_a_question_gone_from_the_bank_is_not_posted_as_an_error(engine, scheduler, clock):
    schedule_id = await add_schedule(engine, "a", "09:00 Europe/Berlin")
    await scheduler.reload()
    at(clock, "2026-03-16T09:00", "Europe/Berlin")
    place = await engine.practice.place(make_actor(channel="a"))
    day = datetime(2026, 3, 16).date()
    post = await engine.store.create_post(
        server_id=place.server.id,
        channel_id="a",
        day=day,
        question_id="no-longer-in-the-bank",
        cycle=0,
        schedule_id=schedule_id,
    )
    assert await scheduler.fire("09:00", "Europe/Berlin") == 0
    assert scheduler.adapter.posts() == []  # nothing public, no error card
    assert (await engine.store.post(post.id)).posted_at is None  # the day is not marked posted


async def test_a_post_sent_but_not_recorded_is_recorded_later_not_sent_twice(
    engine, scheduler, clock, monkeypatch
):
    await add_schedule(engine, "a", "09:00 Europe/Berlin")
    await scheduler.reload()
    at(clock, "2026-03-16T09:00", "Europe/Berlin")
    real = engine.store.mark_posted_many
    failures = {"left": 10}  # more than the write's retries

    async def flaky(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("database is locked")
        return await real(*args, **kwargs)

    monkeypatch.setattr(engine.store, "mark_posted_many", flaky)
    assert await scheduler.fire("09:00", "Europe/Berlin") == 1
    assert len(scheduler.adapter.posts()) == 1
    failures["left"] = 0
    clock.now += timedelta(minutes=6)  # the claim is stale: the sweep comes round
    await scheduler.sweep()
    assert len(scheduler.adapter.posts()) == 1  # recorded now, not sent again
    post = await engine.store.post_for_day(1, "a", datetime(2026, 3, 16).date())
    assert post.posted_at is not None
