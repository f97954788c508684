"""Streak-at-risk reminders with a controlled clock: once a day, never after practice, never on
days off; in process, on the console, and through both fakes with two schedulers."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta
from pathlib import Path

from bot.adapters.console import ConsoleAdapter
from bot.adapters.transcript import Seen, Transcript
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.delivery import Step
from bot.engine.messages import Delivery
from bot.scheduling import Scheduler
from tests.conftest import Clock
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import TEAM_ID
from tests.surfaces import surfaces

ANSWER = "A thread pool reuses worker threads."


async def practise(chat: Transcript, user: str = "ann") -> None:
    await chat.say(user, "today")
    await chat.say(user, f"answer {ANSWER}")
    chat.expect("Answer saved")


async def send_all(engine: Engine, deliveries: list[Delivery], owner: str = "t") -> list[Delivery]:
    """Claimed in the database first, as the scheduler's courier and the console do; what
    went out."""
    sent: list[Delivery] = []
    for delivery in deliveries:
        assert delivery.once is not None
        now = engine.clock()
        stale = now - timedelta(minutes=5)
        if await engine.store.claim_send(delivery.once, owner=owner, now=now, stale=stale):
            await engine.store.mark_sent(delivery.once, message_ref="test", now=now)
            sent.append(delivery)
    return sent


async def test_one_reminder_past_the_time_while_the_streak_is_at_risk(engine, clock):
    chat = Transcript(engine)
    await chat.say("ann", "remind on 20:00")
    chat.expect("Reminder on", "**20:00** (UTC)")
    await practise(chat)  # Tue 10 Mar, 12:00
    clock.now = datetime(2026, 3, 10, 20, 30)
    assert await engine.reminders.due() == []  # practised today: nothing at risk
    clock.now = datetime(2026, 3, 11, 19, 59)
    assert await engine.reminders.due() == []  # not yet its time
    clock.now = datetime(2026, 3, 11, 20, 0)
    (reminder,) = await engine.reminders.due()
    assert reminder.user_ref == "ann" and reminder.platform == "test"
    card = reminder.reply.cards[0]
    assert "1**-day streak ends at midnight" in card.body
    assert [b.label for b in card.buttons] == ["Today's question"]
    assert await send_all(engine, [reminder]) == [reminder]
    clock.now = datetime(2026, 3, 11, 22, 0)
    assert await engine.reminders.due() == []  # sent today already
    assert await send_all(engine, [reminder]) == []  # and its claim is taken for good
    # The button opens today's question (in the member's DM: their own).
    chat.log.append(_seen(reminder))
    await chat.press("ann", "Today's question", dm=True)
    chat.expect("Question of the day")


def _seen(delivery: Delivery) -> Seen:
    """A delivered DM as the transcript records what a member saw."""
    return Seen(Step("private", delivery.reply.cards), delivery.user_ref, f"@{delivery.user_ref}")


async def test_never_after_practice_never_on_days_off_and_off_stops_it(engine, clock):
    chat = Transcript(engine, admins={"boss"})
    await chat.say("ann", "remind on")
    chat.expect("**21:00**")
    await practise(chat)  # Tue 10 Mar
    clock.now = datetime(2026, 3, 11, 18, 0)
    await practise(chat)  # Wed: practised before the reminder time
    clock.now = datetime(2026, 3, 11, 21, 30)
    assert await engine.reminders.due() == []
    clock.now = datetime(2026, 3, 12, 8, 0)
    await chat.say("ann", "away 1")  # Thu 12 Mar off: nothing at risk, and quiet
    clock.now = datetime(2026, 3, 12, 21, 30)
    assert await engine.reminders.due() == []
    await chat.say("boss", "schedule set 09:00 UTC")
    await chat.say("boss", "schedule skip 2026-03-13")  # Fri: a day without a post
    clock.now = datetime(2026, 3, 13, 21, 30)
    assert await engine.reminders.due() == []
    clock.now = datetime(2026, 3, 14, 21, 30)  # Sat: the streak of 2 is at risk again
    (reminder,) = await engine.reminders.due()
    assert "2**-day streak" in reminder.reply.cards[0].body
    await chat.say("ann", "remind off")
    chat.expect("No more streak reminders")
    assert await engine.reminders.due() == []


async def test_no_streak_no_reminder_and_the_members_timezone(engine, clock):
    chat = Transcript(engine)
    await chat.say("ann", "timezone America/New_York")
    await chat.say("ann", "remind on 20:00")
    chat.expect("(America/New_York)")
    clock.now = datetime(2026, 3, 11, 1, 0)  # 21:00 on 10 Mar in New York: no streak yet
    assert await engine.reminders.due() == []
    await practise(chat)  # 21:00 New York, still 10 Mar there
    clock.now = datetime(2026, 3, 11, 23, 30)  # 19:30 on 11 Mar in New York
    assert await engine.reminders.due() == []
    clock.now = datetime(2026, 3, 12, 0, 30)  # 20:30 in New York, already 12 Mar in UTC
    (reminder,) = await engine.reminders.due()
    assert reminder.once == "remind:1:1:2026-03-11"
    await chat.say("ann", "remind at 20:00")
    chat.expect("`switch` is one of on, off")


async def test_the_console_prints_the_reminder_once(store, bank, tmp_path: Path):
    from bot.features import build_engine

    clock = Clock(datetime(2026, 3, 10, 12, 0))
    engine = build_engine(store=store, bank=bank, clock=clock)
    console = ConsoleAdapter(engine=engine, user="ann", stdin=io.StringIO(), stdout=io.StringIO())
    try:
        assert "Reminder on" in await console.handle("remind on 20:00")
        await console.handle("today")
        assert "Answer saved" in await console.handle(f"answer {ANSWER}")
        clock.now += timedelta(days=1, hours=9)  # Wed 21:00
        out = await console.handle("topics")
        assert out.count("Your streak is at risk") == 1 and "→ today" in out
        assert "Your streak is at risk" not in await console.handle("topics")
        # A restarted console does not repeat it: the claim is in the database.
        again = ConsoleAdapter(engine=engine, user="ann", stdin=io.StringIO(), stdout=io.StringIO())
        assert "Your streak is at risk" not in await again.handle("topics")
    finally:
        await engine.close()


def discord_actor(fake: FakeDiscord, user_id: str) -> Actor:
    return Actor(
        platform="discord",
        server_id=fake.guild_id,
        channel_id=fake.channel_id,
        user_id=user_id,
        user_name="ann",
    )


def slack_actor() -> Actor:
    return Actor(
        platform="slack", server_id=TEAM_ID, channel_id="C0GENERAL", user_id="U0ANN", user_name="a"
    )


async def test_both_fakes_get_one_dm_from_two_schedulers(tmp_path: Path):
    clock = Clock(datetime(2026, 3, 10, 12, 0))
    async with surfaces(tmp_path, clock=clock) as s:
        ann = s.discord.user("ann")
        for actor in (discord_actor(s.discord, ann.id), slack_actor()):
            assert "Reminder on" in (await s.engine.run_text(actor, "remind on 20:00")).plain_text()
            await s.engine.run_text(actor, "today")
            assert (
                "Answer saved" in (await s.engine.run_text(actor, f"answer {ANSWER}")).plain_text()
            )
        clock.now = datetime(2026, 3, 11, 20, 5)
        first, second = (
            Scheduler(engine=s.engine, adapters=s.adapters, clock=clock, owner=owner)
            for owner in ("instance-a", "instance-b")
        )
        sent = await asyncio.gather(first.run_jobs(), second.run_jobs())
        assert sum(sent) == 2  # one DM per platform, whichever instance claimed it
        assert await first.run_jobs() == 0
        # Discord: one DM to Ann with the button; clicking it shows today's question.
        dm = s.discord.dm_channels[ann.id]["id"]
        (message,) = [m for m in s.discord.messages.values() if m["channel_id"] == dm]
        assert "streak ends at midnight" in message["embeds"][0]["description"]
        click = s.discord.click(message, "Today's question", user=ann, dm=True)
        seen = await asyncio.to_thread(s.discord.reply, click)
        assert "Question of the day" in seen.text
        # Slack: one message in Ann's DM channel.
        (posted,) = [
            c for c in s.slack.calls_to("chat.postMessage") if c.args["channel"] == "D0ANN"
        ]
        assert "streak ends at midnight" in posted.text()
        assert posted.button("Today's question")


async def test_forget_me_removes_the_reminders_once_only_records(engine, clock):
    chat = Transcript(engine)
    await chat.say("ann", "remind on 20:00")
    await practise(chat)
    clock.now = datetime(2026, 3, 11, 20, 0)
    (reminder,) = await engine.reminders.due()
    assert await send_all(engine, [reminder]) == [reminder]
    assert await engine.store.sent_keys([reminder.once]) == {reminder.once}
    await chat.say("ann", "forget-me confirm:true")
    assert await engine.store.sent_keys([reminder.once]) == set()
