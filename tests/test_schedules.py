"""Channel schedules as admins set them: validation, storage, refusal for others."""

from __future__ import annotations

import pytest

from bot.engine.core import Engine
from bot.engine.options import parse_time, parse_weekdays
from tests.conftest import make_actor

ADMIN = {"is_admin": True}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", "09:00"),
        ("09:30", "09:30"),
        ("9:30pm", "21:30"),
        ("12am", "00:00"),
        ("24:00", None),
        ("9:7", None),
        ("noon", None),
        ("13pm", None),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri", ("mon", "tue", "wed", "thu", "fri")),
        ("weekends", ("sat", "sun")),
        ("fri-mon", ("mon", "fri", "sat", "sun")),
        ("wed,mon", ("mon", "wed")),
        ("funday", None),
    ],
)
def test_parse_weekdays(text, expected):
    assert parse_weekdays(text) == expected


async def test_non_admins_are_refused_and_nothing_changes(engine: Engine, store):
    reply = await engine.run_text(make_actor(), "schedule set time=10:00")
    assert reply.private and "Only admins" in reply.cards[0].body
    place = await engine.practice.place(make_actor())
    assert await store.channel_schedule(place.server.id, "c1") is None


async def test_set_show_pause_resume_remove(engine: Engine, store):
    admin = make_actor("boss", **ADMIN)
    saved = await engine.run_text(
        admin, "schedule set 8:30 Europe/Berlin weekdays=mon-fri topics=alpha,beta difficulty=hard"
    )
    assert saved.cards[0].title == "Schedule saved"
    assert "08:30" in saved.cards[0].body and "Europe/Berlin" in saved.cards[0].body
    shown = (await engine.run_text(admin, "schedule show")).plain_text()
    assert "Mon, Tue, Wed, Thu, Fri" in shown and "Alpha Topic, Beta Topic" in shown
    assert "paused" in (await engine.run_text(admin, "schedule pause")).cards[0].body
    changed = await engine.run_text(admin, "schedule set difficulty=any grace=30")
    assert "paused" not in changed.cards[0].body  # setting it again resumes it
    place = await engine.practice.place(admin)
    row = await store.channel_schedule(place.server.id, "c1")
    assert (row.time_of_day, row.difficulty, row.grace_minutes, row.paused) == (
        "08:30",
        None,
        30,
        False,
    )
    assert (await engine.run_text(admin, "schedule remove")).cards[0].title == "Schedule removed"
    assert await store.channel_schedule(place.server.id, "c1") is None


async def test_today_follows_the_schedule_filters(engine: Engine, bank):
    admin = make_actor("boss", **ADMIN)
    await engine.run_text(admin, "schedule set topics=beta difficulty=medium")
    today = await engine.run_text(make_actor(), "today")
    qid = today.cards[0].footer.removeprefix("id: ")
    assert bank.get(qid).topic == "beta" and bank.get(qid).difficulty == "medium"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("time=25:00", "not a time"),
        ("timezone=Mars/Olympus", "not a timezone"),
        ("weekdays=funday", "not a set of weekdays"),
        ("topics=astrology", "Unknown topic"),
        ("difficulty=insane", "`difficulty` is one of easy, medium, hard, any"),
        ("grace=-5", "`grace` is a whole number from 0 to 1440"),
        ("colour=red", "Unknown option `colour`"),
    ],
)
async def test_bad_settings_get_a_clear_message(engine: Engine, words, message):
    reply = await engine.run_text(make_actor("boss", **ADMIN), f"schedule set {words}")
    assert message in reply.cards[0].body


async def test_listeners_hear_changes(engine: Engine):
    heard = []

    async def listener():
        heard.append(1)

    engine.kit.listeners.append(listener)
    admin = make_actor("boss", **ADMIN)
    await engine.run_text(admin, "schedule set 7:00")
    await engine.run_text(admin, "schedule pause")
    assert len(heard) == 2


def test_schedule_import_from_yaml(tmp_path, monkeypatch, capsys):
    import asyncio

    from bot.cli import main
    from bot.store.store import Store
    from tests.conftest import FIXTURE_CONTENT

    db = tmp_path / "s.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("PREPBOT_BUILTIN_CONTENT", "false")
    monkeypatch.setenv("PREPBOT_CONTENT_DIRS", str(FIXTURE_CONTENT))
    good = tmp_path / "good.yaml"
    good.write_text(
        "- {platform: discord, server: '1', channel: '10', time: '08:15', timezone: Asia/Tokyo,"
        " weekdays: mon-fri, topics: [alpha, beta], difficulty: easy}\n"
        "- {platform: slack, server: T1, channel: C1}\n"
    )
    assert main(["schedule", "import", str(good)]) == 0
    assert "Imported 2 schedule(s)" in capsys.readouterr().out

    async def rows():
        store = Store.from_url(f"sqlite+aiosqlite:///{db}")
        try:
            return await store.all_schedules()
        finally:
            await store.close()

    saved = asyncio.run(rows())
    assert [(r.platform, r.time_of_day, r.timezone, r.topics) for r in saved] == [
        ("discord", "08:15", "Asia/Tokyo", "alpha,beta"),
        ("slack", "09:00", "UTC", ""),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {platform: discord, server: '1', channel: '11', timezone: Mars/Base}\n- 7\n")
    assert main(["schedule", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "#1 (11): `Mars/Base` is not a timezone" in err and "#2: each schedule" in err
    assert "Nothing was imported" in err
    assert len(asyncio.run(rows())) == 2


async def test_admins_set_the_servers_default_timezone(engine: Engine):
    admin = make_actor("boss", **ADMIN)
    saved = await engine.run_text(admin, "schedule timezone asia/tokyo")
    assert "Asia/Tokyo" in saved.cards[0].body
    # A member with no timezone of their own, in a channel without a schedule, follows it.
    assert "Asia/Tokyo" in (await engine.run_text(make_actor("ann"), "timezone")).cards[0].body
    refused = await engine.run_text(make_actor("ann"), "schedule timezone Europe/Berlin")
    assert "Only admins" in refused.cards[0].body
    place = await engine.practice.place(make_actor("ann"))
    assert place.server.default_timezone == "Asia/Tokyo"
