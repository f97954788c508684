"""Hints: how many a member has seen for their current question, and used per answer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member_stats") as batch_op:
        batch_op.add_column(
            sa.Column("current_hints", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("answers") as batch_op:
        batch_op.add_column(
            sa.Column("hints_used", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_column("hints_used")
    with op.batch_alter_table("member_stats") as batch_op:
        batch_op.drop_column("current_hints")
