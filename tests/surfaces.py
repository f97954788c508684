"""Every surface of one engine, in process: Discord and Slack on their fakes, the console.

Used by the registry tests: whatever a feature registers must be reachable everywhere.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord_adapter import DiscordAdapter
from bot.adapters.slack_adapter import SlackAdapter
from bot.config import Settings
from bot.engine.content import load_valid_bank
from bot.engine.core import Engine
from bot.features import build_engine
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.serving import serve
from tests.fakes.slack_server import SIGNING_SECRET, FakeSlack, Member, SlackSender

BOT_TOKEN = "xoxb-surfaces"


@dataclass
class Surfaces:
    engine: Engine
    discord: FakeDiscord
    slack: FakeSlack
    slack_sender: SlackSender
    console: ConsoleAdapter
    discord_adapter: DiscordAdapter
    slack_adapter: SlackAdapter
    adapters: dict[str, Any] = field(default_factory=dict)  # the Discord and Slack adapters

    def discord_tree(self) -> dict[str, Any]:
        """The synced `/prep` command, as Discord received it."""
        return next(c for c in self.discord.commands[None] if c["name"] == "prep")

    async def slack_says(self, text: str, member: Member | None = None) -> str:
        """A signed `/prep <text>` through bolt; the text of the answer Slack was sent."""
        after = len(self.slack.calls)
        status, _ = await self.slack_sender.command(text, member or Member())
        assert status == 200
        call = await self.slack.wait_for(("response_url", "chat.postMessage"), after=after)
        return call.text()


@asynccontextmanager
async def surfaces(
    tmp_path: Path,
    *,
    extra: Callable[[Engine], None] = lambda engine: None,
    content: tuple[Path, ...] = (FIXTURE_CONTENT,),
    **engine_options: Any,
) -> AsyncIterator[Surfaces]:
    """One engine (plus `extra` features, on the `content` packs) behind all three platforms."""
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'surfaces.db'}")
    await store.upgrade()
    engine = build_engine(store=store, bank=load_valid_bank(list(content)), **engine_options)
    extra(engine)
    with FakeDiscord() as fake_discord:
        async with FakeSlack(bot_token=BOT_TOKEN) as fake_slack:
            discord_settings = Settings(
                _env_file=None,
                discord_token=fake_discord.token,
                discord_api_base_url=fake_discord.api_url,
                discord_gateway_url=fake_discord.gateway_url,
            )
            slack_settings = Settings(
                _env_file=None,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_api_url=fake_slack.api_url,
            )
            discord = DiscordAdapter(engine=engine, settings=discord_settings, ready_timeout=20)
            slack = SlackAdapter(engine=engine, settings=slack_settings)
            engine.attach("discord", discord)
            engine.attach("slack", slack)
            app = web.Application()
            app.add_routes(slack.routes())
            runner, port = await serve(app)
            url = f"http://127.0.0.1:{port}/slack/events"
            console = ConsoleAdapter(
                engine=engine,
                user="ann",
                stdin=io.StringIO(),
                stdout=io.StringIO(),
                files=tmp_path,
            )
            try:
                await discord.start()
                await slack.start()
                async with SlackSender(url=url, fake=fake_slack) as sender:
                    adapters = {"discord": discord, "slack": slack}
                    yield Surfaces(
                        engine, fake_discord, fake_slack, sender, console, discord, slack, adapters
                    )
            finally:
                await slack.stop()
                await discord.stop()
                await runner.cleanup()
                await engine.close()
                await store.close()
