"""Connections and transactions: reads, writes, and a unit of work that spans several calls.

`async with store.transaction():` makes every store call of the same asyncio task use one
connection and one transaction. The active transaction lives in a ContextVar, so `read()`
and `write()` join it without anyone passing a connection around.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import String, cast, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store import rank_counts
from bot.store.records import Record, ReviewRecord, StatsRecord
from bot.store.schema import answers, grades, member_stats, review_states
from bot.store.tallies import tally

R = TypeVar("R", bound=Record)


class StoreBusy(Exception):
    """Another process holds the database's write lock past the busy timeout: the write
    did not happen, and retrying at once would only wait again."""

    fail_fast = True  # a batch that hits it fails as a whole, without one-by-one retries


@dataclass(eq=False)
class _Unit:
    """One open `transaction()`: whose it is, which task runs it, its connection."""

    owner: Transactions
    task: asyncio.Task[Any] | None
    tx: Tx
    open: bool = True
    after_commit: list[Callable[[], None]] = field(default_factory=list)


# The transactions open in this context, one per store at most. A tuple: a context variable
# must not hold a value that is changed in place (a child task shares it).
_units: ContextVar[tuple[_Unit, ...]] = ContextVar("prepbot_store_units", default=())


class Transactions:
    """Owns the engine and hands out connections: a read, a write, or a unit of work."""

    def __init__(self, *, engine: AsyncEngine):
        self.engine = engine
        self._writer = engine.execution_options(prepbot_write=True)
        self.dialect = engine.dialect.name
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None

    def _unit(self, *, writing: bool) -> _Unit | None:
        """This task's open transaction on this store, if any."""
        for unit in _units.get():
            if unit.owner is not self or not unit.open:
                continue
            if unit.task is asyncio.current_task():
                return unit
            if writing and self._write_lock is not None:
                # A task started inside the block inherits the context, but not the
                # connection; its write would wait for the lock its parent holds.
                raise RuntimeError("cannot write on SQLite from a task started in a transaction")
        return None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A unit of work: commit when the block ends, roll back if it raises.

        Inside, every read and write of this store in this task uses the same connection
        (SQLite: BEGIN IMMEDIATE under the write lock, as `write()`). A nested call joins
        the enclosing transaction.
        """
        unit = self._unit(writing=True)
        if unit is not None:
            yield unit.tx
            return
        async with self._locked(), self._writer.begin() as conn:
            unit = _Unit(self, asyncio.current_task(), Tx(conn, self.dialect))
            token = _units.set((*_units.get(), unit))
            try:
                yield unit.tx
            finally:
                unit.open = False
                _units.reset(token)
        for callback in unit.after_commit:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once what this task wrote is committed (now, outside a transaction)."""
        unit = self._unit(writing=False)
        if unit is None:
            callback()
        else:
            unit.after_commit.append(callback)

    def _locked(self) -> Any:
        # SQLite has one writer per file; queueing our own writers here is far cheaper than
        # letting them poll the file lock through SQLite's busy handler.
        return self._write_lock if self._write_lock is not None else nullcontext()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One write transaction (SQLite: BEGIN IMMEDIATE, one writer at a time)."""
        unit = self._unit(writing=True)
        if unit is not None:
            yield unit.tx
            return
        try:
            async with self._locked(), self._writer.begin() as conn:
                yield Tx(conn, self.dialect)
        except OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreBusy("the database is busy (locked by another writer)") from exc
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        unit = self._unit(writing=False)
        if unit is not None:
            yield unit.tx
            return
        async with self.engine.connect() as conn:
            yield Tx(conn, self.dialect)


class Tx:
    """A connection inside one transaction, with the set-based operations of the answer path."""

    def __init__(self, conn: AsyncConnection, dialect: str):
        self.conn = conn
        self.dialect = dialect

    async def first(self, record: type[R], query: Any) -> R | None:
        """The query's first row as a `record`, or None."""
        return record.maybe((await self.conn.execute(query)).first())

    async def all(self, record: type[R], query: Any) -> list[R]:
        """Every row of the query as a `record`."""
        return record.from_rows(await self.conn.execute(query))

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT, which supports ON CONFLICT on both databases."""
        return (postgresql if self.dialect == "postgresql" else sqlite).insert(table)

    async def upsert_returning(
        self,
        table: Any,
        values: dict[str, Any],
        keys: Sequence[str],
        insert_only: dict[str, Any],
    ) -> dict[str, Any]:
        """Insert or update by `keys` (values None are left as they are); return the columns."""
        updates = {k: v for k, v in values.items() if k not in keys and v is not None}
        stmt = self.insert(table).values(**values, **insert_only)
        if updates:  # the row is inserted or updated: RETURNING gives it without a SELECT
            stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
            return dict((await self.conn.execute(stmt.returning(table))).one()._mapping)
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        await self.conn.execute(stmt)
        where = [table.c[k] == values[k] for k in keys]
        return dict((await self.conn.execute(select(table).where(*where))).one()._mapping)

    async def load_stats(
        self, keys: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], StatsRecord]:
        return await self._load_pairs(StatsRecord, member_stats, "server_id", "member_id", keys)

    async def load_reviews(
        self, keys: Iterable[tuple[int, str]]
    ) -> dict[tuple[int, str], ReviewRecord]:
        return await self._load_pairs(ReviewRecord, review_states, "member_id", "question_id", keys)

    async def _load_pairs(
        self,
        record: type[Record],
        table: Any,
        first: str,
        second: str,
        keys: Iterable[tuple[Any, Any]],
    ) -> dict[tuple[Any, Any], Any]:
        """Records of the rows whose (first, second) key is in `keys`.

        SQLite scans the whole table for a row-value IN list. Instead, an IN list on the
        key's first column walks the primary key, and the joined key keeps the exact pairs
        (a second IN list would make SQLite probe every combination of the two).
        """
        wanted = set(keys)
        if not wanted:
            return {}
        a, b = table.c[first], table.c[second]
        joined = cast(a, String) + ":" + cast(b, String)
        result = await self.conn.execute(
            select(table).where(
                a.in_({x for x, _ in wanted}),
                joined.in_([f"{x}:{y}" for x, y in wanted]),
            )
        )
        found = (record.from_row(row) for row in result)
        return {(getattr(r, first), getattr(r, second)): r for r in found}

    async def answered_on(
        self, keys: Iterable[tuple[int, int, str, Any]]
    ) -> set[tuple[int, int, str, Any]]:
        """Which (server, member, question, local day) already have an answer."""
        wanted = set(keys)
        if not wanted:
            return set()
        result = await self.conn.execute(
            select(
                answers.c.server_id,
                answers.c.member_id,
                answers.c.question_id,
                answers.c.local_date,
            )
            .where(answers.c.member_id.in_({m for _, m, _, _ in wanted}))
            .where(answers.c.local_date.in_({d for _, _, _, d in wanted}))
        )
        return {tuple(row) for row in result} & wanted

    async def insert_answers(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.conn.execute(answers.insert(), rows)
            await tally(self, rows, graded=False)

    async def insert_grades(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.conn.execute(grades.insert(), rows)
            await tally(self, rows, graded=True)

    async def save_stats(
        self,
        rows: list[dict[str, Any]],
        before: Mapping[tuple[int, int], StatsRecord] | None = None,
    ) -> None:
        """Upsert whole member_stats rows (every column but the current question), and move
        the rank counts from the rows as they were (`before`, read here if not given)."""
        if not rows:
            return
        if before is None:
            before = await self.load_stats((r["server_id"], r["member_id"]) for r in rows)
        stmt = self.insert(member_stats)
        columns = [c for c in rows[0] if c not in ("server_id", "member_id")]
        stmt = stmt.on_conflict_do_update(
            index_elements=["server_id", "member_id"],
            set_={c: stmt.excluded[c] for c in columns},
        )
        await self.conn.execute(stmt, rows)
        await rank_counts.keep(self, before, rows)

    async def save_reviews(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        stmt = self.insert(review_states)
        columns = [c for c in rows[0] if c not in ("member_id", "question_id")]
        stmt = stmt.on_conflict_do_update(
            index_elements=["member_id", "question_id"],
            set_={c: stmt.excluded[c] for c in columns},
        )
        await self.conn.execute(stmt, rows)
