"""Every picture drawn from fixed, made-up data: the README's samples and the bench's input.

.venv/bin/python -m bot.pictures.samples [DIR]   # writes the PNGs (default docs/pictures)
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from bot.pictures.calendar import calendar_png
from bot.pictures.charts import scorecard_chart, topic_bars, week_chart

TODAY = date(2026, 12, 5)  # a Saturday
START = TODAY - timedelta(days=TODAY.weekday() + 7 * 11)  # the Monday 11 weeks before


def practice_days() -> dict[date, int]:
    rng = random.Random(15)
    return {
        START + timedelta(days=i): rng.choice((0, 0, 1, 1, 2, 3, 5))
        for i in range((TODAY - START).days + 1)
    }


def samples() -> dict[str, Callable[[], bytes]]:
    """File name -> a function drawing that picture."""
    days = practice_days()
    topics = [
        ("Python fundamentals", 9, 12),
        ("Databases and SQL", 5, 9),
        ("System design", 3, 7),
        ("Algorithms", 6, 6),
        ("Networking", 1, 4),
        ("Object-oriented design", 2, 3),
    ]
    first = TODAY - timedelta(days=6)  # a digest's week: the seven days up to its day
    counts = [(5, 9), (7, 12), (6, 8), (4, 6), (6, 11), (2, 3), (1, 1)]
    week = [(first + timedelta(days=i), p, a) for i, (p, a) in enumerate(counts)]
    round_items = [
        ("1. Python fundamentals", 4),
        ("2. Databases and SQL", 3),
        ("3. System design", 2),
        ("4. Algorithms", 5),
        ("5. Networking", None),
    ]
    return {
        "practice.png": lambda: calendar_png(
            days, start=START, today=TODAY, weeks=12, title="Practice · Ann · 12 weeks"
        ),
        "topics.png": lambda: topic_bars(topics, title="Results per topic · Ann"),
        "week.png": lambda: week_chart(week, title=f"Week of {first:%d %b} to {TODAY:%d %b %Y}"),
        "scorecard.png": lambda: scorecard_chart(round_items, title="Scorecard · Bob · round #3"),
    }


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path("docs/pictures")
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in samples().items():
        (out / name).write_bytes(draw())
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main(sys.argv[1:])
