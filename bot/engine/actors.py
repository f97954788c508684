"""Who is asking and where: the platform-neutral description of a command's origin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.engine.streaks import local_date
from bot.store.store import MemberRef, ServerRef, Store


@dataclass(frozen=True)
class Actor:
    platform: str  # discord | slack | console
    server_id: str  # guild id, team id, "local"; "dm" for Discord direct messages
    channel_id: str
    user_id: str
    user_name: str
    server_name: str | None = None
    is_dm: bool = False
    is_admin: bool = False
    is_lead: bool = False
    is_reviewer: bool = False  # reviews question suggestions (admins do too)


@dataclass(frozen=True)
class Place:
    """An actor resolved against the store, with the timezones that apply."""

    actor: Actor
    server: ServerRef
    member: MemberRef
    channel_timezone: str  # the channel's schedule, else the server's default, else ours
    member_timezone: str  # the member's own, else the channel's
    schedule: Any = None  # the channel's schedule row, if it has one (never in a DM)

    def member_day(self, now: datetime) -> date:
        return local_date(now, self.member_timezone)

    def channel_day(self, now: datetime) -> date:
        return local_date(now, self.channel_timezone)


async def resolve(store: Store, actor: Actor, *, default_timezone: str) -> Place:
    """Find or create the server and member rows behind `actor`."""
    server = await store.ensure_server(actor.platform, actor.server_id, actor.server_name)
    if actor.is_dm:
        member = await store.ensure_member(actor.platform, actor.user_id, actor.user_name)
        schedule = None
    else:  # one statement for a member seen lately: every channel command starts here
        member, schedule = await store.member_and_schedule(
            actor.platform, actor.user_id, actor.user_name, server.id, actor.channel_id
        )
    channel_tz = (schedule.timezone if schedule else None) or server.default_timezone
    channel_tz = channel_tz or default_timezone
    member_tz = member.timezone or channel_tz
    return Place(actor, server, member, channel_tz, member_tz, schedule)
