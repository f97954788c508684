"""SQLite under the store: the write-ahead log checkpointed beside the commits rather than
inside one, and the answer path's lookups through their indexes."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import checkpoints
from bot.store.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'prepbot.db'}")
    await store.upgrade()
    try:
        yield store
    finally:
        await store.close()


async def test_commits_leave_checkpoints_to_a_passive_one_beside_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    async with store.write() as tx:
        pragma = await tx.conn.exec_driver_sql("PRAGMA wal_autocheckpoint")
        assert pragma.scalar_one() == 0  # no commit copies the log back on its own
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY", 0.0)
    for i in range(20):
        await store.ensure_server("test", f"s{i}")
    await store.close_checkpoints()  # one may have started before the last commits
    await store.ensure_server("test", "last")
    await store.close_checkpoints()
    # The database file alone, without its write-ahead log, holds every committed row.
    path = tmp_path / "prepbot.db"
    file_only = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        assert file_only.execute("SELECT count(*) FROM servers").fetchone() == (21,)
    finally:
        file_only.close()


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
