"""The boards' reads: the top of a board, and a member's place from the rank counts
(bot/store/rank_tables.py) in one statement.

Competition ranking: 1 + the members strictly ahead. On a leaderboard, those ahead of a
member are the running streaks longer than theirs (every running streak, if theirs is not
running), then those level with them with a higher score: running with the same streak, or,
for a member whose streak is not running, the others not running. Each is a sum over counts
per score, so a place costs a few index ranges whatever the number of members. The
statements are built once, with the values bound per call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, case, func, literal, select

from bot.store.rank_tables import live_counts, score_counts, season_answers, tie_counts
from bot.store.schema import member_stats, members

SERVER, TODAY, KEY = bindparam("server_id"), bindparam("today"), bindparam("period_key")
BOARDS = ("week", "month", "all")


def _members(table: Table, *where: Any) -> Any:
    """How many members the counts of `table` matching `where` (on the server) hold."""
    total = func.coalesce(func.sum(table.c.members), 0)
    return select(total).where(table.c.server_id == SERVER, *where).scalar_subquery()


def _score(board: str) -> Any:
    """The member's score on a board (a week or month counter counts only its own period)."""
    s = member_stats.c
    if board == "week":
        return case((s.week_key == KEY, s.week_answers), else_=0)
    if board == "month":
        return case((s.month_key == KEY, s.month_answers), else_=0)
    return s.answers_total


def _leaderboard_place(board: str) -> Any:
    s = member_stats.c
    me = (
        select(
            case((s.alive_until >= TODAY, s.current_streak), else_=None).label("streak"),
            _score(board).label("score"),
        )
        .where(s.server_id == SERVER, s.member_id == bindparam("member_id"))
        .subquery("me")
    )
    live, ties, scores = live_counts.c, tie_counts.c, score_counts.c
    running = (live.alive_until >= TODAY,)
    on_board = (live.board == board, live.period_key == KEY)
    longer = _members(
        live_counts,
        live.board == "streak",
        live.period_key == "",
        *running,
        live.score > func.coalesce(me.c.streak, 0),
    )
    same_streak = _members(
        tie_counts,
        ties.board == board,
        ties.period_key == KEY,
        ties.streak == me.c.streak,
        ties.alive_until >= TODAY,
        ties.score > me.c.score,
    )
    not_running = _members(
        score_counts, scores.board == board, scores.period_key == KEY, scores.score > me.c.score
    ) - _members(live_counts, *on_board, *running, live.score > me.c.score)
    level = case((me.c.streak.is_(None), not_running), else_=same_streak)
    return select(literal(1) + longer + level).select_from(me)


def _top(board: str, *, running: bool) -> Any:
    """The top of a board: running streaks (longest first), or the others by score.

    Ordered and cut in the index alone first, then joined to the members: a crowded streak
    is sorted without reading its rows.
    """
    s = member_stats.c
    score = _score(board).label("period_answers")
    if running:
        where = (s.alive_until >= TODAY, s.current_streak > 0)
        order = (s.current_streak.desc(), score.desc(), s.member_id)
    else:
        where = ((s.alive_until < TODAY) | s.alive_until.is_(None), score > 0)
        order = (score.desc(), s.member_id)
    top = (
        select(s.member_id, s.current_streak, score)
        .where(s.server_id == SERVER, *where)
        .order_by(*order)
        .limit(bindparam("limit"))
        .subquery()
    )
    ordered = (top.c.current_streak.desc(),) if running else ()
    return (
        select(
            top.c.member_id,
            members.c.display_name,
            members.c.external_id,
            top.c.current_streak,
            top.c.period_answers,
        )
        .join(members, members.c.id == top.c.member_id)
        .order_by(*ordered, top.c.period_answers.desc(), top.c.member_id)
    )


# Per board: the top of the running streaks, and of the others (read only if too few run).
TOP_RUNNING = {board: _top(board, running=True) for board in BOARDS}
TOP_RESTING = {board: _top(board, running=False) for board in BOARDS}


# Per board: the statement giving a member's place (no row: the member has no stats here).
LEADERBOARD_PLACE = {board: _leaderboard_place(board) for board in BOARDS}


def _season_place() -> Any:
    per, scores = season_answers.c, score_counts.c
    me = (
        select(per.answers)
        .where(
            per.server_id == SERVER,
            per.season == KEY,
            per.member_id == bindparam("member_id"),
            per.answers > 0,
        )
        .subquery("me")
    )
    ahead = _members(
        score_counts,
        scores.board == "season",
        scores.period_key == KEY,
        scores.score > me.c.answers,
    )
    return select(literal(1) + ahead).select_from(me)


# A member's place in a season (no row: no answer in it).
SEASON_PLACE = _season_place()


# The top of a season: most answers first, ties by member id (in the order of its index).
_per = season_answers.c
SEASON_TOP = (
    select(_per.member_id, members.c.display_name, members.c.external_id, _per.answers)
    .join(members, members.c.id == _per.member_id)
    .where(_per.server_id == SERVER, _per.season == KEY, _per.answers > 0)
    .order_by(_per.answers.desc(), _per.member_id)
    .limit(bindparam("limit"))
)
