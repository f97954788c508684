"""A member's own daily question by direct message, at their local time."""

from __future__ import annotations

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.messages import Reply
from bot.engine.options import Option
from bot.engine.registry import command

DEFAULT_TIME = "09:00"


class Subscriptions:
    def __init__(self, kit: Kit):
        self.kit = kit

    @command(
        "me",
        "subscribe",
        summary="Your own daily question by direct message",
        options=(
            Option("time", "time", "Local time, e.g. 07:30 (default 09:00)"),
            Option("topics", "topics", "Topics, comma-separated (default: all)"),
        ),
        group="You",
    )
    async def subscribe(
        self, actor: Actor, time: str | None = None, topics: tuple[str, ...] | None = None
    ) -> Reply:
        """`subscribe [time] [topics]`: e.g. `subscribe 07:30 oop,databases-sql`."""
        time_of_day, topics = time or DEFAULT_TIME, topics or ()
        place = await self.kit.place(actor)
        await self.kit.store.save_subscription(
            server_id=place.server.id,
            member_id=place.member.id,
            time_of_day=time_of_day,
            topics=",".join(topics),
        )
        await self.kit.changed()
        bank = self.kit.bank
        titles = ", ".join(bank.topics[t].title for t in topics) or "all topics"
        return Reply.text(
            "Subscribed",
            f"Your own question arrives by direct message at **{time_of_day}** "
            f"({place.member_timezone}), from {titles}. Change your timezone with `timezone`; "
            "stop with `unsubscribe`.",
            tone="success",
        )

    @command("me", "unsubscribe", summary="Stop your daily direct message", group="You")
    async def unsubscribe(self, actor: Actor) -> Reply:
        place = await self.kit.place(actor)
        if not await self.kit.store.delete_subscription(place.server.id, place.member.id):
            return Reply.text("Not subscribed", "You have no daily direct message to stop.")
        await self.kit.changed()
        return Reply.text("Unsubscribed", "No more daily direct messages.", tone="success")
