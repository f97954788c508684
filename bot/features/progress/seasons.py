"""The season board: this month's ranking by answers, or a finished season's top three.

A season is a calendar month in the server's timezone. Everyone starts it at zero, so a
newcomer can win it; the all-time board stays beside it. When a season ends its top three
are kept (by the digest's announcement, or the first time someone looks at it), so a past
season shows as it ended.
"""

from __future__ import annotations

from bot.engine.actors import Place
from bot.engine.core import Kit
from bot.engine.messages import Card, Reply
from bot.engine.seasons import board_lines, parse_season, season_days
from bot.engine.streaks import local_date, month_key


async def season_reply(kit: Kit, place: Place, typed: str | None) -> Reply:
    """`leaderboard season [YYYY-MM]`: the current season live, or a past one as kept."""
    zone = place.server.default_timezone or kit.default_timezone
    today = local_date(kit.clock(), zone)
    season = parse_season(typed, today) if typed else month_key(today)
    first, last = season_days(season)
    server_id = place.server.id
    if season == month_key(today):
        rows = await kit.store.season_board(server_id, first, last)
        if not rows:
            body = f"Season {season} has just begun: nobody has answered yet. Be the first!"
            return Reply.text(f"Season {season}", body, private=False)
        rank = await kit.store.season_rank(server_id, place.member.id, first, last)
        days_left = (last - today).days
        footer = f"You are #{rank}." if rank else "Answer a question to join the season."
        footer += f" {days_left} day{'s' if days_left != 1 else ''} left · timezone {zone}."
        card = Card(title=f"Season {season}", body="\n".join(board_lines(rows)), footer=footer)
        return Reply(cards=(card,))
    rows = await kit.store.final_season(server_id, season, first, last, now=kit.clock())
    if not rows:
        return Reply.text(f"Season {season}", "Nobody answered a question that month.")
    card = Card(
        title=f"Season {season} · final",
        body="\n".join(board_lines(rows)),
        footer="The top three as the season ended.",
    )
    return Reply(cards=(card,))
