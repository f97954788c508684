"""Community content: per-server packs and topics, member suggestions, problem reports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _server() -> sa.Column:
    return sa.Column(
        "server_id", sa.Integer(), sa.ForeignKey("servers.id", ondelete="CASCADE"), nullable=False
    )


def _member(ondelete: str, nullable: bool) -> sa.Column:
    name = "author_member_id" if nullable else "member_id"
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey("members.id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "server_content",
        sa.Column(
            "server_id",
            sa.Integer(),
            sa.ForeignKey("servers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("disabled_topics", sa.Text(), nullable=False, server_default=""),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "packs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _server(),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default="1"),
        sa.Column("size_bytes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("added_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("server_id", "name", name="uq_packs_server_id"),
    )
    op.create_table(
        "pack_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "pack_id", sa.Integer(), sa.ForeignKey("packs.id", ondelete="CASCADE"), nullable=False
        ),
        _server(),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _member("SET NULL", True),
        sa.Column("credit", sa.String(200)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("server_id", "question_id", name="uq_pack_questions_server_id"),
    )
    op.create_index("ix_pack_questions_pack", "pack_questions", ["pack_id"])
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _server(),
        _member("CASCADE", False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("question_id", sa.String(64)),
        sa.Column("reviewed_by", sa.String(64)),
        sa.Column("notified_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime()),
    )
    op.create_index("ix_suggestions_server", "suggestions", ["server_id", "status"])
    op.create_index("ix_suggestions_member", "suggestions", ["member_id", "created_at"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        _server(),
        _member("CASCADE", False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("closed_by", sa.String(64)),
    )
    op.create_index("ix_reports_server", "reports", ["server_id", "status", "question_id"])
    op.create_index("ix_reports_member", "reports", ["member_id"])


def downgrade() -> None:
    for table in ("reports", "suggestions", "pack_questions", "packs", "server_content"):
        op.drop_table(table)
