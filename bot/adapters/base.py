"""What every platform adapter provides to the composition root and the scheduler."""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass

from bot.engine.messages import Reply

# Platform control sequences that notify people: neutralised in everything we send.
_DISCORD_MASS = re.compile(r"@(everyone|here)")
_DISCORD_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")


def neutralise_discord(text: str) -> str:
    """Break `@everyone`, `@here` and `<@id>`/`<@&id>`/`<#id>` so they render but never ping."""
    text = _DISCORD_MASS.sub("@\u200b\\1", text)
    return _DISCORD_MENTION.sub(lambda m: f"<\u200b{m.group(1)}{m.group(2)}>", text)


def escape_slack(text: str) -> str:
    """Escape mrkdwn control characters so `<!channel>` or `<@U1>` typed by anyone stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Sent:
    """Where a posted message landed, for later updates."""

    channel_id: str
    message_ref: str
    thread_ref: str | None = None


class StartError(RuntimeError):
    """An adapter could not start; the message says what to check (never a token)."""


class PlatformError(Exception):
    """A platform refused a send; `status` tells the scheduler what to do about it."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Adapter(abc.ABC):
    """A chat platform: connect, translate events into engine calls, render replies."""

    platform: str
    # The scheduler posts at most this many messages per second through this adapter
    # (None: no limit of ours; the platform's 429s are still honoured).
    max_posts_per_second: float | None = None

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect and begin handling events; return once running (work goes on in tasks)."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop taking events, let in-flight handlers finish, disconnect."""

    @property
    @abc.abstractmethod
    def ready(self) -> bool:
        """Connected and able to send."""

    @abc.abstractmethod
    async def post(self, channel_id: str, reply: Reply) -> Sent:
        """Post a reply to a channel (a daily question; opens a thread if it asks for one)."""

    @abc.abstractmethod
    async def send_direct(self, user_id: str, reply: Reply) -> Sent:
        """Send a reply to a member by direct message."""

    @abc.abstractmethod
    async def update(self, sent: Sent, reply: Reply) -> None:
        """Replace a message the bot posted earlier (e.g. to add yesterday's tally)."""
