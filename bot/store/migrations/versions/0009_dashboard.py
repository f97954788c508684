"""The web dashboard: sign-in links and sessions, the weekly and per-question tallies it
reads (filled from the answers and grades already stored), and an index on rounds by date

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

# The Monday of a local date's week, in each database's dialect.
WEEK_OF = {
    "sqlite": "date(local_date, 'weekday 0', '-6 days')",
    "postgresql": "CAST(date_trunc('week', local_date) AS date)",
}


def _reference(table: str, *, key: bool = False) -> sa.Column:
    """`server_id` or `member_id`, deleted with the row it names (part of the key or not)."""
    return sa.Column(
        f"{table[:-1]}_id",
        sa.Integer(),
        sa.ForeignKey(f"{table}.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=key,
    )


def _signin_columns() -> list[sa.Column]:
    return [
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _reference("servers"),
        _reference("members"),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    ]


def _tallies() -> None:
    op.create_table(
        "practice_weeks",
        _reference("servers", key=True),
        sa.Column("week", sa.Date(), primary_key=True),
        _reference("members", key=True),
    )
    op.create_index("ix_practice_weeks_member", "practice_weeks", ["member_id"])
    op.create_table(
        "question_stats",
        _reference("servers", key=True),
        sa.Column("question_id", sa.String(64), primary_key=True),
        sa.Column("answered", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("graded", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("good", sa.Integer(), nullable=False, server_default="0"),
    )
    week = WEEK_OF[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO practice_weeks (server_id, week, member_id) "
        f"SELECT DISTINCT server_id, {week}, member_id FROM ("
        "SELECT server_id, member_id, local_date FROM answers "
        "UNION SELECT server_id, member_id, local_date FROM grades) AS practice"
    )
    op.execute(
        "INSERT INTO question_stats (server_id, question_id, answered, graded, good) "
        "SELECT server_id, question_id, SUM(a), SUM(g), SUM(o) FROM ("
        "SELECT server_id, question_id, 1 AS a, 0 AS g, 0 AS o FROM answers "
        "UNION ALL SELECT server_id, question_id, 0, 1, "
        "CASE WHEN rating >= 3 THEN 1 ELSE 0 END FROM grades) AS counted "
        "GROUP BY server_id, question_id"
    )


def upgrade() -> None:
    op.create_table("dashboard_links", *_signin_columns(), sa.Column("used_at", sa.DateTime()))
    op.create_index("ix_dashboard_links_member", "dashboard_links", ["member_id"])
    op.create_table(
        "dashboard_sessions",
        *_signin_columns(),
        sa.Column("csrf", sa.String(64), nullable=False),
    )
    op.create_index("ix_dashboard_sessions_member", "dashboard_sessions", ["member_id"])
    _tallies()
    op.create_index("ix_mock_rounds_server_started", "mock_rounds", ["server_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_mock_rounds_server_started", table_name="mock_rounds")
    for table in ("question_stats", "practice_weeks", "dashboard_sessions", "dashboard_links"):
        op.drop_table(table)
