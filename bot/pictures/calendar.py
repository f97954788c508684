"""The practice calendar: weeks across, weekdays down, darker for more practice, with
weekday and month labels, a legend and a title."""

from __future__ import annotations

from datetime import date, timedelta

from bot.pictures.canvas import (
    INK,
    MARGIN,
    SHADES,
    TEXT_SIZE,
    TITLE_SIZE,
    Canvas,
    fit,
    text_width,
)

CELL = 18  # pixels per day square
GAP = 4
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIN_WIDTH = 380
LEGEND = 30  # the legend's row under the grid


def shade(count: int) -> tuple[int, int, int]:
    return SHADES[min(max(count, 0), len(SHADES) - 1)]


def layout(weeks: int) -> tuple[int, int, int, int]:
    """(width, height, grid left, grid top) of a calendar of `weeks` columns."""
    left = MARGIN + text_width("Mon") + 8
    top = MARGIN + TITLE_SIZE + 10 + TEXT_SIZE + 6  # title, then the month labels
    grid_w = weeks * (CELL + GAP) - GAP
    width = max(MIN_WIDTH, left + grid_w + MARGIN)
    height = top + 7 * (CELL + GAP) - GAP + LEGEND + MARGIN
    return width, height, left, top


def cell_origin(week: int, weekday: int, *, left: int, top: int) -> tuple[int, int]:
    return left + week * (CELL + GAP), top + weekday * (CELL + GAP)


def calendar_png(
    days: dict[date, int], *, start: date, today: date, weeks: int, title: str = "Practice"
) -> bytes:
    """The calendar from Monday `start` for `weeks` weeks; days after `today` left open."""
    width, height, left, top = layout(weeks)
    canvas = Canvas(width, height, title=fit(title, width - 2 * MARGIN, TITLE_SIZE))
    for weekday, label in enumerate(WEEKDAYS):
        _, y = cell_origin(0, weekday, left=left, top=top)
        canvas.text((MARGIN, y + CELL / 2), label, anchor="lm")
    shown_month, last_label_x = None, -100
    for week in range(weeks):
        monday = start + timedelta(days=7 * week)
        x, _ = cell_origin(week, 0, left=left, top=top)
        month = (monday + timedelta(days=6)).month if week == 0 else monday.month
        if month != shown_month and x - last_label_x >= 3 * (CELL + GAP):
            canvas.text((x, top - 6), f"{monday + timedelta(days=6):%b}", anchor="ls")
            shown_month, last_label_x = month, x
        for weekday in range(7):
            day = monday + timedelta(days=weekday)
            x, y = cell_origin(week, weekday, left=left, top=top)
            if day > today:
                continue
            canvas.box(x, y, CELL, CELL, shade(days.get(day, 0)), radius=3)
            if day == today:
                canvas.draw.rounded_rectangle(
                    (x - 1, y - 1, x + CELL, y + CELL), radius=4, outline=INK, width=2
                )
    _legend(canvas, days, start=start, today=today, left=left, y=height - MARGIN - 12)
    return canvas.png()


def _legend(
    canvas: Canvas, days: dict[date, int], *, start: date, today: date, left: int, y: int
) -> None:
    """`Less ■■■■■ More` on the left, the count of active days on the right."""
    x = left
    canvas.text((x, y), "Less", anchor="lm")
    x += text_width("Less") + 6
    for colour in SHADES:
        canvas.box(x, y - 6, 12, 12, colour)
        x += 15
    canvas.text((x + 3, y), "More", anchor="lm")
    active = sum(1 for day, n in days.items() if n > 0 and start <= day <= today)
    label = f"{active} active day{'s' if active != 1 else ''}"
    canvas.text((canvas.width - MARGIN, y), label, fill=INK, anchor="rm")
