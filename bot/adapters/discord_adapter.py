"""Discord: the `/prep` command group, buttons and modals, channel posts, on discord.py 2.x."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import Any, Literal
from zoneinfo import available_timezones

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from bot.adapters.base import Adapter, PlatformError, Sent, StartError
from bot.adapters.discord_render import (
    NO_MENTIONS,
    Outgoing,
    form_modal,
    form_values,
    notice,
    render_reply,
)
from bot.config import Settings, id_list
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.messages import Action, Card, Reply

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0  # login, command sync, gateway READY
DRAIN_TIMEOUT = 10.0  # in-flight handlers get this long to finish on stop
# Longer rate-limit waits become a PlatformError for the caller instead of a silent sleep.
MAX_RATELIMIT_WAIT = 30.0
THREAD_ARCHIVE_MINUTES = 1440
THREAD_NAME_LIMIT = 100
# Discord allows 3 s for the first response to an interaction. Work that has not finished
# by then is deferred ("thinking…", which buys 15 minutes). A form must be the first
# response, so answering directly whenever the engine is quick keeps forms working for any
# button, with no list of which ones open forms.
DEFER_AFTER = 1.5
# Commands whose reply is for the channel to see: a deferral of these is public.
PUBLIC_COMMANDS = frozenset({"today", "leaderboard", "mock"})
# Subcommands whose options the engine reads as `key=value` words.
KEYED_COMMANDS = frozenset({("schedule", "set"), ("mock", "start")})
# Discord allows 50 REST requests per second per bot; scheduled posts keep some headroom.
POSTS_PER_SECOND = 40.0
APOLOGY = "Something went wrong handling that; it is logged. Nothing you saved is lost."
STALE_BUTTON = "That button is from another version of prepbot; try `/prep today` for a fresh one."
FORM_AFTER_DEFER = "That took too long to open a form; please click the button again."
SEE_BELOW = "See the message below."
IN_THREAD = "Posted in the round's thread."

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

Difficulty = Literal["easy", "medium", "hard"]
ScheduleDifficulty = Literal["easy", "medium", "hard", "any"]
Rating = Literal["again", "hard", "good", "easy"]
Period = Literal["week", "month", "all"]
Run = Callable[[discord.Interaction, tuple[str, ...], dict[str, object]], Awaitable[None]]
MAX_CHOICES = 25  # Discord's limit for option choices and autocomplete results


def invite_url(application_id: str) -> str:
    """The OAuth2 URL that adds the bot to a server with its commands and minimal permissions."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES
    )


def command_text(path: Sequence[str], options: Mapping[str, object]) -> str:
    """The engine's text command for a `/prep` subcommand and its typed options.

    `("question",), {"topic": "oop", "difficulty": "hard"}` -> `question oop hard`;
    `("schedule", "set"), {"time": "09:00"}` -> `schedule set time=09:00`; users become ids.
    """
    keyed = tuple(path) in KEYED_COMMANDS
    words = list(path)
    for name, value in options.items():
        if isinstance(value, app_commands.Choice):
            value = value.value
        if isinstance(value, discord.User | discord.Member):
            # `<@id|name>`: the engine can name someone who has not used the bot yet.
            shown = re.sub(r"[|<>\s]+", " ", value.display_name).strip()
            words.append(f"{name}=<@{value.id}|{shown}>" if keyed else f"<@{value.id}|{shown}>")
            continue
        if isinstance(value, discord.Role | discord.Object):
            value = value.id
        if value is None or value == "":
            continue
        text = str(value)
        words.append(f"{name}={''.join(text.split())}" if keyed else text)
    return " ".join(words)


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


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def matching_zones(current: str) -> list[str]:
    """Up to 25 IANA zones for an autocomplete: prefix matches first, then substrings."""
    text = current.strip().lower().replace(" ", "_")
    if not text:
        return [z for z in _zones() if "/" in z][:MAX_CHOICES]
    prefix = [z for z in _zones() if z.lower().startswith(text)]
    inner = [z for z in _zones() if text in z.lower() and z not in prefix]
    return (prefix + inner)[:MAX_CHOICES]


