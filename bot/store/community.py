"""Community content: per-server packs and topics, member suggestions, problem reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.clock import utcnow
from bot.store.records import (
    NoticeRecord,
    PackQuestionRow,
    PackRecord,
    ReportCount,
    ReportRecord,
    ServerContent,
    SuggestionRecord,
)
from bot.store.schema import (
    members,
    pack_questions,
    packs,
    reports,
    server_content,
    servers,
    suggestions,
)
from bot.store.transactions import Transactions, Tx

SUGGESTED_PACK = "suggestions"  # where approved suggestions go


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


class CommunityStore(Transactions):
    """Packs, topics, suggestions and reports of each server."""

    # The bank as a server sees it -------------------------------------------------------------

    async def content_versions(self) -> dict[int, int]:
        """Every server that changed the bank, with its content version."""
        async with self.read() as tx:
            rows = await tx.conn.execute(
                select(server_content.c.server_id, server_content.c.version)
            )
            return {row.server_id: row.version for row in rows}

    async def server_content(self, server_id: int) -> ServerContent:
        """A server's switched-off topics and the questions of its enabled packs."""
        async with self.read() as tx:
            row = (
                await tx.conn.execute(
                    select(server_content).where(server_content.c.server_id == server_id)
                )
            ).first()
            rows = await tx.all(
                PackQuestionRow,
                select(pack_questions.c.question_id, pack_questions.c.body, pack_questions.c.credit)
                .join(packs, packs.c.id == pack_questions.c.pack_id)
                .where(pack_questions.c.server_id == server_id, packs.c.enabled.is_(True))
                .order_by(pack_questions.c.id),
            )
        version, disabled = (row.version, _split(row.disabled_topics)) if row else (0, ())
        return ServerContent(version, disabled, tuple(rows))

    async def _bump(self, tx: Tx, server_id: int, disabled: tuple[str, ...] | None = None) -> None:
        """A new content version for the server (and its disabled topics, when given)."""
        values: dict[str, Any] = {"version": server_content.c.version + 1, "updated_at": utcnow()}
        if disabled is not None:
            values["disabled_topics"] = ",".join(disabled)
        stmt = tx.insert(server_content).values(
            server_id=server_id,
            version=1,
            disabled_topics=",".join(disabled or ()),
            updated_at=utcnow(),
        )
        await tx.conn.execute(stmt.on_conflict_do_update(index_elements=["server_id"], set_=values))

    async def set_disabled_topics(self, server_id: int, disabled: tuple[str, ...]) -> None:
        async with self.write() as tx:
            await self._bump(tx, server_id, tuple(sorted(set(disabled))))

    # Packs ----------------------------------------------------------------------------------

    async def packs(self, server_id: int) -> list[PackRecord]:
        count = (
            select(func.count())
            .where(pack_questions.c.pack_id == packs.c.id)
            .scalar_subquery()
            .label("question_count")
        )
        async with self.read() as tx:
            return await tx.all(
                PackRecord,
                select(packs, count).where(packs.c.server_id == server_id).order_by(packs.c.name),
            )

    async def pack_question_ids(self, server_id: int) -> dict[str, str]:
        """Every pack question of the server (enabled or not): its id and its pack's name."""
        async with self.read() as tx:
            rows = await tx.conn.execute(
                select(pack_questions.c.question_id, packs.c.name)
                .join(packs, packs.c.id == pack_questions.c.pack_id)
                .where(pack_questions.c.server_id == server_id)
            )
            return {row.question_id: row.name for row in rows}

    async def add_pack(
        self, server_id: int, name: str, entries: list[dict[str, Any]], *, size: int, by: str
    ) -> bool:
        """A new pack with its questions, in one transaction; False if the name is taken."""
        async with self.write() as tx:
            if await self._pack_id(tx, server_id, name) is not None:
                return False
            pack_id = await self._insert_pack(tx, server_id, name, size=size, by=by)
            await self._insert_questions(tx, server_id, pack_id, entries)
            await self._bump(tx, server_id)
        return True

    async def _pack_id(self, tx: Tx, server_id: int, name: str) -> int | None:
        query = select(packs.c.id).where(packs.c.server_id == server_id, packs.c.name == name)
        return (await tx.conn.execute(query)).scalar()

    async def _insert_pack(self, tx: Tx, server_id: int, name: str, *, size: int, by: str) -> int:
        result = await tx.conn.execute(
            packs.insert()
            .values(
                server_id=server_id, name=name, size_bytes=size, added_by=by, created_at=utcnow()
            )
            .returning(packs.c.id)
        )
        return result.scalar_one()

    async def _insert_questions(
        self, tx: Tx, server_id: int, pack_id: int, entries: list[dict[str, Any]]
    ) -> None:
        if entries:
            now = utcnow()
            rows = [
                {"pack_id": pack_id, "server_id": server_id, "created_at": now, **e}
                for e in entries
            ]
            await tx.conn.execute(pack_questions.insert(), rows)

    async def set_pack_enabled(self, server_id: int, name: str, enabled: bool) -> bool:
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(packs)
                .where(packs.c.server_id == server_id, packs.c.name == name)
                .values(enabled=enabled)
            )
            if result.rowcount:
                await self._bump(tx, server_id)
            return bool(result.rowcount)

    async def remove_pack(self, server_id: int, name: str) -> int | None:
        """Delete a pack and its questions; how many questions went (None: no such pack)."""
        async with self.write() as tx:
            pack_id = await self._pack_id(tx, server_id, name)
            if pack_id is None:
                return None
            gone = await tx.conn.execute(
                delete(pack_questions).where(pack_questions.c.pack_id == pack_id)
            )
            await tx.conn.execute(delete(packs).where(packs.c.id == pack_id))
            await self._bump(tx, server_id)
            return gone.rowcount or 0

    async def pack_bodies(self, server_id: int, name: str) -> list[PackQuestionRow] | None:
        """A pack's questions as stored, for export; None when there is no such pack."""
        async with self.read() as tx:
            pack_id = await self._pack_id(tx, server_id, name)
            if pack_id is None:
                return None
            return await tx.all(
                PackQuestionRow,
                select(pack_questions.c.question_id, pack_questions.c.body, pack_questions.c.credit)
                .where(pack_questions.c.pack_id == pack_id)
                .order_by(pack_questions.c.id),
            )

    # Suggestions ----------------------------------------------------------------------------

    async def add_suggestion(self, server_id: int, member_id: int, body: str, now: datetime) -> int:
        async with self.write() as tx:
            result = await tx.conn.execute(
                suggestions.insert()
                .values(
                    server_id=server_id,
                    member_id=member_id,
                    status="pending",
                    body=body,
                    created_at=now,
                )
                .returning(suggestions.c.id)
            )
            return result.scalar_one()

    async def suggestions_since(self, server_id: int, member_id: int, since: datetime) -> int:
        async with self.read() as tx:
            query = select(func.count()).where(
                suggestions.c.member_id == member_id,
                suggestions.c.server_id == server_id,
                suggestions.c.created_at >= since,
            )
            return (await tx.conn.execute(query)).scalar_one()

    def _suggestion_query(self) -> Any:
        return select(suggestions, members.c.display_name.label("author_name")).join(
            members, members.c.id == suggestions.c.member_id
        )

    async def pending_suggestions(self, server_id: int, limit: int) -> list[SuggestionRecord]:
        async with self.read() as tx:
            return await tx.all(
                SuggestionRecord,
                self._suggestion_query()
                .where(suggestions.c.server_id == server_id, suggestions.c.status == "pending")
                .order_by(suggestions.c.id)
                .limit(limit),
            )

    async def suggestion(self, suggestion_id: int) -> SuggestionRecord | None:
        async with self.read() as tx:
            return await tx.first(
                SuggestionRecord, self._suggestion_query().where(suggestions.c.id == suggestion_id)
            )

    async def update_suggestion(self, suggestion_id: int, body: str) -> bool:
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(suggestions)
                .where(suggestions.c.id == suggestion_id, suggestions.c.status == "pending")
                .values(body=body)
            )
            return bool(result.rowcount)

    async def approve_suggestion(
        self, s: SuggestionRecord, *, question_id: str, body: str, credit: str, by: str
    ) -> bool:
        """Mark it approved and add its question to the server's suggestions pack, at once;
        False if someone else reviewed it first."""
        async with self.write() as tx:
            if not await self._review(tx, s.id, "approved", by, question_id=question_id, body=body):
                return False
            pack_id = await self._pack_id(tx, s.server_id, SUGGESTED_PACK)
            if pack_id is None:
                pack_id = await self._insert_pack(tx, s.server_id, SUGGESTED_PACK, size=0, by=by)
            entry = {
                "question_id": question_id,
                "body": body,
                "author_member_id": s.member_id,
                "credit": credit,
            }
            await self._insert_questions(tx, s.server_id, pack_id, [entry])
            await self._bump(tx, s.server_id)
        return True

    async def reject_suggestion(self, suggestion_id: int, *, reason: str, by: str) -> bool:
        async with self.write() as tx:
            return await self._review(tx, suggestion_id, "rejected", by, reason=reason)

    async def _review(
        self, tx: Tx, suggestion_id: int, status: str, by: str, **values: Any
    ) -> bool:
        result = await tx.conn.execute(
            update(suggestions)
            .where(suggestions.c.id == suggestion_id, suggestions.c.status == "pending")
            .values(status=status, reviewed_by=by, reviewed_at=utcnow(), **values)
        )
        return result.rowcount == 1

    async def unnotified_reviews(self, limit: int = 50) -> list[NoticeRecord]:
        """Reviewed suggestions whose authors have not been told yet."""
        async with self.read() as tx:
            return await tx.all(
                NoticeRecord,
                select(
                    suggestions.c.id,
                    suggestions.c.status,
                    suggestions.c.body,
                    suggestions.c.reason,
                    suggestions.c.question_id,
                    members.c.platform,
                    members.c.external_id,
                )
                .join(members, members.c.id == suggestions.c.member_id)
                .where(suggestions.c.status != "pending", suggestions.c.notified_at.is_(None))
                .order_by(suggestions.c.id)
                .limit(limit),
            )

    async def claim_notice(self, suggestion_id: int, now: datetime) -> bool:
        """Take the telling of one outcome (once, across instances)."""
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(suggestions)
                .where(suggestions.c.id == suggestion_id, suggestions.c.notified_at.is_(None))
                .values(notified_at=now)
            )
            return result.rowcount == 1

    # Reports --------------------------------------------------------------------------------

    async def add_report(
        self, server_id: int, member_id: int, question_id: str, text: str, now: datetime
    ) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                reports.insert().values(
                    server_id=server_id,
                    member_id=member_id,
                    question_id=question_id,
                    text=text,
                    status="open",
                    created_at=now,
                )
            )

    async def report_counts(self, server_id: int, limit: int = 20) -> list[ReportCount]:
        """Open reports per question, most reported first."""
        async with self.read() as tx:
            counted = await tx.conn.execute(
                select(
                    reports.c.question_id,
                    func.count().label("count"),
                    func.max(reports.c.id).label("last"),
                )
                .where(reports.c.server_id == server_id, reports.c.status == "open")
                .group_by(reports.c.question_id)
                .order_by(func.count().desc(), reports.c.question_id)
                .limit(limit)
            )
            rows = counted.all()
            texts = {}
            if rows:
                found = await tx.conn.execute(
                    select(reports.c.id, reports.c.text).where(
                        reports.c.id.in_([r.last for r in rows])
                    )
                )
                texts = {r.id: r.text for r in found}
        return [ReportCount(r.question_id, r.count, texts.get(r.last, "")) for r in rows]

    async def close_reports(
        self, server_id: int, question_id: str, status: str, by: str, now: datetime
    ) -> int:
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(reports)
                .where(
                    reports.c.server_id == server_id,
                    reports.c.question_id == question_id,
                    reports.c.status == "open",
                )
                .values(status=status, closed_by=by, closed_at=now)
            )
            return result.rowcount or 0

    async def all_reports(self, status: str | None = "open") -> list[ReportRecord]:
        """Reports across every server (for the operator), oldest first."""
        query = (
            select(
                reports.c.id,
                servers.c.platform,
                servers.c.external_id.label("server"),
                reports.c.question_id,
                reports.c.text,
                reports.c.status,
                reports.c.created_at,
            )
            .join(servers, servers.c.id == reports.c.server_id)
            .order_by(reports.c.id)
        )
        if status is not None:
            query = query.where(reports.c.status == status)
        async with self.read() as tx:
            return await tx.all(ReportRecord, query)
