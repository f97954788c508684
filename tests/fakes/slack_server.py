"""A local fake Slack: the Web API, response URLs and a Socket Mode websocket, on 127.0.0.1.

The real slack-bolt / slack_sdk code of the bot talks to it (SLACK_API_URL); it records what it
received, so tests assert on what Slack would have seen. It also sends requests to the bot
exactly as Slack does in HTTP mode: form-encoded slash commands and `payload=` interactivity,
signed with the v0 HMAC-SHA256 scheme.

Covered: the Web API methods prepbot calls, token checks (`invalid_auth`), one-off 429s with
Retry-After, one-off 5xx answers, channels that are gone (`channel_not_found`), Block Kit limits
Slack enforces (lengths, counts, unique action ids) answered with `invalid_blocks`, response
URLs, `apps.connections.open`, and a websocket that says `hello`, sends envelopes and records
acks. Not covered: OAuth, Slack's own rendering of mrkdwn, real trigger-id expiry (3 s) and
response-URL expiry, event retries, files, rate-limit tiers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakes.serving import serve

BOT_TOKEN = "xoxb-fake-0000000000-bot-token-for-tests"
APP_TOKEN = "xapp-fake-1-A000-app-token-for-tests"
SIGNING_SECRET = "fake-signing-secret-0123456789abcdef"
TEAM_ID = "T0FAKE"
TEAM_DOMAIN = "fake-team"
BOT_USER_ID = "UPREPBOT"

# Methods that need the bot token; apps.connections.open needs the app-level token.
BOT_METHODS = {
    "auth.test",
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "views.open",
    "views.publish",
    "users.info",
    "conversations.open",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
}


@dataclass
class Call:
    """One request the fake received, and what it answered."""

    method: str
    args: dict[str, Any]
    token: str | None = None
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic seconds)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok", True))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.args.get("blocks") or (self.args.get("view") or {}).get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    def text(self) -> str:
        """Everything readable in the message or view, for `in` assertions."""
        parts = [str(self.args.get("text") or "")]
        for block in self.blocks:
            parts.extend(_texts(block))
        return "\n".join(parts)

    def button(self, label: str) -> str:
        """The action id of the button labelled `label`."""
        for block in self.blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button" and element["text"]["text"] == label:
                    return element["action_id"]
        raise AssertionError(f"no {label!r} button in {self.method}: {self.text()[:300]}")


def _texts(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def block_problems(blocks: Any, *, max_blocks: int = 50) -> list[str]:
    """The Block Kit rules Slack enforces that prepbot could break."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks (max {max_blocks})")
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "header" and len(block["text"]["text"]) > 150:
            problems.append(f"block {i}: header over 150")
        if kind == "section":
            if "text" in block and len(block["text"]["text"]) > 3000:
                problems.append(f"block {i}: section text over 3000")
            if len(block.get("fields", [])) > 10:
                problems.append(f"block {i}: over 10 fields")
            if any(len(f["text"]) > 2000 for f in block.get("fields", [])):
                problems.append(f"block {i}: field over 2000")
            if "text" not in block and "fields" not in block:
                problems.append(f"block {i}: section without text or fields")
        if kind == "actions":
            if len(block["elements"]) > 25:
                problems.append(f"block {i}: over 25 elements")
            for element in block["elements"]:
                action_id = element.get("action_id", "")
                if action_id in action_ids:
                    problems.append(f"block {i}: duplicate action_id {action_id}")
                action_ids.add(action_id)
                if len(action_id) > 255 or len(element["text"]["text"]) > 75:
                    problems.append(f"block {i}: button too long")
                if element.get("style") not in (None, "primary", "danger"):
                    problems.append(f"block {i}: bad style {element.get('style')}")
    return problems


def view_problems(view: dict[str, Any], *, kind: str) -> list[str]:
    problems = block_problems(view.get("blocks", []), max_blocks=100)
    if view.get("type") != kind:
        problems.append(f"view type {view.get('type')!r}, expected {kind!r}")
    if kind == "modal":
        if len(view["title"]["text"]) > 24:
            problems.append("modal title over 24")
        if len(view.get("callback_id", "")) > 255 or len(view.get("private_metadata", "")) > 3000:
            problems.append("callback_id or private_metadata too long")
        for block in view.get("blocks", []):
            element = block.get("element") or {}
            if element.get("type") == "plain_text_input" and element.get("max_length", 0) > 3000:
                problems.append("plain_text_input max_length over 3000")
    return problems


