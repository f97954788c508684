"""Sending for the scheduler: at each platform's pace with retries, and exactly once by key.

`Pacer` is how every scheduled message goes out (daily posts, DMs, digests): a rate limiter
per platform, and retries on 429 (honouring Retry-After) and 5xx. `Courier` delivers what
features' jobs return; a delivery with a `once` key is claimed in the database first (the
`sends` table), like a daily post's row, so that restarts and other instances never send
it twice, and a failed send gives its claim back to be retried on the job's next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from bot.adapters.base import Adapter, PlatformError, Sent
from bot.engine.messages import Delivery, Reply
from bot.store.store import Store

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)  # a claim older than this belonged to a dead process
POST_ATTEMPTS = 5
RECORD_ATTEMPTS = 4  # writes of "sent" after a successful send


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, PlatformError) and (exc.status == 429 or exc.status >= 500)


def encode_sent(sent: Sent) -> str:
    return f"{sent.channel_id}|{sent.message_ref}"


def decode_sent(ref: str) -> Sent:
    channel, _, message = ref.partition("|")
    return Sent(channel_id=channel, message_ref=message)


class Pacer:
    """Sends at each platform's pace (`max_posts_per_second`), retrying 429s and 5xx."""

    def __init__(self, adapters: Mapping[str, Adapter], *, backoff: float = 0.5):
        self.backoff = wait_exponential_jitter(multiplier=backoff, max=30)
        self.limiters = {
            a.platform: AsyncLimiter(a.max_posts_per_second, 1)
            for a in adapters.values()
            if a.max_posts_per_second
        }

    async def send(
        self, adapter: Adapter, target: str, reply: Reply, *, direct: bool = False
    ) -> Sent:
        """Post `reply` to channel `target` (or by DM to user `target` when `direct`)."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(POST_ATTEMPTS),
            wait=self.wait,
            retry=retry_if_exception(is_retryable),
            reraise=True,
        ):
            with attempt:
                limiter = self.limiters.get(adapter.platform)
                if limiter is not None:
                    await limiter.acquire()
                if direct:
                    return await adapter.send_direct(target, reply)
                return await adapter.post(target, reply)
        raise AssertionError("unreachable")  # pragma: no cover

    def wait(self, retry_state: Any) -> float:
        """Retry-After when the platform gives one, else exponential backoff with jitter."""
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, PlatformError) and exc.retry_after is not None:
            return max(0.0, exc.retry_after)
        return self.backoff(retry_state)

    async def record(self, write: Callable[[], Any], what: str) -> bool:
        """Run `write` (marking something sent), retrying; False if the database stays away."""
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(RECORD_ATTEMPTS), wait=self.wait, reraise=True
            ):
                with attempt:
                    await write()
        except Exception:
            log.exception("%s was sent but could not be recorded yet", what)
            return False
        return True


class Courier:
    """Delivers what features' jobs return; `once` deliveries exactly once."""

    def __init__(
        self,
        *,
        store: Store,
        adapters: Mapping[str, Adapter],
        pacer: Pacer,
        owner: str,
        clock: Callable[[], datetime],
    ):
        self.store, self.adapters, self.pacer = store, adapters, pacer
        self.owner, self.clock = owner, clock
        self._unrecorded: dict[str, Sent] = {}  # sent, but "sent" not yet written

    async def deliver(self, delivery: Delivery) -> int:
        """Post one delivery; 1 if this call posted it."""
        adapter = self.adapters.get(delivery.platform)
        if adapter is None:
            return 0
        if delivery.once:
            return await self._deliver_once(adapter, delivery)
        try:
            await self._send(adapter, delivery)
        except Exception as exc:
            log.warning("could not post to %s: %s", delivery.label or delivery.channel_id, exc)
            return 0
        return 1

    async def _send(self, adapter: Adapter, delivery: Delivery) -> Sent:
        """To the channel, or by DM to the member a delivery names (a reminder)."""
        direct = delivery.user_ref is not None
        target = delivery.user_ref if direct else delivery.channel_id
        return await self.pacer.send(adapter, target, delivery.reply, direct=direct)

    async def _deliver_once(self, adapter: Adapter, delivery: Delivery) -> int:
        key = delivery.once
        assert key is not None
        sent = self._unrecorded.get(key)
        if sent is None:
            now = self.clock()
            claimed = await self.store.claim_send(
                key, owner=self.owner, now=now, stale=now - CLAIM_TIMEOUT
            )
            if not claimed:
                return 0
            try:
                sent = await self._send(adapter, delivery)
            except Exception as exc:
                await self.store.release_send(key, owner=self.owner)
                log.warning("could not send %s (will retry): %s", delivery.label or key, exc)
                return 0
            self._unrecorded[key] = sent
            log.info("sent %s", delivery.label or key, extra={"platform": delivery.platform})

        async def write() -> None:
            await self.store.mark_sent(key, message_ref=encode_sent(sent), now=self.clock())

        if await self.pacer.record(write, delivery.label or key):
            self._unrecorded.pop(key, None)
        return 1
