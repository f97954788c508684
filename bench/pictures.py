"""Render time per picture (target: under 100 ms each), with a baseline in the same run.

    .venv/bin/python bench/pictures.py [--runs 50]

Each picture is drawn from the README's sample data (bot/pictures/samples.py), PNG encoding
included. The baseline is what the pictures replaced: the hand-written PNG encoder drawing
the bare 12-week grid of squares (no labels, no legend, no title), timed in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import struct
import time
import zlib
from collections.abc import Callable
from datetime import timedelta

from bot.pictures.samples import START, TODAY, practice_days, samples

TARGET_MS = 100.0


def previous_calendar(days: dict, *, start, today, weeks: int) -> bytes:  # type: ignore[no-untyped-def]
    """The replaced encoder: RGB rows by hand, zlib level 9, no filtering."""
    cell, gap, margin = 14, 3, 6
    width, height = margin * 2 + weeks * cell + (weeks - 1) * gap, margin * 2 + 7 * cell + 6 * gap
    shades = ((235, 237, 240), (155, 233, 168), (64, 196, 99), (48, 161, 78), (33, 110, 57))
    rows = [[(255, 255, 255)] * width for _ in range(height)]
    for week in range(weeks):
        for weekday in range(7):
            day = start + timedelta(days=7 * week + weekday)
            colour = (255, 255, 255) if day > today else shades[min(days.get(day, 0), 4)]
            x0, y0 = margin + week * (cell + gap), margin + weekday * (cell + gap)
            for y in range(y0, y0 + cell):
                rows[y][x0 : x0 + cell] = [colour] * cell
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


def timed(draw: Callable[[], bytes], runs: int) -> tuple[float, float, int]:
    """(median ms, slowest ms, bytes) over `runs` draws, after one warm-up draw."""
    size = len(draw())
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        draw()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    days = practice_days()
    rows = {name: timed(draw, args.runs) for name, draw in samples().items()}
    rows["baseline: hand-written grid"] = timed(
        lambda: previous_calendar(days, start=START, today=TODAY, weeks=12), args.runs
    )
    print(f"{'picture':30} {'median ms':>10} {'max ms':>8} {'bytes':>7}")
    for name, (median, slowest, size) in rows.items():
        print(f"{name:30} {median:10.1f} {slowest:8.1f} {size:7d}")
    ours = [median for name, (median, _, _) in rows.items() if not name.startswith("baseline")]
    verdict = "ok" if max(ours) < TARGET_MS else "OVER"
    print(f"slowest picture (median): {max(ours):.1f} ms; target < {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
