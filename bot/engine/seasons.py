"""Seasons: one calendar month each (`YYYY-MM`), in the server's timezone."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.engine.messages import Refusal, literal
from bot.engine.streaks import month_key


def season_days(season: str) -> tuple[date, date]:
    """The first and last local day of a season."""
    year, month = map(int, season.split("-"))
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def previous_season(day: date) -> str:
    """The season before the one `day` is in."""
    return month_key(day.replace(day=1) - timedelta(days=1))


def parse_season(text: str, today: date) -> str:
    """A season typed as `YYYY-MM`, checked: not malformed, not in the future."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise Refusal(f"`{text[:20]}` is not a season; use a month as `YYYY-MM`, e.g. `2026-11`.")
    season = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    if season > month_key(today):
        raise Refusal(f"Season {season} has not started yet; this one is {month_key(today)}.")
    return season


MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def board_lines(rows: list) -> list[str]:
    """A season board's rows, best first: medal or place, name, answers."""
    return [
        f"{MEDALS.get(i, f'{i}.')} {literal(row.display_name or row.external_id)} · "
        f"{row.answers} answer{'s' if row.answers != 1 else ''}"
        for i, row in enumerate(rows, 1)
    ]
