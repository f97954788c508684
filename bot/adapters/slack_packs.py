"""Slack: a question pack shared with the bot as a file, with `pack add` as its message.

Slack has no file option on slash commands, so an admin uploads the YAML in a direct message
with the bot (or a channel it is in) and writes `pack add` with it. The file is fetched with
the bot token, from Slack's own file host only, and handed to the same `pack add` command as a
Discord attachment or a console path.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from bot.engine.messages import Reply
from bot.engine.options import FileArg
from bot.engine.packs import MAX_PACK_BYTES

if TYPE_CHECKING:
    from bot.adapters.slack_adapter import SlackAdapter


PACK_ADD = re.compile(r"\s*(/?prep\s+)?pack\s+add\b", re.IGNORECASE)
FILE_HOSTS = {"files.slack.com"}


class SharedFiles:
    """`message` events carrying a file and the words `pack add`."""

    def __init__(self, adapter: SlackAdapter, *, api_url: str | None):
        self.adapter = adapter
        # The bot token only ever goes to Slack's file host (or the test server's).
        self.hosts = FILE_HOSTS | ({urlsplit(api_url).netloc} if api_url else set())

    def register(self, app: Any) -> None:
        app.event("message")(self.on_message)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        files = event.get("files") or []
        if event.get("bot_id") or not files or not PACK_ADD.match(event.get("text") or ""):
            return
        adapter = self.adapter

        async def work() -> None:
            origin = await adapter._origin(
                team_id=body.get("team_id") or event.get("team") or "",
                channel_id=event.get("channel", ""),
                user_id=event.get("user", ""),
                user_name=None,
            )
            # A DM with the bot belongs to the workspace: the pack is the workspace's.
            actor = replace(origin.actor, is_dm=False)
            await adapter._answer(origin, lambda: self.pack_add(actor, files[0]))

        await adapter._track("file", work)

    async def pack_add(self, actor: Any, file: dict[str, Any]) -> Reply:
        name = str(file.get("name") or "pack.yaml")
        if int(file.get("size") or 0) > MAX_PACK_BYTES:
            return Reply.error(f"`{name[:80]}` is larger than 1 MB, the most a pack may be.")
        url = str(file.get("url_private_download") or file.get("url_private") or "")
        if urlsplit(url).netloc not in self.hosts:
            return Reply.error("That file is not on Slack's file host; share it again.")
        data = await self.download(url)
        engine = self.adapter.engine
        cmd, _ = engine.registry.parse("pack add", prefix="")
        return await engine.invoke(actor, cmd, {"file": FileArg(name, data)})

    async def download(self, url: str) -> bytes:
        token = self.adapter.client.token
        timeout = aiohttp.ClientTimeout(total=30)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            response.raise_for_status()
            return await response.content.read(MAX_PACK_BYTES + 1)
