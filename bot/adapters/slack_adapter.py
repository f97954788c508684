"""Slack: one `/prep` slash command, Block Kit buttons, modals and the App Home tab.

Runs slack-bolt's `AsyncApp` on our event loop, in Socket Mode (SLACK_APP_TOKEN) or in HTTP
mode (SLACK_SIGNING_SECRET: `POST /slack/events` on the bot's web server). Every handler acks
first, because Slack allows 3 s, and does the engine work after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters import slack_render as render
from bot.adapters.base import Adapter, PlatformError, Sent, escape_slack
from bot.adapters.slack_files import upload, upload_pictures
from bot.adapters.slack_http import EVENTS_PATH, HttpMode
from bot.adapters.slack_packs import SharedFiles
from bot.adapters.slack_people import Roles, auth_problem, command_text, platform_error
from bot.config import Settings, id_list
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.delivery import plan
from bot.engine.messages import Form, Reply, card_files

log = logging.getLogger(__name__)

COMMAND = "/prep"
CONNECT_WAIT_SECONDS = 15
STOP_WAIT_SECONDS = 10
APOLOGY = (
    "Sorry, something went wrong handling that; it is logged. "
    "Nothing you saved is lost: try again in a moment."
)


class _IntendedClientWarning(logging.Filter):
    """Bolt also reads SLACK_BOT_TOKEN from the environment and warns that it goes unused
    next to our client: that is intended, so the warning stays out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


@dataclass(frozen=True)
class Origin:
    """Where a command or click came from, and how to answer it."""

    actor: Actor
    trigger_id: str | None = None
    response_url: str | None = None
    direct: bool = False  # from the Home tab: answer in the member's DM with the bot


