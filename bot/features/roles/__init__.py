"""Milestone roles: platform roles for streak milestones, granted and removed by the bot."""

from __future__ import annotations

import logging
from datetime import date

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.days_off import days_off_of, state_of
from bot.engine.messages import Card, Delivery, Field, Refusal, Reply, literal
from bot.engine.options import Option, RoleArg
from bot.engine.ports import RoleError, RolePort
from bot.engine.registry import IN_CHANNELS, Role, job, subcommands
from bot.engine.streaks import local_date, view
from bot.store.rhythm import Milestone, RoleHolder

log = logging.getLogger(__name__)

NO_ROLES = "{} has no roles: streak milestones are celebrated in the weekly digest instead."
ADMINS_ONLY = (
    "Only admins can set milestone roles (Manage Server on Discord, or the ids in "
    "PREPBOT_ADMIN_ROLES / PREPBOT_ADMIN_USERS)."
)

roles_command = subcommands(
    "roles", who=Role.ADMIN, where=IN_CHANNELS, group="Admins", refusal=ADMINS_ONLY
)


def named(milestone: Milestone) -> str:
    """A role as members know it (a mention would be neutralised anyway)."""
    return (
        f"@{literal(milestone.role_name)}" if milestone.role_name else f"role {milestone.role_ref}"
    )


class Roles:
    def __init__(self, kit: Kit):
        self.kit = kit

    def _port(self, actor: Actor) -> RolePort:
        port = self.kit.roles(actor.platform)
        if port is None:
            raise Refusal(NO_ROLES.format(actor.platform.title()))
        return port

    @roles_command(
        "set",
        "A role for members whose streak reaches N days",
        options=(
            Option("days", "integer", "Streak length in days", required=True, low=1, high=3650),
            Option("role", "role", "The role to grant", required=True),
        ),
    )
    async def set_role(self, actor: Actor, days: int, role: RoleArg) -> Reply:
        """`roles set 7 @Week-Warrior`."""
        port = self._port(actor)
        if not role.is_id:
            raise Refusal("Name the role as a mention, e.g. `@Week-Warrior`.")
        problem = await port.role_problem(actor.server_id, role.id)
        place = await self.kit.place(actor)
        await self.kit.store.set_milestone_role(
            place.server.id, days, (role.id, role.name), set_by=actor.user_id
        )
        shown = named(Milestone(days, role.id, role.name))
        body = f"Members get {shown} with a **{days}**-day streak and lose it when "
        body += "the streak ends."
        if problem:
            body += f"\n\n⚠️ Not yet possible: {problem}"
        return Reply(
            cards=(
                Card(
                    "Milestone role saved",
                    body,
                    tone="warning" if problem else "success",
                    fields=await self._fields(place.server.id),
                ),
            ),
            private=True,
        )

    async def _fields(self, server_id: int) -> tuple[Field, ...]:
        milestones = await self.kit.store.milestone_roles(server_id)
        lines = "\n".join(f"{m.days} days: {named(m)}" for m in milestones)
        return (Field("Milestones", lines or "none"),)

    @roles_command("show", "Streak milestones and their roles")
    async def show(self, actor: Actor) -> Reply:
        port = self._port(actor)
        place = await self.kit.place(actor)
        problems = []
        for milestone in await self.kit.store.milestone_roles(place.server.id):
            if problem := await port.role_problem(actor.server_id, milestone.role_ref):
                problems.append(f"{named(milestone)}: {problem}")
        body = "\n".join(problems) or "The bot can grant every role listed."
        card = Card("Milestone roles", body, fields=await self._fields(place.server.id))
        return Reply(cards=(card,), private=True)

    @roles_command("off", "Stop milestone roles and take them back")
    async def off(self, actor: Actor) -> Reply:
        self._port(actor)
        place = await self.kit.place(actor)
        removed = await self.kit.store.clear_milestone_roles(place.server.id)
        if not removed:
            return Reply.text("Milestone roles", "No milestone roles were set here.")
        return Reply.text(
            "Milestone roles off",
            "No more milestone roles; the ones the bot granted are taken back within a minute.",
            tone="success",
        )

    # The job ------------------------------------------------------------------------------

    @job("milestone_roles", seconds=60)
    async def sync(self) -> list[Delivery]:
        """Grant each member the milestone roles their running streak has reached, and take
        back those of streaks that ended (or of milestones no longer set)."""
        for platform in list(self.kit.ports):
            port = self.kit.roles(platform)
            if port is None:
                continue
            for server_id, server_ref in await self.kit.store.servers_with_roles(platform):
                await self._sync_server(port, server_id, server_ref)
        return []

    async def _sync_server(self, port: RolePort, server_id: int, server_ref: str) -> None:
        store = self.kit.store
        milestones = await store.milestone_roles(server_id)
        holders = await store.role_holders(server_id)
        granted = await store.granted_roles(server_id)
        wanted: dict[tuple[int, str], str] = {}
        for holder, streak in await self._streaks(holders):
            for milestone in milestones:
                if streak >= milestone.days:
                    wanted[(holder.member_id, milestone.role_ref)] = holder.member_ref
        changes = [(key, ref, True) for key, ref in wanted.items() if key not in granted]
        changes += [(key, ref, False) for key, ref in granted.items() if key not in wanted]
        for (member_id, role), member_ref, grant in changes:
            try:
                if grant:
                    await port.grant_role(server_ref, member_ref, role)
                else:
                    await port.remove_role(server_ref, member_ref, role)
            except RoleError as exc:
                if grant or exc.status != 404:  # a member who left has no role to take back
                    log.warning("milestone role %s on server %s: %s", role, server_id, exc.message)
                    continue
            await store.record_grant(
                server_id, member_id, role, granted=grant, now=self.kit.clock()
            )

    async def _streaks(self, holders: list[RoleHolder]) -> list[tuple[RoleHolder, int]]:
        """Each member's running streak today (their local day, with days off)."""
        running = [h for h in holders if h.last_day is not None and h.current_streak > 0]
        if not running:
            return []
        off = await days_off_of(self.kit.store, running)
        now = self.kit.clock()
        out = []
        for h in running:
            zone = h.member_timezone or h.default_timezone or self.kit.default_timezone
            today: date = local_date(now, zone)
            shown = view(state_of(h), today, off.get((h.server_id, h.member_id), frozenset()))
            out.append((h, shown.current))
        return out
