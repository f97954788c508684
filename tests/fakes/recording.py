"""An in-process adapter that records what the scheduler posts, and fails on request."""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field

from bot.adapters.base import Adapter, PlatformError, Sent
from bot.engine.messages import Reply


@dataclass
class Record:
    kind: str  # post | direct | update
    target: str
    reply: Reply
    at: float = field(default_factory=time.monotonic)


class RecordingAdapter(Adapter):
    """Records every send; `failures` (per target) raise PlatformErrors first, in order."""

    def __init__(self, platform: str = "test", *, max_posts_per_second: float | None = None):
        self.platform = platform
        self.max_posts_per_second = max_posts_per_second
        self.records: list[Record] = []
        self.attempts: list[Record] = []
        self.failures: dict[str, deque[PlatformError]] = {}
        self._ids = itertools.count(1)

    def fail(self, target: str, *errors: PlatformError) -> None:
        self.failures.setdefault(target, deque()).extend(errors)

    @property
    def ready(self) -> bool:
        return True

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def _send(self, kind: str, target: str, reply: Reply) -> Sent:
        self.attempts.append(Record(kind, target, reply))
        queue = self.failures.get(target)
        if queue:
            raise queue.popleft()
        self.records.append(Record(kind, target, reply))
        return Sent(channel_id=target, message_ref=f"m{next(self._ids)}")

    async def post(self, channel_id: str, reply: Reply) -> Sent:
        return self._send("post", channel_id, reply)

    async def send_direct(self, user_id: str, reply: Reply) -> Sent:
        return self._send("direct", user_id, reply)

    async def update(self, sent: Sent, reply: Reply) -> None:
        self.records.append(Record("update", f"{sent.channel_id}/{sent.message_ref}", reply))

    def posts(self, kind: str = "post") -> list[Record]:
        return [r for r in self.records if r.kind == kind]
