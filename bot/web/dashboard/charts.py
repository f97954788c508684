"""Charts drawn on the server as inline SVG: numbers in, markup out (no script)."""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

BAR_WIDTH, BAR_GAP, CHART_HEIGHT = 34, 10, 120
CELL, CELL_GAP = 12, 3
HEAT_LEVELS = 5  # 0, 1, 2, 3, 4+ answers and grades in a day


def bar_chart(labels: list[str], values: list[int], *, title: str) -> Markup:
    """Vertical bars with their value above and their label below."""
    top = max(values, default=0) or 1
    width = len(values) * (BAR_WIDTH + BAR_GAP)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {CHART_HEIGHT + 34}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = n * (BAR_WIDTH + BAR_GAP) + BAR_GAP / 2
        height = round(CHART_HEIGHT * value / top)
        y = CHART_HEIGHT - height + 16
        parts.append(
            f'<rect class="bar" x="{x}" y="{y}" width="{BAR_WIDTH}" height="{height}" rx="3">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{x + BAR_WIDTH / 2}" y="{y - 4}" text-anchor="middle">{value}</text>'
            f'<text x="{x + BAR_WIDTH / 2}" y="{CHART_HEIGHT + 30}" text-anchor="middle" '
            f'class="label">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def calendar(days: dict[date, int], *, start: date, today: date) -> Markup:
    """A practice calendar: a column per week from `start` (a Monday), a row per weekday."""
    weeks = (today - start).days // 7 + 1
    width, height = weeks * (CELL + CELL_GAP) + 30, 7 * (CELL + CELL_GAP)
    active = sum(1 for d in days if start <= d <= today)
    title = f"Practice since {start:%d %b %Y}: {active} active days"
    parts = [
        f'<svg class="calendar" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{title}"><title>{title}</title>'
    ]
    for row, label in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        parts.append(f'<text x="0" y="{row * (CELL + CELL_GAP) + CELL - 2}">{label}</text>')
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        count = days.get(day, 0)
        level = min(count, HEAT_LEVELS - 1)
        x = 30 + (offset // 7) * (CELL + CELL_GAP)
        y = (offset % 7) * (CELL + CELL_GAP)
        parts.append(
            f'<rect class="heat{level}" x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2">'
            f"<title>{day:%a %d %b}: {count}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
