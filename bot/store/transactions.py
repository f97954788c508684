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
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import String, Table, bindparam, cast, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store import dialects, rank_counts
from bot.store.checkpoints import Checkpoints
from bot.store.inline import InlineConnection, InlineSQLite
from bot.store.records import Record, StatsRecord
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

    def __init__(self, *, engine: AsyncEngine, inline: InlineSQLite | None = None):
        self.engine = engine
        self.inline = inline  # a SQLite file: statements run on the loop (bot.store.inline)
        self._writer = engine.execution_options(prepbot_write=True)
        self.dialect = engine.dialect.name
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._checkpoints = Checkpoints(engine) if inline is not None else None  # a file

    async def close_checkpoints(self) -> None:
        """Let a running checkpoint finish (before the engine closes)."""
        if self._checkpoints is not None:
            await self._checkpoints.close()

    def _committed(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.after_commit()

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
        async with self._exclusive() as conn:
            unit = _Unit(self, asyncio.current_task(), Tx(conn, self.dialect))
            token = _units.set((*_units.get(), unit))
            try:
                yield unit.tx
            finally:
                unit.open = False
                _units.reset(token)
        self._committed()
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
    async def _exclusive(self) -> AsyncIterator[AsyncConnection | InlineConnection]:
        """A connection in a write transaction, this task's alone until the block ends."""
        if self.inline is not None:  # its own lock, and commits shared by queued writers
            async with self.inline.write() as conn:
                yield conn
            return
        async with self._locked(), self._writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One write transaction (SQLite: BEGIN IMMEDIATE, one writer at a time). It is a unit
        of work of its own: a read inside it sees what it wrote so far."""
        try:
            async with self.transaction() as tx:
                yield tx
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
        if self.inline is not None:
            with self.inline.read() as conn:
                yield Tx(conn, self.dialect)
            return
        async with self.engine.connect() as conn:
            yield Tx(conn, self.dialect)


class Tx:
    """A connection inside one transaction, with the set-based operations of the answer path."""

    def __init__(self, conn: AsyncConnection | InlineConnection, dialect: str):
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
        return dialects.insert(self.dialect, table)

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
        rows = await self.stats_rows(keys)
        return {k: StatsRecord.from_mapping(row) for k, row in rows.items()}

    async def stats_rows(
        self, keys: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], dict[str, Any]]:
        """The member_stats rows of (server, member) `keys`, as dicts to change and save back."""
        return await self._pair_rows(member_stats, ("server_id", "member_id"), 1, keys)

    async def review_rows(
        self, keys: Iterable[tuple[int, str]]
    ) -> dict[tuple[int, str], dict[str, Any]]:
        """The review_states rows of (member, question) `keys`, as dicts to change and save."""
        return await self._pair_rows(review_states, ("member_id", "question_id"), 0, keys)

    async def _pair_rows(
        self, table: Table, key: tuple[str, str], lead: int, keys: Iterable[tuple[Any, Any]]
    ) -> dict[tuple[Any, Any], dict[str, Any]]:
        """The rows whose `key` columns hold one of the pairs `keys`, by pair.

        SQLite scans the whole table for a row-value IN list, and two IN lists make it probe
        every combination of the two. Instead, an IN list on the indexed column `key[lead]`
        walks that member's few rows, and the joined key keeps the exact pairs.
        """
        wanted = set(keys)
        if not wanted:
            return {}
        result = await self.conn.execute(
            _pairs_query(table, key, lead),
            {"leads": list({k[lead] for k in wanted}), "pairs": [f"{a}:{b}" for a, b in wanted]},
        )
        names = tuple(result.keys())
        rows = [dict(zip(names, row, strict=True)) for row in result]
        return {(row[key[0]], row[key[1]]): row for row in rows}

    async def answered_on(
        self, keys: Iterable[tuple[int, int, str, Any]]
    ) -> set[tuple[int, int, str, Any]]:
        """Which (server, member, question, local day) already have an answer."""
        wanted = set(keys)
        if not wanted:
            return set()
        result = await self.conn.execute(
            _ANSWERED_ON,
            {"members": list({m for _, m, _, _ in wanted}), "days": list({d for *_, d in wanted})},
        )
        return {tuple(row) for row in result} & wanted

    async def insert_answers(self, rows: list[dict[str, Any]]) -> None:
        await self.insert_activity(rows, [])

    async def insert_grades(self, rows: list[dict[str, Any]]) -> None:
        await self.insert_activity([], rows)

    async def insert_activity(
        self, answer_rows: list[dict[str, Any]], grade_rows: list[dict[str, Any]]
    ) -> None:
        """Insert answers and grades and count them into the tallies."""
        for table, rows in ((answers, answer_rows), (grades, grade_rows)):
            await self.run_many(dialects.insert(self.dialect, table), rows)
        await tally(self, answer_rows, grade_rows)

    async def save_stats(
        self,
        rows: list[dict[str, Any]],
        before: Mapping[tuple[int, int], Any] | None = None,
    ) -> None:
        """Upsert whole member_stats rows, by (server, member), and move the rank counts from
        the rows as they were (`before`, read here if not given)."""
        if not rows:
            return
        if before is None:
            before = await self.load_stats((r["server_id"], r["member_id"]) for r in rows)
        await self._save(member_stats, ("server_id", "member_id"), rows)
        await rank_counts.keep(self, before, rows)

    async def save_reviews(self, rows: list[dict[str, Any]]) -> None:
        await self._save(review_states, ("member_id", "question_id"), rows)

    async def _save(self, table: Table, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        """Upsert whole rows by their key: one statement for all of them."""
        if rows:
            await self.run_many(_upsert(self.dialect, table, keys, tuple(rows[0])), rows)

    async def run_many(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        """Run an INSERT (or upsert) once per row, in one executemany. `rows` are dicts with
        the same columns.

        SQLAlchemy's executemany builds each row's parameters through its compiler, which cost
        the answer path more than SQLite's work on the rows. Here the statement is compiled
        once for the dialect, and each row becomes a tuple through the columns' own bind
        processors (a date to SQLite's text, say): what SQLAlchemy would send, built directly.
        """
        if not rows:
            return
        sql, order = _compiled(self.conn.dialect, statement, tuple(rows[0]))
        await self.conn.exec_driver_sql(
            sql, [tuple(row[k] if f is None else f(row[k]) for k, f in order) for row in rows]
        )


# The answer path's statements, built once: building and hashing a statement per batch cost
# more than running it.


@lru_cache(maxsize=64)  # per engine's dialect: a test run opens many engines
def _compiled(dialect: Any, statement: Any, columns: tuple[str, ...]) -> tuple[str, list]:
    """The statement's SQL for `dialect`, and per positional parameter, its column and the
    processor that turns a Python value into the driver's."""
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    assert compiled.positiontup is not None, "a positional driver (sqlite3, asyncpg)"
    order = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        order.append((bind.key, bind.type.dialect_impl(dialect).bind_processor(dialect)))
    return compiled.string, order


@cache
def _upsert(dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """INSERT of `columns`, updating every column but `keys` when the key exists."""
    stmt = dialects.insert(dialect, table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: stmt.excluded[c] for c in columns if c not in keys},
    )


@cache
def _pairs_query(table: Table, key: tuple[str, str], lead: int) -> Any:
    """Rows whose `key[lead]` is in :leads and whose "first:second" key is in :pairs."""
    first, second = table.c[key[0]], table.c[key[1]]
    joined = cast(first, String) + ":" + cast(second, String)
    return select(table).where(
        table.c[key[lead]].in_(bindparam("leads", expanding=True)),
        joined.in_(bindparam("pairs", expanding=True)),
    )


_ANSWERED_ON = select(
    answers.c.server_id, answers.c.member_id, answers.c.question_id, answers.c.local_date
).where(
    answers.c.member_id.in_(bindparam("members", expanding=True)),
    answers.c.local_date.in_(bindparam("days", expanding=True)),
)
