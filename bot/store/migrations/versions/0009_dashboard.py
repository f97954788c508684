"""The web dashboard: sign-in links and sessions, and indexes for its server-wide reads

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_answers_server_day", "answers", ["server_id", "local_date", "member_id"]),
    ("ix_answers_server_question", "answers", ["server_id", "question_id"]),
    ("ix_grades_server_question", "grades", ["server_id", "question_id", "rating"]),
    ("ix_grades_server_day", "grades", ["server_id", "local_date", "member_id"]),
    ("ix_mock_rounds_server_started", "mock_rounds", ["server_id", "started_at"]),
)


def _owned_columns() -> list[sa.Column]:
    return [
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "server_id",
            sa.Integer(),
            sa.ForeignKey("servers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.Integer(),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table("dashboard_links", *_owned_columns(), sa.Column("used_at", sa.DateTime()))
    op.create_index("ix_dashboard_links_member", "dashboard_links", ["member_id"])
    op.create_table(
        "dashboard_sessions",
        *_owned_columns(),
        sa.Column("csrf", sa.String(64), nullable=False),
    )
    op.create_index("ix_dashboard_sessions_member", "dashboard_sessions", ["member_id"])
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("dashboard_sessions")
    op.drop_table("dashboard_links")
