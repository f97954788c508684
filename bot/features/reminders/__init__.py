"""Streak-at-risk reminders: a direct message before the day ends, once, when it matters."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.days_off import days_off_of, state_of
from bot.engine.messages import Action, Button, Card, Delivery, Reply
from bot.engine.options import Option
from bot.engine.registry import command, job
from bot.engine.streaks import view
from bot.store.rhythm import ReminderEntry, reminder_key

DEFAULT_TIME = "21:00"  # three hours before the member's local midnight


def once_key(entry: ReminderEntry, day: date) -> str:
    """The once-only key of a member's reminder on a server: one send per local day."""
    return reminder_key(entry.server_id, entry.member_id, day)


class Reminders:
    def __init__(self, kit: Kit):
        self.kit = kit

    @command(
        "me",
        "remind",
        summary="A DM before midnight when your streak is at risk",
        options=(
            Option("switch", "choice", "on or off", required=True, choices=("on", "off")),
            Option("time", "time", f"Your local time, e.g. 20:30 (default {DEFAULT_TIME})"),
        ),
        group="You",
    )
    async def remind(self, actor: Actor, switch: str, time: str | None = None) -> Reply:
        """`remind on [HH:MM]` or `remind off`."""
        place = await self.kit.place(actor)
        store = self.kit.store
        if switch == "off":
            removed = await store.delete_reminder(place.server.id, place.member.id)
            body = "No more streak reminders." if removed else "You had no reminder set."
            return Reply.text("Reminder off", body, tone="success")
        at = time or DEFAULT_TIME
        await store.save_reminder(place.server.id, place.member.id, at, now=self.kit.clock())
        return Reply.text(
            "Reminder on",
            f"When your streak is running and you have not practised by **{at}** "
            f"({place.member_timezone}), I send you one direct message that day. Not after "
            "you practised, not on days off. Change the timezone with `timezone`; stop with "
            "`remind off`.",
            tone="success",
        )

    @job("streak_reminders", seconds=60)
    async def due(self) -> list[Delivery]:
        """A reminder for every member past their time, with a running streak, not yet
        practised today, not on a day off, and not reminded today already."""
        now = self.kit.clock()
        waiting = [
            (entry, today)
            for entry in await self.kit.store.all_reminders()
            if entry.last_day is not None and (today := self._past_time(entry, now)) is not None
        ]
        if not waiting:
            return []
        sent = await self.kit.store.sent_keys([once_key(e, day) for e, day in waiting])
        waiting = [(e, day) for e, day in waiting if once_key(e, day) not in sent]
        if not waiting:
            return []
        off = await days_off_of(self.kit.store, [e for e, _ in waiting])
        deliveries = []
        for entry, today in waiting:
            days = off.get((entry.server_id, entry.member_id), frozenset())
            if today in days:
                continue  # a day off: nothing is at risk, and away means quiet
            shown = view(state_of(entry), today, days)
            if shown.current == 0 or shown.counted_today:
                continue
            deliveries.append(self._delivery(entry, today, shown.current))
        return deliveries

    def _past_time(self, entry: ReminderEntry, now: datetime) -> date | None:
        """The member's local date if their reminder time has passed today, else None."""
        zone = entry.member_timezone or entry.default_timezone or self.kit.default_timezone
        aware = now.replace(tzinfo=ZoneInfo("UTC")) if now.tzinfo is None else now
        local = aware.astimezone(ZoneInfo(zone))
        return local.date() if f"{local:%H:%M}" >= entry.time_of_day else None

    def _delivery(self, entry: ReminderEntry, today: date, days: int) -> Delivery:
        card = Card(
            title="Your streak is at risk",
            body=f"🔥 Your **{days}**-day streak ends at midnight unless you practise today. "
            "One question keeps it going.",
            buttons=(Button("Today's question", Action("today"), style="primary"),),
            footer="`remind off` stops these · `away <days>` pauses your streak",
            tone="warning",
        )
        return Delivery(
            platform=entry.platform,
            channel_id=f"@{entry.member_ref}",
            reply=Reply(cards=(card,)),
            label=f"streak reminder of member {entry.member_id}",
            user_ref=entry.member_ref,
            once=once_key(entry, today),
        )
