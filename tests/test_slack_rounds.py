"""Mock rounds and scheduled posts on Slack, end to end against the local fake Slack.

Part A runs the real `python -m bot run` process in HTTP mode (signed requests as Slack sends
them) through solo and group mock-interview rounds, a refusal of a non-lead, and a restart
mid-round after which the scheduler closes the round that ran out of time. Part B drives the
real Scheduler through the real SlackAdapter in process, against the fake's 429s, 5xx answers
and missing channels, and checks the next day's tally update.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)

from bot.adapters.slack_adapter import SlackAdapter
from bot.config import Settings
from bot.engine.actors import Actor
from bot.engine.content import load_valid_bank
from bot.engine.core import Engine
from bot.features import build_engine
from bot.scheduling import Scheduler
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT, Clock, open_store
from tests.fakes.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    Call,
    FakeSlack,
    Member,
    SlackSender,
    view_submission,
)
from tests.test_slack_e2e import Bot, assert_no_secrets, http_env

GENERAL, GROUP = "C0GENERAL", "C0GROUP"
LEAD = Member(user_id="U0LEAD", user_name="lea", channel_id=GENERAL)
LEAD_IN_GROUP = Member(user_id="U0LEAD", user_name="lea", channel_id=GROUP)
ANN = Member(user_id="U0ANN", user_name="ann", channel_id=GENERAL)  # the solo candidate
BOB = Member(user_id="U0BOB", user_name="bob", channel_id=GENERAL)  # a member, not a lead
CAT = Member(user_id="U0CAT", user_name="cat", channel_id=GROUP)
DAN = Member(user_id="U0DAN", user_name="dan", channel_id=GROUP)
WAIT = 15  # seconds any one awaited Slack call may take to arrive
FIRE_TIMEOUT = 60  # bound on one scheduler run, retries and Retry-After waits included


# Part A helpers -------------------------------------------------------------------------------


async def send(slack: SlackSender, fake: FakeSlack, text: str, member: Member) -> int:
    """`/prep <text>` from `member`, acked at once; returns where to look for what follows."""
    mark = len(fake.calls)
    assert await slack.command(text, member) == (200, "")
    return mark


async def click(
    slack: SlackSender, fake: FakeSlack, action_id: str, member: Member, **extra: object
) -> int:
    mark = len(fake.calls)
    assert (await slack.click(action_id, member, **extra))[0] == 200
    return mark


async def reply_to(fake: FakeSlack, mark: int, *, channel: str | None = None) -> Call:
    """The first channel message (not a thread reply) posted since `mark`."""
    return await fake.wait_for(
        "chat.postMessage",
        lambda c: "thread_ts" not in c.args and channel in (None, c.args["channel"]),
        after=mark,
        within=WAIT,
    )


async def in_thread(fake: FakeSlack, mark: int, thread_ts: str, text: str) -> Call:
    """The first reply containing `text` posted since `mark` in the thread of `thread_ts`."""
    return await fake.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("thread_ts") == thread_ts and text in c.text(),
        after=mark,
        within=WAIT,
    )


async def private_to(fake: FakeSlack, mark: int, holding: str = "") -> Call:
    """The first ephemeral answer (through the response URL) sent since `mark` (that holds
    `holding`, when given)."""
    call = await fake.wait_for(
        "response_url", lambda c: holding in c.text(), after=mark, within=WAIT
    )
    assert call.args["response_type"] == "ephemeral", call.args
    return call


async def answer_with_form(
    slack: SlackSender,
    fake: FakeSlack,
    question: Call,
    member: Member,
    text: str,
    *,
    verb: str = "mocksubmit",
) -> Call:
    """Answer button -> modal -> submit, as the member does it; the ephemeral result."""
    mark = await click(slack, fake, question.button("Answer"), member)
    opened = await fake.wait_for("views.open", after=mark, within=WAIT)
    view = opened.args["view"]
    assert view["callback_id"].startswith(f"prep:v2:{verb}:"), view["callback_id"]
    mark = len(fake.calls)
    submitted = view_submission(view, {"answer": text}, member, trigger_id="trig-mock")
    assert await slack.interact(submitted) == (200, "")
    return await fake.wait_for(
        "chat.postEphemeral", lambda c: c.args["user"] == member.user_id, after=mark, within=WAIT
    )


def topic_of(question: Call) -> str:
    """The topic title shown on a posted question."""
    match = re.search(r"\*Topic\*\n(.+)", question.text())
    assert match, question.text()
    return match.group(1)


def posts_since(fake: FakeSlack, mark: int) -> list[Call]:
    return [c for c in fake.calls[mark:] if c.method == "chat.postMessage"]


def move_open_deadlines(database: Path, deadline: datetime) -> int:
    """Set every open round's deadline, as SQLAlchemy stores it in SQLite (naive UTC)."""
    with sqlite3.connect(database) as db:
        (stored,) = db.execute("SELECT deadline FROM mock_rounds WHERE status = 'open'").fetchone()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stored), stored
        cursor = db.execute(
            "UPDATE mock_rounds SET deadline = ? WHERE status = 'open'",
            (deadline.strftime("%Y-%m-%d %H:%M:%S.%f"),),
        )
        return cursor.rowcount


