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


async def test_slack_socket_mode_reconnects_after_slack_closes_it(tmp_path: Path):
    from bot.adapters.slack_adapter import SlackAdapter
    from bot.config import Settings
    from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack, Member, slash_command

    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'socket.db'}")
    await store.upgrade()
    engine = build_engine(store=store, bank=load_valid_bank([FIXTURE_CONTENT]))
    async with FakeSlack() as fake:
        settings = Settings(
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_api_url=fake.api_url,
        )
        adapter = SlackAdapter(engine=engine, settings=settings)
        try:
            await adapter.start()
            await fake.wait_for("socket.connect")
            mark = len(fake.calls)
            fake.drop_sockets()
            await fake.wait_for("socket.connect", after=mark, within=20)
            for n, who in enumerate(("ann", "bob")):
                member = Member(user_id=f"U0{who.upper()}", user_name=who)
                command = slash_command(
                    "today", member, response_url=fake.new_response_url(), trigger_id=f"t{n}"
                )
                envelope = await fake.push_envelope("slash_commands", command)
                await fake.wait_for_ack(envelope)
            await fake.wait_for("chat.postMessage", lambda c: "Question of the day" in c.text())
        finally:
            await adapter.stop()
            await engine.close()
            await store.close()


async def test_slack_http_retries_are_answered_once(tmp_path: Path):
    from tests.fakes.slack_server import Member, slash_command
    from tests.surfaces import surfaces

    async with surfaces(tmp_path) as s:
        fields = slash_command(
            "today", Member(), response_url=s.slack.new_response_url(), trigger_id="t-retry"
        )
        from urllib.parse import urlencode

        body = urlencode(fields)
        form = "application/x-www-form-urlencoded"
        retried = await s.slack_sender.post(body, form, headers={"X-Slack-Retry-Num": "1"})
        assert retried[0] == 200
        await asyncio.sleep(0.5)
        assert not s.slack.calls_to("chat.postMessage")  # a retry of what came before: no run


async def test_a_gateway_drop_does_not_post_a_daily_question_twice(tmp_path: Path):
    from dataclasses import replace
    from datetime import datetime

    from bot.scheduling import Scheduler
    from tests.conftest import Clock, make_actor

    async with running_adapter(tmp_path) as (adapter, fake):
        engine = adapter.engine
        clock = Clock(datetime(2026, 3, 16, 8, 0))  # 09:00 in Berlin
        admin = make_actor("boss", channel=fake.channel_id, server=fake.guild_id, is_admin=True)
        admin = replace(admin, platform="discord")
        reply = await engine.run_text(admin, "schedule set 09:00 Europe/Berlin")
        assert reply.cards[0].title == "Schedule saved"
        scheduler = Scheduler(engine=engine, adapters={"discord": adapter}, clock=clock)
        await scheduler.reload()
        assert await scheduler.fire("09:00", "Europe/Berlin") == 1
        before = fake.identified
        fake.drop_gateway(code=4000)
        await asyncio.to_thread(
            fake.wait_until, lambda: fake.identified > before, timeout=20, what="IDENTIFY"
        )
        assert await scheduler.fire("09:00", "Europe/Berlin") == 0  # the claim is in the database
        assert await scheduler.sweep() == 0
        posted = fake.requests_to("POST", rf"/channels/{fake.channel_id}/messages")
        assert len(posted) == 1
