"""Help: every registered command, grouped, or one command's usage and options."""

from __future__ import annotations

from bot.engine.actors import Actor
from bot.engine.messages import Reply
from bot.engine.options import Option
from bot.engine.registry import Registry, command


class Help:
    def __init__(self, registry: Registry):
        self.registry = registry

    @command(
        "help",
        summary="What the bot does and every command",
        options=(Option("command", "string", "One command, e.g. mock"),),
        group="You",
    )
    async def help(self, actor: Actor, command: str | None = None) -> Reply:
        prefix = "" if actor.platform == "console" else "/prep "
        if command:
            return Reply.text(
                f"help · {command[:40]}", self.registry.command_help(command, prefix=prefix)
            )
        return Reply.text("prepbot help", self.registry.help_text(prefix=prefix))