# Part A -----------------------------------------------------------------------------------------


async def test_mock_rounds_solo_group_and_a_restart_that_times_out(tmp_path: Path):
    async with FakeSlack() as fake:
        bot = Bot(tmp_path, http_env(fake, PREPBOT_LEAD_USERS=LEAD.user_id))
        try:
            await bot.start()
            async with SlackSender(url=bot.events_url, fake=fake) as slack:
                topics, solo_thread = await solo_round_until_question_two(slack, fake)
                await group_round_with_a_scorecard(slack, fake)

            # Restart mid-round: the solo round is open on question 2 with question 1 scored.
            await bot.stop()
            assert bot.process is not None and bot.process.returncode == 0, bot.stderr()
            first_log = bot.stderr()
            database = Path(bot.env["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///"))
            past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
            assert move_open_deadlines(database, past) == 1  # only the solo round is open
            restarted = len(fake.calls)
            await bot.start()

            # On start-up the scheduler's mock tick posts the "time is up" scorecard, in the
            # round's thread.
            text = (await in_thread(fake, restarted, solo_thread, "Scorecard")).text()
            assert "Scorecard · ann" in text and "time is up" in text and "Lead: lea" in text
            first, second = topics
            assert re.search(rf"1\. {first}: \*4/5\* in \d+:\d\d · clear on the GIL", text), text
            assert re.search(rf"2\. {second}: \*-\* in \d+:\d\d", text), text
            assert "*Total*\n4/5" in text and "*Average*\n4.0" in text

            async with SlackSender(url=bot.events_url, fake=fake) as slack:
                mark = await send(slack, fake, "mock next", LEAD)
                assert "No mock interview is open here" in (await private_to(fake, mark)).text()
                mark = await send(slack, fake, "mock history", LEAD)
                history = (await private_to(fake, mark)).text()
                assert re.search(r"· ann · 4\.0/5 · lead lea", history), history
                assert re.search(r"· group · 3\.5/5 · lead lea", history), history
            # The time-up scorecard was the only channel message since the restart.
            assert [c.args["channel"] for c in posts_since(fake, restarted)] == [GENERAL]
        finally:
            await bot.stop()
        assert bot.process.returncode == 0, bot.stderr()
        for log in (first_log, bot.stderr()):
            assert_no_secrets(log)


