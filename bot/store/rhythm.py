"""Team rhythm: days off, streak reminders and milestone roles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select

from bot.store.records import Record, StatsRecord
from bot.store.schema import (
    days_off,
    member_stats,
    members,
    milestone_roles,
    reminders,
    role_grants,
    servers,
)
from bot.store.transactions import Transactions, Tx


@dataclass(frozen=True, slots=True)
class DayOff(Record):
    """One day that does not count against streaks: a schedule's or a member's."""

    server_id: int | None
    schedule_id: int | None
    member_id: int | None
    day: date


def reminder_key(server_id: int, member_id: int, day: date) -> str:
    """A reminder's once-only key in `sends`: one per member, server and local day."""
    return f"remind:{server_id}:{member_id}:{day.isoformat()}"


def reminder_keys_of(member_id: int) -> str:
    """A LIKE pattern for every reminder key of a member (forget-me removes them)."""
    return f"remind:%:{member_id}:%"


@dataclass(frozen=True, slots=True)
class ReminderEntry(Record):
    """A member's reminder with what sending needs: platform, ids, timezones, streak."""

    server_id: int
    member_id: int
    time_of_day: str
    platform: str
    default_timezone: str | None
    member_ref: str
    member_timezone: str | None
    current_streak: int | None
    longest_streak: int | None
    freezes: int | None
    last_day: date | None


@dataclass(frozen=True, slots=True)
class RoleHolder(Record):
    """A member's streak on a server with milestone roles, and their platform id."""

    server_id: int
    member_id: int
    member_ref: str
    member_timezone: str | None
    default_timezone: str | None
    current_streak: int
    longest_streak: int
    freezes: int
    last_day: date | None


@dataclass(frozen=True, slots=True)
class Milestone(Record):
    """A streak length and the role it earns on a server."""

    days: int
    role_ref: str
    role_name: str | None


def _member_streak() -> tuple[Any, ...]:
    """A member's platform id, the timezones that set their day, and their streak."""
    return (
        members.c.external_id.label("member_ref"),
        members.c.timezone.label("member_timezone"),
        servers.c.default_timezone,
        member_stats.c.current_streak,
        member_stats.c.longest_streak,
        member_stats.c.freezes,
        member_stats.c.last_day,
    )


# Every command that reads a streak asks this: built once, with its lists bound per call.
DAYS_OFF_OF = select(days_off).where(
    days_off.c.day > bindparam("since"),
    or_(
        days_off.c.server_id.in_(bindparam("servers", expanding=True))
        & days_off.c.member_id.is_(None),
        days_off.c.member_id.in_(bindparam("members", expanding=True)),
    ),
)


async def days_off_in(
    tx: Tx, pairs: Iterable[tuple[int, int]], since: date
) -> dict[tuple[int, int], frozenset[date]]:
    """Each (server, member)'s days off after `since`: the server's skips and their away days."""
    wanted = set(pairs)
    if not wanted:
        return {}
    params = {"since": since, "servers": {s for s, _ in wanted}, "members": {m for _, m in wanted}}
    rows = DayOff.from_rows(await tx.conn.execute(DAYS_OFF_OF, params))
    skips: dict[int, set[date]] = defaultdict(set)  # a server's, for everyone on it
    away: dict[int, set[date]] = defaultdict(set)  # a member's own
    for row in rows:
        if row.member_id is None:
            skips[row.server_id].add(row.day)
        else:
            away[row.member_id].add(row.day)
    return {(s, m): frozenset(skips.get(s, set()) | away.get(m, set())) for s, m in wanted}


