"""Connection faults: the gateway dropped (close 4000, op 7 RECONNECT, op 9 INVALID_SESSION)
and PostgreSQL connections killed while members answer. The bot recovers by itself, answers
the next command and loses no acknowledged answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.adapters.transcript import Transcript
from bot.engine.content import load_valid_bank
from bot.features import build_engine
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT, POSTGRES_URL
from tests.test_discord_e2e import running_adapter

RECONNECT, INVALID_SESSION = 7, 9


async def test_discord_reconnects_after_each_kind_of_drop(tmp_path: Path):
    async with running_adapter(tmp_path) as (adapter, fake):
        for n, drop in enumerate(({"code": 4000}, {"op": RECONNECT}, {"op": INVALID_SESSION})):
            member = fake.user(f"member{n}")
            before = fake.identified
            fake.drop_gateway(**drop)
            await asyncio.to_thread(
                fake.wait_until, lambda n=before: fake.identified > n, timeout=20, what="IDENTIFY"
            )
            await asyncio.to_thread(
                fake.wait_until, lambda: adapter.ready, timeout=20, what="ready"
            )
            seen = await asyncio.to_thread(fake.reply, fake.slash("today", user=member))
            assert "Question of the day" in seen.text, drop


@pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_postgresql_connections_killed_while_members_answer(store: Store):
    import asyncpg

    engine = build_engine(store=store, bank=load_valid_bank([FIXTURE_CONTENT]))
    admin = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        chat = Transcript(engine)
        acknowledged = []
        for n in range(5):
            await chat.say(f"m{n}", "question")
        for n in range(30):
            user = f"m{n % 5}"
            if n in (7, 19):  # every connection of this database, killed mid-run
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            try:
                await chat.say(user, f"answer number {n} about a thread pool")
            except Exception:  # the member saw an apology, not a confirmation
                continue
            if "Answer saved" in chat.expect():
                acknowledged.append(f"number {n} about a thread pool")
        assert len(acknowledged) >= 26  # a killed connection costs at most the request on it
        async with store.read() as tx:
            from sqlalchemy import select

            from bot.store.schema import answers

            stored = set((await tx.conn.execute(select(answers.c.text))).scalars())
        assert [t for t in acknowledged if t not in stored] == []
    finally:
        await admin.close()
        await engine.close()
