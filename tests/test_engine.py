"""The engine end to end on a real store (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

from bot.adapters.transcript import Transcript
from bot.engine.core import Engine
from bot.engine.messages import Action
from bot.features import build_engine
from bot.features.practice import MAX_ANSWER_CHARS
from bot.features.practice.cards import GradeTarget
from bot.features.practice.review import RATINGS
from bot.features.practice.selection import pick
from tests.conftest import make_actor


def footer_id(reply) -> str:
    return reply.cards[0].footer.removeprefix("id: ")


async def test_today_is_stable_within_a_day_and_public(engine: Engine):
    actor = make_actor()
    first = await engine.run_text(actor, "today")
    again = await engine.run_text(make_actor("u2"), "/prep today")
    assert footer_id(first) == footer_id(again)
    assert not first.private
    verbs = [b.action.verb for b in first.cards[0].buttons]
    assert verbs == ["answer", "hint", "reveal", "skip"]


async def test_todays_that_arrive_together_each_set_the_members_current_question(
    engine: Engine,
):
    actors = [make_actor(f"u{i}") for i in range(30)]
    replies = await asyncio.gather(*(engine.run_text(a, "today") for a in actors))
    (question,) = {footer_id(r) for r in replies}
    for actor in actors:  # each member's own row, committed before the reply
        place = await engine.kit.place(actor)
        stats = await engine.store.stats(place.server.id, place.member.id)
        assert stats is not None and stats.current_question_id == question


async def test_today_rotates_without_repeats_until_the_bank_is_used(engine: Engine, bank, clock):
    seen = []
    for _ in range(len(bank)):
        seen.append(footer_id(await engine.run_text(make_actor(), "today")))
        clock.now += timedelta(days=1)
    assert sorted(seen) == sorted(bank.questions)
    # The next cycle starts over with every question available again.
    nxt = footer_id(await engine.run_text(make_actor(), "today"))
    assert nxt in bank.questions


async def test_today_rotation_survives_a_restart(store, bank, clock):
    picks = []
    for restart in range(3):
        engine = build_engine(store=store, bank=bank, clock=clock, rng=random.Random(restart))
        picks.append(footer_id(await engine.run_text(make_actor(), "today")))
        clock.now += timedelta(days=1)
        await engine.close()
    fresh = build_engine(store=store, bank=bank, clock=clock)
    clock.now -= timedelta(days=3)
    assert footer_id(await fresh.run_text(make_actor(), "today")) == picks[0]
    await fresh.close()
    assert len(set(picks)) == 3


async def test_answer_grade_and_streak(engine: Engine):
    actor = make_actor()
    await engine.run_text(actor, "today")
    reply = await engine.run_text(actor, "answer A thread pool reuses worker threads, I think.")
    assert reply.private
    assert "covered **1 of 3**" in reply.cards[0].body
    assert "✅ thread pool reuses worker threads" in reply.cards[1].fields[0].value
    graded = await engine.run_text(actor, "grade good")
    assert "Graded **Good**" in graded.cards[0].body
    streak = await engine.run_text(actor, "streak")
    assert streak.cards[0].fields[0].value == "1"


async def test_answer_limits(engine: Engine):
    actor = make_actor()
    await engine.run_text(actor, "today")
    empty = await engine.run_text(actor, "answer")
    assert empty.form is not None  # no text: the form opens
    blank = await engine.run_action(actor, empty.form.action, {"answer": "   "})
    assert blank.form is None and "empty" in blank.cards[0].body
    long = await engine.run_text(actor, "answer " + "x" * 10_000)
    assert long.private and "10,000 characters" in long.cards[0].body
    assert f"{MAX_ANSWER_CHARS:,}" in long.cards[0].body
    assert (
        await engine.store.stats((await engine.practice.place(actor)).server.id, 1)
    ).answers_total == 0


async def test_nothing_to_answer_or_grade_yet(engine: Engine):
    actor = make_actor()
    assert "no question" in (await engine.run_text(actor, "answer hello")).cards[0].body.lower()
    assert "nothing to grade" in (await engine.run_text(actor, "grade good")).cards[0].body.lower()
    assert "again, hard, good, easy" in (await engine.run_text(actor, "grade superb")).cards[0].body


async def test_buttons_route_by_post_id(engine: Engine):
    chat = Transcript(engine)
    await chat.say("u1", "today")
    assert chat.public() and not chat.private()  # the question of the day is public
    await chat.press("u9", "Answer")
    assert chat.forms["u9"].action.verb == "submit"
    await chat.fill("u9", answer="The event loop schedules coroutines")
    chat.expect("Answer saved")
    await chat.press("u9", "Good")
    chat.expect("Graded **Good**")
    await chat.press("u9", "Reveal")
    assert chat.private() and chat.cards[0].title == "Reference answer"
    unknown = await engine.run_custom_id(make_actor("u9"), "prep:v2:teleport:x")
    assert "another version of prepbot" in unknown.cards[0].body


async def test_buttons_from_earlier_releases_still_work(engine: Engine):
    post = await engine.run_text(make_actor(), "today")
    post_id = post.cards[0].buttons[0].action.target.post_id
    form = await engine.run_custom_id(make_actor("u9"), f"prep:v1:answer:p{post_id}")
    assert form.form is not None
    qid = footer_id(post)
    reveal = await engine.run_custom_id(make_actor("u9"), f"prep:v1:reveal:q{qid}")
    assert reveal.cards[0].title == "Reference answer"


async def test_practice_prefers_due_reviews_then_unseen(engine: Engine, clock):
    actor = make_actor()
    first = await engine.run_text(actor, "question alpha easy")
    qid = footer_id(first)
    await engine.run_text(actor, "grade again")
    # Again: due tomorrow. Today it is not due, so an unseen question comes.
    nxt = await engine.run_text(actor, "question alpha easy")
    assert footer_id(nxt) != qid and "due" not in nxt.cards[0].title
    clock.now += timedelta(days=2)
    due = await engine.run_text(actor, "question alpha easy")
    assert footer_id(due) == qid and "due for review" in due.cards[0].title


async def test_practice_filters_and_bad_filters(engine: Engine, bank):
    actor = make_actor()
    hard = await engine.run_text(actor, "question hard First")  # alias, either order
    assert bank.get(footer_id(hard)).difficulty == "hard"
    bad = await engine.run_text(actor, "question quantum")
    assert "Unknown topic `quantum`" in bad.cards[0].body
    none = await engine.run_text(actor, "question gamma easy")
    assert "No question matches" in none.cards[0].body


async def test_weak_topics_are_favoured(engine: Engine, bank, clock):
    actor = make_actor()
    # Fail everything in alpha, pass everything in beta.
    for q in bank.questions.values():
        if q.topic in ("alpha", "beta") and q.difficulty == "easy":
            rating = "again" if q.topic == "alpha" else "easy"
            await engine.run_action(actor, Action("grade", GradeTarget(RATINGS[rating], q.id)))
    place = await engine.practice.place(actor)
    topics = [((await pick(engine.kit, place, (), "medium"))[0]).topic for _ in range(60)]
    assert topics.count("alpha") > topics.count("beta")


async def test_leaderboard_ranks_streaks_then_answers(engine: Engine, clock):
    alice, bob, cara = make_actor("alice"), make_actor("bob"), make_actor("cara")
    for day in range(3):
        for who in (alice, bob) if day else (alice, bob, cara):
            await engine.run_text(who, "today")
            await engine.run_text(who, "answer the thread pool")
        if day == 2:  # another question: a second answer to the same one would not count
            await engine.run_text(bob, "question")
            await engine.run_text(bob, "answer once more")
        clock.now += timedelta(days=1)
    clock.now -= timedelta(days=1)
    reply = await engine.run_text(alice, "leaderboard week")
    lines = reply.cards[0].body.splitlines()
    assert "bob" in lines[0] and "🔥 3" in lines[0] and "4 answers" in lines[0]
    assert "alice" in lines[1]
    assert "cara" in lines[2] and "🔥 0" in lines[2]
    assert reply.cards[0].footer == "You are #2."
    year = await engine.run_text(alice, "leaderboard year")
    assert "`period` is one of week, month, all" in year.cards[0].body
    assert (await engine.run_text(alice, "leaderboard all")).cards[0].body.count("answers") == 3


async def test_streak_uses_member_timezone(engine: Engine, clock):
    actor = make_actor()
    assert "Europe/Berlin" in (await engine.run_text(actor, "timezone europe/berlin")).cards[0].body
    clock.now = datetime(2026, 3, 10, 22, 30)  # 23:30 in Berlin
    await engine.run_text(actor, "today")
    await engine.run_text(actor, "answer thread pool")
    clock.now = datetime(2026, 3, 10, 23, 30)  # already 11 March in Berlin
    await engine.run_text(actor, "answer event loop")
    streak = await engine.run_text(actor, "streak")
    assert streak.cards[0].fields[0].value == "2"


async def test_unknown_timezone_is_refused(engine: Engine):
    reply = await engine.run_text(make_actor(), "timezone Europe/Berln")
    assert "not a timezone I know" in reply.cards[0].body and "Europe/Berlin" in reply.cards[0].body


async def test_forget_me_asks_then_deletes_everything(engine: Engine, store):
    actor = make_actor()
    await engine.run_text(actor, "today")
    await engine.run_text(actor, "answer thread pool")
    await engine.run_text(actor, "grade good")
    chat = Transcript(engine, platform="test")
    await chat.say("u1", "forget-me")
    chat.expect("Forget me?")
    assert await store.find_member("test", "u1") is not None
    await chat.press("u1", "Delete everything")
    chat.expect("deleted")
    assert await store.find_member("test", "u1") is None
    async with store.read() as tx:
        from sqlalchemy import func, select

        from bot.store.schema import answers, grades, member_stats, review_states

        for table in (answers, grades, member_stats, review_states):
            assert (
                await tx.conn.execute(select(func.count()).select_from(table))
            ).scalar_one() == 0


async def test_concurrent_answers_share_transactions_and_lose_nothing(engine: Engine, store):
    actors = [make_actor(f"m{i}") for i in range(40)]
    for a in actors:
        await engine.run_text(a, "today")
    replies = await asyncio.gather(
        *(engine.run_text(a, f"answer thread pool {i}") for i, a in enumerate(actors))
    )
    assert all(r.cards[0].title == "Answer saved" for r in replies)
    async with store.read() as tx:
        from sqlalchemy import func, select

        from bot.store.schema import answers, member_stats

        assert (await tx.conn.execute(select(func.count()).select_from(answers))).scalar_one() == 40
        total = select(func.sum(member_stats.c.answers_total))
        assert (await tx.conn.execute(total)).scalar_one() == 40


async def test_help_and_unknown_commands(engine: Engine):
    help_text = (await engine.run_text(make_actor(), "help")).plain_text()
    for name in (
        "today",
        "question",
        "answer",
        "reveal",
        "grade",
        "streak",
        "leaderboard",
        "forget-me",
    ):
        assert name in help_text
    unknown = await engine.run_text(make_actor(), "todya")
    assert "Did you mean `/prep today`" in unknown.cards[0].body
    assert "Usage" in (await engine.run_text(make_actor(), "grade")).cards[0].body
