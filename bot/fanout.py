"""A firing's daily posts in sets: chosen, claimed, sent and marked a batch at a time.

For each batch of due items the database sees a few set-based statements, not a few per
post: one read of the posts that exist, one of the rotation state of channels without one,
one write transaction that creates the missing posts and claims them all, and group-commit
writes of "posted" as sends complete. A day's question is rendered once per bank, question
and kind of post, and each channel's copy only routes its buttons to its own post.

Exactly once as before: only claimed posts are sent, and each send is recorded as soon as
it completes (it joins the next group commit, a few milliseconds). A send whose record
fails is kept in `unrecorded` and recorded, not sent again, when its post comes round.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.adapters.base import Adapter, PlatformError, Sent
from bot.engine.core import Engine
from bot.engine.due import Due
from bot.engine.messages import Refusal, Reply
from bot.engine.rotation import candidates, next_question
from bot.features.practice.cards import Ask
from bot.metrics import Metrics
from bot.sending import CLAIM_TIMEOUT, Pacer, decode_sent, encode_sent
from bot.store.batching import Batcher
from bot.store.records import PostRecord

log = logging.getLogger(__name__)

# A day's reply per (bank id, question, day, kind), with the bank and the target it routes to.
Renders = dict[tuple[Any, ...], tuple[Any, "Reply | Refusal", Ask]]

# Due items claimed together: 5 s of sends at 50/s. A claim that waits longer than half
# CLAIM_TIMEOUT in its batch (retries on a slow platform) is renewed before its send.
BATCH = 256
GONE = (403, 404)  # the channel is gone or the bot may not post there: pause, don't retry


class FanOut:
    """Posts due items in batches; `unrecorded` holds sends whose record is pending."""

    def __init__(
        self,
        *,
        engine: Engine,
        adapters: Mapping[str, Adapter],
        pacer: Pacer,
        owner: str,
        clock: Callable[[], datetime],
        concurrency: int,
        on_gone: Callable[[Due, str], Awaitable[None]],
        metrics: Metrics | None = None,
        batch: int = BATCH,
    ):
        self.engine, self.store = engine, engine.store
        self.batch = batch
        self.adapters, self.pacer = adapters, pacer
        self.owner, self.clock = owner, clock
        self.semaphore = asyncio.Semaphore(concurrency)
        self.on_gone = on_gone
        self.metrics = metrics
        self.unrecorded: dict[int, Sent] = {}  # sent, but "posted" not yet written

    async def post(self, due: Sequence[tuple[Due, date]]) -> int:
        """Claim and post each (item, local day); return how many this call posted."""
        batcher: Batcher[tuple[int, str], bool] = Batcher(self._mark_posted)
        replies: Renders = {}
        try:
            batches = _batches(due, self.batch)
            return sum([await self._post_batch(b, replies, batcher) for b in batches])
        finally:
            await batcher.close()

    async def missed(self, due: Sequence[tuple[Due, date]]) -> list[tuple[Due, date]]:
        """Those of `due` that were not posted."""
        found = await self.store.posts_on({_key(item, day) for item, day in due})
        posted = {key for key, post in found.items() if post.posted_at is not None}
        return [(item, day) for item, day in due if _key(item, day) not in posted]

    async def _post_batch(
        self,
        batch: list[tuple[Due, date]],
        replies: Renders,
        batcher: Batcher[tuple[int, str], bool],
    ) -> int:
        items = {_key(item, day): item for item, day in batch}
        claimed = await self._claim(batch)
        sent = await asyncio.gather(
            *(self._post_one(items[_post_key(p)], p, replies, batcher) for p in claimed),
            return_exceptions=True,  # one post's failure is its own
        )
        posted = []
        for post, result in zip(claimed, sent, strict=True):
            if isinstance(result, BaseException):
                log.error("posting post %s failed", post.id, exc_info=result)
            elif result:
                posted.append(post)
        try:
            await self._add_tallies([(items[_post_key(p)], p) for p in posted])
        except Exception as exc:  # a tally is a nicety: never let it fail a day's posts
            log.warning("could not update the tallies of %d posts: %s", len(posted), exc)
        return len(posted)

    async def _claim(self, batch: list[tuple[Due, date]]) -> list[PostRecord]:
        """Create the batch's missing posts and claim every unposted one, in one write."""
        keys = {_key(item, day) for item, day in batch}
        found = await self.store.posts_on(keys)
        known = [p for p in found.values() if p.posted_at is None]
        new = await self._choose([(i, day) for i, day in batch if _key(i, day) not in found])
        if not new and not known:
            return []
        now = self.clock()
        return await self.store.create_and_claim(
            new, known, owner=self.owner, now=now, stale=now - CLAIM_TIMEOUT
        )

    async def _choose(self, due: list[tuple[Due, date]]) -> list[dict[str, Any]]:
        """New posts (rows) for `due`: each channel's next question in its rotation."""
        if not due:
            return []
        cycles = await self.store.cycles_of({(item.server_id, item.channel_id) for item, _ in due})
        created = self.clock()
        allowed: dict[tuple[Any, ...], tuple[Any, list[Any]]] = {}  # by bank id and filters
        rows = []
        for item, day in due:
            bank = await self.engine.kit.bank_for(item.server_id)
            filters = (item.topics, item.difficulty, item.question_kind)
            if (id(bank), *filters) not in allowed:
                allowed[id(bank), *filters] = (bank, candidates(bank, *filters))
            cycle, used = cycles.get((item.server_id, item.channel_id), (0, set()))
            question, cycle = next_question(
                allowed[id(bank), *filters][1],
                server_id=item.server_id,
                channel_id=item.channel_id,
                cycle=cycle,
                used=used,
            )
            rows.append(
                {
                    "server_id": item.server_id,
                    "channel_id": item.channel_id,
                    "local_date": day,
                    "question_id": question.id,
                    "cycle": cycle,
                    "schedule_id": item.key if item.kind == "channel" else None,
                    "created_at": created,
                }
            )
        return rows

    async def _post_one(
        self,
        item: Due,
        post: PostRecord,
        replies: Renders,
        batcher: Batcher[tuple[int, str], bool],
    ) -> bool:
        """Send one claimed post (unless it was sent already) and record it."""
        sent = self.unrecorded.get(post.id)
        if sent is None:
            async with self.semaphore:
                if not await self._still_ours(post):
                    return False
                try:
                    reply = await self._render(item, post, replies)
                except Refusal as exc:  # its question left the bank: keep it unposted
                    await self.store.release_claim(post.id, owner=self.owner)
                    log.warning(
                        "not posting %s %s for %s: %s", item.kind, item.key, post.local_date, exc
                    )
                    return False
                sent = await self._send(item, post, reply)
            if sent is None:
                return False
            self.unrecorded[post.id] = sent
        if await batcher.submit((post.id, encode_sent(sent))):
            self.unrecorded.pop(post.id, None)
        return True

    async def _still_ours(self, post: PostRecord) -> bool:
        """Whether the claim still holds: one that waited long in its batch (a slow
        platform) is renewed first, so that no other process takes it as stale."""
        now = self.clock()
        if post.claimed_at is None or now - post.claimed_at < CLAIM_TIMEOUT / 2:
            return True
        return await self.store.renew_claim(post.id, owner=self.owner, now=now)

    async def _render(
        self,
        item: Due,
        post: PostRecord,
        replies: Renders,
    ) -> Reply:
        """The post's reply: rendered once per bank, question, day and kind of post."""
        bank = await self.engine.kit.bank_for(post.server_id)
        key = (id(bank), post.question_id, post.local_date, item.kind)
        if key not in replies:
            try:
                made: Reply | Refusal = await self.engine.practice.daily_reply(
                    post, thread=item.kind == "channel"
                )
            except Refusal as exc:
                made = exc
            # The bank is kept with it, so that its id is not reused meanwhile.
            replies[key] = (bank, made, Ask(post_id=post.id))
        _, made, target = replies[key]
        if isinstance(made, Refusal):
            raise made
        return made.retarget(target, Ask(post_id=post.id))

    async def _send(self, item: Due, post: PostRecord, reply: Reply) -> Sent | None:
        """Send a claimed post; on failure give the claim back (to be retried) and say so."""
        adapter = self.adapters[item.platform]
        started = time.perf_counter()
        try:
            if item.kind == "dm":
                assert item.user_ref is not None
                sent = await self.pacer.send(adapter, item.user_ref, reply, direct=True)
            else:
                sent = await self.pacer.send(adapter, item.channel_id, reply)
        except Exception as exc:
            await self.store.release_claim(post.id, owner=self.owner)
            self._count(item.platform, "failed")
            if isinstance(exc, PlatformError):
                await self._failed(item, exc)
            else:
                log.exception("posting %s %s failed; it will be retried", item.kind, item.key)
            return None
        self._count(item.platform, "made")
        log.info(
            "posted %s %s question %s in %.0f ms",
            item.kind,
            item.key,
            post.question_id,
            (time.perf_counter() - started) * 1000,
            extra={"platform": item.platform, "post_id": post.id},
        )
        return sent

    async def _mark_posted(self, batch: list[tuple[int, str]]) -> list[bool]:
        """One group commit of sends, every (post id, message ref) marked posted, retried as
        a whole; False for each if the database stays away."""

        async def write() -> None:
            await self.store.mark_posted_many(batch, now=self.clock())

        ids = ", ".join(str(post_id) for post_id, _ in batch)
        what = f"a batch of {len(batch)} daily posts (ids {ids}; not to be sent again)"
        done = await self.pacer.record(write, what)
        return [done] * len(batch)

    def _count(self, platform: str, result: str) -> None:
        if self.metrics is not None:
            self.metrics.posts.labels(platform, result).inc()

    async def _failed(self, item: Due, exc: PlatformError) -> None:
        if exc.status in GONE and item.kind == "channel":
            await self.on_gone(item, f"the platform refused the channel ({exc.status}): {exc}")
        elif exc.status in GONE:
            log.warning("cannot send the daily DM of subscription %s: %s", item.key, exc)
        else:
            log.error("posting %s %s failed (%s); will retry", item.kind, item.key, exc)

    async def _add_tallies(self, posted: list[tuple[Due, PostRecord]]) -> None:
        """Update each channel's previous post with how many answered it."""
        channels = [(item, p) for item, p in posted if item.kind == "channel"]
        previous = await self.store.previous_posted_many({_post_key(p) for _, p in channels})
        counts = await self.store.answer_counts({p.id for p in previous.values()})
        await asyncio.gather(
            *(
                self._add_tally(item, previous[key], counts.get(previous[key].id, 0))
                for item, p in channels
                if (key := (p.server_id, p.channel_id)) in previous
            )
        )

    async def _add_tally(self, item: Due, previous: PostRecord, count: int) -> None:
        assert previous.message_ref is not None
        try:
            reply = await self.engine.practice.daily_reply(previous, tally=count)
            await self.adapters[item.platform].update(decode_sent(previous.message_ref), reply)
        except Exception as exc:  # a tally is a nicety: never let it fail a day's post
            log.warning("could not update the tally of post %s: %s", previous.id, exc)


def _key(item: Due, day: date) -> tuple[int, str, date]:
    return item.server_id, item.channel_id, day


def _post_key(post: PostRecord) -> tuple[int, str, date]:
    return post.server_id, post.channel_id, post.local_date


def _batches(due: Sequence[tuple[Due, date]], size: int) -> Iterator[list[tuple[Due, date]]]:
    for start in range(0, len(due), size):
        yield list(due[start : start + size])