async def solo_round_until_question_two(
    slack: SlackSender, fake: FakeSlack
) -> tuple[tuple[str, str], str]:
    """Refusals, start, answers, scores, `mock next`; the topics of questions 1 and 2, and
    the round's thread (the ts of its first message)."""
    start = "mock start candidate:<@U0ANN|ann> topics:alpha,beta count:2 minutes:30"

    # A member who is not a lead is refused, privately, and no round starts.
    mark = await send(slack, fake, start, BOB)
    assert "Only team leads" in (await private_to(fake, mark)).text()
    assert not posts_since(fake, mark)

    # The lead starts it: intro and question 1 in the channel, a thread under it.
    mark = await send(slack, fake, start, LEAD)
    question = await reply_to(fake, mark, channel=GENERAL)
    public = question.text()
    assert "Mock interview" in public and "2 questions for" in public and "30 minutes" in public
    assert "Question 1 of 2" in public and "Mock round #1" in public
    assert question.button("Answer").startswith("prep:v2:mockanswer:")
    assert "Reference answer" not in public and "Key points" not in public
    thread = await fake.wait_for(
        "chat.postMessage", lambda c: "thread_ts" in c.args, after=mark, within=WAIT
    )
    assert thread.args["thread_ts"] == question.response["ts"]

    # ... and the lead alone gets the answer key with the score buttons (the followup).
    key = await private_to(fake, mark)
    shown = key.text()
    assert "Key · Q1" in shown and "Key · Q2" in shown and "Reference answer for" in shown
    assert "Key points" in shown and "Follow-ups" in shown
    buttons = [key.button(label) for label in ("1", "2", "3", "4", "5", "Next question")]
    assert buttons[3] == "prep:v2:mockscore:1:4" and buttons[5] == "prep:v2:mocknext:1"

    # A non-lead's `mock next` and score click are refused; the round stays on question 1.
    mark = await send(slack, fake, "mock next", BOB)
    assert "Only team leads" in (await private_to(fake, mark)).text()
    mark = await click(slack, fake, key.button("5"), BOB, ephemeral=True)
    assert "Only team leads" in (await private_to(fake, mark)).text()
    assert not posts_since(fake, mark)

    # The candidate answers through the button and the modal; another member may not.
    saved = await answer_with_form(slack, fake, question, ANN, "The GIL serialises bytecode.")
    assert saved.args["channel"] == GENERAL and "Answer saved" in saved.text()
    assert "question 1" in saved.text()
    refused = await answer_with_form(slack, fake, question, BOB, "me too")
    assert "This round is for its candidate" in refused.text()

    # The lead scores with a button, then with the command (which wins, with its note).
    mark = await click(slack, fake, key.button("3"), LEAD, ephemeral=True)
    assert "Question 1: *3/5*" in (await private_to(fake, mark)).text()
    mark = await send(slack, fake, "mock score 4 clear on the GIL", LEAD)
    scored = (await private_to(fake, mark)).text()
    assert "Question 1: *4/5*, note: clear on the GIL" in scored

    # `mock next` posts question 2 in the round's thread; the lead's private view says who
    # answered.
    mark = await send(slack, fake, "mock next", LEAD)
    thread_ts = question.response["ts"]
    second = await in_thread(fake, mark, thread_ts, "Question 2 of 2")
    assert second.args["channel"] == GENERAL and second.button("Answer")
    assert "Posted in the round's thread" in (await private_to(fake, mark)).text()
    lead_view = (await private_to(fake, mark, "Score question 2")).text()
    assert "Answered\nann" in lead_view
    return (topic_of(question), topic_of(second)), thread_ts


async def group_round_with_a_scorecard(slack: SlackSender, fake: FakeSlack) -> None:
    # A second round in another channel while the solo round is still open.
    start = "mock start group topics:alpha,beta count:2 minutes:30"
    mark = await send(slack, fake, start, LEAD_IN_GROUP)
    assert "already open" not in (await private_to(fake, mark)).text()
    mark_after_start = mark
    first = await reply_to(fake, mark, channel=GROUP)
    assert "2 questions for the group" in first.text()
    assert "everyone answers privately" in first.text() and "Question 1 of 2" in first.text()
    assert "Mock round #2" in first.text()

    # Two members answer privately; each gets "Answer saved" only for themself.
    for member in (CAT, DAN):
        saved = await answer_with_form(slack, fake, first, member, f"{member.user_name} says")
        assert saved.args["channel"] == GROUP and "Answer saved" in saved.text()

    mark = await send(slack, fake, "mock score 2 missed the key point", LEAD_IN_GROUP)
    assert "Question 1: *2/5*" in (await private_to(fake, mark)).text()
    mark = await send(slack, fake, "mock next", LEAD_IN_GROUP)
    second = await in_thread(fake, mark, first.response["ts"], "Question 2 of 2")
    lead_view = await private_to(fake, mark, "Score question 2")
    assert "Answered\ncat, dan" in lead_view.text()
    mark = await click(slack, fake, lead_view.button("5"), LEAD_IN_GROUP, ephemeral=True)
    assert "Question 2: *5/5*" in (await private_to(fake, mark)).text()

    mark = await send(slack, fake, "mock end", LEAD_IN_GROUP)
    card = (await in_thread(fake, mark, first.response["ts"], "Scorecard")).text()
    weak, strong = topic_of(first), topic_of(second)
    assert weak != strong  # one question per topic
    assert "Scorecard · group" in card and "ended by the lead" in card
    assert re.search(rf"1\. {weak}: \*2/5\* in \d+:\d\d · missed the key point", card), card
    assert re.search(rf"2\. {strong}: \*5/5\* in \d+:\d\d", card), card
    assert "*Total*\n7/10" in card and "*Average*\n3.5" in card
    assert f"*Strongest*\n{strong}" in card and f"*Weakest*\n{weak}" in card
    # Nothing of the group round reached the solo round's channel.
    assert all(c.args["channel"] == GROUP for c in posts_since(fake, mark_after_start))


# Part B helpers --------------------------------------------------------------------------------


