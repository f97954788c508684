"""The worked example of CONTRIBUTING.md's "Add a command": one small feature, registered
here only, shows up on Discord, Slack, the console and in help with no other change."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.transcript import Transcript
from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.messages import Action, Button, Card, Reply
from bot.engine.options import Option
from bot.engine.registry import action, command
from tests.surfaces import surfaces


class Dice:
    """A feature: its commands and buttons, declared once."""

    @command(
        "roll",
        summary="Roll some dice",
        options=(Option("dice", "integer", "How many dice", low=1, high=6),),
        group="Fun",
    )
    async def roll(self, actor: Actor, dice: int | None = None) -> Reply:
        dice = dice or 1
        card = Card(
            title="Dice",
            body=f"{actor.user_name} rolled {dice} dice: {'⚀' * dice}",
            buttons=(Button("Again", Action("reroll")),),
        )
        return Reply(cards=(card,))

    @action("reroll", hint="roll")
    async def reroll(self, actor: Actor, target: None, form: object) -> Reply:
        return await self.roll(actor, 2)


def add_dice(engine: Engine) -> None:
    engine.install("dice", Dice())


async def test_a_new_command_appears_on_every_surface(tmp_path: Path):
    async with surfaces(tmp_path, extra=add_dice) as s:
        # Discord: in the synced tree, with its typed integer option.
        roll = next(o for o in s.discord_tree()["options"] if o["name"] == "roll")
        (dice,) = roll["options"]
        assert (dice["type"], dice["min_value"], dice["max_value"]) == (4, 1, 6)
        # Slack: the slash command's text, parsed and checked the same way.
        assert "rolled 3 dice" in await s.slack_says("roll 3")
        assert "`dice` is a whole number from 1 to 6" in await s.slack_says("roll 9")
        # The console, with the button's typed stand-in.
        out = await s.console.handle("roll dice=2")
        assert "rolled 2 dice" in out and "→ roll" in out
        # Help.
        assert "roll [1-6]" in await s.console.handle("help")


async def test_its_button_works_in_a_transcript(engine: Engine):
    add_dice(engine)
    chat = Transcript(engine)
    await chat.say("ann", "roll")
    chat.expect("Ann rolled 1 dice")
    await chat.press("ann", "Again")
    chat.expect("Ann rolled 2 dice")
