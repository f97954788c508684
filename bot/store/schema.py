"""Table definitions: the one description of prepbot's data, shared by SQLite and PostgreSQL.

Times are stored as naive UTC datetimes; member-local calendar days as dates.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

servers = Table(
    "servers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("name", String(200)),
    Column("default_timezone", String(64)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("platform", "external_id"),
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("display_name", String(200)),
    Column("timezone", String(64)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("platform", "external_id"),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("time_of_day", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("weekdays", String(32), nullable=False),
    Column("topics", Text, nullable=False, server_default=""),
    Column("difficulty", String(8)),
    Column("grace_minutes", Integer, nullable=False, server_default="120"),
    Column("paused", Boolean, nullable=False, server_default="0"),
    Column("pause_reason", Text),  # set when the platform refused the channel (gone, forbidden)
    Column("set_by", String(64)),  # the admin's platform id, told if the bot pauses it
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("kind", String(8)),  # which kind of question it posts: open | output; NULL: any
    UniqueConstraint("server_id", "channel_id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("time_of_day", String(5), nullable=False),
    Column("topics", Text, nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("server_id", "member_id"),
)

# One row per channel and local date: the channel's question of the day. The scheduler
# claims a row (claimed_by/claimed_at) before posting it, so that it is posted once.
posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("schedule_id", ForeignKey("schedules.id", ondelete="SET NULL")),
    Column("local_date", Date, nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("cycle", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(64)),
    Column("claimed_at", DateTime),
    Column("message_ref", String(128)),
    Column("posted_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("server_id", "channel_id", "local_date"),
    UniqueConstraint("schedule_id", "local_date", name="uq_posts_schedule_day"),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("post_id", ForeignKey("posts.id", ondelete="SET NULL")),
    Column("text", Text, nullable=False),
    Column("covered", String(64), nullable=False, server_default=""),
    Column("local_date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("hints_used", Integer, nullable=False, server_default="0"),
    Index("ix_answers_member", "member_id", "created_at"),
    # "Did they answer this question today?": one answer per question per day counts.
    Index("ix_answers_member_day", "member_id", "local_date", "question_id"),
    Index("ix_answers_post", "post_id"),
)

grades = Table(
    "grades",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("local_date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_grades_member", "member_id", "created_at"),
)

# Spaced-repetition state per member and question (an FSRS card as JSON).
review_states = Table(
    "review_states",
    metadata,
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("question_id", String(64), primary_key=True),
    Column("topic", String(64), nullable=False),
    Column("card", Text, nullable=False),
    Column("due", DateTime, nullable=False),
    Column("reps", Integer, nullable=False, server_default="0"),
    Column("lapses", Integer, nullable=False, server_default="0"),
    Column("last_rating", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_review_states_due", "member_id", "due"),
)

# Per member and server: streaks and counters kept current in the same transaction as
# each answer or grade, so that streak and leaderboard reads never scan raw answers.
member_stats = Table(
    "member_stats",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("current_streak", Integer, nullable=False, server_default="0"),
    Column("longest_streak", Integer, nullable=False, server_default="0"),
    Column("freezes", Integer, nullable=False, server_default="0"),
    Column("last_day", Date),
    Column("alive_until", Date),
    Column("answers_total", Integer, nullable=False, server_default="0"),
    Column("grades_total", Integer, nullable=False, server_default="0"),
    Column("week_key", String(10), nullable=False, server_default=""),
    Column("week_answers", Integer, nullable=False, server_default="0"),
    Column("month_key", String(7), nullable=False, server_default=""),
    Column("month_answers", Integer, nullable=False, server_default="0"),
    Column("current_question_id", String(64)),
    Column("current_post_id", Integer),
    Column("updated_at", DateTime, nullable=False),
    Column("current_hints", Integer, nullable=False, server_default="0"),
    # Covers the top of the leaderboard: streak order, liveness, every period's answer count
    # and the member (ties), so that ordering a crowded streak reads no table row.
    Index(
        "ix_member_stats_rank",
        "server_id",
        "current_streak",
        "alive_until",
        "week_key",
        "week_answers",
        "month_key",
        "month_answers",
        "answers_total",
        "member_id",
    ),
    # The answer path loads a batch's rows by member (and forget-me deletes by member).
    Index("ix_member_stats_member", "member_id", "server_id"),
)

ONE_OPEN_ROUND = "uq_mock_rounds_one_open"

mock_rounds = Table(
    "mock_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("thread_ref", String(128)),
    Column("lead_member_id", ForeignKey("members.id", ondelete="SET NULL")),
    Column("candidate_member_id", ForeignKey("members.id", ondelete="SET NULL")),
    Column("is_group", Boolean, nullable=False, server_default="0"),
    Column("topics", Text, nullable=False, server_default=""),
    Column("difficulty", String(8)),
    Column("question_count", Integer, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("deadline", DateTime, nullable=False),
    Column("warned_at", DateTime),
    Column("ended_at", DateTime),
    Index("ix_mock_rounds_place", "server_id", "channel_id", "status"),
    Index("ix_mock_rounds_server_started", "server_id", "started_at"),
    # One open round per channel: two instances starting a round at once cannot both win.
    Index(
        ONE_OPEN_ROUND,
        "server_id",
        "channel_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

mock_items = Table(
    "mock_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", ForeignKey("mock_rounds.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("asked_at", DateTime),
    Column("finished_at", DateTime),
    Column("score", Integer),
    Column("note", Text),
    UniqueConstraint("round_id", "position"),
)

mock_responses = Table(
    "mock_responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", ForeignKey("mock_items.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# AI reviews asked per server and day (the daily cap holds across instances).
ai_usage = Table(
    "ai_usage",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("count", Integer, nullable=False, server_default="0"),
)

# Team rhythm ------------------------------------------------------------------------------

# Days that do not count against a streak. A schedule's skip dates (schedule_id and
# server_id set: no post there, and nobody in the server loses a streak) and a member's
# away days (member_id set, everywhere they practise). One table, one rule (streaks.py).
days_off = Table(
    "days_off",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE")),
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE")),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE")),
    Column("day", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("schedule_id", "day", name="uq_days_off_schedule_day"),
    UniqueConstraint("member_id", "day", name="uq_days_off_member_day"),
    Index("ix_days_off_server_day", "server_id", "day"),
)

# A member's streak-at-risk reminder: by DM at their local time when the streak is running
# and today has not counted yet.
reminders = Table(
    "reminders",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("time_of_day", String(5), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Streak milestones mapped to platform roles (Discord), and the roles the bot has granted.
milestone_roles = Table(
    "milestone_roles",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("days", Integer, primary_key=True),
    Column("role_ref", String(64), nullable=False),
    Column("role_name", String(100)),  # as the platform named it when set, for display
    Column("set_by", String(64)),
)

role_grants = Table(
    "role_grants",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("role_ref", String(64), primary_key=True),
    Column("granted_at", DateTime, nullable=False),
)

# A channel's weekly digest: posted on `weekday` at `time_of_day` in `timezone`.
digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("weekday", String(3), nullable=False),  # mon ... sun
    Column("time_of_day", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("set_by", String(64)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("server_id", "channel_id"),
)

# Messages a job sends exactly once (a week's digest, a season's announcement, a member's
# streak reminder of one day), by key: the
# sender claims the row before sending, like a daily post's row in `posts`.
sends = Table(
    "sends",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("claimed_by", String(64)),
    Column("claimed_at", DateTime),
    Column("message_ref", String(128)),
    Column("posted_at", DateTime),
    Column("created_at", DateTime, nullable=False),
)

# A finished season's top three per server (`season` is YYYY-MM in the server's timezone).
season_results = Table(
    "season_results",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("season", String(7), primary_key=True),
    Column("place", Integer, primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("answers", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Community content ------------------------------------------------------------------------

# Per server: which topics are switched off, and a version bumped by every change to its
# packs or topics, so that each instance's cached view of the bank knows when to reload.
server_content = Table(
    "server_content",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("disabled_topics", Text, nullable=False, server_default=""),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime, nullable=False),
)

# A server's own question packs (uploaded YAML, and `suggestions` for approved ones).
packs = Table(
    "packs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(40), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("size_bytes", Integer, nullable=False, server_default="0"),
    Column("added_by", String(64)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("server_id", "name"),
)

# One question of a pack: its YAML mapping as JSON, under a server-namespaced id.
pack_questions = Table(
    "pack_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pack_id", ForeignKey("packs.id", ondelete="CASCADE"), nullable=False),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("author_member_id", ForeignKey("members.id", ondelete="SET NULL")),
    Column("credit", String(200)),  # "suggested by ..." under the question
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("server_id", "question_id"),
    Index("ix_pack_questions_pack", "pack_id"),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(12), nullable=False),  # pending | approved | rejected
    Column("body", Text, nullable=False),  # the form's fields as JSON
    Column("reason", Text),  # why it was rejected, told to the author
    Column("question_id", String(64)),  # once approved
    Column("reviewed_by", String(64)),
    Column("notified_at", DateTime),  # the author was told the outcome
    Column("created_at", DateTime, nullable=False),
    Column("reviewed_at", DateTime),
    Index("ix_suggestions_server", "server_id", "status"),
    Index("ix_suggestions_member", "member_id", "created_at"),
)

# "Report a problem" under a reference answer.
reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(12), nullable=False),  # open | resolved | dismissed
    Column("created_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    Column("closed_by", String(64)),
    Index("ix_reports_server", "server_id", "status", "question_id"),
    Index("ix_reports_member", "member_id"),
)

# Who practised (answered or graded) in which week on a server: one row per member and week
# (the Monday of the member's local week), written with each answer and grade, so that the
# dashboard counts members per week without scanning every answer.
practice_weeks = Table(
    "practice_weeks",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_practice_weeks_member", "member_id"),
)

# Per server and question: answers, grades and Good/Easy grades, counted with each answer
# and grade (and taken back by forget-me), for the dashboard's per-question results.
question_stats = Table(
    "question_stats",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("question_id", String(64), primary_key=True),
    Column("answered", Integer, nullable=False, server_default="0"),
    Column("graded", Integer, nullable=False, server_default="0"),
    Column("good", Integer, nullable=False, server_default="0"),
)


def _signin_columns() -> list[Column]:
    """What a dashboard link and a session share: a token's hash, whose, where, which role."""
    return [
        Column("token_hash", String(64), primary_key=True),
        Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
        Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        Column("role", Integer, nullable=False),  # the member's role when the link was made
        Column("created_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
    ]


# Web dashboard sign-in links: only the hash of a link's token is kept, so a copy of the
# database cannot sign anyone in; `used_at` makes a link single-use across instances.
dashboard_links = Table(
    "dashboard_links",
    metadata,
    *_signin_columns(),
    Column("used_at", DateTime),
    Index("ix_dashboard_links_member", "member_id"),
)

# Signed-in browsers: the hash of the session cookie, bound to one member and one server.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    *_signin_columns(),
    Column("csrf", String(64), nullable=False),  # the token every form of the session carries
    Index("ix_dashboard_sessions_member", "member_id"),
)

# The rank counts (bot/store/rank_tables.py) are declared on this metadata too.
from bot.store import rank_tables  # noqa: E402, F401
