"""Trust: members' names and notes are plain text everywhere; ids the bot did not issue are
refused without a trace of their raw text in metrics or logs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.adapters.transcript import Transcript
from bot.engine.core import Engine
from bot.metrics import Metrics
from tests.conftest import make_actor
from tests.fakes.slack_server import Member
from tests.surfaces import surfaces

PRIZE = "[Claim your prize](https://evil.example)"


async def test_a_name_with_markdown_is_shown_as_text_on_discord_and_slack(tmp_path: Path):
    async with surfaces(tmp_path) as s:
        fake = s.discord
        trick = fake.user(PRIZE)
        await asyncio.to_thread(fake.reply, fake.slash("today", user=trick))
        await asyncio.to_thread(fake.reply, fake.slash("answer", user=trick, text="a thread pool"))
        board = await asyncio.to_thread(fake.reply, fake.slash("leaderboard", user=trick))
        assert not board.ephemeral
        # Escaped: Discord shows the brackets and parentheses, and makes no link of them.
        assert "\\[Claim your prize\\]\\(https://evil.example\\)" in board.text

        member = Member(user_id="U0TRICK", user_name=PRIZE)
        await s.slack_says("today", member)
        await s.slack_says("answer a thread pool", member)
        after = len(s.slack.calls)
        await s.slack_sender.command("leaderboard", member)
        call = await s.slack.wait_for(("chat.postMessage", "response_url"), after=after)
        text = call.text()
        assert "[Claim your prize](https://evil.example)" in text
        assert "<https://evil.example" not in text  # no live link
        sections = [b for b in call.blocks if b.get("type") == "section"]
        assert sections and all(b["text"].get("verbatim") is True for b in sections)


async def test_scorecards_and_notes_stay_plain_text(engine: Engine):
    chat = Transcript(engine, leads={"lea"})
    await chat.say("lea", f"mock start candidate:<@U9|{PRIZE}> count:1 minutes:10")
    await chat.say("lea", "mock score 4 **great** see [docs](https://evil.example)")
    chat.expect("note: \\*\\*great\\*\\* see \\[docs\\]\\(https://evil.example\\)")
    await chat.say("lea", "mock end")
    chat.expect("Scorecard · \\[Claim your prize\\]\\(https://evil.example\\)")


async def test_ids_the_bot_did_not_issue_are_refused_without_a_trace(engine: Engine, caplog):
    metrics = Metrics()
    engine.observer = engine.kit.observer = metrics
    raw = "prep:v2:teleport:<script>" + "x" * 50
    with caplog.at_level("INFO"):
        reply = await engine.run_custom_id(make_actor(), raw)
    assert "another version of prepbot" in reply.cards[0].body
    page = metrics.render().decode()
    assert "teleport" not in page and "button:unknown" in page
    assert "teleport" not in caplog.text and "<script>" not in caplog.text
    # A post of another server, and a mock question not yet asked, are refused too.
    await engine.run_text(make_actor(server="other"), "today")
    foreign = await engine.run_custom_id(make_actor(server="s1"), "prep:v2:reveal:1:")
    assert "nothing to reveal" in foreign.cards[0].body.lower()
    chat = Transcript(engine, leads={"lea"})
    await chat.say("lea", "mock start candidate:ann count:2 minutes:10")
    later = await engine.run_custom_id(
        chat.actor("ann"), "prep:v2:mocksubmit:2", {"answer": "early"}
    )
    assert "That question is closed" in later.cards[0].body


async def test_progress_is_read_per_server_and_a_dm_shows_only_ones_own(engine: Engine):
    a = Transcript(engine, server="guild-a")
    b = Transcript(engine, server="guild-b")
    await b.say("ann", "today")
    await b.say("ann", "answer a thread pool reuses worker threads")
    await b.press("ann", "Good")
    # In server A nobody sees how ann practises in server B.
    await a.say("bob", "today")
    await a.say("bob", "stats <@ann|Ann>")
    text = a.expect()
    assert "has not practised here yet" in text or "0 answers and grades" in text
    await a.say("ann", "stats")
    a.expect("(0 answers and grades)", "Nothing graded yet")
    await b.say("ann", "stats")
    b.expect("(2 answers and grades)", "1/1 good or easy")
    # A DM is one's own space: no one else's stats, no shared leaderboard or round history.
    await b.say("bob", "stats <@ann|Ann>", dm=True)
    b.expect("only your own progress")
    await b.say("bob", "leaderboard", dm=True)
    b.expect("belongs to a channel")
    b.leads.add("bob")
    await b.say("bob", "mock history", dm=True)
    b.expect("belongs to a channel")


async def test_slack_http_mode_verifies_first_and_answers_a_replay_once(tmp_path: Path, caplog):
    import time
    from urllib.parse import urlencode

    from tests.fakes.slack_server import slash_command

    async with surfaces(tmp_path) as s:
        sender = s.slack_sender
        with caplog.at_level("INFO"):
            for body in ("{not json", "payload=%7Bbroken", "x" * 100):
                status, _ = await sender.post(body, "application/json", secret="wrong-secret")
                assert status == 401
            headers_junk = await sender.post("{}", "application/json", timestamp=0)
            assert headers_junk[0] == 401  # far outside the 5-minute window
        assert "Traceback" not in caplog.text

        fields = slash_command(
            "answer replayed text here",
            Member(user_id="U0REP", user_name="rep"),
            response_url=s.slack.new_response_url(),
            trigger_id="trig-replay",
        )
        await s.slack_says("today", Member(user_id="U0REP", user_name="rep"))
        body, now = urlencode(fields), int(time.time())
        first = await sender.post(body, "application/x-www-form-urlencoded", timestamp=now)
        again = await sender.post(body, "application/x-www-form-urlencoded", timestamp=now)
        assert first[0] == again[0] == 200
        await s.slack.wait_for("response_url", lambda c: "Answer saved" in c.text())
        await asyncio.sleep(0.3)
        saved = [c for c in s.slack.calls if "Answer saved" in c.text()]
        assert len(saved) == 1  # the replay ran nothing


async def test_forget_me_leaves_no_trace_in_any_table_and_my_data_comes_first(
    engine: Engine, store
):
    import json

    from sqlalchemy import select

    from bot.store.schema import metadata

    zed_id, zed_name = "zed-9f3k", "Zed Unique"
    chat = Transcript(engine, admins={zed_id}, leads={"lea", zed_id})
    chat.actor = _named(chat.actor, zed_id, zed_name)
    await chat.say(zed_id, "today")
    await chat.say(zed_id, "answer a thread pool reuses worker threads")
    await chat.press(zed_id, "Good")
    await chat.say(zed_id, "today", dm=True)
    await chat.say(zed_id, "subscribe 07:30")
    await chat.say(zed_id, "schedule set 09:00")
    await chat.say(zed_id, "digest set fri 17:00")
    await chat.say(zed_id, "mock start candidate:ann count:1 minutes:10", channel="c2")
    await chat.say(zed_id, "mock end", channel="c2")
    await chat.say("lea", f"mock start candidate:<@{zed_id}|{zed_name}> count:1", channel="c3")
    await chat.say(zed_id, "mock answer I would use a pool", channel="c3")
    await chat.say("lea", f"mock score 2 {zed_name} was vague", channel="c3")
    await chat.say("lea", "mock end", channel="c3")

    await chat.say(zed_id, "my-data")
    (attachment,) = [c.attachment for c in chat.cards if c.attachment]
    data = json.loads(attachment.data)
    assert data["member"]["external_id"] == zed_id and len(data["answers"]) == 1
    assert {r["role"] for r in data["mock_rounds"]} == {"lead", "candidate"}

    await chat.say(zed_id, "forget-me confirm")
    chat.expect("Everything stored about you is deleted", "Kept: the operator's logs")
    found = []
    async with store.read() as tx:
        for table in metadata.sorted_tables:
            for row in await tx.conn.execute(select(table)):
                for column, value in row._mapping.items():
                    if isinstance(value, str) and (zed_id in value or zed_name in value):
                        found.append(f"{table.name}.{column}")
    assert found == []
    await chat.say("lea", "mock history", channel="c3")
    assert zed_name not in chat.expect()


def _named(actor_of, user_id: str, name: str):  # type: ignore[no-untyped-def]
    """The transcript's actor maker, with one member's display name set."""
    from dataclasses import replace

    def actor(user: str, **where):  # type: ignore[no-untyped-def]
        made = actor_of(user, **where)
        return replace(made, user_name=name) if user == user_id else made

    return actor


async def test_my_data_as_a_file_on_discord_slack_and_the_console(tmp_path: Path, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    async with surfaces(tmp_path) as s:
        fake = s.discord
        ann = fake.user("ann")
        await asyncio.to_thread(fake.reply, fake.slash("today", user=ann))
        got = await asyncio.to_thread(fake.reply, fake.slash("me", "my-data", user=ann))
        assert got.ephemeral and "Your data" in got.text
        (message,) = got.messages
        assert [a["filename"] for a in message.get("attachments", [])] == ["prepbot-my-data.json"]

        bob = Member(user_id="U0BOB", user_name="bob")
        await s.slack_says("today", bob)
        assert "Your data" in await s.slack_says("my-data", bob)
        await s.slack.wait_for("files.completeUploadExternal")
        (upload,) = s.slack.files.values()
        assert upload["channel"] == "D0BOB" and upload["filename"] == "prepbot-my-data.json"
        assert json.loads(upload["data"])["member"]["external_id"] == "U0BOB"

        await s.console.handle("today")
        out = await s.console.handle("my-data")
        assert "Saved your prepbot data to" in out
        saved = json.loads((tmp_path / "prepbot-my-data.json").read_text())
        assert saved["member"]["external_id"] == "ann"


async def test_one_answer_per_question_per_day_counts_and_public_posts_cool_down(
    engine: Engine, clock
):
    from datetime import timedelta

    chat = Transcript(engine)
    await chat.say("ann", "today")
    for n in range(3):  # the same question, three times in a day
        await chat.say("ann", f"answer a thread pool reuses worker threads, take {n}")
    await chat.say("ann", "history")
    chat.expect("3.")  # all three are kept
    clock.now += timedelta(seconds=11)
    await chat.say("ann", "leaderboard")
    chat.expect("1 answers")  # one counts
    await chat.say("ann", "leaderboard")
    chat.expect("was just posted here; try again in")
    clock.now += timedelta(seconds=11)
    await chat.say("ann", "leaderboard")
    chat.expect("Leaderboard")


async def test_forget_me_on_one_instance_is_seen_at_once_by_another(store, bank):
    from bot.features import build_engine
    from bot.store.store import Store

    other = Store.from_url(store.url, schema=store.schema)
    first, second = build_engine(store=store, bank=bank), build_engine(store=other, bank=bank)
    try:
        a, b = Transcript(first), Transcript(second)
        await b.say("ann", "today")  # instance B now has ann in its cache
        await a.say("ann", "forget-me confirm")
        a.expect("Everything stored about you is deleted")
        await b.say("ann", "question")  # B notices at once instead of writing to a ghost
        b.expect("Practice")
        await b.say("ann", "answer a thread pool reuses worker threads")
        b.expect("Answer saved")
    finally:
        await first.close()
        await second.close()
        await other.close()


async def test_a_locked_database_fails_fast_and_hands_the_answer_back(tmp_path: Path):
    import sqlite3
    import time

    from bot.engine.content import load_valid_bank
    from bot.features import build_engine
    from bot.store.store import Store
    from tests.conftest import FIXTURE_CONTENT

    path = tmp_path / "locked.db"
    store = Store.from_url(f"sqlite+aiosqlite:///{path}")
    await store.upgrade()
    engine = build_engine(store=store, bank=load_valid_bank([FIXTURE_CONTENT]))
    chat = Transcript(engine)
    try:
        for who in ("ann", "bob", "cat"):
            await chat.say(who, "today")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        began = time.monotonic()
        replies = await asyncio.gather(
            *(
                engine.run_text(chat.actor(who), f"answer {who}'s careful **answer**")
                for who in ("ann", "bob", "cat")
            )
        )
        waited = time.monotonic() - began
        other.execute("ROLLBACK")
        other.close()
        for who, reply in zip(("ann", "bob", "cat"), replies, strict=True):
            body = reply.cards[0].body
            assert "busy right now, so nothing was saved" in body
            assert f"{who}'s careful \\*\\*answer\\*\\*" in body  # their text, to send again
        assert waited < 8  # one busy timeout for the batch, not one per member
        await chat.say("ann", "answer ann's careful answer")
        chat.expect("Answer saved")
    finally:
        await engine.close()
        await store.close()
