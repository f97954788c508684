"""Files on Slack: pictures and exports, uploaded with `files_upload_v2`.

Block Kit shows images only from a URL, so a card's picture travels as a file beside its
message; private files go to the member's DM (Slack has no private files in channels).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.adapters.base import PlatformError
from bot.engine.messages import Reply, card_files

log = logging.getLogger(__name__)

Call = Callable[..., Awaitable[Any]]


async def upload(
    call: Call, channel: str, filename: str, data: bytes, title: str, thread_ts: str | None = None
) -> None:
    """One file into `channel` (or its message thread `thread_ts`)."""
    await call(
        "files_upload_v2",
        channel=channel,
        filename=filename,
        content=data,
        title=title,
        **({"thread_ts": thread_ts} if thread_ts else {}),
    )


async def upload_pictures(call: Call, channel: str, reply: Reply) -> None:
    """A posted reply's pictures, beside it. Best effort: the message itself is posted, so a
    failed upload is logged, never raised (a raise would make the scheduler post it again)."""
    for name, data, title in card_files(reply.cards, images=True, attachments=False):
        try:
            await upload(call, channel, name, data, title, reply.in_thread)
        except PlatformError as exc:
            log.warning("could not upload %s to %s: %s", name, channel, exc)
