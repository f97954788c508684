"""Mock-interview rounds: rounds, their questions (items) and candidates' responses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.records import ItemRecord, ResponseRecord, RoundEntry, RoundRecord, RoundSummary
from bot.store.schema import (
    ONE_OPEN_ROUND,
    members,
    mock_items,
    mock_responses,
    mock_rounds,
    servers,
)
from bot.store.transactions import Transactions


def _one_open_round_violated(exc: IntegrityError) -> bool:
    """Whether the insert broke the one-open-round index (and not, say, a foreign key)."""
    text = str(exc.orig)
    # PostgreSQL names the index; SQLite names its columns.
    return ONE_OPEN_ROUND in text or "mock_rounds.server_id, mock_rounds.channel_id" in text


class RoundStore:
    """The queries of mock rounds, over a store's connections and transactions."""

    def __init__(self, store: Transactions):
        self.store = store

    async def open_round(self, server_id: int, channel_id: str) -> RoundRecord | None:
        async with self.store.read() as tx:
            row = (
                await tx.conn.execute(
                    select(mock_rounds).where(
                        mock_rounds.c.server_id == server_id,
                        mock_rounds.c.channel_id == channel_id,
                        mock_rounds.c.status == "open",
                    )
                )
            ).first()
        return RoundRecord.maybe(row)

    async def round(self, round_id: int) -> RoundRecord | None:
        async with self.store.read() as tx:
            row = (
                await tx.conn.execute(select(mock_rounds).where(mock_rounds.c.id == round_id))
            ).first()
        return RoundRecord.maybe(row)

    async def create_round(self, values: dict[str, Any], question_ids: list[str]) -> int | None:
        """Create an open round and its items; None if the place already has an open round.

        The schema allows one open round per channel (a partial unique index), so two
        instances starting a round at once cannot both succeed.
        """
        async with self.store.write() as tx:
            try:
                # A savepoint: inside a unit of work the failed insert must not abort it.
                async with tx.conn.begin_nested():
                    round_id = (
                        await tx.conn.execute(
                            mock_rounds.insert()
                            .values(status="open", **values)
                            .returning(mock_rounds.c.id)
                        )
                    ).scalar_one()
                    await tx.conn.execute(
                        mock_items.insert(),
                        [
                            {"round_id": round_id, "position": n, "question_id": qid}
                            for n, qid in enumerate(question_ids, 1)
                        ],
                    )
            except IntegrityError as exc:
                if not _one_open_round_violated(exc):
                    raise
                return None
            return round_id

    async def items(self, round_id: int) -> list[ItemRecord]:
        async with self.store.read() as tx:
            result = await tx.conn.execute(
                select(mock_items)
                .where(mock_items.c.round_id == round_id)
                .order_by(mock_items.c.position)
            )
            return ItemRecord.from_rows(result)

    async def update_item(self, item_id: int, **values: Any) -> None:
        async with self.store.write() as tx:
            await tx.conn.execute(
                update(mock_items).where(mock_items.c.id == item_id).values(**values)
            )

    async def update_round(self, round_id: int, **values: Any) -> bool:
        """Update an open round; False if it was already closed (by another instance)."""
        async with self.store.write() as tx:
            result = await tx.conn.execute(
                update(mock_rounds)
                .where(mock_rounds.c.id == round_id, mock_rounds.c.status == "open")
                .values(**values)
            )
            return result.rowcount == 1

    async def add_response(self, item_id: int, member_id: int, text: str, now: datetime) -> None:
        async with self.store.write() as tx:
            await tx.conn.execute(
                delete(mock_responses).where(
                    mock_responses.c.item_id == item_id, mock_responses.c.member_id == member_id
                )
            )
            await tx.conn.execute(
                mock_responses.insert().values(
                    item_id=item_id, member_id=member_id, text=text, created_at=now
                )
            )

    async def responses(self, round_id: int) -> list[ResponseRecord]:
        """Responses of a round with who gave them."""
        async with self.store.read() as tx:
            result = await tx.conn.execute(
                select(mock_responses, members.c.display_name, members.c.external_id)
                .join(mock_items, mock_items.c.id == mock_responses.c.item_id)
                .join(members, members.c.id == mock_responses.c.member_id)
                .where(mock_items.c.round_id == round_id)
                .order_by(mock_responses.c.id)
            )
            return ResponseRecord.from_rows(result)

    async def rounds_due(self, now: datetime, warn_before: timedelta) -> list[RoundEntry]:
        """Open rounds past their deadline, or within `warn_before` of it and not yet warned."""
        async with self.store.read() as tx:
            result = await tx.conn.execute(
                select(mock_rounds, servers.c.platform)
                .join(servers, servers.c.id == mock_rounds.c.server_id)
                .where(
                    mock_rounds.c.status == "open",
                    (mock_rounds.c.deadline <= now)
                    | (
                        (mock_rounds.c.deadline <= now + warn_before)
                        & mock_rounds.c.warned_at.is_(None)
                    ),
                )
                .order_by(mock_rounds.c.deadline)
            )
            return RoundEntry.from_rows(result)

    async def open_count(self) -> int:
        async with self.store.read() as tx:
            return (
                await tx.conn.execute(
                    select(func.count())
                    .select_from(mock_rounds)
                    .where(mock_rounds.c.status == "open")
                )
            ).scalar_one()

    async def history(
        self, server_id: int | None, member_id: int | None, limit: int = 20
    ) -> list[RoundSummary]:
        """Finished rounds, newest first, with their candidate's and lead's names."""
        candidate = members.alias("candidate")
        lead = members.alias("lead")
        query = (
            select(
                mock_rounds,
                candidate.c.display_name.label("candidate_name"),
                candidate.c.external_id.label("candidate_ref"),
                lead.c.display_name.label("lead_name"),
            )
            .outerjoin(candidate, candidate.c.id == mock_rounds.c.candidate_member_id)
            .outerjoin(lead, lead.c.id == mock_rounds.c.lead_member_id)
            .where(mock_rounds.c.status == "ended")
            .order_by(mock_rounds.c.ended_at.desc(), mock_rounds.c.id.desc())
            .limit(limit)
        )
        if server_id is not None:
            query = query.where(mock_rounds.c.server_id == server_id)
        if member_id is not None:
            query = query.where(mock_rounds.c.candidate_member_id == member_id)
        async with self.store.read() as tx:
            return RoundSummary.from_rows(await tx.conn.execute(query))
