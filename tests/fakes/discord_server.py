"""A fake Discord on 127.0.0.1: REST and gateway, recording everything the bot sends.

The real discord.py of a real `prepbot run` process talks to it, pointed there by
DISCORD_API_BASE_URL and DISCORD_GATEWAY_URL. It runs its own event loop in a thread, so
tests (sync or async) drive it with plain calls and bounded waits:

    with FakeDiscord() as fake:
        ...start the bot with fake.env()...
        interaction = fake.slash("today", user=ann)
        seen = fake.reply(interaction)   # what the member saw, once the bot has answered

Payload shapes follow https://discord.com/developers/docs (gateway events, interactions,
message and channel objects), trimmed to the fields discord.py reads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from tests.fakes.serving import serve

T = TypeVar("T")
TIMESTAMP = "2026-03-10T12:00:00.000000+00:00"

# Gateway opcodes
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 9, 10, 11
# Interaction types and callback types
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
MESSAGE_REPLY, DEFERRED_REPLY, DEFERRED_UPDATE, UPDATE_MESSAGE, CHOICES, MODAL = 4, 5, 6, 7, 8, 9
EPHEMERAL, LOADING = 1 << 6, 1 << 7
# Option types
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, ROLE = 1, 2, 3, 4, 5, 6, 8
ATTACHMENT = 11

# Permission bits
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_GUILD = 1 << 5
MANAGE_ROLES = 1 << 28
MISSING_PERMISSIONS = {"message": "Missing Permissions", "code": 50013}
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS


@dataclass(frozen=True)
class User:
    """A Discord user, as a member of the test guild with some permissions and roles."""

    id: str
    name: str
    permissions: int = MEMBER_PERMISSIONS
    roles: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
            "public_flags": 0,
        }

    def member(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": list(self.roles),
            "permissions": str(self.permissions),
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.payload()
        return data


@dataclass
class Request:
    """One HTTP request the bot made: method, path (without the API prefix), query, body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    files: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)  # when the fake received it


@dataclass
class Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float | None
    times: int


@dataclass
class Interaction:
    """An interaction pushed to the bot, and what the bot did with it."""

    id: str
    token: str
    payload: dict[str, Any]
    callback: dict[str, Any] | None = None
    original: str | None = None  # message id of the original response
    original_deleted: bool = False
    followups: list[str] = field(default_factory=list)
    pushed_at: float = field(default_factory=time.monotonic)
    acked_at: float | None = None  # the bot's first response (Discord wants it within 3 s)
    touched_at: float | None = None  # the bot's latest callback or webhook call for it
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        self.touched_at = time.monotonic()
        if self.acked_at is None:
            self.acked_at = self.touched_at
        self.changed.set()


@dataclass
class Seen:
    """What the member saw of the bot's answer to one interaction."""

    callback_type: int
    messages: list[dict[str, Any]]
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.messages) and all(m["flags"] & EPHEMERAL for m in self.messages)

    @property
    def text(self) -> str:
        """Every embed's title, description, fields and footer, one per line."""
        lines = []
        for message in self.messages:
            if message.get("content"):
                lines.append(message["content"])
            for embed in message.get("embeds", []):
                lines += [embed.get("title", ""), embed.get("description", "")]
                for f in embed.get("fields", []):
                    lines += [f.get("name", ""), f.get("value", "")]
                lines.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(line for line in lines if line)

    @property
    def buttons(self) -> dict[str, str]:
        """Button label -> custom id, over all messages."""
        return {
            label: custom_id
            for message in self.messages
            for label, custom_id in buttons_of(message).items()
        }

    def message_with(self, label: str) -> dict[str, Any]:
        for message in self.messages:
            if label in buttons_of(message):
                return message
        raise AssertionError(f"no button {label!r} in {self.buttons}")


