"""SQLite under the store: one trip to the connection's thread per statement, and the
write-ahead log checkpointed beside the commits rather than inside one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.store import checkpoints, sqlite_trips
from bot.store.schema import servers
from bot.store.store import Store

NOW = datetime(2026, 1, 1, 8)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'prepbot.db'}")
    await store.upgrade()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each call that crosses to a connection's thread, as it happens."""
    calls: list[object] = []
    run = sqlite_trips.Connection.run

    async def counted(self, call):  # type: ignore[no-untyped-def]
        calls.append(call)
        return await run(self, call)

    monkeypatch.setattr(sqlite_trips.Connection, "run", counted)
    return calls


async def test_a_statement_and_its_rows_take_one_trip(store: Store, trips: list[object]):
    for name in ("a", "b", "c"):
        await store.ensure_server("test", name)
    async with store.read() as tx:
        await tx.conn.execute(select(1))  # after the transaction's BEGIN
        trips.clear()
        result = await tx.conn.execute(select(servers.c.external_id).order_by(servers.c.id))
        assert trips and len(trips) == 1
        assert result.scalars().all() == ["a", "b", "c"]


async def test_counts_and_new_ids_come_back_with_the_trip(store: Store):
    async with store.write() as tx:
        inserted = await tx.conn.execute(
            servers.insert().values(platform="test", external_id="x", created_at=NOW)
        )
        assert inserted.inserted_primary_key[0] > 0
        changed = await tx.conn.execute(update(servers).values(default_timezone="UTC"))
        assert changed.rowcount == 1
        many = await tx.conn.execute(
            servers.insert(),
            [{"platform": "test", "external_id": f"y{i}", "created_at": NOW} for i in range(3)],
        )
        assert many.rowcount == 3
        count = await tx.conn.execute(select(func.count()).select_from(servers))
        assert count.scalar_one() == 4


async def test_commits_leave_checkpoints_to_a_passive_one_beside_them(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    async with store.read() as tx:
        pragma = await tx.conn.exec_driver_sql("PRAGMA wal_autocheckpoint")
        assert pragma.scalar_one() == 0  # no commit copies the log back on its own
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY", 0.0)
    for i in range(20):
        await store.ensure_server("test", f"s{i}")
    running = store._checkpoints._task  # type: ignore[union-attr]
    assert running is not None
    await running
    async with store.read() as tx:
        busy, logged, copied = (await tx.conn.exec_driver_sql("PRAGMA wal_checkpoint")).one()
    assert busy == 0 and logged == copied


async def test_closing_waits_for_a_running_checkpoint(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY", 0.0)
    await store.ensure_server("test", "s")
    running = store._checkpoints._task  # type: ignore[union-attr]
    assert running is not None
    await store.close()
    assert running.done() and running.exception() is None


async def test_a_batch_finds_its_stats_rows_through_their_members(store: Store):
    from sqlalchemy.dialects import sqlite

    from bot.store.schema import member_stats
    from bot.store.transactions import _pairs_query

    query = _pairs_query(member_stats, ("server_id", "member_id"), 1)
    sql = query.params(leads=[1], pairs=["1:1"]).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    async with store.read() as tx:
        plan = await tx.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        steps = " ".join(row[-1] for row in plan)
    # Not the primary key, which walks every member of the server (100 000 on a large one).
    assert "ix_member_stats_member (member_id=?)" in steps
