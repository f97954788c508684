"""The weekly digest: what it says, and that it is posted once at the channel's local time
(across a restart, two schedulers, two processes, a failed send), on every platform."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta

from PIL import Image

from bot.adapters.base import PlatformError
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.features import build_engine
from bot.features.digest.week import milestones_reached
from bot.scheduling import Scheduler
from bot.store.store import Store
from tests.conftest import Clock, make_actor
from tests.fakes.recording import RecordingAdapter
from tests.fakes.slack_server import TEAM_ID
from tests.surfaces import surfaces
from tests.test_scheduling import at, two_workers

BOSS = make_actor("boss", channel="team", is_admin=True)


async def practise(engine: Engine, clock: Clock, user: str, day: str, qid: str, grade: str):
    """`user` answers and grades question `qid` at noon UTC on `day`."""
    clock.now = datetime.fromisoformat(f"{day}T12:00")
    actor = make_actor(user, channel="team", name=user.title())
    assert "Practice" in (await engine.run_text(actor, f"question {qid}")).cards[0].title
    await engine.run_text(actor, "answer because of the reasons")
    graded = await engine.run_text(actor, f"grade {grade}")
    assert "Graded" in graded.plain_text(), graded.plain_text()


async def a_week(engine: Engine, clock: Clock) -> None:
    """Mon 2 to Sun 8 March 2026: Ann every day (a 7-day streak), Bob twice, Cara once."""
    ids = ["alpha-easy-1", "alpha-easy-2", "alpha-easy-3", "alpha-medium-1", "alpha-medium-2"]
    for i in range(7):
        await practise(engine, clock, "ann", f"2026-03-0{2 + i}", ids[i % 5], "good")
    await practise(engine, clock, "bob", "2026-03-05", "beta-easy-1", "again")
    await practise(engine, clock, "bob", "2026-03-06", "alpha-hard-1", "hard")
    await practise(engine, clock, "cara", "2026-03-07", "beta-easy-1", "again")


def scheduler_for(engine: Engine, clock: Clock, adapter: RecordingAdapter, owner: str) -> Scheduler:
    return Scheduler(
        engine=engine, adapters={"test": adapter}, clock=clock, owner=owner, backoff=0.001
    )


def test_milestones_are_the_ones_passed_this_week():
    assert milestones_reached(7, 7) == [7]
    assert milestones_reached(8, 1) == []  # 7 was reached the week before
    assert milestones_reached(31, 3) == [30]
    assert milestones_reached(3, 3) == []


async def test_digest_set_is_for_admins_and_checks_its_words(engine: Engine):
    member = make_actor("ann", channel="team")
    refused = await engine.run_text(member, "digest set fri 17:00")
    assert "Only admins" in refused.plain_text()
    bad_day = await engine.run_text(BOSS, "digest set friyay 17:00")
    assert "`weekday` is one of mon, tue" in bad_day.plain_text()
    bad_time = await engine.run_text(BOSS, "digest set fri 25:00")
    assert "not a time" in bad_time.plain_text()
    saved = await engine.run_text(BOSS, "digest set fri 17:00")
    assert (
        saved.cards[0].title == "Weekly digest set"
        and "Friday at 17:00 (UTC)" in saved.cards[0].body
    )
    assert (await engine.run_text(BOSS, "digest off")).cards[0].title == "Weekly digest off"
    assert "no weekly digest" in (await engine.run_text(BOSS, "digest off")).plain_text()


async def test_the_digest_counts_celebrates_and_points_at_the_hardest(engine: Engine, clock):
    await engine.run_text(BOSS, "digest set sun 18:00")
    await a_week(engine, clock)
    at(clock, "2026-03-08T17:59", "UTC")
    assert await engine.digest.due() == []  # not yet
    at(clock, "2026-03-08T18:00", "UTC")
    (delivery,) = await engine.digest.due()
    assert delivery.channel_id == "team"
    assert delivery.once.startswith("digest:") and delivery.once.endswith(":2026-W10")
    card = delivery.reply.cards[0]
    text = card.plain_text()
    assert card.title == "Weekly digest · 02 Mar – 08 Mar 2026"
    assert "**3** members practised this week (0 the week before), with **10** answers" in text
    fields = {f.name: f.value for f in card.fields}
    assert fields["Streaks"].splitlines()[0] == "🔥 7 · Ann"
    assert fields["Milestones this week"] == "🏅 Ann reached a 7-day streak"
    hardest = fields["Hardest this week"].splitlines()
    assert "0 of 2 graded Good or Easy" in hardest[0] and "0 of 1" in hardest[1]
    assert fields["Practised least"].splitlines()[0] == "- Gamma Topic: 0 answers"
    assert "didn't" not in text and "missed" not in text  # counts only, nobody shamed
    assert [b.label for b in card.buttons] == ["Try #1", "Try #2", "Try #3"]
    tried = await engine.run_custom_id(
        make_actor("dan", channel="team"), card.buttons[0].action.encode()
    )
    assert tried.private and "beta-easy-1" in tried.plain_text()
    assert card.image is not None and card.image.filename == "week.png"
    assert Image.open(io.BytesIO(card.image.data)).size[0] > 300


async def test_a_quiet_week_says_so_kindly(engine: Engine, clock):
    await engine.run_text(BOSS, "digest set tue 09:00")
    at(clock, "2026-03-10T09:30", "UTC")
    (delivery,) = await engine.digest.due()
    assert "A quiet week" in delivery.reply.plain_text()


async def test_posted_once_at_local_time_across_a_restart(store: Store, bank, clock):
    engine = build_engine(store=store, bank=bank, clock=clock)
    await engine.run_text(BOSS, "schedule timezone America/New_York")
    await engine.run_text(BOSS, "digest set mon 09:00")
    adapter = RecordingAdapter()
    first = scheduler_for(engine, clock, adapter, "p1")
    at(clock, "2026-03-09T08:59", "America/New_York")
    assert await first.run_jobs() == 0
    at(clock, "2026-03-09T09:00", "America/New_York")  # 13:00 UTC (daylight saving time)
    assert clock.now == datetime(2026, 3, 9, 13, 0)
    assert await first.run_jobs() == 1
    assert await first.run_jobs() == 0
    await engine.close()
    # Restarted 10 minutes later: the digest is not posted again.
    clock.now += timedelta(minutes=10)
    engine = build_engine(store=store, bank=bank, clock=clock)
    assert await scheduler_for(engine, clock, adapter, "p2").run_jobs() == 0
    await engine.close()
    assert [r.target for r in adapter.posts()] == ["team"]
    assert adapter.posts()[0].reply.cards[0].title.startswith("Weekly digest · 03 Mar")


async def test_two_schedulers_post_it_once_and_a_failed_send_is_retried(store: Store, bank, clock):
    other = Store.from_url(store.url, schema=store.schema)
    engines = [build_engine(store=s, bank=bank, clock=clock) for s in (store, other)]
    await engines[0].run_text(BOSS, "digest set tue 09:00")
    adapter = RecordingAdapter()
    adapter.fail("team", *[PlatformError("down", status=503)] * 5)  # every retry of one run
    schedulers = [scheduler_for(e, clock, adapter, f"p{i}") for i, e in enumerate(engines)]
    at(clock, "2026-03-10T09:01", "UTC")
    assert await schedulers[0].run_jobs() == 0  # five attempts failed: the claim is given back
    assert len(adapter.attempts) == 5 and adapter.posts() == []
    results = await asyncio.gather(*(s.run_jobs() for s in schedulers))
    assert sorted(results) == [0, 1]
    assert len(adapter.posts()) == 1
    for e in engines:
        await e.close()
    await other.close()


async def test_missed_by_more_than_the_grace_window_waits_a_week(engine: Engine, clock):
    await engine.run_text(BOSS, "digest set tue 09:00")
    at(clock, "2026-03-10T11:01", "UTC")
    assert await engine.digest.due() == []


async def test_two_processes_on_one_database_post_each_digest_once(store, engine, tmp_path):
    channels = [f"dg{i}" for i in range(8)]
    for channel in channels:
        boss = make_actor("boss", channel=channel, is_admin=True)
        assert (await engine.run_text(boss, "digest set tue 09:00")).cards[0].title.endswith("set")
    lines = await two_workers(store, "2026-03-10T09:05:00", tmp_path / "posts.txt")
    assert sorted(lines) == sorted(channels)  # every digest once, none twice


async def test_the_console_shows_a_digest_once(tmp_path):
    async with surfaces(tmp_path) as s:
        s.engine.kit.clock = s.engine.clock = lambda: datetime(2026, 3, 10, 9, 30)
        assert "Weekly digest set" in await s.console.handle("digest set tue 09:00")
        shown = await s.console.handle("streak")
        assert "A quiet week" in shown or "Weekly digest" in shown
        assert "Weekly digest ·" not in await s.console.handle("streak")


async def test_the_digest_on_discord_and_slack_carries_its_chart(tmp_path):
    async with surfaces(tmp_path) as s:
        clock = Clock(datetime(2026, 3, 10, 9, 0))
        s.engine.kit.clock = s.engine.clock = clock
        discord = Actor(
            "discord", s.discord.guild_id, s.discord.channel_id, "1", "boss", is_admin=True
        )
        slack = Actor("slack", TEAM_ID, "C0GENERAL", "U0BOSS", "boss", is_admin=True)
        for actor in (discord, slack):
            assert (
                (await s.engine.run_text(actor, "digest set tue 09:00"))
                .cards[0]
                .title.endswith("set")
            )
            await s.engine.run_text(actor, "today")
            await s.engine.run_text(actor, "answer because")
        sched = Scheduler(
            engine=s.engine,
            adapters={"discord": s.discord_adapter, "slack": s.slack_adapter},
            clock=clock,
        )
        clock.now = datetime(2026, 3, 10, 9, 1)
        assert await sched.run_jobs() == 2
        posted = [
            m for m in s.discord.messages.values() if m.get("channel_id") == s.discord.channel_id
        ]
        digest = next(
            m for m in posted if m["embeds"] and "Weekly digest" in m["embeds"][0].get("title", "")
        )
        assert [a["filename"] for a in digest["attachments"]] == ["week.png"]
        assert digest["embeds"][0]["image"]["url"] == "attachment://week.png"
        await s.slack.wait_for(("files.completeUploadExternal",))
        shared = [f for f in s.slack.files.values() if f.get("shared")]
        assert [(f["filename"], f["channel"]) for f in shared] == [("week.png", "C0GENERAL")]
        assert await sched.run_jobs() == 0
