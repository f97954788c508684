"""Several real `prepbot run` instances on one PostgreSQL database, as a large deployment runs
them: each instance its own Discord shards on the fake Discord, Slack in HTTP mode behind a
round-robin balancer, one fresh database. For the two-instance test and bench/scale.py.

    with Instances(tmp_path, guilds_per_shard=2) as deployment:
        deployment.seed_schedules(deployment.channels(), minutes_ago=5)
        deployment.start([[0], [1]])   # two instances: shard 0 and shard 1 of 2
        ...drive deployment.discord and deployment.slack (through deployment.balancer)...
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bot.engine.actors import Actor
from bot.engine.content import load_valid_bank
from bot.features import build_engine
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT, POSTGRES_URL
from tests.fakes.balancer import RoundRobin
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.process import BotProcess
from tests.fakes.slack_server import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlack

SERVER_URL = POSTGRES_URL.replace("postgresql+asyncpg", "postgresql")
Channel = tuple[str, str, str]  # (platform, server id, channel id)


class Instances:
    """The fakes, the balancer and a fresh PostgreSQL database; `start` runs the instances."""

    def __init__(
        self,
        workdir: Path,
        *,
        shard_count: int = 2,
        guilds_per_shard: int = 1,
        slack_channels: int = 2,
        slack: FakeSlack | None = None,
        content_dirs: tuple[Path, ...] = (FIXTURE_CONTENT,),
        **env: str,
    ):
        self.workdir = workdir
        self.discord = FakeDiscord(shard_count=shard_count)
        self.slack = slack or FakeSlack()
        self.balancer = RoundRobin()
        self.shard_count = shard_count
        self.guild_channels = [
            self.discord.add_guild(shard=shard)
            for shard in range(shard_count)
            for _ in range(guilds_per_shard)
        ]  # (guild id, channel id), shard by shard
        self.slack_channels = [f"C0CH{i:04d}" for i in range(slack_channels)]
        self.content_dirs = content_dirs
        self.database = f"prepbot_{uuid.uuid4().hex[:12]}"
        base = SERVER_URL.rsplit("/", 1)[0]
        self.database_url = f"{base}/{self.database}".replace("postgresql:", "postgresql+asyncpg:")
        self.env = env
        self.processes: list[BotProcess] = []

    def __enter__(self) -> Instances:
        self.discord.start()
        self.discord.run(self.slack.start(), 10)
        self.discord.run(self.balancer.start(), 10)
        asyncio.run(self._create_database())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            self.discord.run(self.balancer.close(), 10)
            self.discord.run(self.slack.close(), 10)
            self.discord.close()
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))

    async def _admin(self, statement: str) -> None:
        conn = await asyncpg.connect(SERVER_URL, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def _create_database(self) -> None:
        await self._admin(f'CREATE DATABASE "{self.database}"')
        store = Store.from_url(self.database_url)
        await store.upgrade()  # once here, not raced by the instances starting together
        await store.close()

    def channels(self) -> list[Channel]:
        """Every channel of the deployment: each guild's and the Slack channels."""
        discord = [("discord", guild, channel) for guild, channel in self.guild_channels]
        return discord + [("slack", TEAM_ID, channel) for channel in self.slack_channels]

    def seed_schedules(
        self, channels: list[Channel], *, minutes_ago: int, options: str = ""
    ) -> None:
        """A daily post in each channel due `minutes_ago` (inside the 2-hour grace window: every
        instance's start-up catch-up finds it due); `options` as `schedule set` takes them."""
        due = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%H:%M")
        asyncio.run(self._seed(channels, f"schedule set {due} UTC {options}".strip()))

    async def _seed(self, channels: list[Channel], command: str) -> None:
        store = Store.from_url(self.database_url)
        engine = build_engine(store=store, bank=load_valid_bank(list(self.content_dirs)))
        try:
            for platform, server, channel in channels:
                admin = Actor(platform, server, channel, "U0ADMIN", "admin", is_admin=True)
                reply = await engine.run_text(admin, command)
                assert reply.cards[0].title == "Schedule saved", reply.plain_text()
        finally:
            await engine.close()
            await store.close()

    def start(self, shards: list[list[int]]) -> None:
        """One instance per entry, running those shards; all started together."""
        for i, ids in enumerate(shards):
            workdir = self.workdir / f"instance{i}"
            workdir.mkdir(exist_ok=True)
            process = BotProcess(
                self.discord,
                workdir,
                DATABASE_URL=self.database_url,
                PREPBOT_DISCORD_SHARD_COUNT=str(self.shard_count),
                PREPBOT_DISCORD_SHARD_IDS=",".join(map(str, ids)),
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=self.slack.api_url,
                PREPBOT_CONTENT_DIRS=",".join(map(str, self.content_dirs)),
                **self.env,
            )
            process.own_session = True
            self.processes.append(process)
            process.spawn()
        for process in self.processes:
            process.wait_ready()
        self.balancer.ports = [p.port for p in self.processes]

    def stop(self) -> list[int | None]:
        """Stop every instance; their exit codes."""
        codes = [p.stop() for p in self.processes]
        return codes

    @property
    def events_url(self) -> str:
        """Where Slack sends commands, interactions and events: the balancer."""
        return f"{self.balancer.url}/slack/events"

    def query(self, sql: str) -> list[Any]:
        async def fetch() -> list[Any]:
            conn = await asyncpg.connect(self.database_url.replace("+asyncpg", ""), timeout=5)
            try:
                return [tuple(row) for row in await conn.fetch(sql)]
            finally:
                await conn.close()

        return asyncio.run(fetch())