class SlackAdapter(Adapter):
    """prepbot on Slack through slack-bolt's async app."""

    platform = "slack"

    def __init__(self, *, engine: Engine, settings: Settings):
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is required for the Slack adapter")
        self.engine = engine
        self.base_url = settings.slack_api_url or AsyncWebClient.BASE_URL
        self.admin_users = id_list(settings.admin_users)
        self.lead_users = id_list(settings.lead_users)
        self.reviewer_users = id_list(settings.reviewer_users)
        self._app_token = settings.slack_app_token
        signing_secret = settings.slack_signing_secret
        self.mode = "socket" if self._app_token else "http" if signing_secret else "none"
        self.retry_handlers = [
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ]
        # The client is built here because AsyncWebClient.BASE_URL is bound as a default
        # argument: changing the class attribute would not move bolt's client.
        self.client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=self.base_url,
            retry_handlers=self.retry_handlers,
        )
        # Bolt's loggers take their level from the one given here, so the level set for
        # "slack_bolt" at start-up holds (otherwise they copy the root's, and log request
        # bodies at INFO).
        bolt_log = logging.getLogger("slack_bolt")
        if not any(isinstance(f, _IntendedClientWarning) for f in bolt_log.filters):
            bolt_log.addFilter(_IntendedClientWarning())
        self.app = AsyncApp(
            name="prepbot",
            logger=bolt_log,
            client=self.client,
            signing_secret=signing_secret.get_secret_value() if signing_secret else "",
            # Request verification (signature and timestamp) stays on in HTTP mode.
            request_verification_enabled=True,
        )
        self.app.command(COMMAND)(self._on_command)
        self.app.action(re.compile(r"^prep:"))(self._on_action)
        self.app.view_submission(re.compile(r"^prep:"))(self._on_view_submission)
        self.app.event("app_home_opened")(self._on_home_opened)
        SharedFiles(self, api_url=settings.slack_api_url).register(self.app)
        self._socket: Any = None
        self._connect_task: asyncio.Task[None] | None = None
        self._auth_ok = False
        self._inflight: set[asyncio.Task[Any]] = set()
        self.roles = Roles(self.client, self.admin_users)
        self.http = HttpMode(self.app, signing_secret.get_secret_value() if signing_secret else "")

    # Lifecycle -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """`POST /slack/events` for commands, interactivity and events in HTTP mode."""
        if self.mode != "http":
            return []
        return [web.post(EVENTS_PATH, self.http.handle)]

    async def start(self) -> None:
        await self.check_auth()
        if self.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            assert self._app_token is not None
            app_token = self._app_token.get_secret_value()
            if not app_token.startswith("xapp-"):
                log.error(
                    "SLACK_APP_TOKEN should be an app-level token starting with xapp- "
                    "(Basic Information > App-Level Tokens, scope connections:write)"
                )
            self._socket = AsyncSocketModeHandler(self.app, app_token=app_token)
            # connect_async() keeps the connection on our loop; it retries on its own.
            self._connect_task = asyncio.create_task(self._socket.connect_async())
            await asyncio.wait({self._connect_task}, timeout=CONNECT_WAIT_SECONDS)
            if self.ready:
                log.info("Slack Socket Mode connected via %s", self.base_url)
            else:
                log.error(
                    "Slack Socket Mode is not connected yet (apps.connections.open at %s); "
                    "still retrying. Check SLACK_APP_TOKEN and that Socket Mode is enabled.",
                    self.base_url,
                )
        elif self.mode == "http":
            log.info("Slack HTTP mode: Slack sends requests to POST %s", EVENTS_PATH)
        else:
            log.error(
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                "SLACK_SIGNING_SECRET (HTTP mode): prepbot can post but receives no commands."
            )

    async def stop(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connect_task
        pending = {t for t in self._inflight if not t.done()}
        if pending:
            await asyncio.wait(pending, timeout=STOP_WAIT_SECONDS)

    @property
    def ready(self) -> bool:
        if not self._auth_ok:
            return False
        if self.mode == "socket":
            session = (
                getattr(self._socket.client, "current_session", None) if self._socket else None
            )
            return session is not None and not session.closed
        return True

    async def check_auth(self) -> str | None:
        """Ask `auth.test` once; log and return the problem, or None when the token works.

        Bolt calls it lazily on the first request, and when it fails answers Slack with
        200 and an apology while no handler runs: easy to miss without this line.
        """
        problem = await auth_problem(self.client, self.base_url)
        self._auth_ok = problem is None
        return problem

    # Handlers: ack first, then the work in a tracked task --------------------------------

    async def _track(self, kind: str, work: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            self._auth_ok = True  # bolt ran a handler, so its auth.test succeeded
            await work()
        except Exception:
            log.exception("slack %s failed before it could be answered", kind)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()  # Slack allows 3 s to ack; the engine runs after

        async def work() -> None:
            origin = await self._origin(
                team_id=body.get("team_id", ""),
                channel_id=body.get("channel_id", ""),
                user_id=body.get("user_id", ""),
                user_name=body.get("user_name"),
                server_name=body.get("team_domain"),
                trigger_id=body.get("trigger_id"),
                response_url=body.get("response_url"),
            )
            text = command_text(body.get("text", ""))
            await self._answer(
                origin, lambda: self.engine.run_text(origin.actor, text, prefix=f"{COMMAND} ")
            )

        await self._track("command", work)

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()

        async def work() -> None:
            origin = await self._interaction_origin(body)
            action_id = str((body.get("actions") or [{}])[0].get("action_id", ""))
            await self._answer(origin, lambda: self.engine.run_custom_id(origin.actor, action_id))

        await self._track("button", work)

    async def _on_view_submission(self, ack: Any, body: dict[str, Any], view: Any) -> None:
        values = render.form_values(view)
        if values and not any(v.strip() for v in values.values()):
            await ack(
                response_action="errors",
                errors={name: "Write something first." for name in values},
            )
            return
        await ack()  # closes the modal; the result follows as an ephemeral message

        async def work() -> None:
            origin = await self._interaction_origin(body, channel_id=render.form_channel(view))
            form_id = str(view.get("callback_id", ""))
            await self._answer(
                origin, lambda: self.engine.run_custom_id(origin.actor, form_id, values)
            )

        await self._track("form", work)

    async def _on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home":
            return

        async def work() -> None:
            user_id = event.get("user", "")
            team_id = body.get("team_id") or ""
            is_admin, name = await self.roles.of(team_id, user_id)
            actor = Actor(
                platform="slack",
                server_id=team_id,
                channel_id=event.get("channel") or f"home:{user_id}",
                user_id=user_id,
                user_name=name or user_id,
                is_dm=True,
                is_admin=is_admin,
                is_lead=is_admin or user_id in self.lead_users,
                is_reviewer=user_id in self.reviewer_users,
            )
            reply = await self.engine.home(actor)
            await self._call("views_publish", user_id=user_id, view=render.home_view(reply))

        await self._track("home", work)

    # Who and where -----------------------------------------------------------------------

    async def _origin(
        self,
        *,
        team_id: str,
        channel_id: str,
        user_id: str,
        user_name: str | None,
        server_name: str | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        direct: bool = False,
    ) -> Origin:
        is_admin, profile_name = await self.roles.of(team_id, user_id)
        actor = Actor(
            platform="slack",
            server_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            user_name=user_name or profile_name or user_id,
            server_name=server_name,
            is_dm=channel_id.startswith("D"),
            is_admin=is_admin,
            is_lead=is_admin or user_id in self.lead_users,
            is_reviewer=user_id in self.reviewer_users,
        )
        return Origin(actor, trigger_id, response_url, direct)

    async def _interaction_origin(
        self, body: dict[str, Any], *, channel_id: str | None = None
    ) -> Origin:
        user = body.get("user") or {}
        team = body.get("team") or {}
        container = body.get("container") or {}
        channel_id = (
            channel_id or (body.get("channel") or {}).get("id") or container.get("channel_id")
        )
        direct = False
        if not channel_id:  # the Home tab, or a modal opened there: answer by DM
            channel_id = await self._dm_channel(user.get("id", ""))
            direct = True
        return await self._origin(
            team_id=team.get("id") or user.get("team_id") or "",
            channel_id=channel_id,
            user_id=user.get("id", ""),
            user_name=user.get("username") or user.get("name"),
            server_name=team.get("domain"),
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url"),
            direct=direct,
        )

    async def _dm_channel(self, user_id: str) -> str:
        opened = await self._call("conversations_open", users=user_id)
        return opened["channel"]["id"]

    # Answering -------------------------------------------------------------------------

    async def _answer(self, origin: Origin, run: Callable[[], Awaitable[Reply]]) -> None:
        """Run the engine call and deliver its reply; on failure, apologise privately."""
        try:
            reply = await run()
            await self._deliver(origin, reply)
        except Exception:
            log.exception(
                "slack handler failed for %s in %s", origin.actor.user_id, origin.actor.channel_id
            )
            with contextlib.suppress(Exception):
                await self._deliver(origin, Reply.error(APOLOGY))

    async def _deliver(self, origin: Origin, reply: Reply) -> None:
        """Carry out the reply's delivery plan. Slash commands never come from inside a
        thread, so a reply for a round's thread always goes there by `thread_ts`."""
        channel = origin.actor.channel_id
        for step in plan(reply):
            if step.kind == "form":
                assert step.form is not None
                await self._open_form(origin, step.form)
            elif step.kind == "thread":
                await self.post(channel, Reply(cards=step.cards, in_thread=step.thread_ref))
            elif origin.direct:  # from the Home tab: everything goes to the member's DM
                await self.post(channel, Reply(cards=step.cards))
            elif step.kind == "private":
                await self._ephemeral(origin, Reply(cards=step.cards, private=True))
            else:
                public = Reply(cards=step.cards, thread_title=step.open_thread, anchor=step.anchor)
                await self._public(origin, public)
            # Files go where only the member sees them (Slack has no private files in
            # channels); a posted message's pictures were uploaded beside it by `post`.
            private = step.kind == "private" and not origin.direct
            files = card_files(step.cards, images=private)
            if files:
                dm = await self._dm_channel(origin.actor.user_id)
                for name, data, title in files:
                    await upload(self._call, dm, name, data, title)

    async def _open_form(self, origin: Origin, form: Form) -> None:
        view = render.form_view(form, channel_id=origin.actor.channel_id)
        try:
            if not origin.trigger_id:
                raise PlatformError("no trigger id", status=400)
            await self._call("views_open", trigger_id=origin.trigger_id, view=view)
        except PlatformError as exc:
            # Trigger ids live 3 s; a slow path is told how to answer without the form.
            log.warning("could not open the Slack form: %s", exc)
            hint = f"The answer form could not open. Type `{COMMAND} answer <your answer>`."
            await self._ephemeral(origin, Reply.error(hint))

    async def _ephemeral(self, origin: Origin, reply: Reply) -> None:
        """Only the member sees it: the response URL when there is one, else postEphemeral."""
        blocks = render.reply_blocks(reply)
        text = render.fallback_text(reply)
        if origin.response_url and await self._respond(
            origin.response_url,
            {"response_type": "ephemeral", "replace_original": False, "blocks": blocks},
            text,
        ):
            return
        try:
            await self._call(
                "chat_postEphemeral",
                channel=origin.actor.channel_id,
                user=origin.actor.user_id,
                blocks=blocks,
                text=text,
            )
        except PlatformError as exc:
            if exc.status not in (403, 404):
                raise
            # Not in that channel (or a DM between others): the member gets it by DM instead.
            await self.send_direct(origin.actor.user_id, reply)

    async def _public(self, origin: Origin, reply: Reply) -> None:
        try:
            sent = await self.post(origin.actor.channel_id, reply)
            if reply.anchor and sent.thread_ref:
                await self.engine.anchor(reply.anchor, sent.thread_ref)
        except PlatformError as exc:
            if exc.status not in (403, 404) or not origin.response_url:
                raise
            # The bot is not in this channel: the command's response URL still posts there.
            blocks = render.reply_blocks(reply)
            body = {"response_type": "in_channel", "replace_original": False, "blocks": blocks}
            if not await self._respond(origin.response_url, body, render.fallback_text(reply)):
                raise

    async def _respond(self, url: str, body: dict[str, Any], text: str) -> bool:
        try:
            webhook = AsyncWebhookClient(url=url, retry_handlers=self.retry_handlers)
            response = await webhook.send_dict({**body, "text": text})
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("Slack response_url unreachable (%s)", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning("Slack response_url answered %s: %s", response.status_code, response.body)
            return False
        return True

    async def _call(self, method: str, **kwargs: Any) -> Any:
        """One Web API call; Slack errors become `PlatformError`s."""
        try:
            return await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise platform_error(exc, method.replace("_", ".", 1)) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise PlatformError(
                f"Slack {method} unreachable: {type(exc).__name__}", status=503
            ) from None

    # Posting for the scheduler ---------------------------------------------------------

    async def post(self, channel_id: str, reply: Reply) -> Sent:
        """Post to a channel (into the message thread `in_thread` names, if any);
        `thread_title` starts the discussion in the new message's thread."""
        posted = await self._call(
            "chat_postMessage",
            channel=channel_id,
            blocks=render.reply_blocks(reply),
            text=render.fallback_text(reply),
            unfurl_links=False,
            unfurl_media=False,
            **({"thread_ts": reply.in_thread} if reply.in_thread else {}),
        )
        channel, ts = posted.get("channel", channel_id), posted["ts"]
        await upload_pictures(self._call, channel, reply)
        thread_ref = None
        if reply.thread_title:
            invite = (
                f"🧵 *{escape_slack(reply.thread_title)}*: discuss your answers in this thread."
            )
            try:
                await self._call("chat_postMessage", channel=channel, thread_ts=ts, text=invite)
                thread_ref = ts
            except PlatformError as exc:
                log.warning("could not open the discussion thread in %s: %s", channel, exc)
        return Sent(channel_id=channel, message_ref=ts, thread_ref=thread_ref)

    async def send_direct(self, user_id: str, reply: Reply) -> Sent:
        channel = await self._dm_channel(user_id)
        return await self.post(channel, replace(reply, thread_title=None))

    async def update(self, sent: Sent, reply: Reply) -> None:
        await self._call(
            "chat_update",
            channel=sent.channel_id,
            ts=sent.message_ref,
            blocks=render.reply_blocks(reply),
            text=render.fallback_text(reply),
        )
