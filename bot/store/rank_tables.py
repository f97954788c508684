"""Rank counts: how many members of a server stand at each score of a board.

Kept by `bot/store/rank_counts.py` in the same transaction as the member_stats rows they
count, so that a member's place adds up a few of these rows instead of counting members.
Boards: `week`, `month` and `all` score a member's answers in the period (`period_key` is the
week or month, '' for all); `season` scores the answers of one month (`season_answers`);
`streak` scores the streak length ('' period). Only scores above zero are counted: a place
counts those strictly ahead, and nobody is ahead by having nothing.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table

from bot.store.schema import metadata

# In SQLite the counts are stored in their key's own B-tree (WITHOUT ROWID): an upsert
# writes one tree rather than a table and its key's index.


def _counted(*between: Column) -> list[Column]:
    """A count's key (server, board, period, `between`, score) and its number of members."""
    return [
        Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
        Column("board", String(8), primary_key=True),
        Column("period_key", String(10), primary_key=True),
        *between,
        Column("score", Integer, primary_key=True),
        Column("members", Integer, nullable=False),
    ]


# Every member with a score in the period.
score_counts = Table("score_counts", metadata, *_counted(), sqlite_with_rowid=False)

# Members with a streak, by the last day it is kept without new activity (`alive_until`):
# on a given day the running ones are those whose day is today or later. No write happens
# when a streak lapses; a read just stops counting it.
live_counts = Table(
    "live_counts",
    metadata,
    *_counted(Column("alive_until", Date, primary_key=True)),
    sqlite_with_rowid=False,
)

# The same per streak length: members ahead of one with the same streak.
tie_counts = Table(
    "tie_counts",
    metadata,
    *_counted(
        Column("streak", Integer, primary_key=True),
        Column("alive_until", Date, primary_key=True),
    ),
    sqlite_with_rowid=False,
)

# Answers per member and season (YYYY-MM of the local day; one per question per day, as the
# counters count), for the season board and a member's place in it.
season_answers = Table(
    "season_answers",
    metadata,
    Column("server_id", ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("season", String(7), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("answers", Integer, nullable=False),
    sqlite_with_rowid=False,
)
# The board's order (most answers first, ties by member id) as it is read, a few rows a time.
Index(
    "ix_season_answers_board",
    season_answers.c.server_id,
    season_answers.c.season,
    season_answers.c.answers.desc(),
    season_answers.c.member_id,
)
