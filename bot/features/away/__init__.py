"""Away: a member's days off, which keep their streak and silence reminders and DMs."""

from __future__ import annotations

from datetime import date, timedelta

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.days_off import (
    AWAY_PER_QUARTER,
    away_left,
    describe_days,
    refresh_streaks,
)
from bot.engine.messages import Refusal, Reply
from bot.engine.options import Option
from bot.engine.registry import command


class Away:
    def __init__(self, kit: Kit):
        self.kit = kit

    async def _moved(self, member_id: int) -> None:
        """Days off changed: streaks' liveness is recomputed, the scheduler reloads (DMs)."""
        await refresh_streaks(self.kit.store, member_id=member_id)
        await self.kit.changed()

    async def _today(self, actor: Actor) -> tuple[int, date]:
        place = await self.kit.place(actor)
        return place.member.id, place.member_day(self.kit.clock())

    @command(
        "me",
        "away",
        summary=f"Days off from today: your streak waits (up to {AWAY_PER_QUARTER} a quarter)",
        options=(
            Option("days", "integer", "How many days, from today", low=1, high=366),
            Option("back", "boolean", "End your days off early"),
        ),
        group="You",
    )
    async def away(self, actor: Actor, days: int | None = None, back: bool | None = None) -> Reply:
        """`away 5`: today and the next four days do not count against your streak;
        `away back` (or `back`) ends them early."""
        if back:
            return await self.back(actor)
        member_id, today = await self._today(actor)
        taken = await self.kit.store.days_off_of(member_id=member_id)
        if days is None:
            ahead = [d for d in taken if d >= today]
            if not ahead:
                return Reply.text(
                    "Not away", "You have no days off ahead. Take some with `away <days>`."
                )
            return Reply.text("Away", f"Away: {describe_days(ahead)}. End it early with `back`.")
        wanted = [today + timedelta(days=n) for n in range(days)]
        over = away_left(taken, [d for d in wanted if d not in taken])
        if over is not None:
            quarter, left = over
            raise Refusal(
                f"That is more than the {AWAY_PER_QUARTER} away days a quarter allows: "
                f"{left} left in the quarter from {quarter:%d %b %Y}. Nothing changed."
            )
        await self.kit.store.add_days_off(wanted, now=self.kit.clock(), member_id=member_id)
        await self._moved(member_id)
        return Reply.text(
            "Away",
            f"Enjoy the time off: {describe_days(wanted)}. Your streak waits, no freezes spent; "
            "reminders and daily direct messages are paused. Back early? `back`.",
            tone="success",
        )

    async def back(self, actor: Actor) -> Reply:
        """Days off from today on are given back."""
        member_id, today = await self._today(actor)
        removed = await self.kit.store.clear_days_off(member_id=member_id, since=today)
        if not removed:
            return Reply.text("Not away", "You have no days off to end.")
        await self._moved(member_id)
        return Reply.text(
            "Welcome back",
            f"{removed} day{'s' * (removed != 1)} off given back. Today counts again: "
            "practise to keep your streak going.",
            tone="success",
        )
