"""Milestone roles on the fake Discord with a controlled clock: granted as a streak reaches a
milestone, removed when it ends, and clear words when the bot may not manage the role;
Slack and the console say they have no roles."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from bot.adapters.discord_client import invite_url
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.store.store import Store
from tests.conftest import Clock
from tests.fakes.discord_server import FakeDiscord, User
from tests.surfaces import Surfaces, surfaces
from tests.test_doctor import doctor

ANSWER = "A thread pool reuses worker threads."


def member(fake: FakeDiscord, user: User) -> Actor:
    return Actor(
        platform="discord",
        server_id=fake.guild_id,
        channel_id=fake.channel_id,
        user_id=user.id,
        user_name=user.name,
    )


async def practise(engine: Engine, actor: Actor) -> None:
    await engine.run_text(actor, "today")
    assert "Answer saved" in (await engine.run_text(actor, f"answer {ANSWER}")).plain_text()


async def slash(s: Surfaces, *path: str, user: User, **options: object) -> str:
    interaction = s.discord.slash(*path, user=user, **options)
    return (await asyncio.to_thread(s.discord.reply, interaction)).text


def role_changes(fake: FakeDiscord) -> list[tuple[str, int | None]]:
    return [
        (r.method, None)
        for r in list(fake.requests)
        if "/roles/" in r.path and r.method in ("PUT", "DELETE")
    ]


async def test_roles_granted_at_the_milestone_and_removed_when_the_streak_ends(tmp_path: Path):
    clock = Clock(datetime(2026, 3, 10, 12, 0))
    async with surfaces(tmp_path, clock=clock) as s:
        fake = s.discord
        week = fake.add_role("Week-Warrior")
        admin = fake.user("boss", manage_guild=True)
        said = await slash(s, "roles", "set", user=admin, days=2, role=week)
        assert "Members get @Week-Warrior with a **2**-day streak" in said
        assert "lacks the Manage Roles permission" in said  # invited without it
        fake.let_bot_manage_roles(above=week)
        assert "The bot can grant every role listed" in await slash(s, "roles", "show", user=admin)
        ann = fake.user("ann")
        await practise(s.engine, member(fake, ann))
        await s.engine.roles.sync()
        assert week not in fake.member_roles.get(ann.id, set())  # 1 day: not yet
        clock.now += timedelta(days=1)
        await practise(s.engine, member(fake, ann))
        await s.engine.roles.sync()
        assert week in fake.member_roles[ann.id]
        puts = [r for r in fake.requests if r.method == "PUT" and r.path.endswith(week)]
        assert len(puts) == 1
        await s.engine.roles.sync()  # nothing changed: nothing sent
        assert len(role_changes(fake)) == 1
        clock.now += timedelta(days=2)  # a missed day, no freeze: the streak has ended
        await s.engine.roles.sync()
        assert week not in fake.member_roles[ann.id]
        assert [m for m, _ in role_changes(fake)] == ["PUT", "DELETE"]


async def test_roles_off_takes_back_what_the_bot_gave(tmp_path: Path):
    clock = Clock(datetime(2026, 3, 10, 12, 0))
    async with surfaces(tmp_path, clock=clock) as s:
        fake = s.discord
        first = fake.add_role("First-Day")
        fake.let_bot_manage_roles(above=first)
        admin = fake.user("boss", manage_guild=True)
        said = await slash(s, "roles", "set", user=admin, days=1, role=first)
        assert "Not yet possible" not in said
        ann = fake.user("ann")
        await practise(s.engine, member(fake, ann))
        await s.engine.roles.sync()
        assert first in fake.member_roles[ann.id]
        assert "Milestone roles off" in await slash(s, "roles", "off", user=admin)
        await s.engine.roles.sync()
        assert first not in fake.member_roles[ann.id]
        assert "Only admins" in await slash(s, "roles", "set", user=ann, days=3, role=first)


async def test_a_role_above_the_bots_is_refused_clearly(tmp_path: Path, caplog):
    clock = Clock(datetime(2026, 3, 10, 12, 0))
    async with surfaces(tmp_path, clock=clock) as s:
        fake = s.discord
        fake.let_bot_manage_roles()
        high = fake.add_role("Legend", position=5)  # above the bot's own role (1)
        admin = fake.user("boss", manage_guild=True)
        said = await slash(s, "roles", "set", user=admin, days=1, role=high)
        assert "the bot's highest role (@prepbot) sits below @Legend" in said
        assert "Server Settings > Roles" in said
        ann = fake.user("ann")
        await practise(s.engine, member(fake, ann))
        await s.engine.roles.sync()
        refused = [r for r in fake.requests if r.method == "PUT" and r.path.endswith(high)]
        assert len(refused) == 1  # tried, refused with 403 (Missing Permissions, 50013)
        assert high not in fake.member_roles.get(ann.id, set())
        assert "sits below @Legend" in caplog.text
        await s.engine.roles.sync()  # not recorded as granted: tried again next time
        assert len([r for r in fake.requests if r.path.endswith(high)]) == 2


async def test_slack_and_the_console_have_no_roles(tmp_path: Path):
    async with surfaces(tmp_path) as s:
        from tests.fakes.slack_server import Member

        admin = Member(user_id="UBOSS", user_name="boss")
        s.slack.admins.add("UBOSS")
        said = await s.slack_says("roles set 7 @Week-Warrior", admin)
        assert "Slack has no roles: streak milestones are celebrated in the weekly digest" in said
        assert "Console has no roles" in await s.console.handle("roles set 7 <@&123>")


def test_invite_url_offers_manage_roles_as_an_option():
    plain, with_roles = invite_url("123"), invite_url("123", roles=True)
    permissions = [int(url.split("permissions=")[1].split("&")[0]) for url in (plain, with_roles)]
    assert not permissions[0] & (1 << 28)
    assert permissions[1] == permissions[0] | (1 << 28)


async def test_doctor_says_when_the_bots_role_sits_below(tmp_path: Path):
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")  # the doctor's database
    await store.upgrade()
    with FakeDiscord() as fake:
        fake.let_bot_manage_roles()
        high = fake.add_role("Legend", position=5)
        server = await store.ensure_server("discord", fake.guild_id)
        await store.set_milestone_role(server.id, 30, (high, "Legend"), set_by=None)
        await store.close()
        code, out = await doctor(tmp_path, **fake.env())
    assert code == 1, out
    assert "✘ discord roles: @Legend for 30-day streaks" in out
    assert "sits below @Legend" in out
    assert "invite-url --roles" in out
