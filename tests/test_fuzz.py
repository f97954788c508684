"""Fuzzing every registered command's text and every action id (seeded, bounded): no
unhandled exception, no ping, and a refused input changes nothing."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.adapters.base import escape_slack, neutralise_discord
from bot.engine.core import Engine
from bot.store.schema import metadata
from tests.conftest import make_actor

NASTY = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@123456789012345678>",
        "<!channel>",
        "<#C1|general>",
        "[x](https://evil.example)",
        "**bold**",
        "```",
        "\x00",
        "\u202e",
        "=cmd|' /C calc'!A0",
        "count:999999999999",
        "minutes:-1",
        "time=25:61",
        "a" * 5000,
    ]
)
WORDS = st.one_of(
    NASTY,
    st.text(string.printable, max_size=30),
    st.text(max_size=20),  # any unicode, control characters included
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# Who someone is (their member and server rows) is recorded on first contact; a refused
# input changes nothing else.
BOOKKEEPING = {"members", "servers"}


async def counts(engine: Engine) -> dict[str, int]:
    async with engine.store.read() as tx:
        return {
            t.name: (await tx.conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
            if t.name not in BOOKKEEPING
        }


def never_pings(reply) -> None:  # type: ignore[no-untyped-def]
    text = reply.plain_text()
    assert "@everyone" not in neutralise_discord(text) and "<!channel>" not in escape_slack(text)


@FUZZ
@given(data=st.data())
async def test_any_text_after_any_command(engine: Engine, data):
    names = sorted(c.name for c in engine.registry.commands.values())
    name = data.draw(st.sampled_from([*names, "", "prep", "/prep", "nonsense"]))
    words = data.draw(st.lists(WORDS, max_size=6))
    text = " ".join([name, *words])
    actor = make_actor(data.draw(st.sampled_from(["ann", "bob"])), is_admin=True, is_lead=True)
    reply = await engine.run_text(actor, text)
    assert reply.cards or reply.form is not None
    never_pings(reply)


@FUZZ
@given(data=st.data())
async def test_refused_text_changes_nothing(engine: Engine, data):
    await engine.run_text(make_actor("ann"), "today")
    before = await counts(engine)
    name = data.draw(st.sampled_from(sorted(c.name for c in engine.registry.commands.values())))
    junk = data.draw(st.sampled_from(["count:0", "=oops", "minutes:1", "\x00", "time=99:99"]))
    reply = await engine.run_text(make_actor("zed"), f"{name} {junk} {junk}")
    if reply.cards and reply.cards[0].title == "" and reply.cards[0].tone == "warning":
        assert await counts(engine) == before, (name, junk, reply.plain_text())


@FUZZ
@given(data=st.data())
async def test_any_action_id(engine: Engine, data):
    verbs = sorted(engine.registry.actions)
    verb = data.draw(st.sampled_from([*verbs, "teleport", ""]))
    version = data.draw(st.sampled_from(["v1", "v2", "v9", ""]))
    fields = data.draw(st.lists(st.one_of(st.integers(-5, 10**12).map(str), WORDS), max_size=3))
    custom_id = ":".join(["prep", version, verb, *fields])
    form = data.draw(st.one_of(st.none(), st.dictionaries(st.just("answer"), WORDS)))
    reply = await engine.run_custom_id(make_actor(is_admin=True, is_lead=True), custom_id, form)
    assert reply.cards or reply.form is not None
    never_pings(reply)


async def test_a_nul_character_is_dropped_from_typed_text_and_forms(engine: Engine):
    """PostgreSQL refuses NUL in text; no chat shows it: members' text is saved without it."""
    ann = make_actor("ann")
    await engine.run_text(ann, "today", prefix="")
    saved = await engine.run_text(ann, "answer thread\x00 pools\x00", prefix="")
    assert "Answer saved" in saved.plain_text()
    async with engine.store.read() as tx:
        (text,) = (await tx.conn.execute(select(metadata.tables["answers"].c.text))).one()
    assert text == "thread pools"
