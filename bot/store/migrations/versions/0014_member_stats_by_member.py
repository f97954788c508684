"""Member stats indexed by member

The answer path reads a batch's stats rows through their members: the primary key leads
with the server, so finding them walked every member of the server (100 000 rows per batch
on a large one).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_member_stats_member", "member_stats", ["member_id", "server_id"])


def downgrade() -> None:
    op.drop_index("ix_member_stats_member", table_name="member_stats")
