"""Mock rounds and scheduled posts end to end on Discord: the real bot against the fake.

A. Mock-interview rounds through a real `python -m bot run` process (discord.py, engine and
   SQLite all real; only Discord is faked, tests/fakes/discord_server.py): a solo round, a
   group round in another channel, non-leads refused, and a restart mid-round whose
   overdue deadline the scheduler's start-up tick closes with a "time is up" scorecard.
B. Daily posts through the real DiscordAdapter in this process, driven by a real
   Scheduler with a fixed clock: 429 + Retry-After, 5xx, a gone channel, the tally.

How discord.py's own retries (discord/http.py, `HTTPClient.request`) shape part B:
- A 429 whose `retry_after` is at most `max_ratelimit_timeout` is slept out inside
  discord.py and the request repeated: the adapter's `post` simply takes longer and the
  scheduler sees a success. A longer one raises `RateLimited`, which the adapter maps to
  `PlatformError(status=429, retry_after=...)` for the scheduler to wait out. discord.py
  floors `max_ratelimit_timeout` at 30 s, so that second path would cost 30+ s per test:
  the test lowers the attribute on the running client's HTTPClient to 0.5 s and sends a
  1.5 s Retry-After, which runs the same code as a 60 s Retry-After in production.
- 500/502/504/524 are retried inside discord.py after 1 + 2n s; any other 5xx (503) raises
  `DiscordServerError`, which reaches the scheduler as a retryable PlatformError.
Every gap is measured between the requests the fake received (`Request.at`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.base import PlatformError, Sent
from bot.adapters.discord_adapter import SEE_BELOW, DiscordAdapter
from bot.config import Settings
from bot.engine.actors import Actor
from bot.engine.content import load_valid_bank
from bot.engine.core import Engine
from bot.engine.messages import Reply
from bot.features import build_engine
from bot.scheduling import Scheduler
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT, Clock
from tests.fakes.discord_server import (
    EPHEMERAL,
    MODAL,
    FakeDiscord,
    Interaction,
    Seen,
    User,
    buttons_of,
)
from tests.fakes.process import BotProcess

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def settled(
    fake: FakeDiscord, interaction: Interaction, *, until: Callable[[Seen], bool] = lambda _: True
) -> Seen:
    """What the member saw, once complete: a slow (deferred) reply's stand-in gone too."""

    def done(seen: Seen) -> bool:
        return (interaction.original_deleted or SEE_BELOW not in seen.text) and until(seen)

    return fake.reply(interaction, until=done)


def public(seen: Seen) -> list[dict[str, Any]]:
    return [m for m in seen.messages if not m["flags"] & EPHEMERAL]


def private(seen: Seen) -> list[dict[str, Any]]:
    return [m for m in seen.messages if m["flags"] & EPHEMERAL]


def text_of(*messages: dict[str, Any]) -> str:
    return Seen(0, list(messages)).text


def fields(message: dict[str, Any]) -> dict[str, str]:
    """Embed field name -> value over a message's embeds."""
    return {f["name"]: f["value"] for e in message["embeds"] for f in e.get("fields", [])}


def titles(message: dict[str, Any]) -> list[str]:
    return [e.get("title", "") for e in message["embeds"]]


def channel_posts(fake: FakeDiscord, channel: str) -> list[dict[str, Any]]:
    """Messages the bot posted to `channel` itself (REST), not as interaction replies."""
    return [
        m
        for m in list(fake.messages.values())
        if m["channel_id"] == channel and "webhook_id" not in m
    ]


def thread_post(fake: FakeDiscord, thread: str, title: str) -> dict[str, Any]:
    """The bot's message titled `title` in a round's thread (where later questions go)."""
    (found,) = fake.wait_until(
        lambda: [m for m in channel_posts(fake, thread) if title in titles(m)], what=title
    )
    return found


def round_of(seen: Seen) -> int:
    found = re.search(r"Mock round #(\d+)", seen.text)
    assert found, seen.text
    return int(found.group(1))


def query(bot: BotProcess, sql: str, *args: object) -> list[sqlite3.Row]:
    """Read the bot's SQLite file directly (WAL: fine while the bot runs)."""
    with contextlib.closing(sqlite3.connect(bot.workdir / "prepbot.db")) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, args).fetchall()


def items_of(bot: BotProcess, round_id: int) -> list[sqlite3.Row]:
    return query(bot, "SELECT * FROM mock_items WHERE round_id = ? ORDER BY position", round_id)


