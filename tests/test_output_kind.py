"""Predict-the-output questions: shown with their code, graded by the bot into FSRS, and
available in `question`, schedules and mock rounds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.transcript import Transcript
from bot.engine.content import load_valid_bank
from bot.engine.core import Engine
from bot.features import build_engine
from bot.features.practice import same_output
from tests.conftest import FIXTURE_CONTENT

FIXTURE_OUTPUT = Path(__file__).resolve().parent / "fixtures" / "output-content"


@pytest.fixture
async def chat(store, clock) -> AsyncIterator[Transcript]:
    bank = load_valid_bank([FIXTURE_CONTENT, FIXTURE_OUTPUT])
    engine: Engine = build_engine(store=store, bank=bank, clock=clock)
    try:
        yield Transcript(engine, admins={"boss"}, leads={"lead"})
    finally:
        await engine.close()


def test_predictions_match_line_by_line_ignoring_spacing_and_fences():
    assert same_output("[1]\n[1, 2]", "[1]\n[1, 2]")
    assert same_output("  [1]  \n[1,  2]\n\n", "[1]\n[1, 2]")
    assert same_output("```\n[1]\n[1, 2]\n```", "[1]\n[1, 2]")
    assert not same_output("[1]\n[1,2]", "[1]\n[1, 2]")  # spacing inside a line is output
    assert not same_output("[1, 2]", "[1]\n[1, 2]")
    assert not same_output("'a'", '"a"')


async def test_a_right_prediction_is_graded_good_and_scheduled(chat: Transcript):
    await chat.say("ann", "question delta easy")
    chat.expect("```python\ndef add(item, items=[]):", "Type exactly what it prints")
    await chat.say("ann", "answer [1]\n[1, 2]")
    text = chat.expect("Correct", "Graded **Good** for you", "It prints:", "created once")
    assert "Grade yourself" not in text  # graded by the bot: no self-grade buttons
    await chat.say("ann", "streak")
    chat.expect("1** day streak")
    reviews = await chat.engine.store.due_reviews(1, chat.engine.clock().replace(year=2027))
    assert reviews == ["output-delta-defaults"]


async def test_a_wrong_prediction_is_graded_again_by_button_and_form(chat: Transcript):
    await chat.say("ann", "question delta medium")
    await chat.press("ann", "Answer")
    await chat.fill("ann", answer="[0, 1, 2]")
    chat.expect("Not quite", "[0, 1, 2]", "Graded **Again** for you", "[2, 2, 2]")


async def test_kind_filters_practice_schedules_and_mock_rounds(chat: Transcript):
    await chat.say("ann", "question output")
    chat.expect("Type exactly what it prints")
    for _ in range(4):
        await chat.say("bob", "question open")
        assert "Type exactly what it prints" not in chat.expect("Practice")
    await chat.say("boss", "schedule set kind=output")
    chat.expect("Kind: output")
    await chat.say("ann", "today")
    chat.expect("Question of the day", "Type exactly what it prints")
    await chat.say("lead", "mock start candidate:ann count:1 kind:output", channel="c2")
    public = chat.public()
    assert "Type exactly what it prints" in public
    assert "It prints:" in chat.private()  # the lead's answer key shows the expected output


async def test_graded_automatically_on_discord_slack_and_the_console(tmp_path: Path):
    import asyncio

    from tests.fakes.slack_server import Member
    from tests.surfaces import surfaces

    async with surfaces(tmp_path, content=(FIXTURE_CONTENT, FIXTURE_OUTPUT)) as s:
        # Discord: the question with its code, the Answer button's modal, the bot's grade.
        fake = s.discord
        ann = fake.user("ann")
        shown = await asyncio.to_thread(
            fake.reply, fake.slash("question", user=ann, topic="delta", difficulty="easy")
        )
        assert "def add(item, items=[]):" in shown.text
        opened = await asyncio.to_thread(
            fake.reply, fake.click(shown.message_with("Answer"), "Answer", user=ann)
        )
        assert opened.modal is not None
        graded = await asyncio.to_thread(
            fake.reply, fake.submit(opened.modal["custom_id"], {"answer": "[1]\n[1, 2]"}, user=ann)
        )
        assert graded.ephemeral and "Correct" in graded.text and "Good" in graded.text
        # Slack: typed after the slash command.
        bob = Member(user_id="U0BOB", user_name="bob")
        assert "def add(item, items=[]):" in await s.slack_says("question delta easy", bob)
        assert "Not quite" in await s.slack_says("answer [1]\n[1]", bob)
        # The console.
        out = await s.console.handle("question delta medium")
        assert "lambda: i for i in range(3)" in out
        assert "Correct" in await s.console.handle("answer [2, 2, 2]")


async def test_hints_one_at_a_time_noted_with_the_answer_and_the_grade(chat: Transcript):
    await chat.say("ann", "question delta-open-hinted")
    await chat.press("ann", "Hint")
    chat.expect("Hint 1 of 2", "what a thread does while it waits")
    await chat.say("ann", "hint")
    chat.expect("Hint 2 of 2", "That was the last")
    await chat.say("ann", "hint")
    chat.expect("That was every hint (2)")
    await chat.say("ann", "answer threads overlap the waiting, and the GIL is released meanwhile")
    chat.expect("covered **2 of 2** key points (with 2 hints)", "overlap the waiting")
    await chat.press("ann", "Good")
    chat.expect("Graded **Good** · answered with 2 hints")
    await chat.say("ann", "history")
    chat.expect("**Good** · 2 hints")
    # Another question starts from no hints.
    await chat.say("ann", "question delta easy")
    await chat.say("ann", "hint")
    chat.expect("Hint 1 of 1", "When is a default value made?")
