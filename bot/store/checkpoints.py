"""SQLite checkpoints off the commit path.

In WAL mode a commit appends to the write-ahead log, and SQLite copies the log back into the
database file (a checkpoint) inside whichever commit takes the log past 1 000 pages: that
commit, and every answer waiting behind it, then waits for the copy and a sync of the whole
database file. Our connections do not checkpoint on their own (database.py); instead, after
a commit, a passive checkpoint runs on another connection of the pool, at most one at a time
and about once a second while writes go on. It runs beside the next writes without holding
them, and the commits' durability is the log's, which is synced at each commit as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# Seconds between checkpoints while writes go on: the log stays at about a second of writes.
CHECKPOINT_EVERY = 1.0


class Checkpoints:
    """Starts a passive checkpoint after a commit now and then; one runs at a time."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._task: asyncio.Task[None] | None = None
        self._last = time.monotonic()

    def after_commit(self) -> None:
        running = self._task is not None and not self._task.done()
        if running or time.monotonic() - self._last < CHECKPOINT_EVERY:
            return
        self._last = time.monotonic()
        self._task = asyncio.create_task(self._checkpoint(), name="prepbot-checkpoint")

    async def _checkpoint(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as exc:  # the next one catches up; a commit never depends on it
            log.warning("checkpoint failed: %s", exc)

    async def close(self) -> None:
        """Let a running checkpoint finish (closing the last connection checkpoints the rest)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