def prep_group(*, run: Run, topics: Sequence[tuple[str, str]]) -> app_commands.Group:
    """The `/prep` group: one subcommand per engine command, each handing its options to `run`.

    `topics` are (slug, title) pairs: offered as choices when Discord's 25 allow, else through
    autocomplete. New subgroups (mock rounds) attach with a `*_group(prep, run)` function.
    """
    prep = app_commands.Group(name="prep", description="Daily interview practice")
    topic_option = _topic_option(topics)

    @prep.command(description="Today's question of this channel (in a DM: your own)")
    async def today(interaction: discord.Interaction) -> None:
        await run(interaction, ("today",), {})

    @prep.command(description="A practice question now: due reviews first, then new ones")
    @app_commands.describe(topic="Only this topic", difficulty="Only this difficulty")
    @topic_option
    async def question(
        interaction: discord.Interaction,
        topic: str | None = None,
        difficulty: Difficulty | None = None,
    ) -> None:
        await run(interaction, ("question",), {"topic": topic, "difficulty": difficulty})

    @prep.command(description="Answer your current question (without text: opens a form)")
    @app_commands.describe(text="Your answer; leave out to write it in a form")
    async def answer(interaction: discord.Interaction, text: str | None = None) -> None:
        await run(interaction, ("answer",), {"text": text})

    @prep.command(description="The reference answer and key points, only to you")
    async def reveal(interaction: discord.Interaction) -> None:
        await run(interaction, ("reveal",), {})

    @prep.command(description="Grade yourself on your current question")
    @app_commands.describe(rating="How did it go?")
    async def grade(interaction: discord.Interaction, rating: Rating) -> None:
        await run(interaction, ("grade",), {"rating": rating})

    @prep.command(description="Skip this one and get another practice question")
    async def skip(interaction: discord.Interaction) -> None:
        await run(interaction, ("skip",), {})

    @prep.command(description="Current and longest streak, freezes banked")
    @app_commands.describe(user="Someone else's streak")
    async def streak(interaction: discord.Interaction, user: discord.User | None = None) -> None:
        await run(interaction, ("streak",), {"user": user})

    @prep.command(description="Practice calendar and results per topic")
    @app_commands.describe(user="Someone else's stats")
    async def stats(interaction: discord.Interaction, user: discord.User | None = None) -> None:
        await run(interaction, ("stats",), {"user": user})

    @prep.command(description="Top streaks and answer counts in this server")
    @app_commands.describe(period="Which answers count (default: this week)")
    async def leaderboard(interaction: discord.Interaction, period: Period | None = None) -> None:
        await run(interaction, ("leaderboard",), {"period": period})

    @prep.command(name="topics", description="Topics and difficulties with question counts")
    async def topics_(interaction: discord.Interaction) -> None:
        await run(interaction, ("topics",), {})

    @prep.command(description="Set your timezone (IANA name, e.g. Europe/Berlin)")
    @app_commands.describe(zone="Your timezone, e.g. Europe/Berlin")
    @app_commands.autocomplete(zone=_zone_autocomplete)
    async def timezone(interaction: discord.Interaction, zone: str) -> None:
        await run(interaction, ("timezone",), {"zone": zone})

    @prep.command(description="Your own daily question by direct message")
    @app_commands.describe(
        time="Your local time of day, e.g. 07:30 (default 09:00)",
        topics="Topic slugs separated by commas (default: all)",
    )
    async def subscribe(
        interaction: discord.Interaction, time: str | None = None, topics: str | None = None
    ) -> None:
        await run(interaction, ("subscribe",), {"time": time, "topics": topics})

    @prep.command(description="Stop your daily direct message")
    async def unsubscribe(interaction: discord.Interaction) -> None:
        await run(interaction, ("unsubscribe",), {})

    @prep.command(name="forget-me", description="Delete everything stored about you")
    async def forget_me(interaction: discord.Interaction) -> None:
        await run(interaction, ("forget-me",), {})

    @prep.command(name="help", description="What the bot does and every command")
    async def help_(interaction: discord.Interaction) -> None:
        await run(interaction, ("help",), {})

    schedule_group(prep, run)
    mock_group(prep, run)
    return prep


