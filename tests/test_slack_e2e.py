"""The real `prepbot run` process with the real slack-bolt, against a local fake Slack.

HTTP mode gets signed requests exactly as Slack sends them; Socket Mode gets envelopes over
the fake's websocket. Nothing of ours, of bolt or of slack_sdk is mocked; the engine runs on a
temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.base import PlatformError
from bot.adapters.slack_adapter import SlackAdapter
from bot.config import Settings
from bot.engine.content import load_valid_bank
from bot.engine.messages import Action, Button, Card, Reply
from bot.features import build_engine
from bot.features.practice.cards import Ask
from tests.conftest import FIXTURE_CONTENT, ROOT, open_store
from tests.fakes.slack_server import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    Member,
    SlackSender,
    app_home_opened,
    block_actions,
    slash_command,
    view_submission,
)

ANN = Member(user_id="U0ANN", user_name="ann")
BOSS = Member(user_id="U0BOSS", user_name="boss")
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot:
    """`python -m bot run` as a subprocess; stderr goes to a file read after it stops."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.port = free_port()
        self.log_path = tmp_path / "bot-stderr.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
        self.env = {
            **base,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'slack.db'}",
            "PREPBOT_WEB_PORT": str(self.port),
            "PREPBOT_BUILTIN_CONTENT": "false",
            "PREPBOT_CONTENT_DIRS": str(FIXTURE_CONTENT),
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def stderr(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=ROOT,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"bot exited early:\n{self.stderr()}")
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as resp:
                        if resp.status == 200 and "slack adapter started" in self.stderr():
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"bot did not start within {START_TIMEOUT}s:\n{self.stderr()}")

    async def ready(self) -> dict:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}/readyz") as resp,
        ):
            return await resp.json()

    async def stop(self) -> None:
        """SIGTERM, as a service manager stops it; killed if it hangs."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@asynccontextmanager
async def running_bot(tmp_path: Path, env: dict[str, str]) -> AsyncIterator[Bot]:
    bot = Bot(tmp_path, env)
    try:
        await bot.start()
        yield bot
    finally:
        await bot.stop()
    assert bot.process is not None and bot.process.returncode == 0, bot.stderr()


def http_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        **extra,
    }


def assert_no_secrets(text: str) -> None:
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in text
    assert "Traceback" not in text, text


async def test_http_mode_daily_flow(tmp_path: Path):
    async with (
        FakeSlack(admins={BOSS.user_id}) as fake,
        running_bot(tmp_path, http_env(fake, PREPBOT_LEAD_USERS="U0LEAD")) as bot,
        SlackSender(url=bot.events_url, fake=fake) as slack,
    ):
        assert fake.calls_to("auth.test")[0].ok  # asked once at start-up
        assert (await bot.ready())["checks"]["slack"] is True

        # /prep today: acked with an empty 200, then posted to the channel with buttons.
        status, body = await slack.command("today", ANN)
        assert (status, body) == (200, "")
        question = await fake.wait_for("chat.postMessage")
        assert question.args["channel"] == ANN.channel_id
        assert "Question of the day" in question.text()
        answer_id = question.button("Answer")
        assert answer_id.startswith("prep:v2:answer:")
        question.button("Reveal"), question.button("Skip")

        # Answer opens a modal with the click's trigger id.
        mark = len(fake.calls)
        assert (await slack.click(answer_id, ANN))[0] == 200
        opened = await fake.wait_for("views.open", after=mark)
        view = opened.args["view"]
        assert opened.args["trigger_id"].startswith("trig-")
        assert view["callback_id"].startswith("prep:v2:submit:")
        assert view["blocks"][0]["element"]["multiline"] is True

        # A blank answer keeps the modal open with an error under the field.
        blank = view_submission(view, {"answer": "  "}, ANN, trigger_id="trig-blank")
        status, body = await slack.interact(blank)
        assert status == 200 and '"response_action": "errors"' in body and '"answer"' in body

        # Submitting it posts the result ephemerally in the channel: key points, grades.
        mark = len(fake.calls)
        text = "A thread pool reuses worker threads. <!channel> <@U0BOSS>"
        payload = view_submission(view, {"answer": text}, ANN, trigger_id="trig-submit")
        status, body = await slack.interact(payload)
        assert (status, body) == (200, "")
        result = await fake.wait_for("chat.postEphemeral", after=mark)
        assert result.args["channel"] == ANN.channel_id and result.args["user"] == ANN.user_id
        shown = result.text()
        assert "Answer saved" in shown and "1 of 3" in shown
        assert "✅ thread pool reuses worker threads" in shown
        assert "<!channel>" not in shown and "<@U0BOSS>" not in shown
        good = result.button("Good")

        # Grading from the ephemeral message answers through its response URL.
        mark = len(fake.calls)
        await slack.click(good, ANN, ephemeral=True)
        graded = await fake.wait_for("response_url", after=mark)
        assert "Graded *Good*" in graded.text()
        assert graded.args["response_type"] == "ephemeral"
        assert graded.args["replace_original"] is False

        mark = len(fake.calls)
        await slack.command("streak", ANN)
        streak = await fake.wait_for("response_url", after=mark)
        assert "*1* day streak, today counted" in streak.text()

        # Events arrive as signed JSON: Slack's URL check, then the App Home tab.
        status, body = await slack.event({"type": "url_verification", "challenge": "c-123"})
        assert status == 200 and "c-123" in body
        mark = len(fake.calls)
        assert (await slack.event(app_home_opened(ANN)))[0] == 200
        home = await fake.wait_for("views.publish", after=mark)
        question_id = question.text().rsplit("id: ", 1)[1].split()[0]
        assert "*1* day streak" in home.text() and question_id in home.text()

        mark = len(fake.calls)
        await slack.command("reveal", ANN)
        revealed = await fake.wait_for("response_url", after=mark)
        assert "Reference answer" in revealed.text() and "Key points" in revealed.text()

        # Member text that comes back is escaped: mentions stay text.
        mark = len(fake.calls)
        await slack.command("question <!channel> <@U0BOSS|boss>", ANN)
        echoed = (await fake.wait_for("response_url", after=mark)).text()
        assert "&lt;!channel&gt;" in echoed and "<!channel>" not in echoed

        # Admin commands: users.info decides; a member is refused, an admin is not.
        mark = len(fake.calls)
        await slack.command("schedule show", ANN)
        refused = await fake.wait_for("response_url", after=mark)
        assert "Only admins" in refused.text()
        mark = len(fake.calls)
        await slack.command("schedule set time=09:00 timezone=Europe/Berlin", BOSS)
        saved = await fake.wait_for("response_url", after=mark)
        assert "Only admins" not in saved.text() and "Schedule saved" in saved.text()
        assert any(c.args.get("user") == BOSS.user_id for c in fake.calls_to("users.info"))

        # Bad input gets a usage hint.
        mark = len(fake.calls)
        await slack.command("grade superb please", ANN)
        hint = await fake.wait_for("response_url", after=mark)
        assert "`rating` is one of again, hard, good, easy" in hint.text()

        # A 429 with Retry-After on chat.postMessage is waited out and retried.
        fake.rate_limit_once("chat.postMessage")
        mark = len(fake.calls)
        await slack.command("leaderboard", ANN)
        posted = await fake.wait_for("chat.postMessage", lambda c: c.ok, after=mark, within=15)
        attempts = [c for c in fake.calls[mark:] if c.method == "chat.postMessage"]
        assert [c.status for c in attempts] == [429, 200]
        assert "Leaderboard" in posted.text() and "ann" in posted.text()

        # Forged and stale signatures are refused before any handler runs.
        mark = len(fake.calls)
        forged = await slack.command("today", ANN, secret="not-the-signing-secret")
        stale = await slack.command("today", ANN, timestamp=int(time.time()) - 600)
        assert forged[0] == 401 and stale[0] == 401
        assert not [c for c in fake.calls[mark:] if c.method.startswith("chat.")]

    log = bot.stderr()
    assert "bad or stale signature" in log
    assert_no_secrets(log)


async def test_socket_mode_acks_envelopes_and_replies(tmp_path: Path):
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": ""}
    async with FakeSlack() as fake:
        env["SLACK_API_URL"] = fake.api_url
        async with running_bot(tmp_path, env) as bot:
            opened = await fake.wait_for("apps.connections.open")
            assert opened.ok and opened.token == APP_TOKEN
            await fake.wait_for("socket.connect")

            command = slash_command(
                "today", ANN, response_url=fake.new_response_url(), trigger_id="trig-sock"
            )
            envelope = await fake.push_envelope("slash_commands", command)
            ack = await fake.wait_for_ack(envelope)
            assert ack["envelope_id"] == envelope
            question = await fake.wait_for("chat.postMessage")
            assert "Question of the day" in question.text()

            # A button click arrives as an interactive envelope.
            mark = len(fake.calls)
            click = block_actions(
                question.button("Reveal"),
                ANN,
                response_url=fake.new_response_url(),
                trigger_id="trig-sock-2",
            )
            await fake.wait_for_ack(await fake.push_envelope("interactive", click))
            revealed = await fake.wait_for("response_url", after=mark)
            assert "Reference answer" in revealed.text()

            # Opening the App Home tab publishes the member's overview.
            mark = len(fake.calls)
            await fake.wait_for_ack(await fake.push_envelope("events_api", app_home_opened(ANN)))
            home = await fake.wait_for("views.publish", after=mark)
            assert home.args["user_id"] == ANN.user_id
            assert "Your interview practice" in home.text()
            practice = home.button("Practice question")

            # Its button answers in the member's DM with the bot.
            mark = len(fake.calls)
            from_home = block_actions(practice, ANN, response_url="", trigger_id="trig-home")
            del from_home["channel"], from_home["response_url"]
            from_home["container"] = {"type": "view", "view_id": "VHOME"}
            await fake.wait_for_ack(await fake.push_envelope("interactive", from_home))
            dm = await fake.wait_for("chat.postMessage", after=mark)
            assert dm.args["channel"].startswith("D") and "Practice" in dm.text()
            assert (await bot.ready())["checks"]["slack"] is True

    assert_no_secrets(bot.stderr())


async def test_failing_auth_test_is_logged_at_start(tmp_path: Path):
    """A revoked token: bolt would only apologise to members; the log names the problem."""
    async with FakeSlack(bot_token="xoxb-the-token-slack-knows") as fake:
        async with (
            running_bot(tmp_path, http_env(fake)) as bot,
            SlackSender(url=bot.events_url, fake=fake) as slack,
        ):
            assert (await bot.ready())["checks"]["slack"] is False
            status, body = await slack.command("today", ANN)
            assert status == 200 and "reinstall" in body  # bolt's apology; no handler ran
            assert not fake.calls_to("chat.postMessage")
        log = bot.stderr()
        assert "Slack auth.test failed (invalid_auth)" in log
        assert_no_secrets(log)


async def test_scheduler_side_posts_threads_updates_and_direct_messages(tmp_path: Path):
    """What the scheduler calls (post, send_direct, update), in process against the fake."""
    async with FakeSlack(not_in_channels={"C0GONE"}) as fake:
        store, _ = await open_store("sqlite", tmp_path)
        engine = build_engine(store=store, bank=load_valid_bank([FIXTURE_CONTENT]))
        settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
        )
        adapter = SlackAdapter(engine=engine, settings=settings)
        try:
            await adapter.start()
            assert adapter.ready
            card = Card(
                title="Question of the day",
                body="Why <!here>?",
                buttons=(Button("Answer", Action("answer", Ask(post_id=1)), style="primary"),),
            )
            reply = Reply(cards=(card,), thread_title="Discuss <!channel>")
            sent = await adapter.post("C0GENERAL", reply)
            message, thread = fake.calls_to("chat.postMessage")
            assert message.args["channel"] == "C0GENERAL" and "&lt;!here&gt;" in message.text()
            assert thread.args["thread_ts"] == sent.message_ref == sent.thread_ref
            assert "&lt;!channel&gt;" in thread.text() and "<!channel>" not in thread.text()

            await adapter.update(sent, Reply(cards=(Card(title="Yesterday", body="3 answered"),)))
            (updated,) = fake.calls_to("chat.update")
            assert (updated.args["channel"], updated.args["ts"]) == ("C0GENERAL", sent.message_ref)

            direct = await adapter.send_direct("U0ANN", reply)
            assert direct.channel_id == "D0ANN" and direct.thread_ref is None
            assert fake.calls_to("conversations.open")[0].args["users"] == "U0ANN"

            with pytest.raises(PlatformError) as gone:
                await adapter.post("C0GONE", reply)
            assert gone.value.status == 403

            # Three refusals in a row outlast the client's two retries: the scheduler is told
            # to come back after Retry-After.
            for _ in range(3):
                fake.rate_limit_once("chat.postMessage", retry_after=0)
            with pytest.raises(PlatformError) as limited:
                await adapter.post("C0GENERAL", reply)
            assert (limited.value.status, limited.value.retry_after) == (429, 0.0)
        finally:
            await adapter.stop()
            await engine.close()
            await store.close()
