"""Seasons: a month's board by answers in it, in the server's timezone; at the month's end
its top three are kept and announced once in the digest channel."""

from __future__ import annotations

from datetime import date, datetime

from bot.engine.core import Engine
from bot.engine.seasons import previous_season, season_days
from bot.scheduling import Scheduler
from tests.conftest import Clock, make_actor
from tests.fakes.recording import RecordingAdapter
from tests.test_scheduling import at

BOSS = make_actor("boss", channel="team", is_admin=True)
ZONE = "Pacific/Auckland"  # UTC+13 in November and December (daylight saving time)


def who(user: str):
    return make_actor(user, channel="team", name=user.title())


async def answer(engine: Engine, clock: Clock, user: str, local: str, *qids: str) -> None:
    """`user` answers each of `qids` at Auckland wall time `local`."""
    at(clock, local, ZONE)
    actor = who(user)
    for qid in qids:
        await engine.run_text(actor, f"question {qid}")
        saved = await engine.run_text(actor, "answer it depends")
        assert "Answer saved" in saved.plain_text() or "Key points" in saved.plain_text()


def test_season_days_and_the_one_before():
    assert season_days("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert season_days("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert previous_season(date(2027, 1, 1)) == "2026-12"


async def test_the_season_board_ranks_answers_this_month_and_a_newcomer_can_win(engine, clock):
    await engine.run_text(BOSS, f"schedule timezone {ZONE}")
    # Ann has a long streak from October; Bob arrives in November and answers more.
    for day in range(10, 34):
        local = f"2026-10-{day}" if day < 32 else f"2026-11-{day - 31:02d}"
        await answer(engine, clock, "ann", f"{local}T12:00", "alpha-easy-1")
    await answer(engine, clock, "bob", "2026-11-03T12:00", "beta-easy-1", "beta-easy-2")
    await answer(engine, clock, "bob", "2026-11-03T13:00", "beta-easy-1", "beta-medium-1")
    await answer(engine, clock, "cara", "2026-11-03T14:00", "gamma-medium-1")
    season = await engine.run_text(who("cara"), "leaderboard season")
    assert not season.private
    lines = season.cards[0].body.splitlines()
    assert season.cards[0].title == "Season 2026-11"
    assert "Bob" in lines[0] and "3 answers" in lines[0]  # beta-easy-1 twice a day: once
    assert "Ann" in lines[1] and "2 answers" in lines[1]
    assert "Cara" in lines[2] and "1 answer" in lines[2]
    assert season.cards[0].footer.startswith("You are #3.")
    assert f"timezone {ZONE}" in season.cards[0].footer
    alltime = await engine.run_text(who("cara"), "leaderboard all")
    assert "Ann" in alltime.cards[0].body.splitlines()[0]  # the all-time board stays


async def test_bad_seasons_get_a_clear_message(engine, clock):
    at(clock, "2026-11-15T12:00", ZONE)
    ann = who("ann")
    assert "not a season" in (await engine.run_text(ann, "leaderboard season 11-2026")).plain_text()
    assert "not a season" in (await engine.run_text(ann, "leaderboard season 2026-13")).plain_text()
    future = await engine.run_text(ann, "leaderboard season 2027-01")
    assert "has not started yet" in future.plain_text()
    assert "`period` is one of" in (await engine.run_text(ann, "leaderboard yearly")).plain_text()
    past = await engine.run_text(ann, "leaderboard season 2026-10")
    assert "Nobody answered a question that month." in past.plain_text()


async def test_rollover_at_the_month_boundary_in_the_servers_timezone(engine, clock, store):
    await engine.run_text(BOSS, f"schedule timezone {ZONE}")
    await engine.run_text(BOSS, "digest set fri 09:00")
    await answer(engine, clock, "ann", "2026-11-10T12:00", "alpha-easy-1", "alpha-easy-2")
    await answer(engine, clock, "bob", "2026-11-30T23:00", "beta-easy-1")
    await answer(engine, clock, "cara", "2026-11-20T12:00", *[f"alpha-easy-{i}" for i in (1, 2, 3)])
    await answer(engine, clock, "dan", "2026-11-21T12:00", "gamma-medium-1")
    adapter = RecordingAdapter()
    sched = Scheduler(engine=engine, adapters={"test": adapter}, clock=clock, backoff=0.001)
    at(clock, "2026-11-30T23:59", ZONE)  # 10:59 UTC on 30 November
    assert await sched.run_jobs() == 0
    live = await engine.run_text(who("ann"), "leaderboard season")
    assert live.cards[0].title == "Season 2026-11" and "0 days left" in live.cards[0].footer
    at(clock, "2026-12-01T00:01", ZONE)  # still 30 November in UTC: 11:01
    assert clock.now == datetime(2026, 11, 30, 11, 1)
    assert await sched.run_jobs() == 1
    (post,) = adapter.posts()
    assert post.target == "team" and post.reply.cards[0].title == "Season 2026-11 is over"
    medals = post.reply.cards[0].body.splitlines()[:3]
    assert ["Cara" in medals[0], "Ann" in medals[1], "Bob" in medals[2]] == [True] * 3
    assert "3 answers" in medals[0] and "Dan" not in post.reply.cards[0].body
    # The new season starts empty; the old one is kept as it ended, and announced once.
    ann = who("ann")
    assert "has just begun" in (await engine.run_text(ann, "leaderboard season")).plain_text()
    await answer(engine, clock, "dan", "2026-12-01T08:00", "beta-easy-1")
    async with store.write() as tx:  # a late answer dated November changes nothing kept
        from sqlalchemy import update

        from bot.store.schema import answers

        await tx.conn.execute(update(answers).values(local_date=date(2026, 11, 30)))
    final = await engine.run_text(ann, "leaderboard season 2026-11")
    assert final.cards[0].title == "Season 2026-11 · final"
    assert [line.split(" · ")[0][2:] for line in final.cards[0].body.splitlines()] == [
        "Cara",
        "Ann",
        "Bob",
    ]
    at(clock, "2026-12-02T10:00", ZONE)
    assert await sched.run_jobs() == 0
    assert len(adapter.posts()) == 1
    await sched.stop()
    # A member who leaves takes their place on kept seasons with them.
    await engine.run_text(who("cara"), "forget-me confirm")
    final = await engine.run_text(ann, "leaderboard season 2026-11")
    assert "Cara" not in final.plain_text() and "Ann" in final.plain_text()
