"""Feedback after an answer: key points matched by meaning, one question by id, a member's
history, and a daily cap on reviews."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.transcript import Transcript
from bot.engine.core import Engine
from bot.engine.grading import KeyPoint, cover, is_keyword_list
from tests.conftest import make_actor

PROCESSES = KeyPoint(
    "CPU-bound work needs separate processes because of the GIL",
    ("ProcessPoolExecutor", "multiprocessing", "separate processes"),
)
SAFE = KeyPoint("a queue.Queue is thread-safe")


def test_alternative_wordings_count_and_say_what_matched():
    [hit] = cover("for cpu work i'd use ProcessPoolExecutor because of the gil", [PROCESSES])
    assert hit.covered and hit.matched == "ProcessPoolExecutor"
    [miss] = cover("i would use more threads for cpu heavy work", [PROCESSES])
    assert not miss.covered


def test_a_negated_claim_does_not_cover_the_point():
    assert cover("a queue.Queue is thread-safe, you can share it", [SAFE])[0].covered
    assert not cover("a queue.Queue is not thread-safe, so lock it", [SAFE])[0].covered


def test_a_bare_list_of_keywords_covers_nothing():
    text = "GIL processes ProcessPoolExecutor multiprocessing threads asyncio event loop to_thread"
    assert is_keyword_list(text)
    assert not any(c.covered for c in cover(text, [PROCESSES, SAFE]))
    assert not is_keyword_list("I would use processes for this because of the GIL.")


def test_i_dont_know_covers_nothing():
    assert not any(c.covered for c in cover("I don't know, sorry", [PROCESSES, SAFE]))


async def test_one_question_by_its_id(engine: Engine):
    chat = Transcript(engine)
    await chat.say("ann", "question beta-medium-1")
    text = chat.expect("Practice · by id", "id: beta-medium-1")
    await chat.say("ann", "answer the event loop schedules coroutines")
    chat.expect("Answer saved")
    await chat.say("ann", "question no-such-question")
    assert "No question has the id `no-such-question`" in chat.expect()
    assert text


async def test_history_lists_answers_with_grades_and_shows_one_again(engine: Engine, clock):
    chat = Transcript(engine)
    await chat.say("ann", "question alpha-easy-1")
    await chat.say("ann", "answer a pool reuses its worker threads")
    await chat.press("ann", "Good")
    clock.now += timedelta(hours=1)
    await chat.say("ann", "question beta-easy-1")
    await chat.say("ann", "answer no idea")
    await chat.say("ann", "history")
    text = chat.expect("Your answers", "1.", "not graded", "2.", "**Good**")
    assert text.index("beta-easy-1") < text.index("alpha-easy-1")
    await chat.press("ann", "Show 2")
    chat.expect("Your answer", "a pool reuses its worker threads", "Reference answer")
    await chat.say("ann", "history show=1")
    chat.expect("no idea")
    # Someone else's answer cannot be shown by its id.
    ann_first = chat.button("ann", "Show 2").action.encode()
    other = await engine.run_custom_id(make_actor("bob"), ann_first)
    assert "not one of yours" in other.cards[0].body


async def test_due_reviews_are_capped_per_day(engine: Engine, bank, clock):
    engine.kit.daily_reviews = 2
    chat = Transcript(engine)
    ids = ["alpha-easy-1", "alpha-easy-2", "alpha-easy-3", "alpha-medium-1"]
    for qid in ids:
        await chat.say("ann", f"question {qid}")
        await chat.say("ann", "grade again")
    clock.now += timedelta(days=3)  # all four are due now
    reasons = []
    for _ in range(3):
        await chat.say("ann", "question alpha")
        reasons.append(chat.cards[0].title)
        await chat.say("ann", "grade good")
    assert reasons[:2] == ["Practice · due for review"] * 2
    assert reasons[2] != "Practice · due for review"  # the rest wait for another day
    clock.now += timedelta(days=1)
    await chat.say("ann", "question alpha")
    assert chat.cards[0].title == "Practice · due for review"
