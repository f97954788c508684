"""SQLite on the event loop: statements run inline, only the commit's sync goes to a thread.

aiosqlite hands every statement, fetch, BEGIN and COMMIT to its own thread and back; for the
short statements a command makes (a few indexed rows, tens of microseconds in SQLite) the
hand-offs cost ten times the work. Here a SQLite file gets two small synchronous engines:

- a reader: read-only connections (`query_only`). In WAL mode a reader never waits for a
  lock, so running it inline cannot stall the loop behind another writer.
- a writer, used under the store's write lock (one writer per process). It takes SQLite's
  write lock with `BEGIN IMMEDIATE` inline and without a busy timeout; when another process
  holds the lock, it waits with `asyncio.sleep`, so the loop serves everyone else meanwhile,
  and gives up after the same busy timeout as before. With synchronous=FULL the COMMIT (the
  fsync) runs in a worker thread.

PostgreSQL (asyncpg) and in-memory SQLite keep the async engine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import OperationalError

# A stuck writer elsewhere must not hold our members for long (as the busy timeout did).
WAIT_FOR_WRITE_LOCK_S = 3.0


class InlineConnection:
    """A synchronous connection behind the `await conn.execute(...)` the store uses."""

    def __init__(self, conn: Connection):
        self.sync = conn

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self.sync.execute(statement, parameters)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self.sync.begin_nested():
            yield


class InlineSQLite:
    """The reader and the writer of one SQLite file."""

    def __init__(self, url: URL, synchronous: str):
        file = url.set(drivername="sqlite+pysqlite")
        self.reader = _engine(
            file, f"synchronous={synchronous}", "query_only=ON", "busy_timeout=3000"
        )
        self.writer = _engine(file, f"synchronous={synchronous}", "busy_timeout=0")
        event.listen(self.reader, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        self.commit_in_thread = synchronous == "FULL"  # NORMAL does not sync at commit

    @contextmanager
    def read(self) -> Iterator[InlineConnection]:
        with self.reader.connect() as conn:
            yield InlineConnection(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[InlineConnection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.writer.connect() as conn:
            await _begin_immediate(conn)
            transaction = conn.begin()  # SQLAlchemy's bookkeeping; BEGIN was issued above
            try:
                yield InlineConnection(conn)
            except BaseException:
                transaction.rollback()
                raise
            if self.commit_in_thread:
                await asyncio.to_thread(transaction.commit)
            else:
                transaction.commit()

    def dispose(self) -> None:
        self.reader.dispose()
        self.writer.dispose()


def _engine(url: URL, *pragmas: str) -> Engine:
    # The pool never makes a caller wait: waiting inline would block the loop.
    engine = create_engine(
        url, pool_size=4, max_overflow=-1, connect_args={"check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # BEGIN is ours to issue
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        for pragma in (*pragmas, "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


async def _begin_immediate(conn: Connection) -> None:
    """Take SQLite's write lock, waiting without blocking the loop while another has it."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    deadline = time.monotonic() + WAIT_FOR_WRITE_LOCK_S
    pause = 0.001
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except Exception as exc:  # sqlite3.OperationalError: database is locked
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)
