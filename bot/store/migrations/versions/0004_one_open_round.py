"""mock_rounds: at most one open round per channel, kept by a partial unique index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "uq_mock_rounds_one_open"
OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    _end_all_but_the_newest_open_round()
    op.create_index(
        INDEX,
        "mock_rounds",
        ["server_id", "channel_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="mock_rounds")


def _end_all_but_the_newest_open_round() -> None:
    """Before the index, a race could open two rounds in one channel: end the older ones."""
    rounds = sa.table(
        "mock_rounds",
        sa.column("id", sa.Integer),
        sa.column("server_id", sa.Integer),
        sa.column("channel_id", sa.String),
        sa.column("status", sa.String),
        sa.column("started_at", sa.DateTime),
        sa.column("ended_at", sa.DateTime),
    )
    newer = rounds.alias("newer")
    has_newer = sa.exists().where(
        newer.c.server_id == rounds.c.server_id,
        newer.c.channel_id == rounds.c.channel_id,
        newer.c.status == "open",
        (newer.c.started_at > rounds.c.started_at)
        | ((newer.c.started_at == rounds.c.started_at) & (newer.c.id > rounds.c.id)),
    )
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC
    op.execute(
        rounds.update()
        .where(rounds.c.status == "open", has_newer)
        .values(status="ended", ended_at=now)
    )
