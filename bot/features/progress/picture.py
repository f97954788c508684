"""The practice calendar as a PNG: weeks across, weekdays down, darker for more practice.

Written with the standard library only (zlib and struct), so the engine needs no imaging
package; adapters that can show images attach it, the others show the text calendar.
"""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

CELL = 14  # pixels per day square
GAP = 3
MARGIN = 6
# Empty, then one to four-or-more answers and grades in a day.
SHADES = ((235, 237, 240), (155, 233, 168), (64, 196, 99), (48, 161, 78), (33, 110, 57))
FUTURE = (255, 255, 255)
BACKGROUND = (255, 255, 255)


def shade(count: int) -> tuple[int, int, int]:
    return SHADES[min(max(count, 0), len(SHADES) - 1)]


def calendar_pixels(
    days: dict[date, int], *, start: date, today: date, weeks: int
) -> list[list[tuple[int, int, int]]]:
    """Rows of RGB pixels: column = week from `start` (a Monday), row = weekday."""
    width = MARGIN * 2 + weeks * CELL + (weeks - 1) * GAP
    height = MARGIN * 2 + 7 * CELL + 6 * GAP
    rows = [[BACKGROUND] * width for _ in range(height)]
    for week in range(weeks):
        for weekday in range(7):
            day = start + timedelta(days=7 * week + weekday)
            colour = FUTURE if day > today else shade(days.get(day, 0))
            x0 = MARGIN + week * (CELL + GAP)
            y0 = MARGIN + weekday * (CELL + GAP)
            for y in range(y0, y0 + CELL):
                rows[y][x0 : x0 + CELL] = [colour] * CELL
    return rows


def png(rows: list[list[tuple[int, int, int]]]) -> bytes:
    """Encode RGB rows as a PNG (8-bit truecolour, no filtering)."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(c for pixel in row for c in pixel) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def calendar_png(days: dict[date, int], *, start: date, today: date, weeks: int) -> bytes:
    return png(calendar_pixels(days, start=start, today=today, weeks=weeks))
