"""Mock rounds in the store: one open round per channel, kept by the schema; records."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.store import database, records
from bot.store.rounds import RoundStore
from bot.store.schema import (
    member_stats,
    mock_items,
    mock_rounds,
    posts,
    review_states,
    schedules,
    subscriptions,
)
from bot.store.store import Store
from tests.conftest import POSTGRES_URL, drop_schema

START = datetime(2026, 3, 10, 12, 0)


def round_values(server_id: int, channel_id: str = "c") -> dict:
    return {
        "server_id": server_id,
        "channel_id": channel_id,
        "lead_member_id": None,
        "candidate_member_id": None,
        "is_group": True,
        "topics": "",
        "difficulty": None,
        "question_count": 2,
        "minutes": 30,
        "started_at": START,
        "deadline": START + timedelta(minutes=30),
    }


async def open_rounds(store: Store) -> int:
    async with store.read() as tx:
        return (
            await tx.conn.execute(
                select(func.count()).select_from(mock_rounds).where(mock_rounds.c.status == "open")
            )
        ).scalar_one()


async def test_concurrent_starts_in_one_channel_open_one_round(store: Store):
    server = await store.ensure_server("test", "s1")
    # Separate instances: each its own connections (and, on SQLite, its own write lock).
    others = [Store.from_url(store.url, schema=store.schema) for _ in range(10)]
    try:
        results = await asyncio.gather(
            *(RoundStore(s).create_round(round_values(server.id), ["q1", "q2"]) for s in others)
        )
    finally:
        for other in others:
            await other.close()
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and results.count(None) == 9
    assert await open_rounds(store) == 1
    items = await RoundStore(store).items(winners[0])
    assert [(i.position, i.question_id) for i in items] == [(1, "q1"), (2, "q2")]
    async with store.read() as tx:  # the losers left no items behind
        assert (
            await tx.conn.execute(select(func.count()).select_from(mock_items))
        ).scalar_one() == 2


async def test_a_closed_round_makes_room_and_other_channels_are_free(store: Store):
    server = await store.ensure_server("test", "s1")
    rounds = RoundStore(store)
    first = await rounds.create_round(round_values(server.id), ["q1"])
    assert first is not None
    assert await rounds.create_round(round_values(server.id), ["q1"]) is None
    assert await rounds.create_round(round_values(server.id, "other"), ["q1"]) is not None
    assert await rounds.update_round(first, status="ended", ended_at=START)
    assert await rounds.create_round(round_values(server.id), ["q1"]) is not None
    assert await open_rounds(store) == 2


async def test_a_refused_round_does_not_spoil_the_unit_of_work(store: Store):
    server = await store.ensure_server("test", "s1")
    rounds = RoundStore(store)
    assert await rounds.create_round(round_values(server.id), ["q1"]) is not None
    async with store.transaction():
        assert await rounds.create_round(round_values(server.id), ["q1"]) is None
        member = await store.ensure_member("test", "u1", "Ann")  # the transaction goes on
    assert (await store.find_member("test", "u1")).id == member.id


async def test_a_foreign_key_failure_is_not_taken_for_an_open_round(store: Store):
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await RoundStore(store).create_round(round_values(999_999), ["q1"])


async def _store_at(like: Store, tmp_path: Path, revision: str) -> tuple[Store, str | None]:
    """A new, empty database of the same kind as `like`, migrated to `revision`."""
    if like.dialect == "sqlite":
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
        await database.upgrade(store.engine, revision)
        return store, None
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"))
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    store = Store.from_url(POSTGRES_URL, schema=schema)
    await database.upgrade(store.engine, revision)
    return store, schema


async def test_upgrade_ends_duplicate_open_rounds_keeping_the_newest(store: Store, tmp_path: Path):
    # The fixture only picks the database kind (and skips PostgreSQL when it is absent).
    store, schema = await _store_at(store, tmp_path, "0003")
    try:
        async with store.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO servers (id, platform, external_id, created_at) "
                    "VALUES (1, 'test', 's1', :t)"
                ),
                {"t": START},
            )
            ids = []
            for values in (
                round_values(1),
                round_values(1) | {"started_at": START + timedelta(minutes=5)},  # the newest
                round_values(1) | {"started_at": START + timedelta(minutes=1)},
                round_values(1, "elsewhere"),
            ):
                result = await conn.execute(
                    mock_rounds.insert().values(status="open", **values).returning(mock_rounds.c.id)
                )
                ids.append(result.scalar_one())
        await store.upgrade()
        assert await database.current_revision(store.engine) == database.head_revision()
        rounds = RoundStore(store)
        assert (await rounds.open_round(1, "c")).id == ids[1]
        assert (await rounds.open_round(1, "elsewhere")).id == ids[3]
        for ended in (ids[0], ids[2]):
            row = await rounds.round(ended)
            assert row.status == "ended" and row.ended_at is not None
        assert await rounds.create_round(round_values(1), ["q"]) is None
    finally:
        await store.close()
        if schema:
            await drop_schema(schema)


@pytest.mark.parametrize(
    ("record", "table"),
    [
        (records.ScheduleRecord, schedules),
        (records.SubscriptionRecord, subscriptions),
        (records.PostRecord, posts),
        (records.StatsRecord, member_stats),
        (records.ReviewRecord, review_states),
        (records.RoundRecord, mock_rounds),
        (records.ItemRecord, mock_items),
    ],
)
def test_each_table_record_has_exactly_the_tables_columns(record, table):
    assert [f.name for f in dataclasses.fields(record)] == [c.name for c in table.columns]


def test_records_are_frozen():
    item = records.ItemRecord(1, 1, 1, "q", None, None, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.score = 3  # type: ignore[misc]
