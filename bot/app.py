"""Composition root: builds store -> content -> engine -> adapters, runs them, stops them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from bot.engine.content import Bank, load_valid_bank
from bot.engine.core import Engine
from bot.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: Store
    bank: Bank
    engine: Engine


@asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[Services]:
    """Open the store (migrated), load the bank, build the engine; close in reverse."""
    bank = load_valid_bank(settings.all_content_dirs)
    store = Store.from_url(settings.database_url)
    try:
        await store.upgrade()
        engine = Engine(store=store, bank=bank, default_timezone=settings.default_timezone)
        try:
            log.info("loaded %d questions in %d topics", len(bank), len(bank.topics))
            yield Services(settings, store, bank, engine)
        finally:
            await engine.close()
    finally:
        await store.close()


def configured_platforms(settings: Settings) -> list[str]:
    platforms = []
    if settings.discord_token:
        platforms.append("discord")
    if settings.slack_bot_token:
        platforms.append("slack")
    return platforms


async def run(settings: Settings) -> int:
    """Run every adapter whose tokens are configured until stopped."""
    platforms = configured_platforms(settings)
    if not platforms:
        print(
            "No chat platform is configured: set DISCORD_TOKEN and/or SLACK_BOT_TOKEN "
            "(see .env.example).\nTo practise in this terminal without any tokens, run "
            "`prepbot console`."
        )
        return 2
    raise NotImplementedError("platform adapters arrive with their own issues")


async def run_console(settings: Settings, *, user: str) -> int:
    from bot.adapters.console import ConsoleAdapter

    async with services(settings) as svc:
        await ConsoleAdapter(engine=svc.engine, user=user).run()
    return 0
