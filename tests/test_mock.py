"""Mock-interview rounds in the engine: solo and group, scoring, timing, restarts, export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.engine.core import Engine
from bot.engine.mock import to_csv, to_markdown
from tests.conftest import make_actor

LEAD = {"is_lead": True, "name": "Lea"}


def lead(channel: str = "c1"):
    return make_actor("lead", channel=channel, **LEAD)


async def test_non_leads_are_refused(engine: Engine):
    reply = await engine.run_text(make_actor("ann"), "mock start candidate:ann count:2 minutes:30")
    assert "Only team leads" in reply.cards[0].body
    assert await engine.mock.rounds.open_count() == 0


async def test_a_solo_round_from_start_to_scorecard(engine: Engine, clock):
    start = await engine.run_text(
        lead(), "mock start candidate:ann topics:alpha,beta count:3 minutes:30"
    )
    assert start.thread_title == "Mock interview · ann" and not start.private
    intro, first = start.cards
    assert "3 questions for ann, 30 minutes" in intro.body
    assert first.title == "Question 1 of 3" and first.buttons[0].label == "Answer"
    key = start.followups[0]
    assert key.private and len(key.cards) == 4  # three keys and the score buttons
    assert "Key points" in key.cards[0].fields[0].name
    assert [b.label for b in key.cards[-1].buttons] == ["1", "2", "3", "4", "5", "Next question"]

    ann = make_actor("ann")
    form = await engine.run_action(ann, first.buttons[0].action)
    saved = await engine.run_action(ann, form.form.action, {"answer": "A thread pool..."})
    assert saved.cards[0].title == "Answer saved"
    bob = await engine.run_text(make_actor("bob"), "mock answer me too")
    assert "for its candidate" in bob.cards[0].body

    clock.now += timedelta(minutes=4)
    scored = await engine.run_action(lead(), key.cards[-1].buttons[3].action)  # "4"
    assert "**4/5**" in scored.cards[0].body
    await engine.run_text(lead(), "mock score 5 crisp and complete")
    second = await engine.run_text(lead(), "mock next")
    assert second.cards[0].title == "Question 2 of 3"
    assert "ann" in second.followups[0].cards[1].body  # the lead sees who answered
    clock.now += timedelta(minutes=6)
    await engine.run_text(lead(), "mock score 2")
    await engine.run_text(lead(), "mock next")
    clock.now += timedelta(minutes=2)
    # Skipping the last question closes the round with its scorecard.
    card = (await engine.run_text(lead(), "mock skip")).cards[0]
    assert card.title == "Scorecard · ann"
    text = card.plain_text()
    assert "5/5** in 4:00 · crisp and complete" in text and "2/5** in 6:00" in text
    assert "-** in 2:00 · skipped" in text
    assert "Total: 7/10" in text and "Average: 3.5" in text
    assert "Strongest" in text and "Weakest" in text
    history = await engine.run_text(lead(), "mock history ann")
    assert "ann · 3.5/5 · lead Lea" in history.cards[0].body


async def test_a_group_round_collects_private_answers(engine: Engine):
    start = await engine.run_text(lead(), "mock start group count:2 minutes:20")
    question = start.cards[1]
    assert "everyone answers privately" in question.footer
    for name in ("ann", "bob"):
        who = make_actor(name)
        form = await engine.run_action(who, question.buttons[0].action)
        reply = await engine.run_action(who, form.form.action, {"answer": f"{name}'s answer"})
        assert reply.private and reply.cards[0].title == "Answer saved"
    nxt = await engine.run_text(lead(), "mock next")
    answered = nxt.followups[0].cards[1]
    assert answered.title == "Answered" and answered.body == "ann, bob"
    await engine.run_text(lead(), "mock score 3")
    end = await engine.run_text(lead(), "mock end")
    assert end.cards[0].title == "Scorecard · group"


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
    restarted = Engine(store=store, bank=bank, clock=clock)
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
        ("mock score 9", "Usage: `mock score"),
        ("mock dance", "Usage:"),
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
