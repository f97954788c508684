"""Web dashboard sign-ins: single-use links and the sessions they open.

Only hashes of the link and session tokens are stored. Redeeming a link marks it used and
opens the session in one transaction, so a link works once even with several instances.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from bot.store.records import SessionRecord
from bot.store.schema import dashboard_links, dashboard_sessions, members, servers
from bot.store.transactions import Transactions

KEEP_USED_LINKS = timedelta(days=1)  # spent links stay a day, then go


class SignIns(Transactions):
    async def add_dashboard_link(
        self,
        token_hash: str,
        *,
        server_id: int,
        member_id: int,
        role: int,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                delete(dashboard_links).where(dashboard_links.c.expires_at < now - KEEP_USED_LINKS)
            )
            await tx.conn.execute(
                dashboard_links.insert().values(
                    token_hash=token_hash,
                    server_id=server_id,
                    member_id=member_id,
                    role=role,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    async def redeem_dashboard_link(
        self, token_hash: str, *, session_hash: str, csrf: str, now: datetime, lifetime: timedelta
    ) -> SessionRecord | None:
        """Spend a link and open its session; None if it is unknown, expired or spent."""
        async with self.write() as tx:
            spent = await tx.conn.execute(
                update(dashboard_links)
                .where(
                    dashboard_links.c.token_hash == token_hash,
                    dashboard_links.c.used_at.is_(None),
                    dashboard_links.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if spent.rowcount != 1:
                return None
            link = (
                await tx.conn.execute(
                    select(dashboard_links).where(dashboard_links.c.token_hash == token_hash)
                )
            ).one()
            await tx.conn.execute(
                delete(dashboard_sessions).where(dashboard_sessions.c.expires_at <= now)
            )
            await tx.conn.execute(
                dashboard_sessions.insert().values(
                    token_hash=session_hash,
                    server_id=link.server_id,
                    member_id=link.member_id,
                    role=link.role,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return await self.dashboard_session(session_hash, now=now)

    async def dashboard_session(self, session_hash: str, *, now: datetime) -> SessionRecord | None:
        """A live session with its member's and server's names; None once it has ended."""
        query = (
            select(
                dashboard_sessions,
                members.c.display_name,
                members.c.external_id,
                servers.c.platform,
                servers.c.external_id.label("server_external_id"),
                servers.c.name.label("server_name"),
                servers.c.default_timezone.label("server_timezone"),
            )
            .join(members, members.c.id == dashboard_sessions.c.member_id)
            .join(servers, servers.c.id == dashboard_sessions.c.server_id)
            .where(
                dashboard_sessions.c.token_hash == session_hash,
                dashboard_sessions.c.expires_at > now,
            )
        )
        async with self.read() as tx:
            return SessionRecord.maybe((await tx.conn.execute(query)).first())

    async def end_dashboard_session(self, session_hash: str) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                delete(dashboard_sessions).where(dashboard_sessions.c.token_hash == session_hash)
            )
