"""The practice calendar picture: a valid PNG whose squares show the practice."""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

from bot.features.progress.picture import CELL, GAP, MARGIN, SHADES, calendar_png
from tests.conftest import make_actor


def decode(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def pixel(raw: bytes, width: int, x: int, y: int) -> tuple[int, int, int]:
    offset = y * (1 + 3 * width) + 1 + 3 * x
    return tuple(raw[offset : offset + 3])


def test_squares_are_shaded_by_practice():
    start = date(2026, 1, 5)  # a Monday
    days = {start: 1, start + timedelta(days=8): 5}
    width, height, raw = decode(
        calendar_png(days, start=start, today=start + timedelta(days=9), weeks=2)
    )
    assert (width, height) == (2 * MARGIN + 2 * CELL + GAP, 2 * MARGIN + 7 * CELL + 6 * GAP)
    assert len(raw) == height * (1 + 3 * width)
    centre = CELL // 2
    assert pixel(raw, width, MARGIN + centre, MARGIN + centre) == SHADES[1]  # Mon, week 1
    week2 = MARGIN + CELL + GAP + centre
    assert pixel(raw, width, week2, MARGIN + (CELL + GAP) + centre) == SHADES[4]  # Tue, week 2
    assert pixel(raw, width, week2, MARGIN + centre) == SHADES[0]  # Mon, week 2: no practice


async def test_stats_carries_the_picture_and_the_text_calendar(engine, clock):
    actor = make_actor()
    await engine.run_text(actor, "today")
    await engine.run_text(actor, "answer thread pool")
    reply = await engine.run_text(actor, "stats")
    card = reply.cards[0]
    assert card.image is not None and card.image.filename == "practice.png"
    assert card.image.data.startswith(b"\x89PNG") and "1 active days" in card.image.alt
    assert "```" in card.body  # the text calendar for platforms without images
