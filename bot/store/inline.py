"""SQLite on the event loop: statements run inline, only the commit's sync goes to a thread.

aiosqlite hands every statement, fetch, BEGIN and COMMIT to its own thread and back; for the
short statements a command makes (a few indexed rows, tens of microseconds in SQLite) the
hand-offs cost ten times the work. Here a SQLite file gets two small synchronous engines:

- a reader: read-only connections (`query_only`). In WAL mode a reader never waits for a
  lock, so running it inline cannot stall the loop behind another writer.
- a writer: one write transaction at a time in this process, under an asyncio lock. It
  takes SQLite's write lock with `BEGIN IMMEDIATE` inline and without a busy timeout; when
  another process holds the lock, it waits with `asyncio.sleep`, so the loop serves everyone
  else meanwhile, and gives up after the same busy timeout as before.

Commits are shared (group commit): writers that queue while one transaction is open run
one after another inside it, each in its own savepoint (a writer that fails undoes only its
own work), and one COMMIT makes them all durable. With synchronous=FULL that COMMIT (the
fsync) runs in a worker thread. Each writer returns only once its work is committed, as
before; a crowd of writers pays for one fsync instead of one each.

PostgreSQL (asyncpg) and in-memory SQLite keep the async engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import OperationalError

# A second process writing briefly must not fail us, and a stuck one must not hold members
# for long: past this, the write fails and the member is told (with their text).
SQLITE_BUSY_TIMEOUT_MS = 3_000


class InlineConnection:
    """A synchronous connection behind the `await conn.execute(...)` the store uses."""

    def __init__(self, conn: Connection):
        self.sync = conn

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self.sync.execute(statement, parameters)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Any:
        return self.sync.exec_driver_sql(statement, parameters)

    @property
    def dialect(self) -> Any:
        return self.sync.dialect

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self.sync.begin_nested():
            yield


class InlineSQLite:
    """The reader and the writer of one SQLite file."""

    def __init__(self, url: URL, synchronous: str):
        file, sync = url.set(drivername="sqlite+pysqlite"), f"synchronous={synchronous}"
        self.reader = _engine(file, sync, "query_only=ON", f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Checkpoints run beside the commits, not inside one (bot.store.checkpoints).
        self.writer = _engine(file, sync, "busy_timeout=0", "wal_autocheckpoint=0")
        # A read block's statements share one snapshot: BEGIN straight to the driver.
        event.listen(self.reader, "begin", lambda conn: _raw(conn).execute("BEGIN"))
        self.commit_in_thread = synchronous == "FULL"  # NORMAL does not sync at commit
        self._lock = asyncio.Lock()  # one writer at a time in this process
        self._open: _Group | None = None  # the transaction queued writers join
        self._commits: set[asyncio.Task[None]] = set()

    @contextmanager
    def read(self) -> Iterator[InlineConnection]:
        with self.reader.connect() as conn:
            yield InlineConnection(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[InlineConnection]:
        """A writer's turn in the open transaction; returns once its work is committed, and
        undoes only its own work if it raises."""
        async with self._lock:
            group = self._open or await self._start()
            savepoint = group.conn.begin_nested()
            try:
                yield InlineConnection(group.conn)
            except BaseException:
                group.undo(savepoint)
                raise
            group.keep(savepoint)
        await asyncio.shield(group.committed)

    async def _start(self) -> _Group:
        """Open a transaction, and commit it once the writers queued behind it have run."""
        conn = self.writer.connect()
        try:
            await _begin_immediate(conn)
        except BaseException:
            conn.close()
            raise
        group = self._open = _Group(conn, conn.begin())
        task = asyncio.get_running_loop().create_task(self._commit(group), name="prepbot-commit")
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)
        return group

    async def _commit(self, group: _Group) -> None:
        await asyncio.sleep(0)  # writers ready now queue on the lock ahead of the commit
        async with self._lock:
            self._open = None
            try:
                if group.failed is not None:
                    raise group.failed
                if self.commit_in_thread:
                    await asyncio.to_thread(group.transaction.commit)
                else:
                    group.transaction.commit()
            except BaseException as exc:
                group.abandon(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
            else:
                group.committed.set_result(None)
            finally:
                group.conn.close()

    async def close(self) -> None:
        """Wait for commits in flight (a writer that failed does not wait for its group's),
        then close every connection."""
        while self._commits:
            await asyncio.gather(*self._commits, return_exceptions=True)
        self.reader.dispose()
        self.writer.dispose()


class _Group:
    """One write transaction shared by the writers that queued for it."""

    def __init__(self, conn: Connection, transaction: Any):
        self.conn, self.transaction = conn, transaction
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.failed: BaseException | None = None

    def keep(self, savepoint: Any) -> None:
        try:
            savepoint.commit()  # RELEASE: part of the transaction
        except Exception as exc:  # the connection broke: the whole group fails
            self.failed = exc
            raise

    def undo(self, savepoint: Any) -> None:
        try:
            savepoint.rollback()
        except Exception as exc:
            self.failed = exc

    def abandon(self, exc: BaseException) -> None:
        """The commit failed: nothing of the group is kept, and every writer hears why."""
        if self.transaction.is_active:
            with contextlib.suppress(Exception):  # the connection is closed next either way
                self.transaction.rollback()
        if isinstance(exc, asyncio.CancelledError):  # shutting down
            self.committed.cancel()
            return
        self.committed.set_exception(exc)
        self.committed.exception()  # retrieved: writers that already left don't warn


def _engine(url: URL, *pragmas: str) -> Engine:
    # The pool never makes a caller wait: waiting inline would block the loop.
    engine = create_engine(
        url, pool_size=4, max_overflow=-1, connect_args={"check_same_thread": False}
    )

    event.listen(engine, "connect", lambda dbapi, _record: set_up(dbapi, *pragmas))
    return engine


def set_up(dbapi_connection: Any, *pragmas: str) -> None:
    """Every prepbot SQLite connection: BEGIN left to us (the driver's implicit BEGIN is
    deferred and lets two writers deadlock on the read-to-write upgrade), WAL, foreign keys,
    and the connection's own `pragmas`."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", *pragmas, "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _raw(conn: Connection) -> Any:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw


async def _begin_immediate(conn: Connection) -> None:
    """Take SQLite's write lock, waiting without blocking the loop while another has it."""
    raw = _raw(conn)
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
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
