"""The question-of-the-day rotation: which question a channel gets on its next new day.

A channel walks the filtered bank in an order fixed by server, channel and cycle, so it
never repeats a question until all are used, and gives the same pick after a restart. One
pure function serves `Daily.for_day` (one channel, on first use) and the daily fan-out
(thousands of channels from a few set-based reads).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from bot.engine.content import Bank, Question


def candidates(
    bank: Bank, topics: tuple[str, ...] = (), difficulty: str | None = None, kind: str | None = None
) -> list[Question]:
    """The questions a schedule's filters allow; all of them when none matches."""
    chosen = bank.select(topics, difficulty, kind) or bank.select()
    return chosen or list(bank.questions.values())  # every topic switched off


def next_question(
    allowed: list[Question],
    *,
    server_id: int,
    channel_id: str,
    cycle: int,
    used: Collection[str],
) -> tuple[Question, int]:
    """The channel's next question among `allowed` (see `candidates`) and the cycle it
    belongs to, given its current `cycle` and the questions `used` in it."""
    remaining = [q for q in allowed if q.id not in used]
    if not remaining:
        cycle += 1
        remaining = allowed
    seed = hashlib.sha256(f"{server_id}:{channel_id}:{cycle}:".encode())

    def order(q: Question) -> bytes:
        # The digest of "server:channel:cycle:question": bytes sort as their hex form does.
        h = seed.copy()
        h.update(q.id.encode())
        return h.digest()

    return min(remaining, key=order), cycle
