"""SIGTERM: the real `prepbot run` process stops taking work, finishes what is in flight,
closes its adapters and database, and exits 0."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.slack_server import FakeSlack, SlackSender
from tests.test_slack_e2e import ANN, Bot, assert_no_secrets, http_env


async def test_sigterm_finishes_in_flight_work_and_exits_0(tmp_path: Path):
    async with FakeSlack() as fake:
        bot = Bot(tmp_path, http_env(fake))
        await bot.start()
        try:
            async with SlackSender(url=bot.events_url, fake=fake) as slack:
                status, _ = await slack.command("today", ANN)
                assert status == 200  # acked; the work runs after the ack
                await bot.stop()  # SIGTERM at once, while that work may still be running
        finally:
            await bot.stop()
        assert bot.process is not None and bot.process.returncode == 0
        # The in-flight command still delivered its reply before the process ended.
        assert fake.calls_to("chat.postMessage"), "the command in flight was dropped"
        log = bot.stderr()
        assert "stopping" in log
        assert_no_secrets(log)
