"""The optional AI review against a local OpenAI-compatible fake: what is sent, what comes
back, and every way it can fail; and the bot unchanged without it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.transcript import Transcript
from bot.ai import ChatClient
from bot.engine.content import load_valid_bank
from bot.features import build_engine
from tests.conftest import FIXTURE_CONTENT
from tests.fakes.openai_server import FakeOpenAI

FIXTURE_OUTPUT = Path(__file__).resolve().parent / "fixtures" / "output-content"
GOOD = "threads overlap the waiting on the network, and the GIL is released while they wait"


@pytest.fixture
async def ai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def chat(store, clock, ai) -> AsyncIterator[Transcript]:
    client = ChatClient(base_url=ai.base_url, model="tiny", api_key="sk-test", timeout=1)
    engine = build_engine(
        store=store,
        bank=load_valid_bank([FIXTURE_CONTENT, FIXTURE_OUTPUT]),
        clock=clock,
        advisor=client,
        ai_daily_cap=3,
        ai_member_seconds=0,
    )
    try:
        yield Transcript(engine)
    finally:
        await engine.close()


async def test_a_review_of_the_latest_answer_says_where_it_went(chat: Transcript, ai):
    await chat.say("ann", "question delta-open-hinted")
    await chat.say("ann", f"answer {GOOD}")
    await chat.press("ann", "AI review")
    text = chat.expect("AI review", "Covered:", "Tip:", f"sent to 127.0.0.1:{ai.port}")
    assert "does not change your grade" in text
    (request,) = ai.requests
    assert request["auth"] == "Bearer sk-test" and request["body"]["model"] == "tiny"
    sent = request["body"]["messages"][1]["content"]
    assert GOOD in sent and "threads overlap I/O" not in sent  # the answer, the key points
    assert "never give a grade" in request["body"]["messages"][0]["content"].lower()


@pytest.mark.parametrize(
    "answer",
    ["I don't know", "no idea, skip this one please", "GIL threads processes asyncio loop"],
)
async def test_nothing_worth_reviewing_is_not_sent_and_not_praised(chat: Transcript, ai, answer):
    await chat.say("ann", "question delta-open-hinted")
    await chat.say("ann", f"answer {answer}")
    await chat.say("ann", "review")
    chat.expect("Nothing to review")
    assert ai.requests == []


async def test_an_off_topic_answer_is_not_sent(chat: Transcript, ai):
    await chat.say("ann", "question delta-open-hinted")
    await chat.say("ann", "answer my favourite football club played beautifully on sunday evening")
    await chat.say("ann", "review")
    chat.expect("does not seem to be about this question")
    assert ai.requests == []


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("slow", "did not answer within 1 s"),
        ("429", "busy right now"),
        ("malformed", "could not be read"),
    ],
)
async def test_failures_are_said_plainly(chat: Transcript, ai, mode, message):
    ai.mode = mode
    await chat.say("ann", "question delta-open-hinted")
    await chat.say("ann", f"answer {GOOD}")
    await chat.say("ann", "review")
    chat.expect(message, "Your answer and grade are unchanged")


async def test_it_never_grades_and_is_capped_per_member_and_server(chat: Transcript, ai):
    ai.mode = "grading"
    await chat.say("ann", "question delta-open-hinted")
    await chat.say("ann", f"answer {GOOD}")
    await chat.say("ann", "review")
    assert "9/10" not in chat.expect("Covered:")
    chat.engine.kit.ai_member_seconds = 60
    await chat.say("ann", "review")
    chat.expect("One review a minute")
    chat.engine.kit.ai_member_seconds = 0
    for user in ("bob", "cat", "dan"):
        await chat.say(user, "question delta-open-hinted")
        await chat.say(user, f"answer {GOOD}")
        await chat.say(user, "review")
    chat.expect("used today's AI reviews")  # the cap of 3 reviews a day for this server
    assert len(ai.requests) == 3


async def test_without_a_service_the_bot_works_unchanged(engine):
    chat = Transcript(engine)
    await chat.say("ann", "question alpha-easy-1")
    await chat.say("ann", "answer a thread pool reuses worker threads")
    assert "AI review" not in [b.label for c in chat.cards for b in c.buttons]
    await chat.say("ann", "review")
    chat.expect("AI reviews are not set up")


async def test_end_to_end_on_discord_slack_and_the_console(tmp_path: Path, ai):
    import asyncio

    from tests.fakes.slack_server import Member
    from tests.surfaces import surfaces

    client = ChatClient(base_url=ai.base_url, model="tiny", api_key=None, timeout=2)
    options = {"advisor": client, "ai_member_seconds": 0}
    async with surfaces(tmp_path, content=(FIXTURE_CONTENT, FIXTURE_OUTPUT), **options) as s:
        fake = s.discord
        ann = fake.user("ann")
        await asyncio.to_thread(
            fake.reply, fake.slash("question", user=ann, id="delta-open-hinted")
        )
        saved = await asyncio.to_thread(fake.reply, fake.slash("answer", user=ann, text=GOOD))
        reviewed = await asyncio.to_thread(
            fake.reply, fake.click(saved.message_with("AI review"), "AI review", user=ann)
        )
        assert reviewed.ephemeral and "Covered:" in reviewed.text and "sent to" in reviewed.text
        bob = Member(user_id="U0BOB", user_name="bob")
        await s.slack_says("question delta-open-hinted", bob)
        await s.slack_says(f"answer {GOOD}", bob)
        assert "Covered:" in await s.slack_says("review", bob)
        await s.console.handle("question delta-open-hinted")
        await s.console.handle(f"answer {GOOD}")
        assert "Covered:" in await s.console.handle("review")
        assert len(ai.requests) == 3


async def test_doctor_checks_the_endpoint(ai):
    from bot.ai import check
    from bot.config import Settings

    off = Settings(_env_file=None)
    assert (await check(off))[0] and "off" in (await check(off))[1]
    on = Settings(_env_file=None, ai_base_url=ai.base_url, ai_model="tiny", ai_timeout=1)
    ok, detail = await check(on)
    assert ok and "answers with model tiny" in detail
    ai.mode = "429"
    ok, detail = await check(on)
    assert not ok and "busy" in detail
