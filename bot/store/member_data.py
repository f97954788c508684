"""A member's own data: all of it as a document (my-data), and all of it deleted (forget-me)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update

from bot.store import rank_counts
from bot.store.places import Places
from bot.store.rhythm import reminder_keys_of
from bot.store.schema import (
    answers,
    dashboard_links,
    dashboard_sessions,
    days_off,
    digests,
    grades,
    member_stats,
    members,
    mock_items,
    mock_responses,
    mock_rounds,
    pack_questions,
    posts,
    reminders,
    reports,
    review_states,
    role_grants,
    schedules,
    season_results,
    sends,
    server_content,
    servers,
    subscriptions,
    suggestions,
)
from bot.store.tallies import untally
from bot.store.transactions import Tx

# What a member's export holds: each table with the column naming the member.
EXPORTED = (
    ("answers", answers),
    ("grades", grades),
    ("reviews", review_states),
    ("streaks", member_stats),
    ("subscriptions", subscriptions),
    ("mock_answers", mock_responses),
    ("reminders", reminders),
    ("days_off", days_off),
    ("roles_granted", role_grants),
    ("season_places", season_results),
    ("suggestions", suggestions),
    ("problem_reports", reports),
)
# Tables whose rows belong to one member (by member_id), deleted with them.
OWNED = (
    answers,
    grades,
    review_states,
    member_stats,
    subscriptions,
    reminders,
    days_off,
    role_grants,
    season_results,
)
FORMER_MEMBER = "a former member"  # the credit of approved questions after forget-me


class MemberData(Places):  # forgetting a member drops them from the member cache
    async def export_member(self, member_id: int) -> dict[str, Any]:
        """Everything stored about a member, as JSON-ready data."""
        async with self.read() as tx:
            row = (await tx.conn.execute(select(members).where(members.c.id == member_id))).one()
            data: dict[str, Any] = {"member": _plain(row._mapping, skip=("id",))}
            for name, table in EXPORTED:
                result = await tx.conn.execute(select(table).where(table.c.member_id == member_id))
                data[name] = [_plain(r._mapping, skip=("member_id",)) for r in result]
            rounds = await tx.conn.execute(
                select(mock_rounds).where(
                    (mock_rounds.c.candidate_member_id == member_id)
                    | (mock_rounds.c.lead_member_id == member_id)
                )
            )
            data["mock_rounds"] = []
            for r in rounds:
                items = await tx.conn.execute(
                    select(mock_items).where(mock_items.c.round_id == r.id)
                )
                entry = _plain(r._mapping)
                entry["role"] = "candidate" if r.candidate_member_id == member_id else "lead"
                entry["items"] = [_plain(i._mapping) for i in items]
                data["mock_rounds"].append(entry)
        return data

    async def forget_member(self, member_id: int) -> dict[str, int]:
        """Delete everything stored about a member; return the rows removed per kind.

        Their web dashboard sessions end and unused sign-in links stop working.

        Their answers, grades, reviews, streaks, subscription and mock answers go; rounds in
        which they were the candidate go with the lead's scores and notes; rounds they led
        keep the candidate's scorecard without naming them; their DM question history and
        their name on schedules they set go too. Their suggestions and problem reports go;
        questions approved from their suggestions stay, credited to "a former member".
        """
        self._forget_cached(member_id)
        removed: dict[str, int] = {}
        async with self.write() as tx:
            member = await tx.conn.execute(
                select(members.c.platform, members.c.external_id).where(members.c.id == member_id)
            )
            platform, external_id = member.one()
            await untally(tx, member_id)
            await rank_counts.forget(tx, member_id)
            for table in OWNED:
                result = await tx.conn.execute(delete(table).where(table.c.member_id == member_id))
                removed[table.name] = result.rowcount or 0
            removed.update(await self._forget_rounds(tx, member_id))
            removed.update(await self._forget_contributions(tx, member_id))
            removed["dashboard sessions"] = await self._sign_out_everywhere(tx, member_id)
            # Their reminders' once-only records.
            await tx.conn.execute(
                delete(sends).where(sends.c.key.like(reminder_keys_of(member_id)))
            )
            removed.update(await self._forget_platform_traces(tx, platform, external_id))
            await tx.conn.execute(delete(members).where(members.c.id == member_id))
        return removed

    async def _forget_rounds(self, tx: Tx, member_id: int) -> dict[str, int]:
        responses = await tx.conn.execute(
            delete(mock_responses).where(mock_responses.c.member_id == member_id)
        )
        rounds = await tx.conn.execute(
            delete(mock_rounds).where(mock_rounds.c.candidate_member_id == member_id)
        )
        await tx.conn.execute(
            update(mock_rounds)
            .where(mock_rounds.c.lead_member_id == member_id)
            .values(lead_member_id=None)
        )
        return {"mock answers": responses.rowcount or 0, "mock rounds": rounds.rowcount or 0}

    async def _forget_contributions(self, tx: Tx, member_id: int) -> dict[str, int]:
        """Suggestions and reports go; approved questions stay, no longer naming them."""
        # Their servers' cached views of the bank show the new credit after a version bump.
        credited = select(pack_questions.c.server_id).where(
            pack_questions.c.author_member_id == member_id
        )
        await tx.conn.execute(
            update(server_content)
            .where(server_content.c.server_id.in_(credited))
            .values(version=server_content.c.version + 1)
        )
        kept = await tx.conn.execute(
            update(pack_questions)
            .where(pack_questions.c.author_member_id == member_id)
            .values(author_member_id=None, credit=FORMER_MEMBER)
        )
        gone = {}
        for name, table in (("suggestions", suggestions), ("problem reports", reports)):
            result = await tx.conn.execute(delete(table).where(table.c.member_id == member_id))
            gone[name] = result.rowcount or 0
        return {**gone, "approved questions now credited to a former member": kept.rowcount or 0}

    async def _sign_out_everywhere(self, tx: Tx, member_id: int) -> int:
        """End the member's dashboard sessions and spend their sign-in links."""
        await tx.conn.execute(
            delete(dashboard_links).where(dashboard_links.c.member_id == member_id)
        )
        ended = await tx.conn.execute(
            delete(dashboard_sessions).where(dashboard_sessions.c.member_id == member_id)
        )
        return ended.rowcount or 0

    async def _forget_platform_traces(
        self, tx: Tx, platform: str, external_id: str
    ) -> dict[str, int]:
        """What carries the member's platform id rather than their row: DM posts, set_by."""
        on_platform = select(servers.c.id).where(servers.c.platform == platform)
        dm_posts = await tx.conn.execute(
            delete(posts).where(
                posts.c.server_id.in_(on_platform), posts.c.channel_id == f"@{external_id}"
            )
        )
        await tx.conn.execute(
            update(schedules)
            .where(schedules.c.server_id.in_(on_platform), schedules.c.set_by == external_id)
            .values(set_by=None)
        )
        await tx.conn.execute(
            update(digests)
            .where(digests.c.server_id.in_(on_platform), digests.c.set_by == external_id)
            .values(set_by=None)
        )
        return {"daily direct messages": dm_posts.rowcount or 0}


def _plain(mapping: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row as JSON-ready values (dates as ISO text)."""
    out = {}
    for key, value in mapping.items():
        if key in skip:
            continue
        out[key] = value.isoformat() if isinstance(value, date | datetime) else value
    return out