def buttons_of(message: dict[str, Any]) -> dict[str, str]:
    return {
        c.get("label", ""): c.get("custom_id", "")
        for row in message.get("components", [])
        for c in row.get("components", [])
        if c.get("type") == 2
    }


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body only when Content-Type is exactly application/json
    # (web.json_response would add "; charset=utf-8").
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class FakeDiscord:
    """Discord's REST API and gateway for one application, one bot and one test guild (more
    with `add_guild`).

    With `shard_count`, the fake shards as Discord does: a connection that identifies as shard
    `i` gets the guilds with `(guild_id >> 22) % shard_count == i` and their events; direct
    messages go to shard 0. Without it, every connection gets every guild and events go to the
    latest connection.
    """

    API_PREFIX = "/api/v10"

    def __init__(self, *, token: str | None = None, shard_count: int | None = None):
        self.token = token or f"FAKE.{secrets.token_hex(12)}.{secrets.token_hex(8)}"
        self.shard_count = shard_count
        self._ids = itertools.count(1_300_000_000_000_000_000)
        self.application_id = self.snowflake()
        self.bot = User(self.snowflake(), "prepbot")
        self.guild_id = self.snowflake()
        self.channel_id = self.snowflake()
        self.admin_role_id = self.snowflake()
        self.lead_role_id = self.snowflake()
        self.port = 0
        self.requests: list[Request] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # by guild id (None: global)
        self.messages: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        self.text_channels: dict[str, str] = {}  # more text channels (add_channel): id -> name
        self.guilds: dict[str, str] = {}  # more guilds (add_guild): guild id -> its channel id
        self.channel_guilds: dict[str, str] = {}  # their channels: channel id -> guild id
        self.dm_channels: dict[str, dict[str, Any]] = {}  # by user id
        self.interactions: dict[str, Interaction] = {}  # by token
        # The guild's roles by id (@everyone has the guild's id; the bot's own role is
        # managed), and which roles each member holds (role changes land here).
        self.bot_role_id = self.snowflake()
        self.roles: dict[str, dict[str, Any]] = {
            self.guild_id: self.role(self.guild_id, "@everyone", MEMBER_PERMISSIONS, 0),
            self.bot_role_id: self.role(self.bot_role_id, "prepbot", 0, 1, managed=True),
        }
        self.member_roles: dict[str, set[str]] = {self.bot.id: {self.bot_role_id}}
        self.uploads: dict[str, bytes] = {}  # attachments members sent, by id (served as CDN)
        self.identified = 0
        self._failures: list[Failure] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._shards: dict[web.WebSocketResponse, int] = {}  # the shard each connection runs
        self._seq = itertools.count(1)
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    # Lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> FakeDiscord:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self._thread.start()
        self._call(self._start())

    def close(self) -> None:
        if self._runner is not None:
            self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", self.API_PREFIX + "/{path:.*}", self._rest)
        app.router.add_get("/cdn/attachments/{id}/{name}", self._cdn)
        self._runner, self.port = await serve(app)

    async def _stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    def _call(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    def env(self) -> dict[str, str]:
        """The environment that points a prepbot process at this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE_URL": self.api_url,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    def snowflake(self) -> str:
        return str(next(self._ids))

    # Waiting --------------------------------------------------------------------------------

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_until(self, check: Callable[[], T | None], *, timeout: float = 15.0, what: str) -> T:
        """`check()`'s first truthy value, re-checked whenever the fake records something."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = check()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    recent = [f"{r.method} {r.path}" for r in self.requests[-15:]]
                    raise AssertionError(f"timed out waiting for {what}; last requests: {recent}")
                self._changed.wait(min(left, 0.5))

    def requests_to(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        return [r for r in list(self.requests) if r.method == method and regex.fullmatch(r.path)]

    def wait_for_request(self, method: str, pattern: str, *, count: int = 1) -> Request:
        found = self.wait_until(
            lambda: (lambda rs: rs[count - 1] if len(rs) >= count else None)(
                self.requests_to(method, pattern)
            ),
            what=f"{method} {pattern} #{count}",
        )
        return found

    # Failures -------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching requests with `status` (429 with Retry-After).

        discord.py retries some statuses itself, with sleeps: 500/502/504 on REST routes and
        any 5xx on webhooks, and a 429 whose Retry-After is under 30 s. Use 503 on REST for a
        quick server error, 4xx on webhooks, and retry_after >= 30 for a 429 the bot sees.
        """
        self._failures.append(Failure(method, re.compile(pattern), status, retry_after, times))

    def _failure_response(self, method: str, path: str) -> web.Response | None:
        for failure in self._failures:
            if failure.times > 0 and failure.method == method and failure.pattern.fullmatch(path):
                failure.times -= 1
                if failure.status == 429:
                    retry = failure.retry_after or 1.0
                    body = {"message": "You are being rate limited.", "retry_after": retry}
                    headers = {"Retry-After": f"{retry:g}", "Via": "1.1 google"}
                    return _json({**body, "global": False, "code": 0}, 429, headers)
                codes = {400: 50035, 403: 50013, 404: 10003}
                body = {
                    "message": f"{failure.status}: fake failure",
                    "code": codes.get(failure.status, 0),
                }
                return _json(body, failure.status)
        return None

    # Gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": HELLO, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                self.gateway_received.append(payload)
                op = payload.get("op")
                if op == HEARTBEAT:
                    await ws.send_json({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
                elif op == IDENTIFY:
                    if payload["d"].get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    shard = payload["d"].get("shard")
                    if shard is not None:
                        self._shards[ws] = shard[0]
                    await self._send_ready(ws, shard=shard)
                    self.identified += 1
                elif op == RESUME:
                    await ws.send_json({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
                self._notify()
        finally:
            self._sockets.remove(ws)
            self._shards.pop(ws, None)
            self._notify()
        return ws

    async def _send_ready(self, ws: web.WebSocketResponse, shard: list[int] | None = None) -> None:
        guilds = [self.guild_id, *self.guilds]
        if self.shard_count and shard is not None:
            guilds = [g for g in guilds if self.shard_of(g) == shard[0]]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self.bot.payload(), "bot": True, "verified": True, "mfa_enabled": False},
            "guilds": [{"id": g, "unavailable": True} for g in guilds],
            "session_id": secrets.token_hex(16),
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if shard is not None:  # a sharded connection is told which shard it is
            ready["shard"] = shard
        await self._dispatch_on(ws, "READY", ready)
        for guild_id in guilds:
            await self._dispatch_on(ws, "GUILD_CREATE", self.guild(guild_id))

    async def _dispatch_on(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        await ws.send_json({"op": DISPATCH, "t": event, "s": next(self._seq), "d": data})

    def dispatch(self, event: str, data: Any) -> None:
        """Send a gateway event to the bot's current connection (from any thread, including
        the fake's own loop, where it is queued rather than waited for)."""
        sending = self._dispatch_on(self._socket_for(data), event, data)
        if threading.current_thread() is self._thread:
            self._loop.create_task(sending)
        else:
            self._call(sending)

    def shard_of(self, guild_id: str) -> int:
        """Discord's rule: the shard that receives a guild's events."""
        return (int(guild_id) >> 22) % (self.shard_count or 1)

    def _socket_for(self, data: Any) -> web.WebSocketResponse:
        if not self._sockets:
            raise AssertionError("the bot is not connected to the fake gateway")
        if not self.shard_count:
            return self._sockets[-1]
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        shard = self.shard_of(guild_id) if guild_id else 0
        for ws in reversed(self._sockets):
            if self._shards.get(ws) == shard:
                return ws
        raise AssertionError(f"shard {shard} is not connected to the fake gateway")

    def add_guild(self, *, shard: int = 0) -> tuple[str, str]:
        """Another guild with one text channel, on `shard` (of `shard_count`): its id's
        timestamp part is chosen for it. Returns (guild id, channel id)."""
        count = self.shard_count or 1
        taken = max(int(g) >> 22 for g in (self.guild_id, *self.guilds)) + 1
        high = taken + (shard - taken) % count
        guild_id = str(high << 22 | len(self.guilds) + 1)
        channel_id = self.snowflake()
        self.guilds[guild_id] = channel_id
        self.channel_guilds[channel_id] = guild_id
        return guild_id, channel_id

    def drop_gateway(self, *, code: int = 4000, op: int | None = None) -> None:
        """Cut the bot's gateway connection as Discord does: close it with `code`, or send
        `op` (7 RECONNECT, 9 INVALID_SESSION) and let the bot act on it."""

        async def drop() -> None:
            for ws in list(self._sockets):
                if op is None:
                    await ws.close(code=code, message=b"dropped by the test")
                else:
                    await ws.send_json({"op": op, "d": False, "s": None, "t": None})

        self._call(drop())

    def wait_identified(self, count: int = 1) -> None:
        self.wait_until(lambda: self.identified >= count, what=f"IDENTIFY #{count}")

    @staticmethod
    def role(
        role_id: str, name: str, permissions: int, position: int, *, managed: bool = False
    ) -> dict[str, Any]:
        return {
            "id": role_id,
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    def channel(self, channel_id: str | None = None) -> dict[str, Any]:
        channel_id = channel_id or self.channel_id
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": self.channel_guilds.get(channel_id, self.guild_id),
            "name": self.text_channels.get(channel_id, "practice"),
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def guild(self, guild_id: str | None = None) -> dict[str, Any]:
        """GUILD_CREATE for the test guild (or one of `add_guild`): roles and its text
        channels, no members."""
        guild_id = guild_id or self.guild_id
        if guild_id == self.guild_id:
            channels = [self.channel(), *(self.channel(c) for c in self.text_channels)]
        else:
            channels = [self.channel(self.guilds[guild_id])]
        return {
            "id": guild_id,
            "name": "Prep Test Server",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": self.snowflake(),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "application_id": None,
            "max_members": 500000,
            "features": [],
            "roles": [
                self.role(guild_id, "@everyone", MEMBER_PERMISSIONS, 0),
                self.role(self.admin_role_id, "Prep admins", MEMBER_PERMISSIONS, 1),
                self.role(self.lead_role_id, "Interviewers", MEMBER_PERMISSIONS, 2),
            ],
            "emojis": [],
            "stickers": [],
            "channels": channels,
            "threads": [],
            "members": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "member_count": 3,
            "large": False,
            "unavailable": False,
            "joined_at": TIMESTAMP,
        }

    # REST -----------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body: Any = None
        files: list[str] = []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for name, value in form.items():
                if name == "payload_json":
                    body = json.loads(str(value))
                elif hasattr(value, "filename"):
                    files.append(value.filename)
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        record = Request(
            request.method, path, dict(request.query), body, dict(request.headers), files
        )
        self.requests.append(record)
        try:
            failed = self._failure_response(request.method, path)
            if failed is not None:
                return failed
            return await self._route(record)
        finally:
            self._notify()

    async def _cdn(self, request: web.Request) -> web.Response:
        """An attachment a member sent with a command, as Discord's CDN serves it."""
        data = self.uploads.get(request.match_info["id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    def upload(self, filename: str, data: bytes) -> dict[str, Any]:
        """An attachment option's resolved object; its bytes are served by the fake CDN."""
        attachment_id = self.snowflake()
        self.uploads[attachment_id] = data
        url = f"http://127.0.0.1:{self.port}/cdn/attachments/{attachment_id}/{filename}"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": "application/x-yaml",
        }

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _route(self, r: Request) -> web.Response:
        m, p = r.method, r.path
        # Interaction callbacks and webhooks authenticate by their token, not the bot's.
        if (match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p)) and m == "POST":
            return self._callback(match.group(2), r)
        if match := re.fullmatch(
            rf"/webhooks/{self.application_id}/([^/]+)(?:/messages/([^/]+))?", p
        ):
            return self._webhook(m, match.group(1), match.group(2), r)
        if not self._authorised(r):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        if (m, p) == ("GET", "/users/@me"):
            return _json({**self.bot.payload(), "bot": True, "verified": True, "flags": 0})
        if (m, p) == ("GET", "/oauth2/applications/@me"):
            return _json(self.application())
        if match := re.fullmatch(
            rf"/applications/{self.application_id}(?:/guilds/(\d+))?/commands", p
        ):
            if m == "PUT":
                return _json(self._sync_commands(match.group(1), r.body or []))
            if m == "GET":
                return _json(self.commands.get(match.group(1), []))
        if (m, p) == ("POST", "/users/@me/channels"):
            return _json(self._dm_channel(str(r.body["recipient_id"])))
        if match := re.fullmatch(r"/channels/(\d+)", p):
            channel = self._find_channel(match.group(1))
            if m == "GET" and channel is not None:
                return _json(channel)
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if (match := re.fullmatch(r"/channels/(\d+)/messages", p)) and m == "POST":
            if self._find_channel(match.group(1)) is None:
                return _json({"message": "Unknown Channel", "code": 10003}, 404)
            return _json(self._new_message(match.group(1), r))
        if match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", p):
            message = self.messages.get(match.group(2))
            if message is None:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            if m == "PATCH":
                return _json(self._edit_message(message, r))
            if m == "GET":
                return _json(message)
        if match := re.fullmatch(r"/guilds/(\d+)/(roles|members/\d+|members/\d+/roles/\d+)", p):
            return self._guild_route(m, match.group(1), match.group(2))
        if (match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", p)) and m == "POST":
            thread = self._new_thread(match.group(1), match.group(2), r.body or {})
            return _json(thread, 201)
        return _json({"message": f"fake Discord has no route {m} {p}", "code": 0}, 404)

    # Roles ----------------------------------------------------------------------------------

    def add_role(self, name: str, *, position: int = 1) -> str:
        """A role in the test guild; roles at `position` and above move up to make room."""
        for role in self.roles.values():
            if role["position"] >= position and role["id"] != self.guild_id:
                role["position"] += 1
        role_id = self.snowflake()
        self.roles[role_id] = self.role(role_id, name, 0, position)
        return role_id

    def let_bot_manage_roles(self, allowed: bool = True, *, above: str | None = None) -> None:
        """Give the bot's role Manage Roles (or take it away); `above`: move the bot's role
        just above that role."""
        mine = self.roles[self.bot_role_id]
        mine["permissions"] = str(MANAGE_ROLES if allowed else 0)
        if above is not None:
            mine["position"] = self.roles[above]["position"] + 1

    def _guild_route(self, method: str, guild_id: str, rest: str) -> web.Response:
        if guild_id != self.guild_id:
            return _json({"message": "Unknown Guild", "code": 10004}, 404)
        parts = rest.split("/")
        if rest == "roles" and method == "GET":
            return _json(sorted(self.roles.values(), key=lambda r: r["position"]))
        if len(parts) == 2 and method == "GET":
            held = self.member_roles.get(parts[1])
            if held is None:
                return _json({"message": "Unknown Member", "code": 10007}, 404)
            return _json({**User(parts[1], "member").member(), "roles": sorted(held)})
        if len(parts) == 4 and method in ("PUT", "DELETE"):
            return self._change_role(method, parts[1], parts[3])
        return _json({"message": f"fake Discord has no route {method} {rest}", "code": 0}, 404)

    def _change_role(self, method: str, user_id: str, role_id: str) -> web.Response:
        """Discord's rule: Manage Roles, and only roles below the bot's highest one."""
        role = self.roles.get(role_id)
        if role is None:
            return _json({"message": "Unknown Role", "code": 10011}, 404)
        mine = [self.roles[r] for r in self.member_roles[self.bot.id] | {self.guild_id}]
        allowed = any(int(r["permissions"]) & MANAGE_ROLES for r in mine)
        top = max(r["position"] for r in mine)
        if not allowed or top <= role["position"] or role["managed"]:
            return _json(MISSING_PERMISSIONS, 403)
        held = self.member_roles.setdefault(user_id, set())
        if method == "PUT":
            held.add(role_id)
        else:
            held.discard(role_id)
        return web.Response(status=204)

    def application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "prepbot",
            "icon": None,
            "description": "",
            "summary": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": User(self.snowflake(), "owner").payload(),
            "team": None,
            "verify_key": secrets.token_hex(32),
            "flags": 0,
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "bot": {**self.bot.payload(), "bot": True},
        }

    def _sync_commands(self, guild_id: str | None, body: list[dict[str, Any]]) -> list[Any]:
        synced = []
        for command in body:
            data = {
                **command,
                "id": self.snowflake(),
                "application_id": self.application_id,
                "version": self.snowflake(),
            }
            if guild_id:
                data["guild_id"] = guild_id
            synced.append(data)
        self.commands[guild_id] = synced
        return synced

    def add_channel(self, name: str) -> str:
        """Another text channel in the guild (announced to the bot if it is connected)."""
        channel_id = self.snowflake()
        self.text_channels[channel_id] = name
        if self._sockets:
            self.dispatch("CHANNEL_CREATE", self.channel(channel_id))
        return channel_id

    def _in_guild(self, channel_id: str) -> bool:
        return channel_id == self.channel_id or channel_id in (
            *self.text_channels,
            *self.threads,
            *self.channel_guilds,
        )

    def _find_channel(self, channel_id: str) -> dict[str, Any] | None:
        if channel_id in (self.channel_id, *self.text_channels, *self.channel_guilds):
            return self.channel(channel_id)
        if channel_id in self.threads:
            return self.threads[channel_id]
        for dm in self.dm_channels.values():
            if dm["id"] == channel_id:
                return dm
        return None

    def _dm_channel(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = {
                "id": self.snowflake(),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [User(user_id, f"user{user_id[-4:]}").payload()],
            }
        return self.dm_channels[user_id]

    def _new_message(
        self,
        channel_id: str,
        r: Request,
        *,
        flags: int = 0,
        token: str | None = None,
    ) -> dict[str, Any]:
        body = r.body or {}
        message: dict[str, Any] = {
            "id": self.snowflake(),
            "channel_id": channel_id,
            "type": 0 if token is None else 20,
            "author": {**self.bot.payload(), "bot": True},
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [self._attachment(name) for name in r.files],
            "flags": (body.get("flags") or 0) | flags,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "allowed_mentions": body.get("allowed_mentions"),
        }
        if self._in_guild(channel_id):
            message["guild_id"] = self.channel_guilds.get(channel_id, self.guild_id)
        if token is not None:
            message["webhook_id"] = self.application_id
            message["application_id"] = self.application_id
        self.messages[message["id"]] = message
        return message

    def _attachment(self, name: str) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/attachments/{name}"
        return {"id": self.snowflake(), "filename": name, "size": 1, "url": url, "proxy_url": url}

    def _edit_message(self, message: dict[str, Any], r: Request) -> dict[str, Any]:
        body = r.body or {}
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in body:
                message[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        if "attachments" in body or r.files:
            message["attachments"] = [self._attachment(name) for name in r.files]
        message["flags"] &= ~LOADING
        message["edited_timestamp"] = TIMESTAMP
        return message

    def _new_thread(self, channel_id: str, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        thread = {
            "id": message_id,  # Discord gives a thread started from a message the message's id
            "type": 11,
            "guild_id": self.guild_id,
            "parent_id": channel_id,
            "name": body.get("name", ""),
            "owner_id": self.bot.id,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": TIMESTAMP,
                "locked": False,
            },
        }
        self.threads[thread["id"]] = thread
        return thread

    # Interaction responses ------------------------------------------------------------------

    def _callback(self, token: str, r: Request) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if interaction.callback is not None:
            return _json(
                {"message": "Interaction has already been acknowledged.", "code": 40060}, 400
            )
        body = r.body or {}
        interaction.callback = body
        interaction.touch()
        kind = body.get("type")
        data = body.get("data") or {}
        channel_id = interaction.payload.get("channel_id", self.channel_id)
        result: dict[str, Any] = {
            "interaction": {
                "id": interaction.id,
                "type": interaction.payload["type"],
                "response_message_loading": kind == DEFERRED_REPLY,
                "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
            }
        }
        if kind in (MESSAGE_REPLY, DEFERRED_REPLY):
            loading = LOADING if kind == DEFERRED_REPLY else 0
            message = self._new_message(
                channel_id,
                Request(r.method, r.path, {}, data, {}, r.files),
                flags=loading,
                token=token,
            )
            interaction.original = message["id"]
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        elif kind == MODAL:
            result["resource"] = {"type": kind}
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            message_id = interaction.payload.get("message", {}).get("id")
            if kind == UPDATE_MESSAGE and message_id in self.messages:
                self._edit_message(self.messages[message_id], Request("PATCH", "", {}, data, {}))
            result["resource"] = {"type": kind}
        return _json(result)

    def _webhook(
        self, method: str, token: str, message_ref: str | None, r: Request
    ) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        interaction.touch()
        unknown = _json({"message": "Unknown Message", "code": 10008}, 404)
        if message_ref is None:  # a followup
            if method != "POST":
                return _json({"message": "Method Not Allowed", "code": 0}, 405)
            original = self.messages.get(interaction.original or "")
            if (
                original is not None
                and not interaction.original_deleted
                and original["flags"] & LOADING
            ):
                # The first followup after a deferral fills in the "thinking" message, keeping
                # the deferral's ephemeral flag.
                return _json(self._edit_message(original, r))
            channel_id = interaction.payload.get("channel_id", self.channel_id)
            message = self._new_message(channel_id, r, token=token)
            interaction.followups.append(message["id"])
            return _json(message)
        message_id = interaction.original if message_ref == "@original" else message_ref
        message = self.messages.get(message_id or "")
        if message is None or (message_ref == "@original" and interaction.original_deleted):
            return unknown
        if method == "PATCH":
            return _json(self._edit_message(message, r))
        if method == "GET":
            return _json(message)
        if method == "DELETE":
            if message_ref == "@original":
                interaction.original_deleted = True
            return web.Response(status=204)
        return _json({"message": "Method Not Allowed", "code": 0}, 405)

    # Pushing interactions -------------------------------------------------------------------

    def user(self, name: str, *, manage_guild: bool = False, roles: Iterable[str] = ()) -> User:
        permissions = MEMBER_PERMISSIONS | (MANAGE_GUILD if manage_guild else 0)
        return User(self.snowflake(), name, permissions, tuple(roles))

    def _base(
        self, kind: int, user: User, *, dm: bool, channel: str | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.snowflake(),
            "application_id": self.application_id,
            "type": kind,
            "token": f"itoken-{secrets.token_hex(16)}",
            "version": 1,
            "locale": "en-US",
            "app_permissions": str(MEMBER_PERMISSIONS),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if dm:
            channel = self._dm_channel(user.id)
            payload.update(
                channel_id=channel["id"],
                channel=channel,
                user=user.payload(),
                context=1,
                authorizing_integration_owners={"0": self.guild_id},
            )
        else:
            channel = channel or self.channel_id
            guild_id = self.channel_guilds.get(channel, self.guild_id)
            payload.update(
                guild_id=guild_id,
                guild_locale="en-US",
                guild={"id": guild_id, "locale": "en-US", "features": []},
                channel_id=channel,
                channel={
                    **(self._find_channel(channel) or self.channel()),
                    "permissions": str(user.permissions),
                },
                member=user.member(),
                context=0,
                authorizing_integration_owners={"0": guild_id},
            )
        return payload

    def _push(self, payload: dict[str, Any]) -> Interaction:
        interaction = Interaction(payload["id"], payload["token"], payload)
        self.interactions[interaction.token] = interaction
        self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def slash(
        self, *path: str, user: User, dm: bool = False, channel: str | None = None, **options: Any
    ) -> Interaction:
        """`/prep <path...> option:value`, typed by the command definition the bot synced.

        `channel`: where it is typed (default: the first text channel).
        """
        return self._command(APPLICATION_COMMAND, path, options, user=user, dm=dm, channel=channel)

    def autocomplete(
        self, *path: str, option: str, typed: str, user: User, dm: bool = False
    ) -> Interaction:
        """The member typing `typed` into `option` of `/prep <path...>`."""
        return self._command(AUTOCOMPLETE, path, {option: typed}, user=user, dm=dm, focused=option)

    def command(self, data: dict[str, Any], *, user: User, dm: bool = False) -> Interaction:
        """An application command with arbitrary `data`, e.g. one the bot never registered."""
        payload = self._base(APPLICATION_COMMAND, user, dm=dm)
        payload["data"] = data
        return self._push(payload)

    def _command(
        self,
        kind: int,
        path: tuple[str, ...],
        options: dict[str, Any],
        *,
        user: User,
        dm: bool,
        focused: str | None = None,
        channel: str | None = None,
    ) -> Interaction:
        command = self._synced_command("prep", dm=dm)
        definition = command
        nested: list[dict[str, Any]] = []
        top: list[dict[str, Any]] = nested
        for name in path:
            definition = next((o for o in definition.get("options", []) if o["name"] == name), None)
            if definition is None or definition["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
                raise AssertionError(f"/prep has no subcommand {' '.join(path)}")
            inner: list[dict[str, Any]] = []
            nested.append({"type": definition["type"], "name": name, "options": inner})
            nested = inner
        resolved: dict[str, dict[str, Any]] = {}
        for name, value in options.items():
            option = next((o for o in definition.get("options", []) if o["name"] == name), None)
            if option is None:
                raise AssertionError(f"/prep {' '.join(path)} has no option {name}")
            if option["type"] == ROLE:
                resolved.setdefault("roles", {})[value] = self.roles[value]
            if option["type"] == USER:
                assert isinstance(value, User)
                resolved.setdefault("users", {})[value.id] = value.payload()
                if not dm:
                    resolved.setdefault("members", {})[value.id] = value.member(with_user=False)
                value = value.id
            if option["type"] == ATTACHMENT:  # value: (filename, bytes)
                resolved_file = self.upload(*value)
                resolved.setdefault("attachments", {})[resolved_file["id"]] = resolved_file
                value = resolved_file["id"]
            entry = {"type": option["type"], "name": name, "value": value}
            if name == focused:
                entry["focused"] = True
            nested.append(entry)
        payload = self._base(kind, user, dm=dm, channel=channel)
        data: dict[str, Any] = {"id": command["id"], "name": "prep", "type": 1, "options": top}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        payload["data"] = data
        return self._push(payload)

    def _synced_command(self, name: str, *, dm: bool) -> dict[str, Any]:
        scopes = [None] if dm else [self.guild_id, None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise AssertionError(f"the bot has not synced /{name}")

    def click(
        self, message: dict[str, Any], label: str, *, user: User, dm: bool = False
    ) -> Interaction:
        """A click on the button labelled `label` of a message the bot sent, in its channel."""
        custom_id = buttons_of(message).get(label)
        if custom_id is None:
            raise AssertionError(f"no button {label!r} on message {message['id']}")
        where = str(message.get("channel_id", ""))
        channel = where if self._in_guild(where) else None
        return self.click_id(custom_id, user=user, message=message, dm=dm, channel=channel)

    def click_id(
        self,
        custom_id: str,
        *,
        user: User,
        message: dict[str, Any] | None = None,
        dm: bool = False,
        channel: str | None = None,
    ) -> Interaction:
        payload = self._base(MESSAGE_COMPONENT, user, dm=dm, channel=channel)
        if message is None:  # a message the fake never saw: a bare one carrying the button
            message = {
                "id": self.snowflake(),
                "channel_id": payload["channel_id"],
                "type": 0,
                "author": {**self.bot.payload(), "bot": True},
                "content": "",
                "embeds": [],
                "attachments": [],
                "flags": 0,
                "timestamp": TIMESTAMP,
                "edited_timestamp": None,
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "pinned": False,
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 2, "label": "?", "custom_id": custom_id}
                        ],
                    }
                ],
            }
        payload["message"] = {k: v for k, v in message.items() if k != "allowed_mentions"}
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return self._push(payload)

    def submit(
        self,
        custom_id: str,
        values: dict[str, str],
        *,
        user: User,
        dm: bool = False,
        channel: str | None = None,
    ) -> Interaction:
        """A modal submission (in `channel`): one text input per value, each in its action row."""
        payload = self._base(MODAL_SUBMIT, user, dm=dm, channel=channel)
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": name, "value": value}]}
            for name, value in values.items()
        ]
        payload["data"] = {"custom_id": custom_id, "components": rows}
        return self._push(payload)

    # What the member saw --------------------------------------------------------------------

    def seen(self, interaction: Interaction) -> Seen | None:
        """The bot's completed answer to `interaction`, or None while it is still pending."""
        callback = interaction.callback
        if callback is None:
            return None
        kind = callback.get("type", 0)
        if kind == MODAL:
            return Seen(kind, [], modal=callback.get("data"))
        if kind == CHOICES:
            return Seen(kind, [], choices=(callback.get("data") or {}).get("choices", []))
        messages = []
        original = self.messages.get(interaction.original or "")
        if original is not None and not interaction.original_deleted:
            if original["flags"] & LOADING:
                return None
            messages.append(original)
        messages += [self.messages[m] for m in interaction.followups]
        if not messages:
            return None
        return Seen(kind, messages)

    def reply(
        self,
        interaction: Interaction,
        *,
        until: Callable[[Seen], bool] = lambda _: True,
        timeout: float = 15.0,
    ) -> Seen:
        """Wait for the bot's answer to `interaction` (one that passes `until`): what was seen."""

        def check() -> Seen | None:
            seen = self.seen(interaction)
            return seen if seen is not None and until(seen) else None

        return self.wait_until(check, timeout=timeout, what=f"the answer to {interaction.id}")

    async def answered(
        self, interaction: Interaction, *, until: Callable[[Seen], bool] = lambda _: True
    ) -> Seen:
        """`reply` for code running on the fake's own loop (load drivers): no thread blocks."""
        while True:
            seen = self.seen(interaction)
            if seen is not None and until(seen):
                return seen
            interaction.changed.clear()
            await interaction.changed.wait()

    def run(self, coro: Any, timeout: float) -> Any:
        """Run `coro` on the fake's loop (where `answered` may be awaited) and return its result."""
        return self._call(coro, timeout)

    def sent_bodies(self) -> list[Any]:
        """Every JSON body the bot sent that creates or edits a message."""
        message_paths = re.compile(r"/(channels/\d+/messages.*|webhooks/.*|interactions/.*)")
        return [
            r.body
            for r in list(self.requests)
            if r.method in ("POST", "PATCH") and message_paths.fullmatch(r.path) and r.body
        ]
