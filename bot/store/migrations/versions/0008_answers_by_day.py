"""An index for "has this member answered this question on this day?" (the leaderboard
counts one answer per question per day)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_answers_member_day", "answers", ["member_id", "local_date", "question_id"])


def downgrade() -> None:
    op.drop_index("ix_answers_member_day", table_name="answers")
