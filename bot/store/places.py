"""Where a command comes from: the member and the channel's schedule, in one read."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select

from bot.store.records import MemberRef, ScheduleRecord
from bot.store.schema import members, schedules
from bot.store.transactions import Transactions

# Every channel command's first read, built once (not per command): the member by platform
# id, with the channel's schedule (its columns NULL when the channel has none).
MEMBER_AND_SCHEDULE = (
    select(
        members.c.id.label("m_id"),
        members.c.display_name.label("m_name"),
        members.c.timezone.label("m_timezone"),
        schedules,
    )
    .select_from(
        members.outerjoin(
            schedules,
            and_(
                schedules.c.server_id == bindparam("server_id"),
                schedules.c.channel_id == bindparam("channel_id"),
            ),
        )
    )
    .where(
        members.c.platform == bindparam("platform"),
        members.c.external_id == bindparam("external_id"),
    )
)


class Places(Transactions):
    """The start of every command; `Store` provides the two calls it falls back on."""

    async def ensure_member(self, platform: str, external_id: str, name: str) -> MemberRef:
        raise NotImplementedError  # the store's

    async def channel_schedule(self, server_id: int, channel_id: str) -> ScheduleRecord | None:
        raise NotImplementedError  # the store's

    async def member_and_schedule(
        self, platform: str, external_id: str, name: str, server_id: int, channel_id: str
    ) -> tuple[MemberRef, ScheduleRecord | None]:
        """`ensure_member` and `channel_schedule` in one read for a member already stored
        under this name (no write, whether or not the store's member cache knows them)."""
        params = {"platform": platform, "external_id": external_id, "server_id": server_id}
        async with self.read() as tx:
            result = await tx.conn.execute(
                MEMBER_AND_SCHEDULE, {**params, "channel_id": channel_id}
            )
            row = result.first()
        if row is None or row.m_name != name[:200]:  # new, or renamed: a write
            ref = await self.ensure_member(platform, external_id, name)
            return ref, await self.channel_schedule(server_id, channel_id)
        ref = MemberRef(row.m_id, external_id, row.m_name, row.m_timezone)
        return ref, None if row.id is None else ScheduleRecord.from_row(row)
