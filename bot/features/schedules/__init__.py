"""Channel schedules: when and what the daily question posts, set by admins."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.engine.actors import Actor, Place
from bot.engine.core import Kit
from bot.engine.days_off import describe_days, refresh_streaks
from bot.engine.messages import Field, Refusal, Reply
from bot.engine.options import Option, kind_option
from bot.engine.registry import IN_CHANNELS, Role, subcommands
from bot.features.schedules.spec import ScheduleSpec

ADMINS_ONLY = (
    "Only admins can manage this channel's schedule (Manage Server on Discord, workspace "
    "admins on Slack, or the ids in PREPBOT_ADMIN_ROLES / PREPBOT_ADMIN_USERS)."
)
USAGE = (
    "`schedule set time=09:00 timezone=Europe/Berlin weekdays=mon-fri "
    "topics=oop,databases-sql difficulty=medium grace=120` (all optional)"
)
SET_OPTIONS = (
    Option("time", "time", "Local time of day, e.g. 09:00", keyed=True),
    Option("timezone", "timezone", "IANA timezone, e.g. Europe/Berlin", keyed=True),
    Option("weekdays", "weekdays", "e.g. mon-fri, mon,wed,fri, daily", keyed=True),
    Option("topics", "topics", "Topics, comma-separated, or all", keyed=True),
    Option(
        "difficulty",
        "choice",
        "Question difficulty",
        choices=("easy", "medium", "hard", "any"),
        keyed=True,
    ),
    Option(
        "grace",
        "integer",
        "Minutes a late post may still go out (default 120)",
        low=0,
        high=1440,
        keyed=True,
    ),
    kind_option(keyed=True),
)


# `/prep schedule <sub>`: admins only, in the channel it is about.
schedule_command = subcommands(
    "schedule", who=Role.ADMIN, where=IN_CHANNELS, group="Admins", refusal=ADMINS_ONLY
)


class Schedules:
    def __init__(self, kit: Kit):
        self.kit = kit

    async def _row(self, actor: Actor) -> tuple[Place, Any]:
        place = await self.kit.place(actor)
        return place, place.schedule

    async def save(
        self, server_id: int, channel_id: str, spec: ScheduleSpec, set_by: str | None = None
    ) -> None:
        await self.kit.store.save_schedule(
            server_id=server_id, channel_id=channel_id, set_by=set_by, **spec.columns()
        )
        await self.kit.changed()

    @schedule_command("set", "When and what this channel's question posts", options=SET_OPTIONS)
    async def set_schedule(self, actor: Actor, **changes: object) -> Reply:
        place, row = await self._row(actor)
        current = ScheduleSpec.of(row) if row else ScheduleSpec(timezone=place.channel_timezone)
        spec = current.changed(changes)
        await self.save(place.server.id, actor.channel_id, spec, set_by=actor.user_id)
        card = spec.card(self.kit.bank, paused=False, title="Schedule saved")
        return Reply(cards=(card,), private=True)

    @schedule_command("show", "This channel's schedule")
    async def show(self, actor: Actor) -> Reply:
        place, row = await self._row(actor)
        if row is None:
            return Reply.text(
                "Schedule", f"This channel has no daily question yet. Set one with {USAGE}."
            )
        card = ScheduleSpec.of(row).card(self.kit.bank, paused=row.paused, title="Schedule")
        skips = await self.kit.store.days_off_of(schedule_id=row.id)
        today = place.channel_day(self.kit.clock())
        shown = describe_days([d for d in skips if d >= today])
        card = replace(card, fields=(*card.fields, Field("Days off (no post)", shown)))
        return Reply(cards=(card,), private=True)

    @schedule_command(
        "skip",
        "Days off: no post, and no streak breaks",
        options=(
            Option("dates", "dates", "2026-12-24, 2026-12-24..2026-12-26 or clear", required=True),
        ),
    )
    async def skip(self, actor: Actor, dates: tuple[date, ...]) -> Reply:
        """`schedule skip 2026-12-24..2026-12-26` (or one date); `schedule skip clear`."""
        place, row = await self._row(actor)
        if row is None:
            raise Refusal("This channel has no schedule. Set one with `schedule set`.")
        today = place.channel_day(self.kit.clock())
        if not dates:
            removed = await self.kit.store.clear_days_off(schedule_id=row.id, since=today)
            message = f"{removed} day{'s' * (removed != 1)} off removed; posts resume as set."
        else:
            if dates[0] < today:
                raise Refusal(f"{dates[0]:%Y-%m-%d} has passed; days off start today or later.")
            await self.kit.store.add_days_off(
                dates, now=self.kit.clock(), server_id=place.server.id, schedule_id=row.id
            )
            message = (
                f"No post on {describe_days(list(dates))}, and nobody in this server loses a "
                "streak on those days. Undo with `schedule skip clear`."
            )
        await refresh_streaks(self.kit.store, server_id=place.server.id)
        await self.kit.changed()
        ahead = [d for d in await self.kit.store.days_off_of(schedule_id=row.id) if d >= today]
        return Reply.text("Days off", f"{message}\nDays off ahead: {describe_days(ahead)}.")

    async def _pause(self, actor: Actor, paused: bool) -> Reply:
        _place, row = await self._row(actor)
        if row is None:
            raise Refusal("This channel has no schedule. Set one with `schedule set`.")
        await self.kit.store.set_schedule_paused(row.id, paused)
        await self.kit.changed()
        title = "Schedule paused" if paused else "Schedule resumed"
        return Reply(cards=(ScheduleSpec.of(row).card(self.kit.bank, paused=paused, title=title),))

    @schedule_command("pause", "Pause the daily question")
    async def pause(self, actor: Actor) -> Reply:
        return await self._pause(actor, True)

    @schedule_command("resume", "Resume the daily question")
    async def resume(self, actor: Actor) -> Reply:
        return await self._pause(actor, False)

    @schedule_command("remove", "Remove this channel's schedule")
    async def remove(self, actor: Actor) -> Reply:
        _place, row = await self._row(actor)
        if row is None:
            raise Refusal("This channel has no schedule. Set one with `schedule set`.")
        await self.kit.store.delete_schedule(row.id)
        await self.kit.changed()
        return Reply.text("Schedule removed", "No more daily questions in this channel.")

    @schedule_command(
        "timezone",
        "The server's default timezone",
        options=(Option("zone", "timezone", "IANA timezone, e.g. Europe/Berlin", required=True),),
    )
    async def server_timezone(self, actor: Actor, zone: str) -> Reply:
        place = await self.kit.place(actor)
        await self.kit.store.set_server_timezone(place.server.id, zone)
        await self.kit.changed()
        return Reply.text(
            "Server timezone",
            f"Days here now follow **{zone}** unless a channel's schedule or a member says "
            "otherwise.",
            tone="success",
        )
