"""Discord roles for streak milestones: the engine's role port, and the hierarchy check.

Discord lets a bot grant a role only with Manage Roles and only below its own highest role;
`hierarchy_problem` says which of the two is missing, for the `roles` commands, the log and
`prepbot doctor` alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiohttp
import discord

from bot.adapters.base import PlatformError
from bot.adapters.discord_client import _snowflake
from bot.engine.ports import RoleError

REASON = "prepbot: streak milestone"


def hierarchy_problem(
    roles: Iterable[dict[str, Any]], bot_roles: Iterable[str], guild_id: str, target: str
) -> str | None:
    """Why the bot (holding `bot_roles`) cannot grant `target`, from the guild's roles."""
    by_id = {str(r["id"]): r for r in roles}
    role = by_id.get(str(target))
    if role is None:
        return f"role {target} does not exist on this server (deleted?); set another one."
    if role.get("managed") or str(target) == str(guild_id):
        return f"@{role['name']} belongs to Discord or an integration; no bot can grant it."
    mine = [by_id[r] for r in {*map(str, bot_roles), str(guild_id)} if r in by_id]
    held = discord.Permissions.none()
    for each in mine:
        held |= discord.Permissions(int(each.get("permissions", 0)))
    if not (held.manage_roles or held.administrator):
        return (
            "the bot lacks the Manage Roles permission: give its role Manage Roles, or invite "
            "it again with `prepbot discord invite-url --roles`."
        )
    top = max(mine, key=lambda r: int(r.get("position", 0)))
    if int(top.get("position", 0)) <= int(role.get("position", 0)):
        return (
            f"the bot's highest role (@{top['name']}) sits below @{role['name']}: drag "
            f"@{top['name']} above it in Server Settings > Roles."
        )
    return None


async def fetch_problem(
    session: aiohttp.ClientSession,
    base: str,
    headers: dict[str, str],
    guild: str,
    bot: str,
    target: str,
) -> str | None:
    """`hierarchy_problem` over plain REST (for `prepbot doctor`, which runs no client)."""
    async with session.get(f"{base}/guilds/{guild}/roles", headers=headers) as resp:
        if resp.status != 200:
            return f"cannot read the server's roles ({resp.status}); is the bot still on it?"
        roles = await resp.json(content_type=None)
    async with session.get(f"{base}/guilds/{guild}/members/{bot}", headers=headers) as resp:
        member = await resp.json(content_type=None) if resp.status == 200 else {"roles": []}
    return hierarchy_problem(roles, member.get("roles", []), guild, target)


class DiscordRoles:
    """The role port of the Discord adapter (`bot.engine.ports.RolePort`)."""

    has_roles = True

    def _client(self) -> discord.Client:
        raise NotImplementedError  # the adapter's connected client

    async def grant_role(self, server_ref: str, user_ref: str, role_ref: str) -> None:
        await self._change("add_role", server_ref, user_ref, role_ref)

    async def remove_role(self, server_ref: str, user_ref: str, role_ref: str) -> None:
        await self._change("remove_role", server_ref, user_ref, role_ref)

    async def _change(self, verb: str, server_ref: str, user_ref: str, role_ref: str) -> None:
        try:
            http = self._client().http
            change = getattr(http, verb)
            await change(
                _snowflake(server_ref), _snowflake(user_ref), _snowflake(role_ref), reason=REASON
            )
        except discord.Forbidden as exc:
            why = await self._problem_or_none(server_ref, role_ref)
            raise RoleError(
                why or f"Discord refused ({exc.code}): {exc.text[:200]}", status=403
            ) from None
        except discord.HTTPException as exc:
            raise RoleError(
                f"Discord answered {exc.status} ({exc.code}): {exc.text[:200]}", status=exc.status
            ) from None
        except (PlatformError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise RoleError(f"Discord could not be reached: {exc}", status=503) from None

    async def role_problem(self, server_ref: str, role_ref: str) -> str | None:
        try:
            client = self._client()
            guild = _snowflake(server_ref)
            roles = await client.http.get_roles(guild)
            assert client.user is not None
            me = await client.http.get_member(guild, client.user.id)
        except (discord.DiscordException, PlatformError, aiohttp.ClientError, OSError) as exc:
            return f"cannot read the server's roles ({type(exc).__name__})."
        return hierarchy_problem(roles, me.get("roles", []), server_ref, role_ref)  # type: ignore[arg-type]

    async def _problem_or_none(self, server_ref: str, role_ref: str) -> str | None:
        problem = await self.role_problem(server_ref, role_ref)
        return None if problem and problem.startswith("cannot read") else problem
