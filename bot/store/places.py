"""Where a command comes from: the member and the channel's schedule, in one read; members
seen for the first time are added in batches (one commit for a crowd of newcomers)."""

from __future__ import annotations

import time

from sqlalchemy import and_, bindparam, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import utcnow
from bot.store.batching import Batcher
from bot.store.inline import InlineSQLite
from bot.store.records import MemberRef, ScheduleRecord
from bot.store.schema import members, schedules
from bot.store.transactions import Transactions

MEMBER_CACHE_SECONDS = 60.0

# Every channel command's first read, built once (not per command): the member by platform
# id and the channel's schedule, as one row whether or not either exists (their columns are
# NULL when not), so that a newcomer's first command needs no second read.
_ONE = select(literal(1).label("one")).subquery()
MEMBER_AND_SCHEDULE = select(
    members.c.id.label("m_id"),
    members.c.display_name.label("m_name"),
    members.c.timezone.label("m_timezone"),
    schedules,
).select_from(
    _ONE.outerjoin(
        members,
        and_(
            members.c.platform == bindparam("platform"),
            members.c.external_id == bindparam("external_id"),
        ),
    ).outerjoin(
        schedules,
        and_(
            schedules.c.server_id == bindparam("server_id"),
            schedules.c.channel_id == bindparam("channel_id"),
        ),
    )
)


class Places(Transactions):
    """The start of every command: who is asking, and where."""

    def __init__(self, *, engine: AsyncEngine, inline: InlineSQLite | None = None):
        super().__init__(engine=engine, inline=inline)
        # Members seen lately: a command from a known member costs no write. Entries expire
        # so that a change made by another instance (timezone, forget-me) shows up soon.
        self._members: dict[tuple[str, str], tuple[MemberRef, float]] = {}
        self._joining: Batcher[tuple[str, str, str], MemberRef] = Batcher(self._add_members)

    async def ensure_member(self, platform: str, external_id: str, name: str) -> MemberRef:
        key = (platform, external_id)
        known, expires = self._members.get(key, (None, 0.0))
        if known is not None and known.display_name == name[:200] and time.monotonic() < expires:
            # Still there? Another instance may have run forget-me: a read is cheap, and a
            # stale id would write to a member who no longer exists.
            async with self.read() as tx:
                query = select(members.c.id).where(members.c.id == known.id)
                if (await tx.conn.execute(query)).first() is not None:
                    return known
            self._members.pop(key, None)
        if self._unit(writing=True) is not None:  # inside a unit of work: part of it
            (ref,) = await self._add_members([(platform, external_id, name)])
        else:  # newcomers arriving together share one commit
            ref = await self._joining.submit((platform, external_id, name))
        self.after_commit(
            lambda: self._members.__setitem__(key, (ref, time.monotonic() + MEMBER_CACHE_SECONDS))
        )
        return ref

    async def _add_members(self, batch: list[tuple[str, str, str]]) -> list[MemberRef]:
        """Newcomers (or new names), in one statement: each member's row as it now is."""
        now = utcnow()
        values = {
            (platform, external_id): {
                "platform": platform,
                "external_id": external_id,
                "display_name": name[:200],
                "created_at": now,
            }
            for platform, external_id, name in batch
        }
        async with self.write() as tx:
            stmt = tx.insert(members).values(list(values.values()))
            stmt = stmt.on_conflict_do_update(
                index_elements=["platform", "external_id"],
                set_={"display_name": stmt.excluded.display_name},
            ).returning(members)
            rows = {(r.platform, r.external_id): r for r in await tx.conn.execute(stmt)}
        found = (rows[(platform, external_id)] for platform, external_id, _ in batch)
        return [MemberRef(r.id, r.external_id, r.display_name or "", r.timezone) for r in found]

    async def close_batches(self) -> None:
        await self._joining.close()

    def _forget_cached(self, member_id: int) -> None:
        for key, (ref, _expires) in list(self._members.items()):
            if ref.id == member_id:
                del self._members[key]

    async def member_and_schedule(
        self, platform: str, external_id: str, name: str, server_id: int, channel_id: str
    ) -> tuple[MemberRef, ScheduleRecord | None]:
        """The member (as `ensure_member`) and the channel's schedule in one read; only a
        newcomer, or a member under a new name, costs a write as well."""
        params = {"platform": platform, "external_id": external_id, "server_id": server_id}
        async with self.read() as tx:
            result = await tx.conn.execute(
                MEMBER_AND_SCHEDULE, {**params, "channel_id": channel_id}
            )
            row = result.one()
        schedule = None if row.id is None else ScheduleRecord.from_row(row)
        if row.m_id is None or row.m_name != name[:200]:  # new, or renamed: a write
            return await self.ensure_member(platform, external_id, name), schedule
        return MemberRef(row.m_id, external_id, row.m_name, row.m_timezone), schedule
