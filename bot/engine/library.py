"""The bank as each server sees it: the shipped questions, plus the server's enabled packs,
minus the topics it switched off.

Every caller that draws or looks up a question asks `Library.view(server_id)`; nothing else
knows about packs. A server that never changed anything gets the shipped bank itself, so the
daily fan-out and the answer path pay only a dictionary lookup. Views are cached per server
and rebuilt when the server's content version (bumped by every change, in the database) moves:
this instance drops a view at once when it makes a change; other instances see the new
version within `refresh_seconds`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from pathlib import Path

from bot.engine.content import Bank, Problem, Question, parse_question
from bot.engine.messages import literal
from bot.store.records import ServerContent
from bot.store.store import Store

log = logging.getLogger(__name__)

REFRESH_SECONDS = 30.0
# A pack question's id: `s<server id>.<its id in the pack>`. Shipped ids have no dot, so the
# two never collide, and neither do two servers' packs.
NAMESPACED = re.compile(r"s(\d{1,12})\.([a-z0-9]+(?:-[a-z0-9]+)*)")


def namespaced(server_id: int, local_id: str) -> str:
    return f"s{server_id}.{local_id}"


def local_id(question_id: str) -> str:
    """The id a pack question has in its YAML file."""
    match = NAMESPACED.fullmatch(question_id)
    return match.group(2) if match else question_id


def plain(q: Question) -> Question:
    """A member's suggested question, shown as plain text: no links, no formatting."""
    return replace(
        q,
        question=literal(q.question),
        answer=literal(q.answer),
        key_points=tuple(literal(p) for p in q.key_points),
        hints=tuple(literal(h) for h in q.hints),
    )


def build_view(shipped: Bank, content: ServerContent) -> Bank:
    """The shipped bank with a server's pack questions added and its topics switched off."""
    extra: dict[str, Question] = {}
    for row in content.questions:
        problems: list[Problem] = []
        q = parse_question(
            json.loads(row.body), 1, Path("pack"), shipped.topics, problems, hints_required=False
        )
        if q is None:  # validated on the way in; a topic since removed from the bank, say
            log.warning("pack question %s no longer valid: %s", row.question_id, problems[:1])
            continue
        q = replace(q, id=row.question_id, source="pack", credit=row.credit or "")
        extra[row.question_id] = plain(q) if row.credit else q
    return Bank(
        topics=shipped.topics,
        questions={**shipped.questions, **extra},
        disabled=frozenset(content.disabled_topics),
    )


class Library:
    """Per-server views of the bank, cached and invalidated on change."""

    def __init__(self, store: Store, shipped: Bank, *, refresh_seconds: float = REFRESH_SECONDS):
        self.store, self.shipped = store, shipped
        self.refresh_seconds = refresh_seconds
        self._versions: dict[int, int] = {}
        self._views: dict[int, tuple[int, Bank]] = {}
        self._fresh_until = 0.0
        self.builds = 0  # views built so far (tests and benchmarks watch the cache with it)

    async def view(self, server_id: int) -> Bank:
        """The bank as `server_id` sees it."""
        if time.monotonic() >= self._fresh_until:
            self._versions = await self.store.content_versions()
            self._fresh_until = time.monotonic() + self.refresh_seconds
        version = self._versions.get(server_id)
        if version is None:
            return self.shipped
        cached = self._views.get(server_id)
        if cached is not None and cached[0] >= version:
            return cached[1]
        content = await self.store.server_content(server_id)
        bank = build_view(self.shipped, content)
        self.builds += 1
        self._views[server_id] = (content.version, bank)
        return bank

    def refresh(self) -> None:
        """Check every server's version on next use (after a change that spans servers)."""
        self._fresh_until = 0.0

    def changed(self, server_id: int) -> None:
        """This instance changed the server's packs or topics: rebuild on next use."""
        self._views.pop(server_id, None)
        self._fresh_until = 0.0
