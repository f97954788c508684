"""Group commit: requests that arrive together are applied in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Req = TypeVar("Req")
Res = TypeVar("Res")


class Batcher(Generic[Req, Res]):
    """Feeds queued requests to `handler` in batches; one batch runs at a time.

    Under light load a batch holds one request and costs what a plain transaction costs;
    under heavy load a whole queue shares one transaction. If a batch fails, its requests
    are retried one by one so that one bad request fails only itself.
    """

    def __init__(
        self, handler: Callable[[list[Req]], Awaitable[list[Res]]], *, max_batch: int = 256
    ):
        self._handler = handler
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Req, asyncio.Future[Res]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, request: Req) -> Res:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="prepbot-batcher")
        future: asyncio.Future[Res] = asyncio.get_running_loop().create_future()
        await self._queue.put((request, future))
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # One turn of the loop lets requests that are ready this moment join the batch.
            await asyncio.sleep(0)
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._apply(batch)

    async def _apply(self, batch: list[tuple[Req, asyncio.Future[Res]]]) -> None:
        try:
            results = await self._handler([request for request, _ in batch])
        except Exception as exc:
            if len(batch) == 1 or getattr(exc, "fail_fast", False):
                # One request, or a failure that would hit each alone again (a locked
                # database): every request of the batch hears it now, nobody waits twice.
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            log.warning("batch of %d failed (%s); retrying one by one", len(batch), exc)
            for item in batch:
                await self._apply([item])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
