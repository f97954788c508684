"""The pictures: valid opaque PNGs whose squares and bars show the data, and how each
platform delivers them (Discord attaches, Slack uploads, the console writes a file)."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from bot.pictures import calendar_png, scorecard_chart, topic_bars, week_chart
from bot.pictures.calendar import CELL, cell_origin, layout
from bot.pictures.canvas import ACCENT, GOOD, OTHER, PANEL, SCORES, SHADES
from tests.conftest import make_actor
from tests.surfaces import surfaces


def opened(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.mode == "RGB"  # opaque: readable on dark and light themes alike
    return image


def centre(week: int, weekday: int, weeks: int) -> tuple[int, int]:
    _, _, left, top = layout(weeks)
    x, y = cell_origin(week, weekday, left=left, top=top)
    return x + CELL // 2, y + CELL // 2


def colours_in_row(image: Image.Image, y: int) -> list[tuple[int, int, int]]:
    return [image.getpixel((x, y)) for x in range(image.width)]


def test_calendar_squares_are_shaded_by_practice_and_labelled():
    start = date(2026, 1, 5)  # a Monday
    days = {start: 1, start + timedelta(days=8): 5}
    image = opened(calendar_png(days, start=start, today=start + timedelta(days=9), weeks=2))
    assert (image.width, image.height) == layout(2)[:2]
    assert image.getpixel(centre(0, 0, 2)) == SHADES[1]  # Mon, week 1
    assert image.getpixel(centre(1, 1, 2)) == SHADES[4]  # Tue, week 2: five
    assert image.getpixel(centre(1, 0, 2)) == SHADES[0]  # Mon, week 2: none
    assert image.getpixel(centre(1, 3, 2)) == PANEL  # Thu, week 2: not yet
    _, _, left, top = layout(2)
    labels = image.crop((0, top, left - 4, top + 7 * CELL))  # the weekday labels
    assert len(set(labels.get_flattened_data())) > 2  # text drawn there (anti-aliased ink)
    legend = colours_in_row(image, image.height - 16 - 12)
    assert all(shade in legend for shade in SHADES)  # Less ■■■■■ More


def test_topic_bars_show_graded_and_good_shares():
    image = opened(topic_bars([("Python", 3, 4), ("SQL", 0, 2)], title="Results per topic"))
    first = colours_in_row(image, 16 + 18 + 14 + 7)
    assert first.count(GOOD) > 0 and first.count(OTHER) > 0
    assert abs(first.count(GOOD) - 3 * first.count(OTHER)) <= 3  # 3 good, 1 other
    second = colours_in_row(image, 16 + 18 + 14 + 24 + 7)
    assert second.count(GOOD) == 0 and abs(second.count(OTHER) - 2 * first.count(OTHER)) <= 3


def test_scorecard_chart_colours_each_score():
    image = opened(scorecard_chart([("1. Python", 5), ("2. SQL", 2), ("3. OOP", None)], title="S"))
    rows = [colours_in_row(image, 16 + 18 + 14 + 24 * i + 7) for i in range(3)]
    assert rows[0].count(SCORES[4]) > 2 * rows[1].count(SCORES[1]) > 0
    assert not any(c in rows[2] for c in SCORES)  # not scored: no bar


def test_week_chart_bars_follow_answers():
    monday = date(2026, 11, 30)
    days = [(monday + timedelta(days=i), i, 2 * i) for i in range(7)]
    image = opened(week_chart(days, title="Week of 30 Nov"))
    heights = []
    for i in range(7):
        x = round(16 + (image.width - 32) / 7 * (i + 0.5))
        column = [image.getpixel((x, y)) for y in range(image.height)]
        heights.append(column.count(ACCENT))
    assert heights[0] == 0 and heights == sorted(heights) and heights[6] > 100


async def test_stats_carries_the_calendar_and_the_topic_bars(engine, clock):
    actor = make_actor()
    await engine.run_text(actor, "today")
    await engine.run_text(actor, "answer thread pool")
    await engine.run_text(actor, "grade good")
    reply = await engine.run_text(actor, "stats")
    calendar, topics = reply.cards
    assert calendar.image is not None and calendar.image.filename == "practice.png"
    assert "1 active days" in calendar.image.alt
    assert "```" in calendar.body  # the text calendar for platforms without images
    assert topics.image is not None and topics.image.filename == "topics.png"
    opened(calendar.image.data), opened(topics.image.data)
    assert "1/1 good or easy" in topics.body


async def test_pictures_reach_every_platform(tmp_path):
    """Slack uploads a private picture to the member's DM with files_upload_v2, the console
    writes it and prints the path; Discord's attachment is in tests/test_discord_e2e.py."""
    async with surfaces(tmp_path) as s:
        out = await s.console.handle("stats")
        assert f"Picture saved to {tmp_path / 'practice.png'}" in out
        assert (tmp_path / "practice.png").read_bytes().startswith(b"\x89PNG")
        await s.slack_says("today")
        await s.slack_says("answer a thread pool")
        after = len(s.slack.calls)
        await s.slack_says("stats")
        await s.slack.wait_for(("files.completeUploadExternal",), after=after)
        uploaded = [f for f in s.slack.files.values() if f.get("shared")]
        assert [f["filename"] for f in uploaded] == ["practice.png"]
        assert uploaded[0]["channel"].startswith("D")  # the member's DM, not the channel
        assert uploaded[0]["data"].startswith(b"\x89PNG")


async def test_a_private_picture_leaves_the_rest_of_a_slack_reply_where_it_was(tmp_path):
    """Uploading a private picture to the member's DM must not send the reply's later steps
    (here a post into a round's thread) to that DM."""
    from bot.adapters.slack_adapter import Origin
    from bot.engine.actors import Actor
    from bot.engine.messages import Card, Reply
    from bot.engine.messages import Image as Picture

    png = calendar_png({}, start=date(2026, 3, 2), today=date(2026, 3, 10), weeks=2)
    picture = Picture("practice.png", png, "practice")
    reply = Reply(
        cards=(Card(title="Yours", body="only you see this", image=picture),),
        private=True,
        followups=(Reply(cards=(Card(title="Round", body="for the thread"),), in_thread="1.5"),),
    )
    async with surfaces(tmp_path) as s:
        actor = Actor("slack", "T0FAKE", "C0GENERAL", "U0ANN", "ann")
        after = len(s.slack.calls)
        await s.slack_adapter._deliver(Origin(actor), reply)
        await s.slack.wait_for(("files.completeUploadExternal",), after=after)
        posted = [c for c in s.slack.calls[after:] if c.method == "chat.postMessage"]
        assert [(c.args["channel"], c.args.get("thread_ts")) for c in posted] == [
            ("C0GENERAL", "1.5")
        ]
