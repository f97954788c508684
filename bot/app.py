"""Composition root: builds store -> content -> engine -> adapters, runs them, stops them."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from bot import web
from bot.adapters.base import Adapter
from bot.ai import ChatClient
from bot.config import Settings
from bot.engine.content import Bank, load_valid_bank
from bot.engine.core import Engine
from bot.engine.signin import SignIn
from bot.features import build_engine
from bot.metrics import Metrics
from bot.scheduling import Scheduler
from bot.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: Store
    bank: Bank
    engine: Engine
    metrics: Metrics


@asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[Services]:
    """Open the store (migrated), load the bank, build the engine; close in reverse."""
    bank = load_valid_bank(settings.all_content_dirs)
    store = Store.from_url(settings.database_url, synchronous=settings.sqlite_synchronous)
    try:
        await store.upgrade()
        metrics = Metrics()
        engine = build_engine(
            store=store,
            bank=bank,
            default_timezone=settings.default_timezone,
            observer=metrics,
            daily_reviews=settings.daily_reviews,
            advisor=ChatClient.from_settings(settings),
            ai_daily_cap=settings.ai_daily_cap,
            ai_member_seconds=settings.ai_member_seconds,
            signin=signin_of(settings),
        )
        try:
            log.info("loaded %d questions in %d topics", len(bank), len(bank.topics))
            yield Services(settings, store, bank, engine, metrics)
        finally:
            await engine.close()
    finally:
        await store.close()


def settle() -> None:
    """Once started: what start-up loaded (the bank, modules, the command tree) lives as long
    as the process, so it is kept out of the collector's full passes, which then stay short.
    A command allocates a few thousand short-lived objects: collecting the youngest
    generation every 50 000 allocations rather than 700 runs it far less often
    (bench/commands.py: p99 about 60 -> 50 ms) for a few MB more at peak."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def signin_of(settings: Settings) -> SignIn:
    """How dashboard links are signed: the operator's key, else one for this process only."""
    if settings.dashboard_secret is not None:
        secret = settings.dashboard_secret.get_secret_value().encode()
    else:
        secret = secrets.token_bytes(32)
        if settings.public_url:
            log.warning(
                "PREPBOT_DASHBOARD_SECRET is not set: dashboard links work only on the "
                "instance that made them, and not after a restart"
            )
    return SignIn(
        public_url=settings.public_url,
        secret=secret,
        session_lifetime=timedelta(hours=settings.dashboard_session_hours),
    )


def configured_platforms(settings: Settings) -> list[str]:
    platforms = []
    if settings.discord_token:
        platforms.append("discord")
    if settings.slack_bot_token:
        platforms.append("slack")
    return platforms


def build_adapters(svc: Services) -> list[Adapter]:
    """One adapter per platform whose tokens are configured."""
    adapters: list[Adapter] = []
    if svc.settings.discord_token:
        from bot.adapters.discord_adapter import DiscordAdapter

        adapters.append(DiscordAdapter(engine=svc.engine, settings=svc.settings))
    if svc.settings.slack_bot_token:
        from bot.adapters.slack_adapter import SlackAdapter

        adapters.append(SlackAdapter(engine=svc.engine, settings=svc.settings))
    return adapters


async def run(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Run every adapter whose tokens are configured until SIGTERM/SIGINT (or `stop`)."""
    if not configured_platforms(settings):
        print(
            "No chat platform is configured: set DISCORD_TOKEN and/or SLACK_BOT_TOKEN "
            "(see .env.example).\nTo practise in this terminal without any tokens, run "
            "`prepbot console`."
        )
        return 2
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with services(settings) as svc:
        adapters = build_adapters(svc)
        for adapter in adapters:  # what a platform can do beyond messages (Discord: roles)
            svc.engine.attach(adapter.platform, adapter)

        async def ready() -> dict[str, bool]:
            checks = {"database": await _database_ok(svc.store), "content": len(svc.bank) > 0}
            checks.update({a.platform: a.ready for a in adapters})
            return checks

        routes = [route for a in adapters for route in getattr(a, "routes", lambda: [])()]
        app = web.build_app(ready=ready, metrics=svc.metrics, routes=routes)
        if svc.engine.kit.signin is not None and settings.public_url:
            from bot.web import dashboard

            dashboard.setup(app, engine=svc.engine, signin=svc.engine.kit.signin)
        runner = await web.start(app, port=settings.web_port, host=settings.web_host)
        started: list[Adapter] = []
        scheduler = Scheduler(
            engine=svc.engine,
            adapters={a.platform: a for a in adapters},
            default_timezone=settings.default_timezone,
            metrics=svc.metrics,
        )
        try:
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
                log.info("%s adapter started", adapter.platform)
            await scheduler.start()
            settle()
            await stop.wait()
            log.info("stopping")
        finally:
            await scheduler.stop()
            for adapter in reversed(started):
                await adapter.stop()
            await runner.cleanup()
    return 0


async def _database_ok(store: Store) -> bool:
    try:
        return await asyncio.wait_for(store.ping(), timeout=2)
    except Exception:
        return False


async def run_console(settings: Settings, *, user: str) -> int:
    from bot.adapters.console import ConsoleAdapter

    async with services(settings) as svc:
        await ConsoleAdapter(engine=svc.engine, user=user).run()
    return 0