@dataclass
class Rig:
    fake: FakeSlack
    adapter: SlackAdapter
    engine: Engine
    store: Store
    scheduler: Scheduler
    clock: Clock
    events_url: str

    async def schedule(self, channel: str, spec: str) -> int:
        """`/prep schedule set <spec>` by a workspace admin in `channel`; the schedule's id."""
        admin = Actor(
            platform="slack",
            server_id=TEAM_ID,
            channel_id=channel,
            user_id="U0BOSS",
            user_name="boss",
            is_admin=True,
        )
        reply = await self.engine.run_text(admin, f"schedule set {spec}")
        assert reply.cards[0].title == "Schedule saved", reply.plain_text()
        place = await self.engine.practice.place(admin)
        return (await self.store.channel_schedule(place.server.id, channel)).id

    async def fire(self, when: str, time_of_day: str) -> int:
        """Set the clock to `when` (UTC) and run the job for `time_of_day` UTC, bounded."""
        self.clock.now = datetime.fromisoformat(when)
        await self.scheduler.reload()
        return await asyncio.wait_for(self.scheduler.fire(time_of_day, "UTC"), timeout=FIRE_TIMEOUT)

    def posts_to(self, channel: str) -> list[Call]:
        """Every attempt at a channel message (not the thread invites) to `channel`."""
        return [
            c
            for c in self.fake.calls_to("chat.postMessage")
            if c.args["channel"] == channel and "thread_ts" not in c.args
        ]


@asynccontextmanager
async def rig(tmp_path: Path, **fake_options: Any) -> AsyncIterator[Rig]:
    """The real adapter (HTTP mode, its routes served on 127.0.0.1), an engine on a temporary
    SQLite file and a Scheduler on a fixed clock, all pointed at a fresh fake Slack."""
    async with FakeSlack(**fake_options) as fake:
        store, _ = await open_store("sqlite", tmp_path)
        clock = Clock(datetime(2026, 3, 10, 9, 0))
        engine = build_engine(
            store=store,
            bank=load_valid_bank([FIXTURE_CONTENT]),
            default_timezone="UTC",
            clock=clock,
            rng=random.Random(7),
        )
        settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token=None,
            slack_api_url=fake.api_url,
        )
        adapter = SlackAdapter(engine=engine, settings=settings)
        scheduler = Scheduler(engine=engine, adapters={"slack": adapter}, clock=clock, backoff=0.05)
        app = web.Application()
        app.add_routes(adapter.routes())
        runner = web.AppRunner(app, access_log=None)
        try:
            await adapter.start()
            assert adapter.ready and adapter.mode == "http"
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            yield Rig(
                fake=fake,
                adapter=adapter,
                engine=engine,
                store=store,
                scheduler=scheduler,
                clock=clock,
                events_url=f"http://127.0.0.1:{port}/slack/events",
            )
        finally:
            await scheduler.stop()
            await runner.cleanup()
            await adapter.stop()
            await engine.close()
            await store.close()


def client_retries(adapter: SlackAdapter, kind: type) -> int:
    (handler,) = [h for h in adapter.retry_handlers if isinstance(h, kind)]
    return handler.max_retry_count


# Part B -----------------------------------------------------------------------------------------


async def test_a_429_with_retry_after_is_waited_out_and_the_post_arrives_once(tmp_path: Path):
    async with rig(tmp_path) as r:
        schedule_id = await r.schedule("C0DAILY", "09:00 UTC")
        r.fake.rate_limit_once("chat.postMessage", retry_after=1)
        assert await r.fire("2026-03-10T09:00", "09:00") == 1

        refused, posted = r.posts_to("C0DAILY")
        assert (refused.status, posted.status) == (429, 200) and posted.ok
        assert posted.at - refused.at >= 1.0  # not before the Retry-After
        assert "Question of the day" in posted.text()
        (invite,) = r.fake.calls_to("chat.postMessage")[2:]  # the discussion thread, once
        assert invite.args["thread_ts"] == posted.response["ts"]
        post = await r.store.post_for_day(
            (await r.store.schedule(schedule_id)).server_id, "C0DAILY", r.clock.now.date()
        )
        assert post.posted_at is not None and post.message_ref == f"C0DAILY|{posted.response['ts']}"
        assert await r.fire("2026-03-10T09:01", "09:00") == 0  # a second run posts nothing
        assert len(r.posts_to("C0DAILY")) == 2


