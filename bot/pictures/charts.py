"""Bar charts: results per topic, a team's week, a mock round's scorecard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.pictures.canvas import (
    ACCENT,
    GOOD,
    GRID,
    INK,
    MARGIN,
    MUTED,
    OTHER,
    RGB,
    SCORES,
    TITLE_SIZE,
    Canvas,
    fit,
    text_width,
)

ROW = 24  # pixels per bar row
BAR = 14
WIDTH = 520
LABEL_W = 170
VALUE_W = 70
MAX_ROWS = 15  # more would make a tall picture nobody reads; the text lists them all


@dataclass(frozen=True)
class Segment:
    length: float  # in the chart's units
    colour: RGB


@dataclass(frozen=True)
class BarRow:
    label: str
    segments: tuple[Segment, ...]
    value: str  # the text after the bar


def _hbars(
    title: str,
    rows: Sequence[BarRow],
    *,
    scale: float,
    legend: Sequence[tuple[str, RGB]],
    ticks: Sequence[float] = (),
    empty: str = "Nothing yet.",
) -> bytes:
    """Horizontal bars, one row each, on a shared `scale` (the longest a bar can be)."""
    rows = list(rows)[:MAX_ROWS]
    top = MARGIN + TITLE_SIZE + 14
    height = top + max(len(rows), 1) * ROW + 8 + 20 + MARGIN
    canvas = Canvas(WIDTH, height, title=fit(title, WIDTH - 2 * MARGIN, TITLE_SIZE))
    x0 = MARGIN + LABEL_W + 8
    span = WIDTH - x0 - VALUE_W - MARGIN
    for tick in ticks:
        x = x0 + span * tick / scale
        canvas.draw.line((x, top - 4, x, top + len(rows) * ROW - 4), fill=GRID)
    if not rows:
        canvas.text((MARGIN, top + ROW / 2), empty, anchor="lm")
    for i, row in enumerate(rows):
        y = top + i * ROW
        canvas.text((MARGIN, y + BAR / 2), fit(row.label, LABEL_W), fill=INK, anchor="lm")
        x = x0
        for segment in row.segments:
            w = span * segment.length / scale if scale else 0
            canvas.box(x, y, round(w), BAR, segment.colour, radius=2)
            x += round(w)
        canvas.text((x + 6, y + BAR / 2), row.value, anchor="lm")
    _legend(canvas, legend, y=height - MARGIN - 8)
    return canvas.png()


def _legend(canvas: Canvas, entries: Sequence[tuple[str, RGB]], *, y: float) -> None:
    x = MARGIN
    for label, colour in entries:
        canvas.box(x, y - 6, 12, 12, colour)
        canvas.text((x + 17, y), label, anchor="lm")
        x += 17 + text_width(label) + 18


def topic_bars(results: Sequence[tuple[str, int, int]], *, title: str) -> bytes:
    """Per topic (title, good or easy, graded): a bar of questions graded, the part last
    graded Good or Easy in green."""
    longest = max((graded for _, _, graded in results), default=0)
    rows = [
        BarRow(
            label,
            (Segment(good, GOOD), Segment(graded - good, OTHER)),
            f"{good}/{graded}",
        )
        for label, good, graded in results
    ]
    return _hbars(
        title,
        rows,
        scale=max(longest, 1),
        legend=(("Good or Easy", GOOD), ("Again or Hard", OTHER)),
        empty="Nothing graded yet.",
    )


def scorecard_chart(items: Sequence[tuple[str, int | None]], *, title: str) -> bytes:
    """A mock round's questions (label, score 1-5 or None), each as a bar out of 5."""
    rows = [
        BarRow(
            label,
            (Segment(score, SCORES[score - 1]),) if score else (),
            f"{score}/5" if score else "not scored",
        )
        for label, score in items
    ]
    return _hbars(
        title,
        rows,
        scale=5,
        ticks=(1, 2, 3, 4, 5),
        legend=tuple((f"score {n}", colour) for n, colour in enumerate(SCORES, 1)),
        empty="No questions were asked.",
    )


def week_chart(days: Sequence[tuple[date, int, int]], *, title: str) -> bytes:
    """A team's week: per day (date, members who practised, answers), answers as bars with
    the number of members under each."""
    width, chart_h = 500, 130
    top = MARGIN + TITLE_SIZE + 24
    height = top + chart_h + 56 + 24 + MARGIN
    canvas = Canvas(width, height, title=fit(title, width - 2 * MARGIN, TITLE_SIZE))
    most = max((answers for _, _, answers in days), default=0) or 1
    slot = (width - 2 * MARGIN) / max(len(days), 1)
    base = top + chart_h
    canvas.draw.line((MARGIN, base, width - MARGIN, base), fill=GRID, width=2)
    for i, (day, people, answers) in enumerate(days):
        cx = MARGIN + slot * (i + 0.5)
        h = round(chart_h * answers / most)
        canvas.box(cx - slot * 0.3, base - h, round(slot * 0.6), h, ACCENT, radius=3)
        canvas.text((cx, base - h - 4), str(answers), fill=INK, anchor="ms")
        canvas.text((cx, base + 14), f"{day:%a}", fill=INK, anchor="mm")
        canvas.text((cx, base + 30), f"{day:%d %b}", anchor="mm")
        canvas.text(
            (cx, base + 46), f"{people} {'person' if people == 1 else 'people'}", anchor="mm"
        )
    _legend(canvas, (("answers", ACCENT),), y=height - MARGIN - 8)
    note = "people: members who practised that day"
    canvas.text((width - MARGIN, height - MARGIN - 8), note, fill=MUTED, anchor="rm")
    return canvas.png()
