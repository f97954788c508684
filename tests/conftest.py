"""Shared fixtures: a real store on SQLite and on the PostgreSQL server, and an engine."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.engine.actors import Actor
from bot.engine.content import load_valid_bank
from bot.engine.core import Engine
from bot.features import build_engine
from bot.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CONTENT = Path(__file__).resolve().parent / "fixtures" / "content"
POSTGRES_URL = os.environ.get(
    "PREPBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("PREPBOT_REQUIRE_POSTGRES") == "1"

_postgres_ok: bool | None = None


def pytest_configure(config: pytest.Config) -> None:
    postgres_available()  # asked before any event loop runs


def postgres_available() -> bool:
    """Whether the test PostgreSQL answers; asked once per run."""
    global _postgres_ok
    if _postgres_ok is None:
        import asyncpg

        async def probe() -> None:
            conn = await asyncpg.connect(
                POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"), timeout=3
            )
            await conn.close()

        try:
            asyncio.run(probe())
            _postgres_ok = True
        except Exception:
            _postgres_ok = False
    return _postgres_ok


def need_postgres() -> None:
    if postgres_available():
        return
    if REQUIRE_POSTGRES:
        pytest.fail(
            f"PostgreSQL is required (PREPBOT_REQUIRE_POSTGRES=1) but {POSTGRES_URL} is unreachable"
        )
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")


async def open_store(kind: str, tmp_path: Path) -> tuple[Store, str | None]:
    """A migrated store: a fresh SQLite file, or a fresh schema on PostgreSQL."""
    if kind == "sqlite":
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'prepbot.db'}")
        await store.upgrade()
        return store, None
    need_postgres()
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"))
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    store = Store.from_url(POSTGRES_URL, schema=schema)
    await store.upgrade()
    return store, schema


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"))
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    store, schema = await open_store(request.param, tmp_path)
    try:
        yield store
    finally:
        await store.close()
        if schema:
            await drop_schema(schema)


@pytest.fixture
def bank():
    return load_valid_bank([FIXTURE_CONTENT])


class Clock:
    """A settable clock for the engine (naive UTC)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 10, 12, 0))


@pytest.fixture
async def engine(store: Store, bank, clock: Clock) -> AsyncIterator[Engine]:
    engine = build_engine(
        store=store, bank=bank, default_timezone="UTC", clock=clock, rng=random.Random(7)
    )
    try:
        yield engine
    finally:
        await engine.close()


def make_actor(user: str = "u1", *, channel: str = "c1", server: str = "s1", **extra) -> Actor:
    return Actor(
        platform="test",
        server_id=server,
        channel_id=channel,
        user_id=user,
        user_name=extra.pop("name", user),
        **extra,
    )


@pytest.fixture
async def scheduler(engine: Engine, clock: Clock):
    """A scheduler on the engine, posting to a recording adapter (`scheduler.adapter`)."""
    from bot.scheduling import Scheduler
    from tests.fakes.recording import RecordingAdapter

    adapter = RecordingAdapter()
    sched = Scheduler(engine=engine, adapters={"test": adapter}, clock=clock, backoff=0.001)
    sched.adapter = adapter  # type: ignore[attr-defined]
    yield sched
    await sched.stop()
