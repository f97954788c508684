"""The unit of work: `async with store.transaction():` spans several store calls."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.clock import utcnow
from bot.store.schema import servers
from bot.store.store import Store


class Boom(Exception):
    pass


async def count_servers(store: Store) -> int:
    async with store.read() as tx:
        return (await tx.conn.execute(select(func.count()).select_from(servers))).scalar_one()


async def test_a_failed_transaction_leaves_none_of_its_writes(store: Store):
    with pytest.raises(Boom):
        async with store.transaction():
            server = await store.ensure_server("test", "s1")
            member = await store.ensure_member("test", "u1", "Ann")
            await store.save_subscription(
                server_id=server.id, member_id=member.id, time_of_day="09:00", topics=""
            )
            raise Boom
    assert await count_servers(store) == 0
    assert await store.find_member("test", "u1") is None
    # Nothing rolled back stays cached: the next call creates the server again.
    again = await store.ensure_server("test", "s1")
    assert await count_servers(store) == 1
    assert (await store.ensure_server("test", "s1")).id == again.id


async def test_a_transaction_commits_all_its_writes_at_the_end(store: Store):
    async with store.transaction():
        server = await store.ensure_server("test", "s1")
        member = await store.ensure_member("test", "u1", "Ann")
        await store.save_subscription(
            server_id=server.id, member_id=member.id, time_of_day="09:00", topics="a"
        )
    sub = await store.subscription(server.id, member.id)
    assert sub is not None and sub.time_of_day == "09:00" and sub.topics == "a"


async def test_a_read_inside_a_transaction_sees_its_own_uncommitted_write(store: Store):
    other = Store.from_url(store.url, schema=store.schema)  # another instance's connections
    try:
        async with store.transaction() as unit:
            server = await store.ensure_server("test", "s1")
            await store.save_schedule(
                server_id=server.id,
                channel_id="c",
                time_of_day="08:00",
                timezone="UTC",
                weekdays="mon",
            )
            async with store.read() as tx, store.write() as wtx:
                assert tx.conn is unit.conn and wtx.conn is unit.conn
            row = await store.channel_schedule(server.id, "c")
            assert row is not None and row.time_of_day == "08:00"
            assert await other.channel_schedule(server.id, "c") is None  # not committed yet
        assert (await other.channel_schedule(server.id, "c")).time_of_day == "08:00"
    finally:
        await other.close()


async def test_concurrent_transactions_do_not_share_a_connection(store: Store):
    both_wrote, both_read = asyncio.Event(), asyncio.Event()
    wrote: list[str] = []
    seen: dict[str, tuple[object, set[str]]] = {}

    async def work(name: str) -> None:
        async with store.transaction() as unit:
            await store.ensure_server("test", name)
            wrote.append(name)
            if store.dialect == "postgresql":
                # Both transactions are open at once here; SQLite runs one writer at a time.
                if len(wrote) == 2:
                    both_wrote.set()
                await asyncio.wait_for(both_wrote.wait(), 10)
            async with store.read() as tx:
                names = set((await tx.conn.execute(select(servers.c.external_id))).scalars().all())
                seen[name] = (tx.conn, names)
            assert tx.conn is unit.conn
            if store.dialect == "postgresql":
                # Neither commits before both have read.
                if len(seen) == 2:
                    both_read.set()
                await asyncio.wait_for(both_read.wait(), 10)

    await asyncio.gather(work("a"), work("b"))
    assert seen["a"][0] is not seen["b"][0]
    first, second = wrote
    assert seen[first][1] == {first}  # the other's write is not visible before it commits
    if store.dialect == "postgresql":
        assert seen[second][1] == {second}
    else:  # SQLite: the second transaction waited for the first to commit
        assert seen[second][1] == {"a", "b"}
    assert await count_servers(store) == 2


async def test_a_nested_transaction_joins_the_outer_one(store: Store):
    with pytest.raises(Boom):
        async with store.transaction() as outer:
            async with store.transaction() as inner:
                assert inner.conn is outer.conn
                await store.ensure_server("test", "s1")
            raise Boom
    assert await count_servers(store) == 0


async def test_calls_outside_a_transaction_use_their_own_connections(store: Store):
    async with store.read() as first:
        pass
    async with store.read() as second:
        assert second.conn is not first.conn
    async with store.transaction() as unit:
        pass
    async with store.read() as after:
        assert after.conn is not unit.conn


async def test_writers_at_once_share_commits_and_a_failing_one_undoes_only_its_own(store: Store):
    commits = []
    if store.inline is not None:  # SQLite file: count the writer's commits
        from sqlalchemy import event

        event.listen(store.inline.writer, "commit", lambda conn: commits.append(1))

    async def one(i: int) -> None:
        async with store.write() as tx:
            row = {"platform": "test", "external_id": f"s{i}", "created_at": utcnow()}
            await tx.conn.execute(servers.insert().values(**row))
            if i % 10 == 3:
                raise Boom

    results = await asyncio.gather(*(one(i) for i in range(50)), return_exceptions=True)
    assert sum(isinstance(r, Boom) for r in results) == 5
    assert await count_servers(store) == 45  # each writer's work is kept or undone alone
    async with store.read() as tx:
        kept = set((await tx.conn.execute(select(servers.c.external_id))).scalars())
    assert kept == {f"s{i}" for i in range(50) if i % 10 != 3}
    if store.inline is not None:
        assert len(commits) < 10  # fifty writers, a few fsyncs


async def test_a_read_inside_a_write_sees_what_it_wrote(store: Store):
    async def add(i: int) -> tuple[bool, int]:
        async with store.write() as tx:
            row = {"platform": "test", "external_id": f"s{i}", "created_at": utcnow()}
            await tx.conn.execute(servers.insert().values(**row))
            mine = select(servers.c.id).where(servers.c.external_id == f"s{i}")
            async with store.read() as inside:  # the same task, inside its write
                return (await inside.conn.execute(mine)).first() is not None, await count_servers(
                    store
                )

    seen = await asyncio.gather(*(add(i) for i in range(10)))
    assert all(found for found, _ in seen)
    if store.dialect == "sqlite":  # one writer at a time: each saw those before it
        assert sorted(count for _, count in seen) == list(range(1, 11))
