"""Rank counts: members per score of each board, and answers per member and season, so that
a rank sums a few counts instead of counting members (filled from member_stats and answers);
the leaderboard's index on member_stats covers the member too

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# YYYY-MM of a local date, in each database's dialect.
MONTH_OF = {
    "sqlite": "strftime('%Y-%m', local_date)",
    "postgresql": "to_char(local_date, 'YYYY-MM')",
}
RANK_INDEX = [
    "server_id",
    "current_streak",
    "alive_until",
    "week_key",
    "week_answers",
    "month_key",
    "month_answers",
    "answers_total",
]
# Each board's period key and score in member_stats.
BOARDS = (
    ("week", "week_key", "week_answers"),
    ("month", "month_key", "month_answers"),
    ("all", "''", "answers_total"),
)


def _counted(*between: sa.Column) -> list[sa.Column]:
    return [
        sa.Column(
            "server_id",
            sa.Integer(),
            sa.ForeignKey("servers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("board", sa.String(8), primary_key=True),
        sa.Column("period_key", sa.String(10), primary_key=True),
        *between,
        sa.Column("score", sa.Integer(), primary_key=True),
        sa.Column("members", sa.Integer(), nullable=False),
    ]


def _grouped(board: str, key: str, columns: str, where: str, source: str = "member_stats") -> str:
    """Members per distinct `columns` (after the server) as count rows of `board`."""
    keys = f"server_id, {key}, {columns}" if key != "''" else f"server_id, {columns}"
    return (
        f"SELECT server_id, '{board}', {key}, {columns}, COUNT(*) FROM {source} "
        f"WHERE {where} GROUP BY {keys}"
    )


def _backfill() -> None:
    month = MONTH_OF[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO season_answers (server_id, season, member_id, answers) "
        f"SELECT server_id, {month}, member_id, COUNT(*) FROM ("
        "SELECT DISTINCT server_id, member_id, question_id, local_date FROM answers) AS counted "
        f"GROUP BY server_id, {month}, member_id"
    )
    scores = [_grouped(b, k, n, f"{n} > 0") for b, k, n in BOARDS]
    scores.append(_grouped("season", "season", "answers", "answers > 0", "season_answers"))
    alive = "alive_until IS NOT NULL"
    live = [
        _grouped("streak", "''", "alive_until, current_streak", f"{alive} AND current_streak > 0")
    ]
    live += [_grouped(b, k, f"alive_until, {n}", f"{alive} AND {n} > 0") for b, k, n in BOARDS]
    ties = [
        _grouped(b, k, f"current_streak, alive_until, {n}", f"{alive} AND {n} > 0")
        for b, k, n in BOARDS
    ]
    for table, selects in (("score_counts", scores), ("live_counts", live), ("tie_counts", ties)):
        op.execute(f"INSERT INTO {table} " + " UNION ALL ".join(selects))


def upgrade() -> None:
    op.create_table("score_counts", *_counted(), sqlite_with_rowid=False)
    op.create_table(
        "live_counts",
        *_counted(sa.Column("alive_until", sa.Date(), primary_key=True)),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "tie_counts",
        *_counted(
            sa.Column("streak", sa.Integer(), primary_key=True),
            sa.Column("alive_until", sa.Date(), primary_key=True),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "season_answers",
        sa.Column(
            "server_id",
            sa.Integer(),
            sa.ForeignKey("servers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("season", sa.String(7), primary_key=True),
        sa.Column(
            "member_id",
            sa.Integer(),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("answers", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_season_answers_board",
        "season_answers",
        ["server_id", "season", sa.text("answers DESC"), "member_id"],
    )
    _backfill()
    op.drop_index("ix_member_stats_rank", table_name="member_stats")
    op.create_index("ix_member_stats_rank", "member_stats", [*RANK_INDEX, "member_id"])


def downgrade() -> None:
    op.drop_index("ix_member_stats_rank", table_name="member_stats")
    op.create_index("ix_member_stats_rank", "member_stats", RANK_INDEX)
    op.drop_index("ix_season_answers_board", table_name="season_answers")
    for table in ("season_answers", "tie_counts", "live_counts", "score_counts"):
        op.drop_table(table)