async def test_a_5xx_is_retried_and_the_post_arrives_once(tmp_path: Path):
    async with rig(tmp_path) as r:
        await r.schedule("C0ONE", "09:00 UTC")
        await r.schedule("C0TWO", "10:00 UTC")

        # A 500 with a proxy's plain-text body: slack_sdk's own retry gets it through.
        r.fake.server_error_once("chat.postMessage", status=500)
        assert await r.fire("2026-03-10T09:00", "09:00") == 1
        assert [c.status for c in r.posts_to("C0ONE")] == [500, 200]

        # slack_sdk does not retry a 502: the scheduler does.
        r.fake.server_error_once("chat.postMessage", status=502)
        assert await r.fire("2026-03-10T10:00", "10:00") == 1
        assert [c.status for c in r.posts_to("C0TWO")] == [502, 200]
        assert len([c for c in r.fake.calls_to("chat.postMessage") if c.ok]) == 4  # 2 + threads


async def test_refusals_beyond_the_clients_retries_are_retried_by_the_scheduler(
    tmp_path: Path,
):
    async with rig(tmp_path) as r:
        # The client gives up after its own retries; each refusal below is one more than that.
        limited = client_retries(r.adapter, AsyncRateLimitErrorRetryHandler) + 1
        failing = client_retries(r.adapter, AsyncServerErrorRetryHandler) + 1
        await r.schedule("C0BUSY", "09:00 UTC")
        await r.schedule("C0DOWN", "10:00 UTC")

        for _ in range(limited):
            r.fake.rate_limit_once("chat.postMessage", retry_after=1)
        assert await r.fire("2026-03-10T09:00", "09:00") == 1
        attempts = r.posts_to("C0BUSY")
        assert [c.status for c in attempts] == [429] * limited + [200]
        for before, after in itertools.pairwise(attempts):
            assert after.at - before.at >= 1.0  # every Retry-After honoured, the client's too

        for _ in range(failing):
            r.fake.server_error_once("chat.postMessage", status=503)
        assert await r.fire("2026-03-10T10:00", "10:00") == 1
        assert [c.status for c in r.posts_to("C0DOWN")] == [503] * failing + [200]


async def test_a_missing_channel_pauses_only_its_schedule(tmp_path: Path):
    async with rig(tmp_path, missing_channels={"C0GONE"}, not_in_channels={"C0LOCKED"}) as r:
        gone = await r.schedule("C0GONE", "09:00 UTC")
        locked = await r.schedule("C0LOCKED", "09:00 UTC")
        fine = await r.schedule("C0FINE", "09:00 UTC")
        assert await r.fire("2026-03-10T09:00", "09:00") == 1

        assert [c.status for c in r.posts_to("C0FINE")] == [200] and r.posts_to("C0FINE")[0].ok
        (refused,) = r.posts_to("C0GONE")  # asked once: a 404 is not retried
        assert refused.response["error"] == "channel_not_found"
        row = await r.store.schedule(gone)
        assert row.paused and "404" in row.pause_reason and "channel_not_found" in row.pause_reason
        row = await r.store.schedule(locked)
        assert row.paused and "403" in row.pause_reason and "not_in_channel" in row.pause_reason
        assert not (await r.store.schedule(fine)).paused

        # The next day only the remaining schedule is tried.
        assert await r.fire("2026-03-11T09:00", "09:00") == 1
        assert len(r.posts_to("C0FINE")) == 2
        assert len(r.posts_to("C0GONE")) == len(r.posts_to("C0LOCKED")) == 1


async def test_the_previous_days_post_is_updated_with_its_tally(tmp_path: Path):
    async with rig(tmp_path) as r, SlackSender(url=r.events_url, fake=r.fake) as slack:
        await r.schedule("C0DAILY", "09:00 UTC")
        assert await r.fire("2026-03-10T09:00", "09:00") == 1
        (yesterday,) = r.posts_to("C0DAILY")
        assert "answered by" not in yesterday.text()

        # Two members answer it on Slack: Answer button, modal, submit.
        for user in ("U0ANN", "U0BOB"):
            member = Member(user_id=user, user_name=user.lower(), channel_id="C0DAILY")
            text = "A thread pool reuses worker threads."
            saved = await answer_with_form(slack, r.fake, yesterday, member, text, verb="submit")
            assert "Answer saved" in saved.text()

        mark = len(r.fake.calls)
        assert await r.fire("2026-03-11T09:00", "09:00") == 1
        today = r.posts_to("C0DAILY")[-1]
        (update,) = [c for c in r.fake.calls[mark:] if c.method == "chat.update"]
        assert update.ok and update.at > today.at  # after the new day's post
        assert update.args["channel"] == "C0DAILY" and update.args["ts"] == yesterday.response["ts"]
        assert "answered by 2 people" in update.text()
        assert "answered by" not in today.text()
