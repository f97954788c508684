"""The discord.py client prepbot runs: intents, shards, hooks, and Discord's failures as ours."""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.adapters.base import PlatformError, StartError
from bot.adapters.discord_render import NO_MENTIONS
from bot.config import Settings, id_list


class Hooks(Protocol):
    """What the client hands to the adapter: command sync, readiness, interactions."""

    async def register_commands(self, tree: app_commands.CommandTree) -> None: ...

    def on_ready(self) -> None: ...

    async def on_interaction(self, interaction: discord.Interaction) -> None: ...

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None: ...


# Longer rate-limit waits become a PlatformError for the caller instead of a silent sleep.
MAX_RATELIMIT_WAIT = 30.0
# The permissions the bot asks for when invited: read and post in channels and threads.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)
INVITE_SCOPES = ("bot", "applications.commands")
# How long discord.py waits after the last GUILD_CREATE before it declares the bot ready
# (its default, 2 s, is most of our start-up). Nothing here needs every guild cached first:
# interactions carry their own guild data, and posting falls back to fetching the channel.
GUILD_READY_TIMEOUT = 0.2


def invite_url(application_id: str, *, roles: bool = False) -> str:
    """The OAuth2 URL that adds the bot to a server with its commands and minimal permissions;
    with `roles`, also Manage Roles (needed only for milestone roles)."""
    permissions = discord.Permissions(INVITE_PERMISSIONS.value)
    permissions.manage_roles = roles
    return discord.utils.oauth_url(application_id, permissions=permissions, scopes=INVITE_SCOPES)


def member_ranks(
    *, user_id: str, role_ids: set[str], manage_guild: bool, settings: Settings
) -> tuple[bool, bool]:
    """(is_admin, is_lead): admins have Manage Server or a configured role or user id."""
    is_admin = (
        manage_guild
        or bool(role_ids & id_list(settings.admin_roles))
        or user_id in id_list(settings.admin_users)
    )
    is_lead = (
        is_admin
        or bool(role_ids & id_list(settings.lead_roles))
        or user_id in id_list(settings.lead_users)
    )
    return is_admin, is_lead


def is_reviewer(*, user_id: str, role_ids: set[str], settings: Settings) -> bool:
    """Reviews question suggestions: a configured role or user id (admins do anyway)."""
    return bool(role_ids & id_list(settings.reviewer_roles)) or user_id in id_list(
        settings.reviewer_users
    )


def platform_error(exc: BaseException) -> PlatformError:
    """A discord.py failure as the PlatformError the scheduler understands."""
    if isinstance(exc, discord.RateLimited):
        return PlatformError(
            f"Discord rate limit: retry in {exc.retry_after:.1f} s",
            status=429,
            retry_after=exc.retry_after,
        )
    if isinstance(exc, discord.HTTPException):
        retry_after = None
        headers = getattr(exc.response, "headers", None) or {}
        with contextlib.suppress(TypeError, ValueError):
            retry_after = float(headers.get("Retry-After", ""))
        detail = (exc.text or "").strip()[:200]
        return PlatformError(
            f"Discord answered {exc.status} (code {exc.code}): {detail}",
            status=exc.status,
            retry_after=retry_after,
        )
    # No answer at all: treated like an unavailable service, so the caller retries later.
    return PlatformError(f"Discord could not be reached: {type(exc).__name__}", status=503)


class DiscordStartError(StartError):
    """The Discord connection could not be set up; the message says what to check."""


class _PrepHooks:
    """Our intents, the `/prep` tree and the adapter's hooks, for either client class."""

    def __init__(self, *, adapter: Hooks, **shards: Any):
        # prepbot never joins voice: skip discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # channels and roles in the cache; nothing privileged
        super().__init__(  # type: ignore[call-arg]
            intents=intents,
            chunk_guilds_at_startup=False,
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
            max_messages=None,
            guild_ready_timeout=GUILD_READY_TIMEOUT,
            **shards,
        )
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)  # type: ignore[arg-type]
        self.tree.on_error = adapter.on_tree_error

    async def setup_hook(self) -> None:
        await self.adapter.register_commands(self.tree)

    async def on_ready(self) -> None:
        self.adapter.on_ready()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.adapter.on_interaction(interaction)


class PrepClient(_PrepHooks, discord.Client):
    """One gateway connection: every server of the bot."""


class ShardedPrepClient(_PrepHooks, discord.AutoShardedClient):
    """Some of the bot's shards (PREPBOT_DISCORD_SHARD_IDS of PREPBOT_DISCORD_SHARD_COUNT),
    so that several instances on one database share a large bot."""


def make_client(adapter: Hooks, settings: Settings) -> PrepClient | ShardedPrepClient:
    if not settings.discord_shard_count:
        return PrepClient(adapter=adapter)
    ids = sorted(int(i) for i in id_list(settings.discord_shard_ids)) or None
    return ShardedPrepClient(
        adapter=adapter, shard_count=settings.discord_shard_count, shard_ids=ids
    )


def _snowflake(value: str) -> int:
    if not value.isdigit():
        raise PlatformError(f"{value[:40]!r} is not a Discord id", status=400)
    return int(value)


def _start_failure(exc: BaseException | None) -> str:
    if isinstance(exc, discord.LoginFailure):
        return (
            "Discord refused DISCORD_TOKEN (401 Unauthorized). Copy the bot token again from "
            "the Developer Portal (Bot -> Reset Token)."
        )
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "Discord asked for privileged intents, which prepbot does not use."
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {exc.status} while logging in: {(exc.text or '')[:200]}"
    return f"could not connect to Discord: {type(exc).__name__}: {exc}"
