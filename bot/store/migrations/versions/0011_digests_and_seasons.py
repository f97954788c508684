"""Weekly digests per channel, exactly-once sends by key, and finished seasons' top three

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "server_id",
            sa.Integer(),
            sa.ForeignKey("servers.id", ondelete="CASCADE", name="fk_digests_server_id_servers"),
            nullable=False,
        ),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("weekday", sa.String(3), nullable=False),
        sa.Column("time_of_day", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("set_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        sa.UniqueConstraint("server_id", "channel_id", name="uq_digests_server_id"),
    )
    op.create_table(
        "sends",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("message_ref", sa.String(128)),
        sa.Column("posted_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sends"),
    )
    op.create_table(
        "season_results",
        sa.Column(
            "server_id",
            sa.Integer(),
            sa.ForeignKey(
                "servers.id", ondelete="CASCADE", name="fk_season_results_server_id_servers"
            ),
            nullable=False,
        ),
        sa.Column("season", sa.String(7), nullable=False),
        sa.Column("place", sa.Integer, nullable=False),
        sa.Column(
            "member_id",
            sa.Integer(),
            sa.ForeignKey(
                "members.id", ondelete="CASCADE", name="fk_season_results_member_id_members"
            ),
            nullable=False,
        ),
        sa.Column("answers", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("server_id", "season", "place", name="pk_season_results"),
    )


def downgrade() -> None:
    op.drop_table("season_results")
    op.drop_table("sends")
    op.drop_table("digests")
