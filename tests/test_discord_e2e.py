"""The real `prepbot run` process against a fake Discord: what members would see.

discord.py, the engine and the database are all real; only Discord's servers are faked (at
their REST and gateway edge, in tests/fakes/discord_server.py). Every assertion is on what
the fake received from the bot.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.adapters.base import PlatformError
from bot.adapters.discord_adapter import SEE_BELOW, DiscordAdapter, DiscordStartError
from bot.config import Settings
from bot.engine.content import load_valid_bank
from bot.engine.messages import Action, Button, Card, Reply
from bot.features import build_engine
from bot.features.practice.cards import Ask
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT
from tests.fakes.discord_server import MODAL, FakeDiscord, Interaction, Seen, User
from tests.fakes.process import BotProcess

KEY_POINT_ANSWER = "A thread pool reuses worker threads, so nothing blocks."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDiscord]:
    with FakeDiscord() as fake:
        yield fake


@pytest.fixture(scope="module")
def bot(fake: FakeDiscord, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    process = BotProcess(
        fake,
        tmp_path_factory.mktemp("discord"),
        PREPBOT_ADMIN_ROLES=fake.admin_role_id,
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def message_payloads(fake: FakeDiscord) -> list[dict[str, Any]]:
    """Every message body the bot sent: interaction replies, followups, edits, posts."""
    found = []
    for r in list(fake.requests):
        if r.method not in ("POST", "PATCH") or not isinstance(r.body, dict):
            continue
        if r.path.endswith("/callback"):
            if r.body.get("type") in (4, 7):
                found.append(r.body["data"])
        elif re.fullmatch(
            r"/(webhooks/\d+/[^/]+(/messages/.+)?|channels/\d+/messages(/\d+)?)", r.path
        ):
            found.append(r.body)
    return found


def answer_via_modal(
    fake: FakeDiscord, message: dict[str, Any], text: str, *, user: User, dm: bool = False
) -> Seen:
    opened = fake.reply(fake.click(message, "Answer", user=user, dm=dm))
    assert opened.callback_type == MODAL, "Answer must open the modal as its first response"
    assert opened.modal is not None
    inputs = [c for row in opened.modal["components"] for c in row["components"]]
    assert [i["custom_id"] for i in inputs] == ["answer"]
    return fake.reply(fake.submit(opened.modal["custom_id"], {"answer": text}, user=user, dm=dm))


def test_connects_with_the_guilds_intent_only_and_syncs_prep(fake: FakeDiscord, bot: BotProcess):
    identify = next(p for p in fake.gateway_received if p["op"] == 2)
    assert identify["d"]["intents"] == discord.Intents(guilds=True).value
    prep = next(c for c in fake.commands[None] if c["name"] == "prep")
    names = {o["name"] for o in prep["options"]}
    assert names >= {
        "today",
        "question",
        "answer",
        "reveal",
        "grade",
        "skip",
        "streak",
        "stats",
        "leaderboard",
        "topics",
        "timezone",
        "me",
        "help",
        "schedule",
    }
    question = next(o for o in prep["options"] if o["name"] == "question")
    topic = next(o for o in question["options"] if o["name"] == "topic")
    assert {c["value"] for c in topic["choices"]} == {"alpha", "beta", "gamma"}
    # No member chunking: nothing asked for guild members.
    assert not [p for p in fake.gateway_received if p["op"] == 8]


def test_today_answer_in_a_modal_grade_then_the_streak_shows_one(
    fake: FakeDiscord, bot: BotProcess
):
    ann = fake.user("ann")
    today = fake.reply(fake.slash("today", user=ann))
    assert not today.ephemeral
    assert "Question of the day" in today.text
    assert set(today.buttons) == {"Answer", "Hint", "Reveal", "Skip"}
    assert all(cid.startswith("prep:v2:") for cid in today.buttons.values())

    result = answer_via_modal(fake, today.message_with("Answer"), KEY_POINT_ANSWER, user=ann)
    assert result.ephemeral
    assert "Answer saved" in result.text
    assert "✅ thread pool reuses worker threads" in result.text
    assert "⬜ event loop schedules coroutines" in result.text
    assert {"Again", "Hard", "Good", "Easy"} <= set(result.buttons)

    graded = fake.reply(fake.click(result.message_with("Good"), "Good", user=ann))
    assert graded.ephemeral and "Graded **Good**" in graded.text

    streak = fake.reply(fake.slash("streak", user=ann))
    assert streak.ephemeral
    assert "**1** day streak" in streak.text
    # /prep stats: the practice calendar and the topic bars arrive as attached pictures,
    # each shown in its embed.
    stats = fake.reply(fake.slash("stats", user=ann))
    (message,) = stats.messages
    names = [a["filename"] for a in message["attachments"]]
    assert stats.ephemeral and names == ["practice.png", "topics.png"]
    images = [e["image"]["url"] for e in message["embeds"] if e.get("image")]
    assert images == ["attachment://practice.png", "attachment://topics.png"]


def test_reveal_is_only_for_the_member(fake: FakeDiscord, bot: BotProcess):
    bob = fake.user("bob")
    today = fake.reply(fake.slash("today", user=bob))
    revealed = fake.reply(fake.click(today.message_with("Reveal"), "Reveal", user=bob))
    assert revealed.ephemeral
    assert "Reference answer" in revealed.text and "Key points" in revealed.text


def test_schedule_is_refused_to_members_and_allowed_to_admins(fake: FakeDiscord, bot: BotProcess):
    carol = fake.user("carol")
    denied = fake.reply(fake.slash("schedule", "show", user=carol))
    assert denied.ephemeral and "Only admins" in denied.text

    dave = fake.user("dave", manage_guild=True)
    shown = fake.reply(fake.slash("schedule", "show", user=dave))
    assert shown.ephemeral and "Only admins" not in shown.text and "Schedule" in shown.text

    erin = fake.user("erin", roles=[fake.admin_role_id])  # PREPBOT_ADMIN_ROLES
    saved = fake.reply(
        fake.slash("schedule", "set", user=erin, time="07:30", weekdays="mon, wed", grace=60)
    )
    assert "Only admins" not in saved.text
    assert "Schedule saved" in saved.text and "07:30" in saved.text


def test_member_text_never_pings(fake: FakeDiscord, bot: BotProcess):
    frank = fake.user("@everyone")
    today = fake.reply(fake.slash("today", user=frank))
    text = f"{KEY_POINT_ANSWER} @everyone @here <@123> <@&456>"
    result = answer_via_modal(fake, today.message_with("Answer"), text, user=frank)
    assert "Answer saved" in result.text

    echoed = fake.reply(fake.slash("timezone", user=frank, zone="@everyone <@123>"))
    assert "@\u200beveryone" in echoed.text and "<\u200b@123>" in echoed.text

    board = fake.reply(fake.slash("leaderboard", user=frank))
    assert not board.ephemeral and "@\u200beveryone" in board.text

    payloads = message_payloads(fake)
    assert payloads
    for payload in payloads:
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload
        assert not re.search(r"@(everyone|here)|<@&?\d+>", str(payload)), payload


def test_timezones_autocomplete(fake: FakeDiscord, bot: BotProcess):
    seen = fake.reply(
        fake.autocomplete("timezone", option="zone", typed="berl", user=fake.user("al"))
    )
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in (seen.choices or [])


def test_a_dm_works_for_member_commands(fake: FakeDiscord, bot: BotProcess):
    gus = fake.user("gus")
    today = fake.reply(fake.slash("today", user=gus, dm=True))
    assert "Question of the day" in today.text
    result = answer_via_modal(
        fake, today.message_with("Answer"), KEY_POINT_ANSWER, user=gus, dm=True
    )
    assert "Answer saved" in result.text
    streak = fake.reply(fake.slash("streak", user=gus, dm=True))
    assert "**1** day streak" in streak.text


def test_unknown_ids_and_failures_get_a_short_private_message(fake: FakeDiscord, bot: BotProcess):
    hal = fake.user("hal")
    teleport = fake.reply(fake.click_id("prep:v1:teleport:x", user=hal))
    assert teleport.ephemeral and "another version of prepbot" in teleport.text

    other_version = fake.reply(fake.click_id("prep:v9:answer:p1", user=hal))
    assert other_version.ephemeral and "another version" in other_version.text

    unknown = {"id": "1", "name": "prep", "type": 1, "options": [{"type": 1, "name": "teleport"}]}
    outdated = fake.reply(fake.command(unknown, user=hal))
    assert outdated.ephemeral and "Something went wrong" in outdated.text

    # Discord refuses the reply itself: the member still hears back, and the log says why.
    fake.fail("POST", r"/interactions/\d+/[^/]+/callback", 400)
    failed = fake.reply(fake.slash("topics", user=hal))
    assert failed.ephemeral and "Something went wrong" in failed.text
    assert "discord topics failed" in fake.wait_until(
        lambda: "discord topics failed" in bot.stderr() and bot.stderr(),
        what="the failure in the bot's log",
    )


def test_an_old_post_still_works_after_a_restart(fake: FakeDiscord, bot: BotProcess):
    ida = fake.user("ida")
    today = fake.reply(fake.slash("today", user=ida))
    post = today.message_with("Answer")
    opened = fake.reply(fake.click(post, "Answer", user=ida))  # a form left open over a restart
    assert opened.modal is not None

    bot.restart()

    revealed = fake.reply(fake.click(post, "Reveal", user=ida))
    assert revealed.ephemeral and "Reference answer" in revealed.text
    submitted = fake.reply(
        fake.submit(opened.modal["custom_id"], {"answer": KEY_POINT_ANSWER}, user=ida)
    )
    assert "Answer saved" in submitted.text
    again = answer_via_modal(fake, post, KEY_POINT_ANSWER, user=ida)
    assert "Answer saved" in again.text


def test_the_token_never_appears_in_the_logs(fake: FakeDiscord, bot: BotProcess):
    assert any(p["op"] == 2 and p["d"]["token"] == fake.token for p in fake.gateway_received)
    assert bot.stop() == 0  # SIGTERM: a clean shutdown
    logs = bot.stderr()
    assert "connected to Discord" in logs
    assert fake.token not in logs
    assert fake.token.split(".")[1] not in logs


# The adapter in-process: what the scheduler calls ---------------------------------------


@asynccontextmanager
async def running_adapter(
    tmp_path: Path,
    *,
    kind: type[DiscordAdapter] = DiscordAdapter,
    defer_after: float = 1.5,
    dev_guild: bool = False,
) -> AsyncIterator[tuple[DiscordAdapter, FakeDiscord]]:
    """A DiscordAdapter in this process, on a real engine and SQLite, talking to a fake."""
    with FakeDiscord() as fake:
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
        await store.upgrade()
        engine = build_engine(store=store, bank=load_valid_bank([FIXTURE_CONTENT]))
        config = Settings(
            _env_file=None,
            discord_token=fake.token,
            discord_api_base_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            discord_guild_id=fake.guild_id if dev_guild else None,
        )
        adapter = kind(engine=engine, settings=config, ready_timeout=20, defer_after=defer_after)
        try:
            await adapter.start()
            yield adapter, fake
        finally:
            await adapter.stop()
            await engine.close()
            await store.close()
    assert discord.http.Route.BASE == "https://discord.com/api/v10"  # put back on stop


@pytest.fixture
async def adapter(tmp_path: Path) -> AsyncIterator[tuple[DiscordAdapter, FakeDiscord]]:
    async with running_adapter(tmp_path) as running:
        yield running


def question_reply(thread: str | None = None) -> Reply:
    card = Card(
        title="Question of the day",
        body="What does @everyone know about <@42>?",
        buttons=(Button("Answer", Action("answer", Ask(post_id=1)), "primary"),),
    )
    return Reply(cards=(card,), thread_title=thread)


async def test_post_opens_a_thread_and_update_edits(adapter):
    discord_adapter, fake = adapter
    assert discord_adapter.ready
    sent = await discord_adapter.post(fake.channel_id, question_reply("Discuss: Tue 10 Mar"))
    assert sent.channel_id == fake.channel_id and sent.thread_ref
    assert fake.threads[sent.thread_ref]["name"] == "Discuss: Tue 10 Mar"
    posted = fake.messages[sent.message_ref]
    assert posted["allowed_mentions"]["parse"] == []
    assert "@\u200beveryone" in posted["embeds"][0]["description"]
    assert posted["components"][0]["components"][0]["custom_id"] == "prep:v2:answer:1:"

    await discord_adapter.update(sent, Reply.text("Yesterday", "3 answers", private=False))
    assert fake.messages[sent.message_ref]["embeds"][0]["title"] == "Yesterday"
    assert fake.messages[sent.message_ref]["components"] == []

    direct = await discord_adapter.send_direct("4242", question_reply())
    assert direct.channel_id == fake.dm_channels["4242"]["id"]


async def test_send_failures_become_platform_errors(adapter):
    discord_adapter, fake = adapter
    fake.fail("POST", r"/channels/\d+/messages", 429, retry_after=90)
    with pytest.raises(PlatformError) as limited:
        await discord_adapter.post(fake.channel_id, question_reply())
    assert limited.value.status == 429 and limited.value.retry_after == 90

    fake.fail("POST", r"/channels/\d+/messages", 503)
    with pytest.raises(PlatformError) as unavailable:
        await discord_adapter.post(fake.channel_id, question_reply())
    assert unavailable.value.status == 503

    fake.fail("POST", r"/channels/\d+/messages", 403)
    with pytest.raises(PlatformError) as forbidden:
        await discord_adapter.post(fake.channel_id, question_reply())
    assert forbidden.value.status == 403

    with pytest.raises(PlatformError) as missing:
        await discord_adapter.post("999", question_reply())
    assert missing.value.status == 404
    with pytest.raises(PlatformError) as malformed:
        await discord_adapter.post("#general", question_reply())
    assert malformed.value.status == 400
    assert fake.token not in str(missing.value)


async def test_a_wrong_token_is_a_clear_start_error(tmp_path: Path):
    with FakeDiscord() as fake:
        settings = Settings(
            _env_file=None,
            discord_token="not-the-token",
            discord_api_base_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
        )
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
        engine = build_engine(store=store, bank=load_valid_bank([FIXTURE_CONTENT]))
        adapter = DiscordAdapter(engine=engine, settings=settings, ready_timeout=20)
        try:
            with pytest.raises(DiscordStartError, match="refused DISCORD_TOKEN"):
                await adapter.start()
        finally:
            await adapter.stop()
            await engine.close()
            await store.close()
        assert not adapter.ready
        assert (
            fake.requests[0].path == "/users/@me"
            and fake.requests[0].headers["Authorization"] == "Bot not-the-token"
        )


async def test_slow_work_is_deferred_and_still_shown_as_the_reply_wants(tmp_path: Path):
    async with running_adapter(tmp_path, defer_after=0) as (_, fake):
        ann = fake.user("ann")

        async def reply(interaction: Interaction) -> Seen:
            # Done once the deferred response is filled in and any stand-in is gone.
            def settled(seen: Seen) -> bool:
                return interaction.original_deleted or SEE_BELOW not in seen.text

            return await asyncio.to_thread(fake.reply, interaction, until=settled)

        revealed = await reply(fake.click_id("prep:v1:reveal:qalpha-easy-1", user=ann))
        assert revealed.callback_type == 5 and revealed.ephemeral
        assert "Reference answer" in revealed.text

        # Each command defers in its declared visibility: `help` privately, `today` publicly.
        helped = await reply(fake.slash("help", user=ann))
        assert helped.callback_type == 5 and helped.ephemeral and "prepbot help" in helped.text
        today = await reply(fake.slash("today", user=ann))
        assert not today.ephemeral and "Question of the day" in today.text
        # A public command refused after its public deferral: the member alone is told.
        refused = await reply(fake.slash("mock", "start", user=ann, group=True))
        assert refused.ephemeral and "Only team leads" in refused.text

        # A form cannot follow a deferral: the member is told to click again.
        late = await reply(fake.click(today.message_with("Answer"), "Answer", user=ann))
        assert late.ephemeral and "click the button again" in late.text


async def test_commands_sync_to_the_development_guild(tmp_path: Path):
    async with running_adapter(tmp_path, dev_guild=True) as (_, fake):
        assert None not in fake.commands
        assert [c["name"] for c in fake.commands[fake.guild_id]] == ["prep"]
        interaction = fake.slash("topics", user=fake.user("ann"))
        assert interaction.payload["data"]["guild_id"] == fake.guild_id
        topics = await asyncio.to_thread(fake.reply, interaction)
        assert "Alpha Topic" in topics.text


def test_a_sharded_instance_runs_its_shard_and_answers(tmp_path: Path):
    """PREPBOT_DISCORD_SHARD_COUNT/IDS: this instance identifies as shard 1 of 2 and works."""
    with FakeDiscord() as fake:
        process = BotProcess(
            fake,
            tmp_path,
            PREPBOT_DISCORD_SHARD_COUNT="2",
            PREPBOT_DISCORD_SHARD_IDS="1",
        )
        process.start()
        try:
            identify = next(p for p in fake.gateway_received if p["op"] == 2)
            assert identify["d"]["shard"] == [1, 2]
            today = fake.reply(fake.slash("today", user=fake.user("ann")))
            assert "Question of the day" in today.text
        finally:
            assert process.stop() == 0