def answer_in_modal(fake: FakeDiscord, question: dict[str, Any], text: str, *, user: User) -> Seen:
    """The member clicks Answer on a posted question, fills the form in and submits it."""
    opened = settled(fake, fake.click(question, "Answer", user=user))
    assert opened.callback_type == MODAL and opened.modal is not None
    assert opened.modal["custom_id"].startswith("prep:v2:mocksubmit:")
    submitted = fake.submit(
        opened.modal["custom_id"], {"answer": text}, user=user, channel=question["channel_id"]
    )
    return settled(fake, submitted)


def start_round(
    fake: FakeDiscord, *, user: User, channel: str, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`/prep mock start`: (the public question post, the lead's private key with buttons)."""
    seen = settled(
        fake,
        fake.slash("mock", "start", user=user, channel=channel, **options),
        until=lambda s: "Next question" in s.buttons,
    )
    (post,) = public(seen)
    key = seen.message_with("Next question")
    assert key["flags"] & EPHEMERAL
    return post, key


# --------------------------------------------------------------------------------------------
# A. Mock rounds through the real bot process
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDiscord]:
    with FakeDiscord() as fake:
        yield fake


@pytest.fixture(scope="module")
def lead(fake: FakeDiscord) -> User:
    return fake.user("lea")  # a team lead by PREPBOT_LEAD_USERS


@pytest.fixture(scope="module")
def bot(
    fake: FakeDiscord, lead: User, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotProcess]:
    process = BotProcess(
        fake,
        tmp_path_factory.mktemp("discord-rounds"),
        PREPBOT_LEAD_USERS=lead.id,
        PREPBOT_LEAD_ROLES=fake.lead_role_id,
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_members_who_are_not_leads_are_refused_and_nothing_happens(
    fake: FakeDiscord, bot: BotProcess
):
    room = fake.add_channel("refusals")
    mo, ann = fake.user("mo"), fake.user("ann")
    start = settled(fake, fake.slash("mock", "start", user=mo, channel=room, candidate=ann))
    nxt = settled(fake, fake.slash("mock", "next", user=mo, channel=room))
    for seen in (start, nxt):
        assert seen.ephemeral and "Only team leads" in seen.text
    shown = [m for m in fake.messages.values() if m["channel_id"] == room]
    assert all(m["flags"] & EPHEMERAL for m in shown)
    assert not [t for t in fake.threads.values() if t["parent_id"] == room]
    assert query(bot, "SELECT id FROM mock_rounds WHERE channel_id = ?", room) == []


def test_a_solo_round_key_answers_scores_and_the_next_question(
    fake: FakeDiscord, bot: BotProcess, lead: User
):
    room = fake.add_channel("solo-round")
    ann, bob, mo = fake.user("ann"), fake.user("bob"), fake.user("mo")
    post, key = start_round(
        fake, user=lead, channel=room, candidate=ann, topics="alpha,beta", count=3, minutes=45
    )

    # The channel sees the intro and question 1 with an Answer button, and a thread opens.
    shown = text_of(post)
    assert "3 questions for" in shown and "45 minutes" in shown
    assert titles(post) == ["Mock interview", "Question 1 of 3"]
    assert list(buttons_of(post)) == ["Answer"]
    assert fake.threads[post["id"]]["parent_id"] == room
    assert fake.threads[post["id"]]["name"].startswith("Mock interview · ")
    # Only the lead gets the answer key, with score buttons.
    secret = text_of(key)
    for n in (1, 2, 3):
        assert f"Key · Q{n}: Test question" in secret
    assert "Key points" in secret and "Follow-ups" in secret and "Reference answer for" in secret
    assert list(buttons_of(key)) == ["1", "2", "3", "4", "5", "Next question"]
    public_text = "\n".join(
        text_of(m) for m in fake.messages.values() if not m["flags"] & EPHEMERAL
    )
    assert "Reference answer for" not in public_text and "Key points" not in public_text
    round_id = round_of(Seen(0, [post]))

    # Someone who is not a lead can neither start another round nor move this one on.
    for path, options in ((("mock", "start"), {"candidate": bob}), (("mock", "next"), {})):
        refused = settled(fake, fake.slash(*path, user=mo, channel=room, **options))
        assert refused.ephemeral and "Only team leads" in refused.text
    pressed = settled(fake, fake.click(key, "1", user=mo))
    assert pressed.ephemeral and "Only team leads" in pressed.text

    # The candidate answers in the form; another member is told whose round it is.
    saved = answer_in_modal(
        fake, post, "A pool reuses threads; the loop runs coroutines.", user=ann
    )
    assert saved.ephemeral and "Answer saved" in saved.text and "question 1" in saved.text
    other = answer_in_modal(fake, post, "me too", user=bob)
    assert other.ephemeral and "for its candidate" in other.text

    # The lead scores with a button, then corrects it with the command and a note.
    scored = settled(fake, fake.click(key, "3", user=lead))
    assert scored.ephemeral and "**3/5**" in scored.text
    noted = settled(
        fake, fake.slash("mock", "score", user=lead, channel=room, score=4, note="clear on pools")
    )
    assert noted.ephemeral and "**4/5**, note: clear on pools" in noted.text

    nxt = settled(
        fake,
        fake.slash("mock", "next", user=lead, channel=room),
        until=lambda s: "Answered" in s.text,
    )
    # Question 2 goes into the round's thread; the lead is told so, privately.
    assert not public(nxt) and "Posted in the round's thread" in nxt.text
    question = thread_post(fake, post["id"], "Question 2 of 3")
    assert list(buttons_of(question)) == ["Answer"]
    view = nxt.message_with("Next question")  # the lead's: score buttons, and who answered
    assert view["flags"] & EPHEMERAL
    assert "Score question 2" in text_of(view) and "Answered\nann" in text_of(view)
    assert list(buttons_of(view)) == ["1", "2", "3", "4", "5", "Next question"]

    first, second, third = items_of(bot, round_id)
    assert (first["score"], first["note"]) == (4, "clear on pools") and first["finished_at"]
    assert second["asked_at"] and not second["finished_at"] and second["score"] is None
    assert third["asked_at"] is None
    (row,) = query(bot, "SELECT status FROM mock_rounds WHERE id = ?", round_id)
    assert row["status"] == "open"

    ended = settled(fake, fake.slash("mock", "end", user=lead, channel=room))
    assert "Posted in the round's thread" in ended.text
    card = thread_post(fake, post["id"], "Scorecard · ann")  # her name, once she answered
    lines = fields(card)["Questions"].splitlines()
    assert re.fullmatch(
        r"1\. (Alpha|Beta) Topic: \*\*4/5\*\* in \d+:\d\d · clear on pools", lines[0]
    )
    assert re.fullmatch(r"2\. (Alpha|Beta) Topic: \*\*-\*\* in \d+:\d\d", lines[1])
    assert re.fullmatch(r"3\. (Alpha|Beta) Topic: \*\*-\*\* in - · not asked", lines[2])
    assert (fields(card)["Total"], fields(card)["Average"]) == ("4/5", "4.0")


def test_a_group_round_in_another_channel_ends_with_its_scorecard(
    fake: FakeDiscord, bot: BotProcess
):
    room = fake.add_channel("group-round")
    boss = fake.user("boss", manage_guild=True)  # a server admin leads too
    ann, bob = fake.user("ann"), fake.user("bob")
    post, _key = start_round(
        fake, user=boss, channel=room, group=True, topics="alpha,beta", count=2, minutes=30
    )
    assert "2 questions for the group" in text_of(post)
    assert "everyone answers privately" in post["embeds"][-1]["footer"]["text"]
    assert post["channel_id"] == room
    round_id = round_of(Seen(0, [post]))
    topic_1 = fields(post)["Topic"]

    for who in (ann, bob):
        saved = answer_in_modal(fake, post, f"{who.name}'s answer", user=who)
        assert saved.ephemeral and "Answer saved" in saved.text
    noted = settled(
        fake, fake.slash("mock", "score", user=boss, channel=room, score=3, note="both solid")
    )
    assert "**3/5**" in noted.text

    nxt = settled(
        fake,
        fake.slash("mock", "next", user=boss, channel=room),
        until=lambda s: "Answered" in s.text,
    )
    question = thread_post(fake, post["id"], "Question 2 of 2")
    view = nxt.message_with("Next question")
    assert "Answered\nann, bob" in text_of(view)
    topic_2 = fields(question)["Topic"]
    assert {topic_1, topic_2} == {"Alpha Topic", "Beta Topic"}  # spread over both topics

    assert "Answer saved" in answer_in_modal(fake, question, "only me", user=ann).text
    assert "**5/5**" in settled(fake, fake.click(view, "5", user=boss)).text

    ended = settled(fake, fake.slash("mock", "end", user=boss, channel=room))
    assert ended.ephemeral and "Posted in the round's thread" in ended.text
    card = thread_post(fake, post["id"], "Scorecard · group")
    assert card["channel_id"] == post["id"]
    assert f"Mock round #{round_id}, ended by the lead. Lead: boss." in text_of(card)
    scores = fields(card)
    q1, q2 = scores["Questions"].splitlines()
    assert re.fullmatch(rf"1\. {topic_1}: \*\*3/5\*\* in \d+:\d\d · both solid", q1)
    assert re.fullmatch(rf"2\. {topic_2}: \*\*5/5\*\* in \d+:\d\d", q2)
    assert (scores["Total"], scores["Average"]) == ("8/10", "4.0")
    assert (scores["Strongest"], scores["Weakest"]) == (topic_2, topic_1)
    assert [(i["score"], i["note"]) for i in items_of(bot, round_id)] == [
        (3, "both solid"),
        (5, None),
    ]
    (row,) = query(bot, "SELECT status, ended_at FROM mock_rounds WHERE id = ?", round_id)
    assert row["status"] == "ended" and row["ended_at"]

    history = settled(fake, fake.slash("mock", "history", user=boss, channel=room))
    assert f"#{round_id} · " in history.text and "group · 4.0/5 · lead boss" in history.text


def test_an_overdue_round_is_closed_on_restart_and_others_carry_on(
    fake: FakeDiscord, bot: BotProcess
):
    rhea = fake.user("rhea", roles=[fake.lead_role_id])  # a lead by PREPBOT_LEAD_ROLES
    dan, eve = fake.user("dan"), fake.user("eve")
    late, kept = fake.add_channel("late-round"), fake.add_channel("kept-round")
    late_post, _ = start_round(
        fake, user=rhea, channel=late, candidate=dan, topics="alpha", count=2, minutes=30
    )
    assert "Answer saved" in answer_in_modal(fake, late_post, "my answer", user=dan).text
    settled(fake, fake.slash("mock", "score", user=rhea, channel=late, score=4, note="solid"))
    kept_post, _ = start_round(fake, user=rhea, channel=kept, candidate=eve, count=2, minutes=45)
    late_id, kept_id = round_of(Seen(0, [late_post])), round_of(Seen(0, [kept_post]))
    (kept_before,) = query(bot, "SELECT deadline FROM mock_rounds WHERE id = ?", kept_id)

    assert bot.stop() == 0
    # While it is down, the late round's deadline passes (naive UTC, as SQLAlchemy stores it).
    overdue = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    with contextlib.closing(sqlite3.connect(bot.workdir / "prepbot.db")) as conn, conn:
        conn.execute(
            "UPDATE mock_rounds SET deadline = ? WHERE id = ?",
            (overdue.strftime("%Y-%m-%d %H:%M:%S.%f"), late_id),
        )
    assert channel_posts(fake, late_post["id"]) == []
    bot.start()

    # The scheduler's start-up tick posts the scorecard into the round's thread.
    card = thread_post(fake, late_post["id"], "Scorecard · dan")
    assert titles(card) == ["Scorecard · dan"]
    assert f"Mock round #{late_id}, time is up. Lead: rhea." in text_of(card)
    q1, q2 = fields(card)["Questions"].splitlines()
    assert re.fullmatch(r"1\. Alpha Topic: \*\*4/5\*\* in \d+:\d\d · solid", q1)
    assert q2 == "2. Alpha Topic: **-** in - · not asked"
    assert (fields(card)["Total"], fields(card)["Average"]) == ("4/5", "4.0")
    (late_row,) = query(bot, "SELECT status FROM mock_rounds WHERE id = ?", late_id)
    assert late_row["status"] == "ended"
    over = settled(fake, fake.slash("mock", "next", user=rhea, channel=late))
    assert "No mock interview is open here" in over.text

    # The other round kept its deadline and goes on where it was.
    (kept_row,) = query(bot, "SELECT status, deadline FROM mock_rounds WHERE id = ?", kept_id)
    assert (kept_row["status"], kept_row["deadline"]) == ("open", kept_before["deadline"])
    # ... also when the lead types in the round's thread: a thread belongs to its channel.
    nxt = settled(fake, fake.slash("mock", "next", user=rhea, channel=kept_post["id"]))
    assert [titles(m) for m in public(nxt)] == [["Question 2 of 2"]]  # answered in place
    assert channel_posts(fake, kept) == []
    assert len(channel_posts(fake, late_post["id"])) == 1  # closed once
    settled(fake, fake.slash("mock", "end", user=rhea, channel=kept))


# --------------------------------------------------------------------------------------------
# B. Scheduled posts: the real adapter, a real Scheduler with a fixed clock
# --------------------------------------------------------------------------------------------


@dataclass
class Call:
    """One `post` the scheduler made through the adapter, and how it ended."""

    channel_id: str
    error: PlatformError | None


class CountingAdapter(DiscordAdapter):
    """The real adapter; notes each `post` call so the scheduler's retries can be told apart
    from discord.py's own (which repeat the HTTP request inside one call)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.calls: list[Call] = []

    async def post(self, channel_id: str, reply: Reply) -> Sent:
        try:
            sent = await super().post(channel_id, reply)
        except PlatformError as exc:
            self.calls.append(Call(channel_id, exc))
            raise
        self.calls.append(Call(channel_id, None))
        return sent


@dataclass
class Posting:
    fake: FakeDiscord
    adapter: CountingAdapter
    engine: Engine
    scheduler: Scheduler
    clock: Clock

    def admin(self, channel: str) -> Actor:
        return Actor(
            platform="discord",
            server_id=self.fake.guild_id,
            channel_id=channel,
            user_id="4242",
            user_name="boss",
            is_admin=True,
        )

    async def schedule(self, channel: str, spec: str = "09:00 UTC") -> int:
        """`/prep schedule set` in `channel` by an admin: the schedule's id."""
        admin = self.admin(channel)
        reply = await self.engine.run_text(admin, f"schedule set {spec}")
        assert reply.cards[0].title == "Schedule saved", reply.plain_text()
        place = await self.engine.practice.place(admin)
        row = await self.engine.store.channel_schedule(place.server.id, channel)
        return row.id

    async def fire(self, day: str) -> int:
        """The 09:00 UTC job on `day` (YYYY-MM-DD)."""
        self.clock.now = datetime.fromisoformat(f"{day}T09:00:00")
        await self.scheduler.reload()
        return await self.scheduler.fire("09:00", "UTC")

    def question_posts(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in channel_posts(self.fake, channel) if "Question of the day" in str(m)]

    def post_attempts(self, channel: str) -> list[Any]:
        return self.fake.requests_to("POST", rf"/channels/{channel}/messages")


@pytest.fixture
async def posting(tmp_path: Path) -> AsyncIterator[Posting]:
    with FakeDiscord() as fake:
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'posts.db'}")
        await store.upgrade()
        clock = Clock(datetime(2026, 3, 10, 9, 0))
        engine = build_engine(
            store=store,
            bank=load_valid_bank([FIXTURE_CONTENT]),
            default_timezone="UTC",
            clock=clock,
        )
        settings = Settings(
            _env_file=None,
            discord_token=fake.token,
            discord_api_base_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
        )
        adapter = CountingAdapter(engine=engine, settings=settings, ready_timeout=20)
        scheduler = Scheduler(
            engine=engine, adapters={"discord": adapter}, clock=clock, backoff=0.05
        )
        try:
            await adapter.start()
            yield Posting(fake, adapter, engine, scheduler, clock)
        finally:
            await scheduler.stop()
            await adapter.stop()
            await engine.close()
            await store.close()


async def test_a_short_retry_after_is_waited_out_inside_discord_py(posting: Posting):
    fake, channel = posting.fake, posting.fake.channel_id
    await posting.schedule(channel)
    fake.fail("POST", rf"/channels/{channel}/messages", 429, retry_after=1.0)
    assert await posting.fire("2026-03-10") == 1
    refused, accepted = posting.post_attempts(channel)
    assert accepted.at - refused.at >= 1.0
    assert [c.error for c in posting.adapter.calls] == [None]  # one call: discord.py retried
    assert len(posting.question_posts(channel)) == 1


async def test_a_long_retry_after_reaches_the_scheduler_which_honours_it(posting: Posting):
    fake, channel = posting.fake, posting.fake.channel_id
    # Stands in for discord.py's 30 s floor (see the module docstring): a Retry-After above
    # it is raised as RateLimited instead of slept out.
    assert posting.adapter.client is not None
    posting.adapter.client.http.max_ratelimit_timeout = 0.5
    await posting.schedule(channel)
    # 1.5 s: longer than the scheduler's own first backoff (0.05 s + up to 1 s of jitter), so
    # only a scheduler that honours Retry-After passes.
    fake.fail("POST", rf"/channels/{channel}/messages", 429, retry_after=1.5)
    assert await posting.fire("2026-03-10") == 1
    limited, posted = posting.adapter.calls
    assert limited.error is not None and limited.error.status == 429
    assert limited.error.retry_after == 1.5 and posted.error is None
    refused, accepted = posting.post_attempts(channel)
    assert accepted.at - refused.at >= 1.5
    assert len(posting.question_posts(channel)) == 1


@pytest.mark.parametrize(
    ("status", "times", "calls"),
    [
        (503, 2, [503, 503, None]),  # raised to the scheduler, which retries with backoff
        (502, 1, [None]),  # retried inside discord.py after 1 s
    ],
)
async def test_a_server_error_is_retried_and_the_post_made_once(
    posting: Posting, status: int, times: int, calls: list[int | None]
):
    fake, channel = posting.fake, posting.fake.channel_id
    await posting.schedule(channel)
    fake.fail("POST", rf"/channels/{channel}/messages", status, times=times)
    assert await posting.fire("2026-03-10") == 1
    assert [c.error.status if c.error else None for c in posting.adapter.calls] == calls
    assert len(posting.post_attempts(channel)) == times + 1
    assert len(posting.question_posts(channel)) == 1
    assert len([t for t in fake.threads.values() if t["parent_id"] == channel]) == 1
    assert await posting.fire("2026-03-10") == 0  # claimed and posted: never again that day


async def test_a_gone_or_forbidden_channel_pauses_only_its_schedule(posting: Posting):
    fake = posting.fake
    gone = fake.snowflake()  # a channel Discord does not know (deleted): 404 Unknown Channel
    forbidden = fake.add_channel("no-access")  # the bot may not post there: 403
    fine = fake.channel_id
    ids = {channel: await posting.schedule(channel) for channel in (gone, forbidden, fine)}
    fake.fail("POST", rf"/channels/{forbidden}/messages", 403)
    assert await posting.fire("2026-03-10") == 1
    assert len(posting.question_posts(fine)) == 1
    for channel, status in ((gone, 404), (forbidden, 403)):
        row = await posting.engine.store.schedule(ids[channel])
        assert row.paused and str(status) in row.pause_reason
        errors = [c.error for c in posting.adapter.calls if c.channel_id == channel]
        assert [e.status for e in errors if e] == [status]  # not retried
    assert not (await posting.engine.store.schedule(ids[fine])).paused
    assert len(fake.requests_to("GET", rf"/channels/{gone}")) == 1
    due = {d.channel_id for items in posting.scheduler.groups.values() for d in items}
    assert due == {fine}
    # The next day only the healthy channel is posted to.
    assert await posting.fire("2026-03-11") == 1
    assert len(posting.question_posts(fine)) == 2
    assert len(posting.post_attempts(forbidden)) == 1  # paused: not tried again


async def test_the_previous_days_post_gets_its_tally_on_the_next(posting: Posting):
    fake, channel = posting.fake, posting.fake.channel_id
    await posting.schedule(channel)
    assert await posting.fire("2026-03-10") == 1
    (yesterday,) = posting.question_posts(channel)
    for name in ("ann", "bob"):
        member = fake.user(name)
        opened = await asyncio.to_thread(fake.reply, fake.click(yesterday, "Answer", user=member))
        assert opened.modal is not None
        submitted = fake.submit(
            opened.modal["custom_id"], {"answer": "a thread pool reuses threads"}, user=member
        )
        saved = await asyncio.to_thread(fake.reply, submitted)
        assert "Answer saved" in saved.text

    assert await posting.fire("2026-03-11") == 1
    today = [m for m in posting.question_posts(channel) if m["id"] != yesterday["id"]]
    assert len(today) == 1
    (edit,) = fake.requests_to("PATCH", rf"/channels/{channel}/messages/{yesterday['id']}")
    assert edit.at >= posting.post_attempts(channel)[-1].at  # after the new day's post
    footer = fake.messages[yesterday["id"]]["embeds"][-1]["footer"]["text"]
    assert footer.endswith("answered by 2 people")
    assert "Tue 10 Mar 2026" in text_of(fake.messages[yesterday["id"]])
    assert "answered by" not in str(today[0])