class Rhythm(Transactions):
    """Days off, reminders and milestone roles."""

    # Days off ---------------------------------------------------------------------------------

    async def add_days_off(
        self,
        days: Iterable[date],
        *,
        now: datetime,
        server_id: int | None = None,
        schedule_id: int | None = None,
        member_id: int | None = None,
    ) -> int:
        """Store days off (a schedule's skips, or a member's away days); return how many
        were new."""
        rows = [
            {
                "server_id": server_id,
                "schedule_id": schedule_id,
                "member_id": member_id,
                "day": day,
                "created_at": now,
            }
            for day in sorted(set(days))
        ]
        if not rows:
            return 0
        added = 0
        async with self.write() as tx:
            for row in rows:
                result = await tx.conn.execute(
                    tx.insert(days_off).values(**row).on_conflict_do_nothing()
                )
                added += result.rowcount or 0
        return added

    async def clear_days_off(
        self,
        *,
        schedule_id: int | None = None,
        member_id: int | None = None,
        since: date | None = None,
    ) -> int:
        """Remove a schedule's or a member's days off (from `since` on); return how many."""
        owner = (
            days_off.c.schedule_id == schedule_id
            if schedule_id is not None
            else days_off.c.member_id == member_id
        )
        query = delete(days_off).where(owner)
        if since is not None:
            query = query.where(days_off.c.day >= since)
        async with self.write() as tx:
            return (await tx.conn.execute(query)).rowcount or 0

    async def days_off_of(
        self, *, schedule_id: int | None = None, member_id: int | None = None
    ) -> list[date]:
        """A schedule's skip dates or a member's away days, in order."""
        owner = (
            days_off.c.schedule_id == schedule_id
            if schedule_id is not None
            else days_off.c.member_id == member_id
        )
        async with self.read() as tx:
            result = await tx.conn.execute(select(days_off.c.day).where(owner).order_by("day"))
            return list(result.scalars())

    async def days_off_for(
        self, pairs: Iterable[tuple[int, int]], since: date
    ) -> dict[tuple[int, int], frozenset[date]]:
        async with self.read() as tx:
            return await days_off_in(tx, pairs, since)

    async def all_days_off(self, since: date) -> list[DayOff]:
        """Every day off after `since` (for the scheduler: posts skipped, DMs silenced)."""
        async with self.read() as tx:
            return await tx.all(DayOff, select(days_off).where(days_off.c.day > since))

    async def stats_touched_by(
        self, *, server_id: int | None = None, member_id: int | None = None
    ) -> list[StatsRecord]:
        """The streak rows a change of days off may move: a server's, or a member's."""
        where = (
            member_stats.c.server_id == server_id
            if server_id is not None
            else member_stats.c.member_id == member_id
        )
        async with self.read() as tx:
            return await tx.all(
                StatsRecord, select(member_stats).where(where, member_stats.c.last_day.is_not(None))
            )

    async def set_alive_until(self, rows: list[tuple[int, int, date | None]]) -> None:
        """Write recomputed `alive_until` values: (server, member, day)."""
        async with self.write() as tx:  # saved as the answer path saves stats: counts too
            before = await tx.stats_rows((s, m) for s, m, _ in rows)
            after = [
                {**before[(s, m)], "alive_until": day} for s, m, day in rows if (s, m) in before
            ]
            await tx.save_stats(after, before=before)

    # Reminders --------------------------------------------------------------------------------

    async def save_reminder(
        self, server_id: int, member_id: int, time_of_day: str, *, now: datetime
    ) -> None:
        async with self.write() as tx:
            await tx.upsert_returning(
                reminders,
                {"server_id": server_id, "member_id": member_id, "time_of_day": time_of_day},
                ("server_id", "member_id"),
                {"created_at": now},
            )

    async def delete_reminder(self, server_id: int, member_id: int) -> bool:
        async with self.write() as tx:
            result = await tx.conn.execute(
                delete(reminders).where(
                    reminders.c.server_id == server_id, reminders.c.member_id == member_id
                )
            )
            return bool(result.rowcount)

    async def all_reminders(self) -> list[ReminderEntry]:
        """Every reminder, with its member's platform id, timezones and streak."""
        async with self.read() as tx:
            return await tx.all(
                ReminderEntry,
                select(reminders, servers.c.platform, *_member_streak())
                .join(servers, servers.c.id == reminders.c.server_id)
                .join(members, members.c.id == reminders.c.member_id)
                .outerjoin(
                    member_stats,
                    (member_stats.c.server_id == reminders.c.server_id)
                    & (member_stats.c.member_id == reminders.c.member_id),
                )
                .order_by(reminders.c.server_id, reminders.c.member_id),
            )

    async def set_milestone_role(
        self, server_id: int, days: int, role: tuple[str, str | None], *, set_by: str | None
    ) -> None:
        """Map a streak of `days` to `role` (platform id, name) on a server."""
        values = {"server_id": server_id, "days": days, "role_ref": role[0]}
        async with self.write() as tx:
            await tx.upsert_returning(
                milestone_roles,
                {**values, "role_name": (role[1] or "")[:100] or None, "set_by": set_by},
                ("server_id", "days"),
                {},
            )

    async def milestone_roles(self, server_id: int) -> list[Milestone]:
        """A server's milestones, by days."""
        async with self.read() as tx:
            return await tx.all(
                Milestone,
                select(milestone_roles)
                .where(milestone_roles.c.server_id == server_id)
                .order_by(milestone_roles.c.days),
            )

    async def milestones_on(self, platform: str) -> list[tuple[str, Milestone]]:
        """Every milestone of the platform's servers, with the server's platform id."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(servers.c.external_id, milestone_roles)
                .join(servers, servers.c.id == milestone_roles.c.server_id)
                .where(servers.c.platform == platform)
                .order_by(servers.c.external_id, milestone_roles.c.days)
            )
            return [(row.external_id, Milestone.from_row(row)) for row in result]

    async def clear_milestone_roles(self, server_id: int) -> int:
        async with self.write() as tx:
            result = await tx.conn.execute(
                delete(milestone_roles).where(milestone_roles.c.server_id == server_id)
            )
            return result.rowcount or 0

    async def servers_with_roles(self, platform: str) -> list[tuple[int, str]]:
        """(server id, platform id) of servers with milestone roles or roles still granted."""
        configured = select(milestone_roles.c.server_id).union(select(role_grants.c.server_id))
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(servers.c.id, servers.c.external_id).where(
                    servers.c.platform == platform, servers.c.id.in_(configured)
                )
            )
            return [(server_id, ref) for server_id, ref in result]

    async def role_holders(self, server_id: int) -> list[RoleHolder]:
        """Every member with a streak row on the server, with their platform id."""
        async with self.read() as tx:
            return await tx.all(
                RoleHolder,
                select(member_stats.c.server_id, member_stats.c.member_id, *_member_streak())
                .join(members, members.c.id == member_stats.c.member_id)
                .join(servers, servers.c.id == member_stats.c.server_id)
                .where(member_stats.c.server_id == server_id),
            )

    async def granted_roles(self, server_id: int) -> dict[tuple[int, str], str]:
        """(member id, role) -> member's platform id, for roles the bot granted here."""
        async with self.read() as tx:
            result = await tx.conn.execute(
                select(role_grants.c.member_id, role_grants.c.role_ref, members.c.external_id)
                .join(members, members.c.id == role_grants.c.member_id)
                .where(role_grants.c.server_id == server_id)
            )
            return {(member_id, role): ref for member_id, role, ref in result}

    async def record_grant(
        self, server_id: int, member_id: int, role_ref: str, *, granted: bool, now: datetime
    ) -> None:
        """Remember a role granted (or forget one removed)."""
        key = {"server_id": server_id, "member_id": member_id, "role_ref": role_ref}
        async with self.write() as tx:
            if granted:
                await tx.conn.execute(
                    tx.insert(role_grants).values(**key, granted_at=now).on_conflict_do_nothing()
                )
            else:
                await tx.conn.execute(
                    delete(role_grants).where(*(role_grants.c[k] == v for k, v in key.items()))
                )
