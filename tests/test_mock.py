"""Mock-interview rounds in the engine: solo and group, scoring, timing, restarts, export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.adapters.transcript import Transcript
from bot.engine.core import Engine
from bot.features import build_engine
from bot.features.mock.scorecard import to_csv, to_markdown
from tests.conftest import make_actor

LEAD = {"is_lead": True, "name": "Lea"}


def lead(channel: str = "c1"):
    return make_actor("lead", channel=channel, **LEAD)


async def test_non_leads_are_refused(engine: Engine):
    reply = await engine.run_text(make_actor("ann"), "mock start candidate:ann count:2 minutes:30")
    assert "Only team leads" in reply.cards[0].body
    assert await engine.mock.rounds.open_count() == 0


async def test_a_solo_round_from_start_to_scorecard(engine: Engine, clock):
    chat = Transcript(engine, leads={"lead"})
    await chat.say("lead", "mock start candidate:ann topics:alpha,beta count:3 minutes:30")
    public, key = chat.last
    assert public.audience is None and public.step.open_thread == "Mock interview · ann"
    intro, first = public.step.cards
    assert "3 questions for ann, 30 minutes" in intro.body
    assert first.title == "Question 1 of 3" and first.buttons[0].label == "Answer"
    assert key.audience == "lead" and len(key.step.cards) == 4  # three keys, score buttons
    assert "Key points" in key.step.cards[0].fields[0].name
    assert [b.label for b in key.step.cards[-1].buttons] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "Next question",
    ]

    await chat.press("ann", "Answer")
    await chat.fill("ann", answer="A thread pool...")
    chat.expect("Answer saved")
    await chat.say("bob", "mock answer me too")
    chat.expect("for its candidate")

    clock.now += timedelta(minutes=4)
    await chat.press("lead", "4")
    chat.expect("**4/5**")
    await chat.say("lead", "mock score 5 crisp and complete")
    await chat.say("lead", "mock next")
    chat.expect("Question 2 of 3", "== Answered ==\nAnn")  # the lead sees who answered
    clock.now += timedelta(minutes=6)
    await chat.say("lead", "mock score 2")
    await chat.say("lead", "mock next")
    clock.now += timedelta(minutes=2)
    # Skipping the last question closes the round with its scorecard.
    await chat.say("lead", "mock skip")
    text = chat.expect("Scorecard · Ann")
    assert "5/5** in 4:00 · crisp and complete" in text and "2/5** in 6:00" in text
    assert "-** in 2:00 · skipped" in text
    assert "Total: 7/10" in text and "Average: 3.5" in text
    assert "Strongest" in text and "Weakest" in text
    (scorecard,) = [c for c in chat.cards if c.title.startswith("Scorecard")]
    assert scorecard.image is not None and scorecard.image.filename == "scorecard.png"
    assert scorecard.image.data.startswith(b"\x89PNG") and "2 of 3 questions scored" in (
        scorecard.image.alt
    )
    await chat.say("lead", "mock history ann")
    chat.expect("Ann · 3.5/5 · lead Lead")


async def test_a_stale_next_button_does_not_advance_a_newer_round(engine: Engine):
    chat = Transcript(engine, leads={"lead"})
    await chat.say("lead", "mock start candidate:ann count:2 minutes:20")
    old_next = chat.button("lead", "Next question")
    await chat.say("lead", "mock end")
    await chat.say("lead", "mock start candidate:bob count:2 minutes:20")
    reply = await engine.run_custom_id(chat.actor("lead"), old_next.action.encode())
    assert "Mock round #1 is over" in reply.cards[0].body
    items = await engine.mock.rounds.items(2)
    assert [i.asked_at is not None for i in items] == [True, False]  # round 2 did not move


async def test_a_group_round_collects_private_answers(engine: Engine):
    chat = Transcript(engine, leads={"lead"})
    await chat.say("lead", "mock start group count:2 minutes:20")
    assert "everyone answers privately" in chat.cards[1].footer
    for name in ("ann", "bob"):
        await chat.press(name, "Answer")
        await chat.fill(name, answer=f"{name}'s answer")
        assert chat.private() and chat.cards[0].title == "Answer saved"
    await chat.say("lead", "mock next")
    chat.expect("== Answered ==\nAnn, Bob")
    await chat.say("lead", "mock score 3")
    await chat.say("lead", "mock end")
    chat.expect("Scorecard · group")


async def test_one_open_round_per_channel(engine: Engine):
    await engine.run_text(lead("c1"), "mock start candidate:ann count:1 minutes:10")
    second = await engine.run_text(lead("c1"), "mock start candidate:bob count:1 minutes:10")
    assert "already open here" in second.cards[0].body and "ann" in second.cards[0].body
    other = await engine.run_text(lead("c2"), "mock start candidate:bob count:1 minutes:10")
    assert other.cards[0].title == "Mock interview"
    assert await engine.mock.rounds.open_count() == 2


async def test_the_clock_warns_then_closes_even_after_a_restart(engine: Engine, store, bank, clock):
    await engine.run_text(lead(), "mock start candidate:ann count:2 minutes:20")
    clock.now += timedelta(minutes=10)
    assert await engine.mock.due_events() == []
    # The bot restarts: a new engine on the same database still knows the deadline.
    restarted = build_engine(store=store, bank=bank, clock=clock)
    clock.now += timedelta(minutes=6)
    events = await restarted.mock.due_events()
    assert [reply.cards[0].title for _row, reply in events] == ["5 minutes left"]
    assert await restarted.mock.due_events() == []  # warned once
    clock.now += timedelta(minutes=5)
    events = await restarted.mock.due_events()
    assert events[0][1].cards[0].title == "Scorecard · ann"
    assert "time is up" in events[0][1].cards[0].body
    assert events[0][0].channel_id == "c1"
    assert await restarted.mock.due_events() == []
    await restarted.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mock start", "Name the candidate"),
        ("mock start ann count:99", "from 1 to 20"),
        ("mock start ann minutes:1", "from 5 to 240"),
        ("mock start ann topics:astrology", "Unknown topic"),
        ("mock start ann difficulty:brutal", "one of easy"),
        ("mock start ann colour:red", "Unknown option"),
        ("mock start ann topics:gamma count:5", "Only 1 questions match"),
        ("mock next", "No mock interview is open"),
        ("mock score 9", "`score` is a whole number from 1 to 5"),
        ("mock score", "mock score <1-5> [note]`"),
        ("mock dance", "Unknown command `mock dance`"),
    ],
)
async def test_bad_input_gets_a_clear_message(engine: Engine, text, message):
    reply = await engine.run_text(lead(), text)
    assert message in reply.cards[0].body


async def test_export_matches_the_stored_scores(engine: Engine, clock):
    await engine.run_text(lead(), "mock start candidate:ann count:2 minutes:30")
    clock.now += timedelta(seconds=75)
    await engine.run_text(lead(), "mock score 4 good | detail")
    await engine.run_text(lead(), "mock next")
    await engine.run_text(lead(), "mock score 2")
    await engine.run_text(lead(), "mock end")
    rows = await engine.mock.rounds.history(None, None)
    cards = [await engine.mock.scorecard(r.id) for r in rows]
    parsed = list(csv.DictReader(io.StringIO(to_csv(cards))))
    assert [(r["position"], r["score"], r["note"]) for r in parsed] == [
        ("1", "4", "good | detail"),
        ("2", "2", ""),
    ]
    assert parsed[0]["seconds"] == "75" and parsed[0]["candidate"] == "ann"
    markdown = to_markdown(cards)
    assert "| 1 |" in markdown and "| 4 | 1:15 | good \\| detail |" in markdown
    assert "total 6/10 · average 3.0" in markdown


async def test_the_rounds_thread_carries_its_later_messages(engine: Engine, clock):
    start = await engine.run_text(lead(), "mock start candidate:<@U77|Ann Lee> count:2 minutes:20")
    assert start.anchor and start.thread_title == "Mock interview · Ann Lee"
    assert start.in_thread is None
    await engine.anchor(start.anchor, "T-99")  # the adapter reports the thread it opened
    nxt = await engine.run_text(lead(), "mock next")
    assert nxt.in_thread == "T-99"
    clock.now += timedelta(minutes=16)
    [(_row, warning)] = await engine.mock.due_events()
    assert warning.in_thread == "T-99" and not warning.private
    end = await engine.run_text(lead(), "mock end")
    assert end.in_thread == "T-99" and end.cards[0].title == "Scorecard · Ann Lee"


async def test_two_simultaneous_starts_in_one_channel_open_one_round(store, bank, clock):
    """Two instances (two stores on one database) start a round in one channel at once."""
    import asyncio

    from bot.store.store import Store

    other = Store.from_url(store.url, schema=store.schema)
    engines = [build_engine(store=s, bank=bank, clock=clock) for s in (store, other)]
    try:
        replies = await asyncio.gather(
            *(
                e.run_text(lead(), f"mock start candidate:{name} count:1 minutes:10")
                for e, name in zip(engines, ("ann", "bob"), strict=True)
            )
        )
        titles = sorted(r.cards[0].title for r in replies)
        assert titles == ["", "Mock interview"]  # one round, one private refusal
        assert await engines[0].mock.rounds.open_count() == 1
    finally:
        for e in engines:
            await e.close()
        await other.close()


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    from datetime import datetime

    from bot.features.mock.scorecard import ItemResult, Scorecard

    card = Scorecard(
        round_id=1,
        candidate='=HYPERLINK("https://evil.example","prize")',
        lead="@lead",
        started_at=datetime(2026, 3, 10, 12, 0),
        ended_at=None,
        items=(
            ItemResult(1, "+cmd|' /C calc'!A0", "oop", 4, 60, "-2+3"),
            ItemResult(2, "\tTabbed", "oop", None, None, "fine note"),
        ),
    )
    rows = list(csv.DictReader(io.StringIO(to_csv([card]))))
    assert rows[0]["candidate"].startswith("'=") and rows[0]["lead"] == "'@lead"
    assert rows[0]["question"].startswith("'+") and rows[0]["note"] == "'-2+3"
    assert rows[1]["question"].startswith("'\t") and rows[1]["note"] == "fine note"
    assert rows[0]["score"] == "4"  # numbers stay numbers


async def test_only_the_rounds_own_lead_controls_it_and_never_its_candidate(engine: Engine):
    chat = Transcript(engine, leads={"lea", "leo", "ann"}, admins={"boss"})
    await chat.say("lea", "mock start candidate:ann count:2 minutes:20")
    for who in ("leo", "ann"):  # another lead; the candidate (a lead herself)
        for text in ("mock score 5", "mock next", "mock end"):
            await chat.say(who, text)
            chat.expect("Only this round's lead" if who == "leo" else "this round's candidate")
    await chat.press("ann", "Answer")
    await chat.fill("ann", answer="my answer")
    assert (await engine.mock.rounds.items(1))[0].score is None  # nothing changed
    forged = await engine.run_custom_id(chat.actor("lea"), "prep:v2:mockscore:1:9")
    assert "from 1 to 5" in forged.cards[0].body
    await chat.say("boss", "mock score 4")  # an admin may
    chat.expect("**4/5**")
    await chat.say("lea", "mock end")
    chat.expect("Scorecard")
