"""Drawing basics for prepbot's pictures: one palette, one font, one way to encode a PNG.

Pictures sit on an opaque card of their own (a light panel with a border), so they read the
same in Discord's and Slack's dark and light themes: a transparent image would put dark
text on a dark theme. Text uses Pillow's bundled font, so nothing is fetched or installed.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]

PANEL: RGB = (248, 249, 251)
BORDER: RGB = (190, 197, 206)
INK: RGB = (31, 35, 40)  # titles and values
MUTED: RGB = (95, 105, 118)  # labels and axes; 4.5:1 or better on PANEL
GRID: RGB = (222, 226, 231)
# Practice levels: none, then 1, 2, 3 and 4 or more answers and grades in a day.
SHADES: tuple[RGB, ...] = (
    (226, 230, 235),
    (155, 226, 168),
    (64, 196, 99),
    (40, 150, 72),
    (22, 98, 46),
)
GOOD: RGB = (40, 150, 72)
OTHER: RGB = (238, 164, 52)  # graded, but not Good or Easy
ACCENT: RGB = (70, 110, 220)
# Mock-round scores 1 to 5, red to green (distinct in lightness too, for colour-blind readers).
SCORES: tuple[RGB, ...] = (
    (200, 55, 55),
    (230, 120, 50),
    (215, 170, 30),
    (90, 170, 80),
    (30, 120, 60),
)

MARGIN = 16
TITLE_SIZE = 18
TEXT_SIZE = 13


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled default font at `size` pixels (cached: loading costs a few ms)."""
    return ImageFont.load_default(size=size)


def text_width(text: str, size: int = TEXT_SIZE) -> int:
    return int(font(size).getlength(text))


class Canvas:
    """An opaque panel with a border, a title, and helpers for text and boxes."""

    def __init__(self, width: int, height: int, *, title: str = ""):
        self.image = Image.new("RGB", (width, height), PANEL)
        self.draw = ImageDraw.Draw(self.image)
        self.draw.rectangle((0, 0, width - 1, height - 1), outline=BORDER)
        self.width, self.height = width, height
        if title:
            self.text((MARGIN, MARGIN - 2), title, size=TITLE_SIZE, fill=INK)

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        *,
        size: int = TEXT_SIZE,
        fill: RGB = MUTED,
        anchor: str = "la",
    ) -> None:
        self.draw.text(xy, text, font=font(size), fill=fill, anchor=anchor)

    def box(self, x: float, y: float, w: float, h: float, fill: RGB, *, radius: int = 2) -> None:
        if w <= 0 or h <= 0:
            return
        self.draw.rounded_rectangle((x, y, x + w - 1, y + h - 1), radius=radius, fill=fill)

    def png(self) -> bytes:
        """The picture as PNG bytes (zlib level 6: a tenth of level 9's time, a few % larger)."""
        out = io.BytesIO()
        self.image.save(out, format="PNG", compress_level=6)
        return out.getvalue()


def fit(text: str, width: int, size: int = TEXT_SIZE) -> str:
    """`text` shortened with an ellipsis to fit `width` pixels."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"
