"""The question of the day: a channel's (or a member's DM) rotation, and how a day is posted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.engine import rotation
from bot.engine.library import Library
from bot.engine.messages import Refusal, Reply
from bot.features.practice.cards import Ask, question_card
from bot.store.store import Store


def dm_channel(user_id: str) -> str:
    """The channel key of a member's own daily question (their DMs)."""
    return f"@{user_id}"


def split_list(text: str) -> tuple[str, ...]:
    """A stored comma-separated list."""
    return tuple(part for part in text.split(",") if part)


class Daily:
    """Chooses and renders each day's question, one rotation per channel."""

    def __init__(self, store: Store, library: Library):
        self.store, self.library = store, library

    async def for_day(
        self,
        *,
        server_id: int,
        channel_id: str,
        day: date,
        topics: tuple[str, ...] = (),
        difficulty: str | None = None,
        kind: str | None = None,
        schedule_id: int | None = None,
    ) -> Any:
        """The channel's post for `day`, choosing its question on first use.

        The rotation (bot.engine.rotation) walks the filtered bank in an order fixed by
        channel and cycle, so it never repeats a question until all are used and gives the
        same pick after a restart; the daily fan-out uses the same rule.
        """
        post = await self.store.post_for_day(server_id, channel_id, day)
        if post is not None:
            return post
        bank = await self.library.view(server_id)
        cycle, used = await self.store.channel_cycle(server_id, channel_id)
        chosen, cycle = rotation.next_question(
            rotation.candidates(bank, topics, difficulty, kind),
            server_id=server_id,
            channel_id=channel_id,
            cycle=cycle,
            used=used,
        )
        return await self.store.create_post(
            server_id=server_id,
            channel_id=channel_id,
            day=day,
            question_id=chosen.id,
            cycle=cycle,
            schedule_id=schedule_id,
        )

    async def reply(
        self, post: Any, *, private: bool = False, thread: bool = False, tally: int | None = None
    ) -> Reply:
        """A day's question as posted: buttons, a discussion thread, later its tally.

        Refusal when its question has left the bank: nothing is posted then.
        """
        bank = await self.library.view(post.server_id)
        q = bank.get(post.question_id)
        if q is None:
            raise Refusal(f"Question {post.question_id} is no longer in the bank.")
        heading = f"Question of the day · {post.local_date:%a %d %b %Y}"
        card = question_card(bank, q, target=Ask(post_id=post.id), heading=heading)
        if tally is not None:
            people = "person" if tally == 1 else "people"
            card = replace(card, footer=f"{card.footer} · answered by {tally} {people}")
        title = f"Discuss · {post.local_date:%a %d %b}" if thread else None
        return Reply(cards=(card,), private=private, thread_title=title)
