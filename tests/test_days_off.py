"""Days off with a controlled clock: schedule skips and away days keep streaks; no posts, no DMs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.adapters.transcript import Transcript
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.days_off import away_left, quarter_of
from bot.features.practice.recount import check
from tests.conftest import Clock
from tests.fakes.discord_server import User
from tests.surfaces import surfaces
from tests.test_reminders import ANSWER, practise


def chat_for(engine: Engine) -> Transcript:
    return Transcript(engine, admins={"boss"})


async def streak_of(chat: Transcript, user: str = "ann") -> str:
    await chat.say(user, "streak")
    return chat.cards[0].fields[0].value


def next_day(clock: Clock, days: int = 1) -> None:
    clock.now += timedelta(days=days)


async def test_schedule_skip_keeps_everyones_streak_and_lists_the_days(engine, clock):
    chat = chat_for(engine)
    await chat.say("boss", "schedule set 09:00 UTC")
    await practise(chat, "ann")  # Tue 10 Mar 2026
    await practise(chat, "bob")
    await chat.say("boss", "schedule skip 2026-03-11..2026-03-13")
    chat.expect("No post on Wed 11 Mar – Fri 13 Mar 2026", "nobody in this server loses")
    await chat.say("boss", "schedule show")
    chat.expect("Days off (no post)", "Wed 11 Mar – Fri 13 Mar 2026")
    next_day(clock, 4)  # Sat 14 Mar: three skipped days in between, no freeze banked
    assert await streak_of(chat, "ann") == "1"
    await chat.say("ann", "leaderboard month")
    # Still running streaks: the stored alive_until moved with the skips.
    chat.expect("Ann · 🔥 1 · 1 answers", "Bob · 🔥 1 · 1 answers")
    await practise(chat, "ann")
    assert await streak_of(chat, "ann") == "2"
    await chat.say("bob", "streak")
    chat.expect("Practise today to keep it")
    assert await check(engine.store) == []  # `prepbot db check` agrees with the answer path


async def test_skip_clear_and_bad_dates(engine, clock):
    chat = chat_for(engine)
    await chat.say("boss", "schedule skip 2026-03-20")
    chat.expect("This channel has no schedule")
    await chat.say("boss", "schedule set 09:00 UTC")
    await chat.say("boss", "schedule skip 2026-03-01")
    chat.expect("2026-03-01 has passed")
    await chat.say("boss", "schedule skip 2026-13-01")
    chat.expect("is not a date")
    await chat.say("boss", "schedule skip 2026-03-20..2026-03-18")
    chat.expect("A range runs forward")
    await chat.say("ann", "schedule skip 2026-03-20")
    chat.expect("Only admins")
    await chat.say("boss", "schedule skip 2026-03-20,2026-03-24")
    chat.expect("Fri 20 Mar 2026, Tue 24 Mar 2026")
    await chat.say("boss", "schedule skip clear")
    chat.expect("2 days off removed", "Days off ahead: none")


async def test_away_pauses_the_streak_without_spending_freezes(engine, clock):
    chat = chat_for(engine)
    for _ in range(7):  # a week: one freeze banked
        await practise(chat)
        next_day(clock)
    await chat.say("ann", "streak")
    chat.expect("Freezes: 1 of 2")
    await chat.say("ann", "away 5")  # Tue 17 – Sat 21 Mar
    chat.expect("Enjoy the time off", "Tue 17 Mar – Sat 21 Mar 2026", "no freezes spent")
    next_day(clock, 5)  # Sun 22 Mar
    await chat.say("ann", "streak")
    chat.expect("Current: 7", "Freezes: 1 of 2", "Practise today")
    await practise(chat)
    await chat.say("ann", "streak")
    chat.expect("Current: 8", "Freezes: 1 of 2")


async def test_away_allows_14_days_a_quarter_and_back_ends_it(engine, clock):
    chat = chat_for(engine)
    await practise(chat)
    await chat.say("ann", "away 15")
    chat.expect("more than the 14 away days a quarter allows", "14 left", "Nothing changed")
    await chat.say("ann", "away 10")
    chat.expect("Enjoy the time off")
    await chat.say("ann", "away")
    chat.expect("Away: Tue 10 Mar – Thu 19 Mar 2026")
    next_day(clock, 2)  # Thu 12 Mar
    await chat.say("ann", "away 10")  # 12 .. 21 Mar: 12 distinct days with the first ones
    chat.expect("Enjoy the time off")
    await chat.say("ann", "back")  # the typed word for `away back`: 12 .. 21 Mar go
    chat.expect("Welcome back", "10 days off given back")
    await chat.say("ann", "away 13")  # 10 and 11 Mar are used: 12 left this quarter
    chat.expect("12 left")
    await chat.say("ann", "away back")
    chat.expect("You have no days off to end")


def test_quarters_and_allowance():
    d = datetime(2026, 3, 31).date()
    assert quarter_of(d) == (datetime(2026, 1, 1).date(), d)
    assert quarter_of(datetime(2026, 11, 5).date())[1] == datetime(2026, 12, 31).date()
    # 14 days ending a quarter and more starting the next: each quarter counted alone.
    days = [d - timedelta(days=n) for n in range(14)] + [d + timedelta(days=n) for n in (1, 2)]
    assert away_left([], days) is None
    assert away_left(days, [d - timedelta(days=20)]) == (quarter_of(d)[0], 0)


async def test_no_post_on_skip_days_and_no_dm_while_away(engine, clock, scheduler):
    sched, adapter = scheduler, scheduler.adapter
    chat = chat_for(engine)
    await chat.say("boss", "schedule set 09:00 UTC")
    await chat.say("ann", "subscribe 09:00")
    await chat.say("boss", "schedule skip 2026-03-11")
    await chat.say("ann", "away 2")  # Tue 10, Wed 11 Mar: no daily DM
    await sched.reload()
    clock.now = datetime(2026, 3, 11, 9, 0)
    assert await sched.fire("09:00", "UTC") == 0
    assert adapter.records == []
    clock.now = datetime(2026, 3, 12, 9, 0)
    assert await sched.fire("09:00", "UTC") == 2  # the channel's post and Ann's DM
    assert sorted(r.kind for r in adapter.records) == ["direct", "post"]


async def test_days_off_on_discord_slack_and_the_console(tmp_path):
    clock = Clock(datetime(2026, 3, 10, 12, 0))  # Tue
    async with surfaces(tmp_path, clock=clock) as s:
        fake = s.discord
        boss, ann = fake.user("boss", manage_guild=True), fake.user("ann")

        async def slash(*path: str, user: User, **options: object) -> str:
            interaction = fake.slash(*path, user=user, **options)
            return (await asyncio.to_thread(fake.reply, interaction)).text

        def on_discord(user: User, **extra: bool) -> Actor:
            return Actor("discord", fake.guild_id, fake.channel_id, user.id, user.name, **extra)

        await s.engine.run_text(on_discord(boss, is_admin=True), "schedule set 09:00 UTC")
        for run in (
            lambda text: s.engine.run_text(on_discord(ann), text),
            s.slack_says,
            s.console.handle,
        ):
            await run("today")
            assert "Answer saved" in str(await run(f"answer {ANSWER}"))
        # Discord: the admin skips Wed and Thu for the whole server.
        said = await slash("schedule", "skip", user=boss, dates="2026-03-11..2026-03-12")
        assert "No post on Wed 11 Mar – Thu 12 Mar 2026" in said
        assert "Only admins" in await slash("schedule", "skip", user=ann, dates="clear")
        # Slack: away, back, away again; the console: away.
        assert "Enjoy the time off" in await s.slack_says("away 3")
        assert "3 days off given back" in await s.slack_says("back")
        assert "Tue 10 Mar – Thu 12 Mar 2026" in await s.slack_says("away 3")
        assert "Enjoy the time off" in await s.console.handle("away 3")
        assert "Enjoy the time off" in await slash("me", "away", user=ann, days=1)
        assert "1 day off given back" in await slash("me", "away", user=ann, back=True)
        clock.now += timedelta(days=3)  # Fri 13 Mar: Wed and Thu were off for all three
        assert "**1** day streak. Practise today" in await slash("streak", user=ann)
        assert "*1* day streak. Practise today" in await s.slack_says("streak")
        assert "1 day streak. Practise today" in await s.console.handle("streak")
