"""Storage: migrations, the once-per-day post row, and data kept across upgrades."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from sqlalchemy import func, inspect, select

from bot.store import database
from bot.store.schema import metadata, posts
from bot.store.store import Store


async def test_migrations_create_every_table(store: Store):
    async with store.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert set(metadata.tables) <= tables
    assert await database.current_revision(store.engine) == database.head_revision()


def test_the_newest_migration_file_names_the_head_revision():
    # Start-up compares the stored revision with the file names, without loading alembic.
    assert database.newest_revision() == database.head_revision()


def test_a_database_at_the_head_starts_without_alembic(tmp_path):
    import subprocess
    import sys

    script = (
        "import asyncio, sys\n"
        "from bot.store.store import Store\n"
        "async def main():\n"
        f"    store = Store.from_url('sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}')\n"
        "    await store.upgrade()\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print('alembic' in sys.modules)\n"
    )
    run = [sys.executable, "-c", script]
    first = subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()
    again = subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()
    assert (first, again) == (["True"], ["False"])


async def test_the_migrations_build_exactly_the_declared_schema(store: Store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def diff(sync) -> list:
        context = MigrationContext.configure(sync, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with store.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes("mock_rounds"))
    one_open = next(i for i in indexes if i["name"] == "uq_mock_rounds_one_open")
    assert one_open["unique"] and one_open["column_names"] == ["server_id", "channel_id"]


async def test_upgrade_again_keeps_data(store: Store):
    server = await store.ensure_server("test", "s1", "Server")
    member = await store.ensure_member("test", "u1", "Ann")
    await store.set_member_timezone(member.id, "Asia/Tokyo")
    await store.create_post(
        server_id=server.id, channel_id="c", day=date(2026, 1, 1), question_id="q", cycle=0
    )
    await store.upgrade()
    assert (await store.find_member("test", "u1")).timezone == "Asia/Tokyo"
    assert (await store.post_for_day(server.id, "c", date(2026, 1, 1))).question_id == "q"


async def test_one_post_per_channel_and_day_under_concurrent_writers(store: Store):
    server = await store.ensure_server("test", "s1")
    rows = await asyncio.gather(
        *(
            store.create_post(
                server_id=server.id,
                channel_id="c",
                day=date(2026, 1, 2),
                question_id=f"q{i}",
                cycle=0,
            )
            for i in range(8)
        )
    )
    assert len({row.id for row in rows}) == 1
    assert len({row.question_id for row in rows}) == 1
    async with store.read() as tx:
        assert (await tx.conn.execute(select(func.count()).select_from(posts))).scalar_one() == 1


async def test_ensure_member_updates_display_name(store: Store):
    first = await store.ensure_member("test", "u1", "Ann")
    second = await store.ensure_member("test", "u1", "Annie")
    assert first.id == second.id and second.display_name == "Annie"


async def test_sqlite_runs_in_wal_mode(tmp_path: Path):
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'x.db'}")
    await store.upgrade()
    async with store.engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    await store.close()
    assert mode == "wal" and timeout == database.SQLITE_BUSY_TIMEOUT_MS


async def test_two_stores_on_one_sqlite_file_do_not_lock_each_other_out(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    a, b = Store.from_url(url), Store.from_url(url)
    await a.upgrade()
    server = await a.ensure_server("test", "s1")
    days = [date(2026, 2, d) for d in range(1, 21)]

    async def write(store: Store, offset: int) -> None:
        for day in days:
            await store.create_post(
                server_id=server.id, channel_id="c", day=day, question_id=f"q{offset}", cycle=0
            )

    await asyncio.gather(write(a, 1), write(b, 2))
    async with a.read() as tx:
        assert (await tx.conn.execute(select(func.count()).select_from(posts))).scalar_one() == 20
    await a.close()
    await b.close()


def test_postgres_urls_use_the_async_driver():
    assert database.normalise_url("postgresql://u@h/db").startswith("postgresql+asyncpg://")
    assert database.normalise_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


async def test_upgrade_from_the_first_revision_keeps_data(tmp_path: Path):
    from sqlalchemy import text

    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await database.upgrade(store.engine, "0001")
    async with store.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO servers (id, platform, external_id, created_at) "
                "VALUES (1, 'test', 's1', '2026-01-01 00:00:00')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO schedules (server_id, channel_id, time_of_day, timezone, weekdays, "
                "topics, grace_minutes, paused, created_at, updated_at) VALUES (1, 'c', '09:00', "
                "'UTC', 'mon', '', 120, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    await store.upgrade()
    row = await store.channel_schedule(1, "c")
    assert row.time_of_day == "09:00" and row.pause_reason is None
    assert await database.current_revision(store.engine) == database.head_revision()
    await store.close()


async def test_sqlite_syncs_every_commit_unless_told_otherwise(tmp_path):
    from sqlalchemy import text

    for setting, expected in (("FULL", 2), ("NORMAL", 1)):
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / setting}.db", synchronous=setting)
        async with store.read() as tx:
            assert (await tx.conn.execute(text("PRAGMA synchronous"))).scalar_one() == expected
        await store.close()
    default = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'default.db'}")
    async with default.read() as tx:
        assert (await tx.conn.execute(text("PRAGMA synchronous"))).scalar_one() == 2
    await default.close()


async def test_member_and_schedule_is_ensure_member_and_channel_schedule(store: Store):
    server = await store.ensure_server("test", "s1")
    other = await store.ensure_server("test", "s2")
    await store.save_schedule(
        server_id=server.id,
        channel_id="c1",
        time_of_day="08:00",
        timezone="Asia/Tokyo",
        weekdays="mon",
    )
    await store.save_schedule(
        server_id=other.id, channel_id="c2", time_of_day="09:00", timezone="UTC", weekdays="mon"
    )
    first, none_yet = await store.member_and_schedule("test", "u1", "Ann", server.id, "c2")
    assert none_yet is None  # c2's schedule belongs to another server
    assert first == await store.ensure_member("test", "u1", "Ann")
    for channel in ("c1", "c2", "c3"):  # the member is known now: the one-statement path
        member, schedule = await store.member_and_schedule("test", "u1", "Ann", server.id, channel)
        assert member == first
        assert schedule == await store.channel_schedule(server.id, channel)
    assert schedule is None and member.id == first.id
    _, tokyo = await store.member_and_schedule("test", "u1", "Ann", server.id, "c1")
    assert tokyo is not None and tokyo.timezone == "Asia/Tokyo"
    await store.set_member_timezone(first.id, "Europe/Paris")  # not the schedule's timezone
    paris, _ = await store.member_and_schedule("test", "u1", "Ann", server.id, "c1")
    assert paris.timezone == "Europe/Paris"
    renamed, tokyo = await store.member_and_schedule("test", "u1", "Annie", server.id, "c1")
    assert renamed.id == first.id and renamed.display_name == "Annie"
    assert await store.find_member("test", "u1") == renamed and tokyo is not None


async def test_member_and_schedule_sees_a_member_forgotten_by_another_instance(store: Store):
    server = await store.ensure_server("test", "s1")
    await store.save_schedule(
        server_id=server.id, channel_id="c1", time_of_day="08:00", timezone="UTC", weekdays="mon"
    )
    before, _ = await store.member_and_schedule("test", "u1", "Ann", server.id, "c1")
    other = Store.from_url(store.url, schema=store.schema)  # another instance, same database
    try:
        await other.forget_member(before.id)
    finally:
        await other.close()
    assert await store.find_member("test", "u1") is None
    after, schedule = await store.member_and_schedule("test", "u1", "Ann", server.id, "c1")
    assert await store.find_member("test", "u1") == after  # created again, not taken as known
    assert schedule is not None and schedule.channel_id == "c1"