def mock_group(prep: app_commands.Group, run: Run) -> app_commands.Group:
    """`/prep mock ...`: mock-interview rounds; team leads only, checked by the engine."""
    mock = app_commands.Group(
        name="mock", description="Mock-interview rounds (team leads)", parent=prep
    )

    @mock.command(name="start", description="Start a timed round for a candidate or the group")
    @app_commands.describe(
        candidate="Who is interviewed (leave out and set group for everyone)",
        group="Everyone here answers privately",
        topics="Topic slugs separated by commas (default: all)",
        count="Number of questions (default 5)",
        minutes="Length of the round (default 45)",
        difficulty="Only this difficulty",
    )
    async def start(
        interaction: discord.Interaction,
        candidate: discord.User | None = None,
        group: bool = False,
        topics: str | None = None,
        count: app_commands.Range[int, 1, 20] | None = None,
        minutes: app_commands.Range[int, 5, 240] | None = None,
        difficulty: Difficulty | None = None,
    ) -> None:
        options = {
            "candidate": "group" if group else candidate,
            "topics": topics,
            "count": count,
            "minutes": minutes,
            "difficulty": difficulty,
        }
        await run(interaction, ("mock", "start"), options)

    @mock.command(name="score", description="Score the current answer 1-5, with a note")
    @app_commands.describe(score="1 (weak) to 5 (excellent)", note="What stood out")
    async def score(
        interaction: discord.Interaction,
        score: app_commands.Range[int, 1, 5],
        note: str | None = None,
    ) -> None:
        await run(interaction, ("mock", "score"), {"score": score, "note": note})

    @mock.command(name="answer", description="Answer the current mock question")
    @app_commands.describe(text="Your answer")
    async def answer(interaction: discord.Interaction, text: str) -> None:
        await run(interaction, ("mock", "answer"), {"text": text})

    @mock.command(name="history", description="Finished rounds, newest first")
    @app_commands.describe(member="Only this candidate's rounds")
    async def history(interaction: discord.Interaction, member: discord.User | None = None) -> None:
        await run(interaction, ("mock", "history"), {"member": member})

    _add_plain_commands(
        mock,
        run,
        {
            "next": "Close this question and ask the next one",
            "skip": "Skip this question",
            "end": "End the round now and post the scorecard",
        },
    )
    return mock


def schedule_group(prep: app_commands.Group, run: Run) -> app_commands.Group:
    """`/prep schedule set|show|pause|resume|remove`: admins only, checked by the engine."""
    schedule = app_commands.Group(
        name="schedule", description="The channel's daily question (admins)", parent=prep
    )

    @schedule.command(name="set", description="When and what this channel's question posts")
    @app_commands.describe(
        time="Local time of day, e.g. 09:00",
        timezone="IANA timezone, e.g. Europe/Berlin",
        weekdays="e.g. mon-fri, mon,wed,fri, daily",
        topics="Topic slugs separated by commas, or all",
        difficulty="Question difficulty",
        grace="Minutes after the time a missed post is still made (default 120)",
    )
    @app_commands.autocomplete(timezone=_zone_autocomplete)
    async def set_(
        interaction: discord.Interaction,
        time: str | None = None,
        timezone: str | None = None,
        weekdays: str | None = None,
        topics: str | None = None,
        difficulty: ScheduleDifficulty | None = None,
        grace: app_commands.Range[int, 0, 1440] | None = None,
    ) -> None:
        options = {
            "time": time,
            "timezone": timezone,
            "weekdays": weekdays,
            "topics": topics,
            "difficulty": difficulty,
            "grace": grace,
        }
        await run(interaction, ("schedule", "set"), options)

    _add_plain_commands(
        schedule,
        run,
        {
            "show": "This channel's schedule",
            "pause": "Pause the daily question",
            "resume": "Resume the daily question",
            "remove": "Remove this channel's schedule",
        },
    )
    return schedule


def _add_plain_commands(group: app_commands.Group, run: Run, commands: dict[str, str]) -> None:
    """Subcommands without options: `/prep <group> <name>` runs `<group> <name>`."""

    def runner(path: tuple[str, ...]) -> Callable[[discord.Interaction], Awaitable[None]]:
        # A closure per command: discord.py reads the callback's parameters as options.
        async def callback(interaction: discord.Interaction) -> None:
            await run(interaction, path, {})

        return callback

    for name, description in commands.items():
        group.add_command(
            app_commands.Command(
                name=name, description=description, callback=runner((group.name, name))
            )
        )


