"""`prepbot db check`: counters recomputed from raw answers and grades agree with the stored
ones after any sequence of activity, and `--repair` mends drift."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import update

from bot.adapters.transcript import Transcript
from bot.engine.core import Engine
from bot.features.practice.recount import check
from bot.store.schema import member_stats


async def test_random_activity_over_weeks_recounts_to_the_same_counters(engine: Engine, clock):
    rng = random.Random(5)
    chat = Transcript(engine)
    members = ["ann", "bob", "cat"]
    for _ in range(40):  # about six weeks, with gaps that spend and break streaks
        clock.now += timedelta(hours=rng.choice([6, 20, 26, 49, 75]))
        who = rng.choice(members)
        await chat.say(who, rng.choice(["today", "question"]))
        for _ in range(rng.randint(0, 2)):
            await chat.say(who, "answer a thread pool reuses worker threads")
        if rng.random() < 0.5:
            await chat.say(who, rng.choice(["grade good", "grade again"]))
    assert await check(engine.store) == []


async def test_drift_is_reported_and_repaired(engine: Engine):
    chat = Transcript(engine)
    await chat.say("ann", "today")
    await chat.say("ann", "answer a thread pool")
    async with engine.store.write() as tx:
        await tx.conn.execute(update(member_stats).values(answers_total=7, current_streak=40))
    found = {d.column: (d.stored, d.recomputed) for d in await check(engine.store)}
    assert found == {"answers_total": (7, 1), "current_streak": (40, 1)}
    assert await check(engine.store, repair=True)
    assert await check(engine.store) == []
