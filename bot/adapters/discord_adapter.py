"""Discord: the `/prep` app commands, buttons and modals, channel posts, on discord.py 2.x."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from bot.adapters.base import Adapter, PlatformError, Sent
from bot.adapters.discord_client import (
    DiscordStartError,
    PrepClient,
    ShardedPrepClient,
    _snowflake,
    _start_failure,
    invite_url,
    is_reviewer,
    make_client,
    member_ranks,
    platform_error,
)
from bot.adapters.discord_render import Outgoing, form_modal, form_values, notice, render_reply
from bot.adapters.discord_response import SEE_BELOW, Response, _detached, _detached_kwargs
from bot.adapters.discord_roles import DiscordRoles
from bot.adapters.discord_tree import TreeBuilder
from bot.config import Settings
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.delivery import Step, plan
from bot.engine.messages import Reply
from bot.engine.options import FileArg
from bot.engine.packs import MAX_PACK_BYTES
from bot.engine.registry import Command

__all__ = [
    "SEE_BELOW",
    "DiscordAdapter",
    "DiscordStartError",
    "invite_url",
    "member_ranks",
    "platform_error",
]

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0  # login, command sync, gateway READY
DRAIN_TIMEOUT = 10.0  # in-flight handlers get this long to finish on stop
THREAD_ARCHIVE_MINUTES = 1440
THREAD_NAME_LIMIT = 100
# Discord allows 3 s for the first response to an interaction. Work that has not finished
# by then is deferred ("thinking…", which buys 15 minutes). A form must be the first
# response, so answering directly whenever the engine is quick keeps forms working for any
# button, with no list of which ones open forms.
DEFER_AFTER = 1.5
# Discord allows 50 REST requests per second per bot; scheduled posts keep some headroom.
POSTS_PER_SECOND = 40.0
APOLOGY = "Something went wrong handling that; it is logged. Nothing you saved is lost."
FORM_AFTER_DEFER = "That took too long to open a form; please click the button again."


class DiscordAdapter(DiscordRoles, Adapter):
    """Translates Discord interactions into engine calls and engine replies into messages."""

    platform = "discord"
    max_posts_per_second = POSTS_PER_SECOND

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        ready_timeout: float = READY_TIMEOUT,
        defer_after: float = DEFER_AFTER,
    ):
        self.engine = engine
        self.settings = settings
        self.ready_timeout = ready_timeout
        self.defer_after = defer_after
        self.client: PrepClient | ShardedPrepClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._saved_endpoints: tuple[str, yarl.URL] | None = None

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.settings.discord_token is None:
            raise DiscordStartError("DISCORD_TOKEN is not set")
        self._point_at_endpoints()
        self.client = make_client(self, self.settings)
        token = self.settings.discord_token.get_secret_value()
        self._runner = asyncio.create_task(self.client.start(token), name="discord-client")
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait(
            {self._runner, ready}, timeout=self.ready_timeout, return_when="FIRST_COMPLETED"
        )
        if ready in done:
            return
        ready.cancel()
        await self._close_client()
        self._restore_endpoints()
        if self._runner in done:
            raise DiscordStartError(_start_failure(self._runner.exception())) from None
        raise DiscordStartError(
            f"Discord did not become ready within {self.ready_timeout:.0f} s; "
            "check the network and DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL if set."
        )

    async def stop(self) -> None:
        if self.client is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout=DRAIN_TIMEOUT)
        await self._close_client()
        self._restore_endpoints()

    async def _close_client(self) -> None:
        if self.client is not None and not self.client.is_closed():
            await self.client.close()
        if self._runner is not None:
            done, _ = await asyncio.wait({self._runner}, timeout=DRAIN_TIMEOUT)
            if not done:
                self._runner.cancel()
            elif not self._runner.cancelled() and self._runner.exception():
                log.debug("the Discord client ended with %r", self._runner.exception())
        self._ready.clear()

    @property
    def ready(self) -> bool:
        return self.client is not None and self.client.is_ready() and not self.client.is_closed()

    def _point_at_endpoints(self) -> None:
        """Use DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL (tests, proxies) before connecting."""
        gateway = discord.gateway.DiscordWebSocket
        self._saved_endpoints = (discord.http.Route.BASE, gateway.DEFAULT_GATEWAY)
        if self.settings.discord_api_base_url:
            discord.http.Route.BASE = self.settings.discord_api_base_url.rstrip("/")
        if self.settings.discord_gateway_url:
            # Kept as given: the gateway URL's trailing slash matters.
            gateway.DEFAULT_GATEWAY = yarl.URL(self.settings.discord_gateway_url)

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            base, gateway = self._saved_endpoints
            discord.http.Route.BASE = base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
            self._saved_endpoints = None

    async def register_commands(self, tree: app_commands.CommandTree) -> None:
        """Add `/prep` and sync it: to PREPBOT_DISCORD_GUILD_ID if set (instant), else globally."""
        group = TreeBuilder(self.engine.registry, self.run_command).build()
        guild_id = (self.settings.discord_guild_id or "").strip()
        guild = discord.Object(int(guild_id)) if guild_id.isdigit() else None
        if guild_id and guild is None:
            log.warning("PREPBOT_DISCORD_GUILD_ID is not a server id; syncing commands globally")
        tree.add_command(group, guild=guild)
        try:
            synced = await tree.sync(guild=guild)
        except discord.HTTPException as exc:
            where = f"server {guild_id}" if guild else "globally"
            log.error(
                "could not register the /prep commands %s (%s %s); buttons still work. "
                "Invite the bot with the applications.commands scope (`prepbot discord "
                "invite-url`).",
                where,
                exc.status,
                exc.text[:200] if exc.text else "",
            )
            return
        log.info("synced %d command(s) %s", len(synced), f"to {guild_id}" if guild else "globally")

    def on_ready(self) -> None:
        user = self.client.user if self.client else None
        log.info("connected to Discord as %s", user)
        self._ready.set()

    # Interactions ---------------------------------------------------------------------------

    def actor(self, interaction: discord.Interaction) -> Actor:
        """Who clicked or typed, where, and whether they are an admin or a team lead."""
        user = interaction.user
        user_id = str(user.id)
        if interaction.guild_id is None:
            is_admin, is_lead = member_ranks(
                user_id=user_id, role_ids=set(), manage_guild=False, settings=self.settings
            )
            return Actor(
                platform="discord",
                server_id="dm",
                channel_id=str(interaction.channel_id or user_id),
                user_id=user_id,
                user_name=user.display_name,
                is_dm=True,
                is_admin=is_admin,
                is_lead=is_lead,
                is_reviewer=is_reviewer(user_id=user_id, role_ids=set(), settings=self.settings),
            )
        perms = interaction.permissions
        roles = {str(role.id) for role in getattr(user, "roles", ())}
        # A thread belongs to its channel: commands typed in a round's thread reach the round.
        channel_id = getattr(interaction.channel, "parent_id", None) or interaction.channel_id
        is_admin, is_lead = member_ranks(
            user_id=user_id,
            role_ids=roles,
            manage_guild=perms.administrator or perms.manage_guild,
            settings=self.settings,
        )
        return Actor(
            platform="discord",
            server_id=str(interaction.guild_id),
            channel_id=str(channel_id),
            user_id=user_id,
            user_name=user.display_name,
            server_name=getattr(interaction.guild, "name", None),
            is_admin=is_admin,
            is_lead=is_lead,
            is_reviewer=is_reviewer(user_id=user_id, role_ids=roles, settings=self.settings),
        )

    async def run_command(
        self, interaction: discord.Interaction, cmd: Command, values: dict[str, Any]
    ) -> None:
        """A `/prep` subcommand with its typed option values, straight to the engine."""
        public = not cmd.private_for(interaction.guild_id is None)

        async def work(actor: Actor) -> Reply:
            typed = dict(values)
            for name, value in values.items():
                if isinstance(value, discord.Attachment):  # a pack: read it before the engine
                    if value.size > MAX_PACK_BYTES:
                        return Reply.error(f"`{value.filename[:80]}` is larger than 1 MB.")
                    typed[name] = FileArg(value.filename, await value.read())
            return await self.engine.invoke(actor, cmd, typed)

        await self._handle(interaction, work, label=cmd.name, public=public)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every button click and modal submission of ours, on any message, old or new."""
        kind = interaction.type
        if kind not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        data = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith("prep:"):
            return
        form = None
        if kind is discord.InteractionType.modal_submit:
            form = form_values(dict(data))
        spec = self.engine.registry.actions.get(
            custom_id.split(":")[2:3][0] if custom_id.count(":") >= 2 else ""
        )
        public = (
            spec is not None and spec.visibility == "public" and interaction.guild_id is not None
        )
        await self._handle(
            interaction,
            lambda actor: self.engine.run_custom_id(actor, custom_id, form),
            label="form" if form is not None else "button",
            public=public,
        )

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Failures before our callback runs (unknown or outdated command, bad option)."""
        log.error("discord command failed before it ran: %s", error, exc_info=error)
        if interaction.type is not discord.InteractionType.autocomplete:
            await self._apologise(interaction)

    async def _handle(
        self,
        interaction: discord.Interaction,
        work: Callable[[Actor], Awaitable[Reply]],
        *,
        label: str,
        public: bool = False,
    ) -> None:
        """Run the engine, deferring if it is slow; deliver its reply; apologise on failure."""
        self._inflight += 1
        self._idle.clear()
        started = time.monotonic()
        try:
            task = asyncio.ensure_future(work(self.actor(interaction)))
            if self.defer_after > 0:
                await asyncio.wait({task}, timeout=self.defer_after)
            deferred = not task.done()  # defer_after=0: always defer first
            if deferred:
                try:
                    await interaction.response.defer(ephemeral=not public, thinking=True)
                except BaseException:
                    task.add_done_callback(_log_background_failure)  # the work still counts
                    raise
            reply = await task
            await self._respond(interaction, reply, deferred_public=public if deferred else None)
        except discord.NotFound as exc:
            if exc.code == 10062:  # Unknown interaction: its 3 s ran out before we answered
                log.warning("discord interaction %s expired before it was answered", label)
            else:
                log.exception("discord %s failed", label)
                await self._apologise(interaction)
        except Exception:
            log.exception("discord %s failed", label)
            await self._apologise(interaction)
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()
            # The engine logs the one INFO line per command; this adds Discord's round trip.
            log.debug(
                "discord %s",
                label,
                extra={
                    "command": label,
                    "platform": "discord",
                    "duration_ms": round((time.monotonic() - started) * 1000),
                },
            )

    async def _respond(
        self, interaction: discord.Interaction, reply: Reply, *, deferred_public: bool | None
    ) -> None:
        """Carry out the reply's delivery plan on this interaction.

        `deferred_public` is None when nothing was sent yet, else the deferral's visibility.
        """
        state = Response(interaction, deferred_public)
        for step in plan(reply, here=str(interaction.channel_id)):
            if step.kind == "form":
                await self._send_form(state, step)
                continue
            if step.kind == "thread":
                if await self._post_in_thread(step):
                    continue
                step = Step("public", step.cards)  # the thread is gone: answer here instead
            private = step.kind == "private"
            messages = render_reply(Reply(cards=step.cards)) or [notice("Done.")]
            first = await state.send(messages[0], private=private)
            for message in messages[1:]:
                await state.send(message, private=private)
            if step.open_thread and not private and first is not None and first.guild is not None:
                thread_ref = await self._open_thread(first, step.open_thread)
                if step.anchor and thread_ref:
                    await self.engine.anchor(step.anchor, thread_ref)

    async def _send_form(self, state: Response, step: Step) -> None:
        assert step.form is not None
        if state.fresh:
            await state.interaction.response.send_modal(_detached(form_modal(step.form)))
            state.fresh = False
        else:  # a modal must be the first response; a deferral came first
            await state.send(notice(FORM_AFTER_DEFER), private=True)

    async def _post_in_thread(self, step: Step) -> bool:
        assert step.thread_ref is not None
        try:
            await self.post(step.thread_ref, Reply(cards=step.cards))
            return True
        except PlatformError as exc:
            log.warning("could not post into thread %s: %s", step.thread_ref, exc)
            return False

    async def _open_thread(self, message: discord.Message, title: str) -> str | None:
        """A discussion thread under `message`; the message stands without it if refused."""
        try:
            thread = await message.create_thread(
                name=title[:THREAD_NAME_LIMIT], auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException as exc:
            log.warning(
                "could not open a thread under message %s in channel %s (%s); the bot needs "
                "Create Public Threads there",
                message.id,
                message.channel.id,
                exc.status,
            )
            return None
        return str(thread.id)

    async def _apologise(self, interaction: discord.Interaction) -> None:
        """A short ephemeral message instead of Discord's "This interaction failed"."""
        kwargs = _detached_kwargs(notice(APOLOGY).send_kwargs())
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(**kwargs, ephemeral=True)
            else:
                await interaction.followup.send(**kwargs, ephemeral=True)
        except Exception:
            log.exception("could not tell the member that their interaction failed")

    # Sending --------------------------------------------------------------------------------

    def _client(self) -> PrepClient | ShardedPrepClient:
        if self.client is None or self.client.is_closed():
            raise PlatformError("Discord is not connected", status=503)
        return self.client

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        client = self._client()
        channel = client.get_channel(channel_id)
        if channel is None:
            channel = await client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise PlatformError(f"channel {channel_id} does not take messages", status=400)
        return channel

    async def post(self, channel_id: str, reply: Reply) -> Sent:
        """Post to a channel, or into the thread `in_thread` names (a thread is a channel)."""
        channel_id = reply.in_thread or channel_id
        try:
            channel = await self._channel(_snowflake(channel_id))
            first = await self._send_all(channel, render_reply(reply))
            thread_ref = None
            if reply.thread_title and first.guild is not None:
                thread_ref = await self._open_thread(first, reply.thread_title)
            return Sent(channel_id=channel_id, message_ref=str(first.id), thread_ref=thread_ref)
        except PlatformError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise platform_error(exc) from None

    async def send_direct(self, user_id: str, reply: Reply) -> Sent:
        try:
            channel = await self._client().create_dm(discord.Object(_snowflake(user_id)))
            first = await self._send_all(channel, render_reply(reply))
            return Sent(channel_id=str(channel.id), message_ref=str(first.id))
        except PlatformError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise platform_error(exc) from None

    async def update(self, sent: Sent, reply: Reply) -> None:
        messages = render_reply(reply) or [notice("(removed)")]
        try:
            channel = self._client().get_partial_messageable(_snowflake(sent.channel_id))
            message = channel.get_partial_message(_snowflake(sent.message_ref))
            await message.edit(**_detached_kwargs(messages[0].edit_kwargs()))
        except PlatformError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise platform_error(exc) from None

    async def _send_all(
        self, channel: discord.abc.Messageable, messages: list[Outgoing]
    ) -> discord.Message:
        first = None
        for message in messages or [notice("(empty)")]:
            sent = await channel.send(**_detached_kwargs(message.send_kwargs()))
            first = first or sent
        assert first is not None
        return first


def _log_background_failure(task: asyncio.Future[Reply]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("discord work failed after its interaction", exc_info=task.exception())