def _topic_option(topics: Sequence[tuple[str, str]]) -> Callable:
    """Choices for the `topic` option when Discord's 25 suffice, else an autocomplete."""
    if len(topics) <= MAX_CHOICES:
        return app_commands.choices(
            topic=[app_commands.Choice(name=title[:100], value=slug) for slug, title in topics]
        )

    async def complete(
        _interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        text = current.lower()
        found = [(s, t) for s, t in topics if text in s.lower() or text in t.lower()]
        return [app_commands.Choice(name=t[:100], value=s) for s, t in found[:MAX_CHOICES]]

    return app_commands.autocomplete(topic=complete)


async def _zone_autocomplete(
    _interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in matching_zones(current)]


class _PrepHooks:
    """Our intents, the `/prep` tree and the adapter's hooks, for either client class."""

    def __init__(self, *, adapter: DiscordAdapter, **shards: Any):
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


def make_client(adapter: DiscordAdapter, settings: Settings) -> PrepClient | ShardedPrepClient:
    if not settings.discord_shard_count:
        return PrepClient(adapter=adapter)
    ids = sorted(int(i) for i in id_list(settings.discord_shard_ids)) or None
    return ShardedPrepClient(
        adapter=adapter, shard_count=settings.discord_shard_count, shard_ids=ids
    )


class DiscordAdapter(Adapter):
    """Translates Discord interactions into engine calls and engine replies into messages."""

    platform = "discord"
    max_posts_per_second = POSTS_PER_SECOND

    public_commands = PUBLIC_COMMANDS

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
        topics = [(slug, t.title) for slug, t in self.engine.bank.topics.items()]
        group = prep_group(run=self.run_command, topics=topics)
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
        )

    async def run_command(
        self, interaction: discord.Interaction, path: tuple[str, ...], options: dict[str, object]
    ) -> None:
        """A `/prep` subcommand: its typed options become the engine's text command."""
        text = command_text(path, options)
        public = path[0] in self.public_commands and interaction.guild_id is not None
        await self._handle(
            interaction,
            lambda actor: self.engine.run_text(actor, text),
            label=" ".join(path),
            public=public,
        )

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every button click and modal submission of ours, on any message, old or new."""
        kind = interaction.type
        if kind not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        data = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith("prep:"):
            return
        action = Action.decode(custom_id)
        if action is None:
            await self._handle(interaction, lambda _: _error_reply(STALE_BUTTON), label="stale id")
            return
        form = None
        if kind is discord.InteractionType.modal_submit:
            form = form_values(dict(data))
        await self._handle(
            interaction,
            lambda actor: self.engine.run_action(actor, action, form),
            label=f"{'form' if form is not None else 'button'} {action.verb}",
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
        """Deliver a reply: a modal, or messages with the reply's visibility.

        `deferred_public` is None when nothing was sent yet, else the deferral's visibility.
        """
        if reply.form is not None:
            if deferred_public is None:
                await interaction.response.send_modal(_detached(form_modal(reply.form)))
                return
            reply = Reply.error(FORM_AFTER_DEFER)
        if reply.in_thread and not reply.private and str(interaction.channel_id) != reply.in_thread:
            # It belongs in a thread elsewhere (a mock round's): post it there, and tell the
            # member privately here.
            try:
                await self.post(reply.in_thread, replace(reply, followups=()))
                reply = replace(reply, cards=(Card(title="", body=IN_THREAD),), private=True)
            except PlatformError as exc:
                log.warning("could not post into thread %s: %s", reply.in_thread, exc)
        messages = render_reply(reply) or [notice("Done.")]
        private = reply.private
        first: discord.Message | None = None
        if deferred_public is None:
            callback = await interaction.response.send_message(
                **_detached_kwargs(messages[0].send_kwargs()), ephemeral=private
            )
            if isinstance(callback.resource, discord.InteractionMessage):
                first = callback.resource
        elif (not deferred_public) == private:  # the deferral's visibility is the reply's
            first = await interaction.edit_original_response(
                **_detached_kwargs(messages[0].edit_kwargs())
            )
        else:
            # The deferral fixed the visibility of the original response, and the reply wants
            # the other one: fill the original in, send the reply as a followup (which has
            # its own visibility once the original is no longer loading), drop the original.
            await interaction.edit_original_response(**notice(SEE_BELOW).edit_kwargs())
            first = await interaction.followup.send(
                **_detached_kwargs(messages[0].send_kwargs()), ephemeral=private, wait=True
            )
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        for message in messages[1:]:
            await interaction.followup.send(
                **_detached_kwargs(message.send_kwargs()), ephemeral=private, wait=True
            )
        if reply.thread_title and not private and first is not None and first.guild is not None:
            thread_ref = await self._open_thread(first, reply.thread_title)
            if reply.anchor and thread_ref:
                await self.engine.anchor(reply.anchor, thread_ref)
        for followup in reply.followups:  # e.g. a lead's private answer key
            for message in render_reply(followup):
                await interaction.followup.send(
                    **_detached_kwargs(message.send_kwargs()), ephemeral=followup.private, wait=True
                )

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


def _snowflake(value: str) -> int:
    if not value.isdigit():
        raise PlatformError(f"{value[:40]!r} is not a Discord id", status=400)
    return int(value)


def _log_background_failure(task: asyncio.Future[Reply]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("discord work failed after its interaction", exc_info=task.exception())


async def _error_reply(text: str) -> Reply:
    return Reply.error(text)


def _detached(view: discord.ui.View | discord.ui.Modal) -> discord.ui.View | discord.ui.Modal:
    """Stop a view before sending so discord.py does not keep it: clicks route by custom id."""
    view.stop()
    return view


def _detached_kwargs(kwargs: dict[str, object]) -> dict[str, object]:
    view = kwargs.get("view")
    if isinstance(view, discord.ui.View):
        _detached(view)
    return kwargs


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