class FakeSlack:
    """The Slack Web API and Socket Mode server prepbot talks to in tests."""

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        admins: Iterable[str] = (),
        not_in_channels: Iterable[str] = (),
        missing_channels: Iterable[str] = (),
        scopes: Iterable[str] = (
            "commands",
            "chat:write",
            "chat:write.public",
            "im:write",
            "users:read",
            "files:write",
        ),
    ):
        self.scopes = list(scopes)  # what auth.test reports in x-oauth-scopes
        self.bot_token = bot_token
        self.app_token = app_token
        self.admins = set(admins)
        self.not_in_channels = set(not_in_channels)
        self.missing_channels = set(missing_channels)  # deleted or unknown: channel_not_found
        self.calls: list[Call] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}  # uploaded through files_upload_v2
        self.shared: dict[str, bytes] = {}  # uploaded by members (share_file)
        self.port = 0
        self._rate_limits: dict[str, list[int]] = {}
        self._server_errors: dict[str, list[tuple[int, str, str]]] = {}
        self._ts = itertools.count(1)
        self._changed = asyncio.Event()
        self._sockets: list[asyncio.Queue[dict[str, Any] | None]] = []
        self._runner: web.AppRunner | None = None

    # Server ----------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{file_id}/{name}", self._private_file)
        app.router.add_get("/socket", self._socket)
        self._runner, self.port = await serve(app)
        return self

    async def close(self) -> None:
        for queue in self._sockets:
            queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """SLACK_API_URL for the bot (with the trailing slash Slack's own URL has)."""
        return f"{self.base}/api/"

    def new_response_url(self) -> str:
        return f"{self.base}/response/{uuid.uuid4().hex}"

    def rate_limit_once(self, method: str = "chat.postMessage", *, retry_after: int = 1) -> None:
        """The next call of `method` answers 429 with `Retry-After` (queued: call it n times
        for n refusals in a row)."""
        self._rate_limits.setdefault(method, []).append(retry_after)

    def server_error_once(
        self,
        method: str = "chat.postMessage",
        *,
        status: int = 500,
        body: str = "upstream connect error or disconnect/reset before headers",
        content_type: str = "text/plain",
    ) -> None:
        """The next call of `method` answers `status` with `body` (by default as a proxy in front
        of Slack does: plain text, no JSON); queued like `rate_limit_once`."""
        self._server_errors.setdefault(method, []).append((status, body, content_type))

    def _record(self, call: Call) -> Call:
        self.calls.append(call)
        self._changed.set()
        return call

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(await request.post())
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        call = Call(method=method, args=args, token=token)
        if self._rate_limits.get(method):
            retry_after = self._rate_limits[method].pop(0)
            call.status, call.response = 429, {"ok": False, "error": "ratelimited"}
            self._record(call)
            headers = {"Retry-After": str(retry_after)}
            return web.json_response(call.response, status=429, headers=headers)
        if self._server_errors.get(method):
            status, body, content_type = self._server_errors[method].pop(0)
            call.status, call.response = status, {"ok": False, "error": f"http_{status}"}
            self._record(call)
            return web.Response(status=status, text=body, content_type=content_type)
        call.response = self._answer(method, args, token)
        self._record(call)
        headers = {}
        if method == "auth.test" and call.response.get("ok"):
            headers["x-oauth-scopes"] = ",".join(self.scopes)  # as Slack reports a token's scopes
        return web.json_response(call.response, headers=headers)

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if method != "apps.connections.open" and method not in BOT_METHODS:
            return {"ok": False, "error": "unknown_method"}
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != expected:
            return {"ok": False, "error": "invalid_auth"}
        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": f"https://{TEAM_DOMAIN}.slack.com/",
                    "team": "Fake Team",
                    "user": "prepbot",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": "BPREPBOT",
                }
            case "apps.connections.open":
                return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket={ts}"}
            case "users.info":
                user = args.get("user", "")
                return {
                    "ok": True,
                    "user": {
                        "id": user,
                        "team_id": TEAM_ID,
                        "name": user.lower(),
                        "real_name": f"Member {user}",
                        "is_admin": user in self.admins,
                        "is_owner": False,
                        "profile": {"display_name": f"member-{user.lower()}"},
                    },
                }
            case "conversations.open":
                users = str(args.get("users", ""))
                if not users:
                    return {"ok": False, "error": "users_list_not_supplied"}
                return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}
            case "views.open":
                if not args.get("trigger_id"):
                    return {"ok": False, "error": "invalid_trigger_id"}
                return self._view(args, "modal")
            case "views.publish":
                if not args.get("user_id"):
                    return {"ok": False, "error": "invalid_arguments"}
                return self._view(args, "home")
            case "files.getUploadURLExternal":
                file_id = f"F{next(self._ts):08d}"
                self.files[file_id] = {"filename": args.get("filename"), "data": b""}
                url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
                return {"ok": True, "upload_url": url, "file_id": file_id}
            case "files.completeUploadExternal":
                files = args.get("files")
                files = json.loads(files) if isinstance(files, str) else files
                for f in files or []:
                    self.files[f["id"]].update(channel=args.get("channel_id"), shared=True)
                return {"ok": True, "files": [{"id": f["id"]} for f in files or []]}
        # chat.*
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in_channels:
            return {"ok": False, "error": "not_in_channel"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if args.get("blocks") and block_problems(args["blocks"]):
            return {
                "ok": False,
                "error": "invalid_blocks",
                "problems": block_problems(args["blocks"]),
            }
        if method == "chat.postEphemeral":
            if not args.get("user"):
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": args.get("ts"), "text": args.get("text")}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"ts": ts, "text": args.get("text")},
        }

    def _view(self, args: dict[str, Any], kind: str) -> dict[str, Any]:
        view = args.get("view") or {}
        if isinstance(view, str):
            view = json.loads(view)
        problems = view_problems(view, kind=kind)
        if problems:
            return {"ok": False, "error": "invalid_arguments", "problems": problems}
        return {"ok": True, "view": {"id": f"V{next(self._ts)}", "state": {"values": {}}, **view}}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404)
        self.files[file_id]["data"] = await request.read()
        return web.Response(text=f"OK - {len(self.files[file_id]['data'])}")

    def share_file(self, name: str, data: bytes) -> dict[str, Any]:
        """A file a member uploaded, as a `message` event's `files` entry describes it; its
        bytes are served with the bot token only, as Slack's file host does."""
        file_id = f"F{uuid.uuid4().hex[:10].upper()}"
        self.shared[file_id] = data
        url = f"{self.base}/files-pri/{file_id}/{name}"
        return {
            "id": file_id,
            "name": name,
            "size": len(data),
            "filetype": "yaml",
            "url_private": url,
            "url_private_download": url,
        }

    async def _private_file(self, request: web.Request) -> web.Response:
        self._record(Call(method="files-pri", args=dict(request.match_info)))
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(status=403)
        data = self.shared.get(request.match_info["file_id"])
        return web.Response(status=404) if data is None else web.Response(body=data)

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call(method="response_url", args={**body, "key": request.match_info["key"]})
        problems = block_problems(body.get("blocks") or [])
        if problems:
            call.status, call.response = 400, {"ok": False, "error": "invalid_blocks"}
            self._record(call)
            return web.Response(status=400, text="invalid_blocks")
        self._record(call)
        return web.Response(text="ok")

    # Socket Mode -----------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._sockets.append(queue)
        self._record(Call(method="socket.connect", args=dict(request.query)))
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "APREPBOT"},
            }
        )

        async def send() -> None:
            while (envelope := await queue.get()) is not None:
                await ws.send_json(envelope)
            await ws.close()

        sender = asyncio.create_task(send())
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.acks[data["envelope_id"]] = data
                    self._record(Call(method="socket.ack", args=data))
        finally:
            sender.cancel()
            if queue in self._sockets:
                self._sockets.remove(queue)
        return ws

    async def push_envelope(self, kind: str, payload: dict[str, Any], *, within: float = 10) -> str:
        """Send an envelope (slash_commands, interactive, events_api); returns its id."""
        await self.wait_for("socket.connect", within=within)
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind in ("slash_commands", "interactive"),
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        self._sockets[-1].put_nowait(envelope)
        return envelope_id

    def drop_sockets(self) -> None:
        """Close every Socket Mode connection from Slack's side, as a deploy or a refresh
        does; the client is expected to open a new one."""
        for queue in list(self._sockets):
            queue.put_nowait(None)

    async def wait_for_ack(self, envelope_id: str, *, within: float = 10) -> dict[str, Any]:
        await self.wait_for(
            "socket.ack", lambda c: c.args.get("envelope_id") == envelope_id, within=within
        )
        return self.acks[envelope_id]

    # Looking at what arrived -------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self,
        method: str | tuple[str, ...],
        predicate: Callable[[Call], bool] | None = None,
        *,
        after: int = 0,
        within: float = 10,
    ) -> Call:
        """The first call of `method` (from index `after`) matching `predicate`; bounded."""
        methods = (method,) if isinstance(method, str) else method
        deadline = time.monotonic() + within
        while True:
            for call in self.calls[after:]:
                if call.method in methods and (predicate is None or predicate(call)):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [c.method for c in self.calls[after:]]
                raise AssertionError(f"no {methods} call within {within}s; saw {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)


# Requests as Slack sends them ------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """Who acts in a test, and where."""

    user_id: str = "U0ANN"
    user_name: str = "ann"
    channel_id: str = "C0GENERAL"
    team_id: str = TEAM_ID


def slash_command(
    text: str, member: Member, *, response_url: str, trigger_id: str
) -> dict[str, str]:
    return {
        "token": "deprecated-verification-token",
        "team_id": member.team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": member.channel_id,
        "channel_name": "general" if member.channel_id.startswith("C") else "directmessage",
        "user_id": member.user_id,
        "user_name": member.user_name,
        "command": "/prep",
        "text": text,
        "api_app_id": "APREPBOT",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def _user(member: Member) -> dict[str, Any]:
    """A member as interaction payloads carry them."""
    return {
        "id": member.user_id,
        "username": member.user_name,
        "name": member.user_name,
        "team_id": member.team_id,
    }


def block_actions(
    action_id: str,
    member: Member,
    *,
    response_url: str,
    trigger_id: str,
    message_ts: str = "1700000000.000100",
    ephemeral: bool = False,
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": _user(member),
        "api_app_id": "APREPBOT",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": member.channel_id,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": trigger_id,
        "team": {"id": member.team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": member.channel_id, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "button"},
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(
    view: dict[str, Any], values: dict[str, str], member: Member, *, trigger_id: str
) -> dict[str, Any]:
    """Submitting a modal the bot opened (`view` as views.open received it)."""
    if isinstance(view, str):
        view = json.loads(view)
    state = {
        block["block_id"]: {
            block["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": values.get(block["element"]["action_id"]),
            }
        }
        for block in view["blocks"]
        if block.get("type") == "input"
    }
    return {
        "type": "view_submission",
        "team": {"id": member.team_id, "domain": TEAM_DOMAIN},
        "user": _user(member),
        "api_app_id": "APREPBOT",
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id,
        "view": {
            "id": "VFAKE",
            "team_id": member.team_id,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "title": view["title"],
            "blocks": view["blocks"],
            "state": {"values": state},
            "hash": "1700000000.fake",
            "app_id": "APREPBOT",
            "bot_id": "BPREPBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def file_shared(member: Member, text: str, file: dict[str, Any], *, channel: str) -> dict[str, Any]:
    """A member's message with a file (`message` event, subtype `file_share`)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": member.team_id,
        "api_app_id": "APREPBOT",
        "event": {
            "type": "message",
            "subtype": "file_share",
            "text": text,
            "user": member.user_id,
            "channel": channel,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "team": member.team_id,
            "files": [file],
            "ts": f"{time.time():.6f}",
            "event_ts": f"{time.time():.6f}",
        },
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": member.team_id, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def app_home_opened(member: Member) -> dict[str, Any]:
    return {
        "token": "deprecated-verification-token",
        "team_id": member.team_id,
        "api_app_id": "APREPBOT",
        "event": {
            "type": "app_home_opened",
            "user": member.user_id,
            "channel": "D" + member.user_id.lstrip("U"),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        },
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": member.team_id, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def signature_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class SlackSender:
    """Sends HTTP-mode requests to the bot's `/slack/events` as Slack does."""

    def __init__(self, *, url: str, fake: FakeSlack, secret: str = SIGNING_SECRET):
        self.url = url
        self.fake = fake
        self.secret = secret
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackSender:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        assert self._session is not None
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **signature_headers(body, secret=secret or self.secret, timestamp=timestamp),
            **(headers or {}),
        }
        timeout = aiohttp.ClientTimeout(total=10)
        async with self._session.post(
            self.url, data=body.encode(), headers=headers, timeout=timeout
        ) as response:
            return response.status, await response.text()

    async def command(self, text: str, member: Member, **signing: Any) -> tuple[int, str]:
        fields = slash_command(
            text,
            member,
            response_url=self.fake.new_response_url(),
            trigger_id=f"trig-{uuid.uuid4().hex[:12]}",
        )
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **signing)

    async def interact(self, payload: dict[str, Any], **signing: Any) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **signing)

    async def click(self, action_id: str, member: Member, **extra: Any) -> tuple[int, str]:
        payload = block_actions(
            action_id,
            member,
            response_url=self.fake.new_response_url(),
            trigger_id=f"trig-{uuid.uuid4().hex[:12]}",
            **extra,
        )
        return await self.interact(payload)

    async def event(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post(json.dumps(payload), "application/json")
