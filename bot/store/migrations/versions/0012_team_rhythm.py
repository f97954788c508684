"""Team rhythm: days off, streak reminders, milestone roles

(Reminders are sent once through the `sends` table of 0011.)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "days_off",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("server_id", sa.Integer(), _fk("servers")),
        sa.Column("schedule_id", sa.Integer(), _fk("schedules")),
        sa.Column("member_id", sa.Integer(), _fk("members")),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("schedule_id", "day", name="uq_days_off_schedule_day"),
        sa.UniqueConstraint("member_id", "day", name="uq_days_off_member_day"),
    )
    op.create_index("ix_days_off_server_day", "days_off", ["server_id", "day"])
    op.create_table(
        "reminders",
        sa.Column("server_id", sa.Integer(), _fk("servers"), primary_key=True),
        sa.Column("member_id", sa.Integer(), _fk("members"), primary_key=True),
        sa.Column("time_of_day", sa.String(5), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "milestone_roles",
        sa.Column("server_id", sa.Integer(), _fk("servers"), primary_key=True),
        sa.Column("days", sa.Integer(), primary_key=True),
        sa.Column("role_ref", sa.String(64), nullable=False),
        sa.Column("role_name", sa.String(100)),
        sa.Column("set_by", sa.String(64)),
    )
    op.create_table(
        "role_grants",
        sa.Column("server_id", sa.Integer(), _fk("servers"), primary_key=True),
        sa.Column("member_id", sa.Integer(), _fk("members"), primary_key=True),
        sa.Column("role_ref", sa.String(64), primary_key=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("role_grants", "milestone_roles", "reminders"):
        op.drop_table(table)
    op.drop_index("ix_days_off_server_day", table_name="days_off")
    op.drop_table("days_off")
