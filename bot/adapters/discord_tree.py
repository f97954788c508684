"""The Discord app-command tree, generated from the registry: `/prep` and its subcommands.

Each registered command becomes a subcommand (or a subcommand of a group such as `mock`)
whose parameters are its typed options: `Range[int, 1, 5]`, `discord.User`, choices, and
autocomplete for timezones (and topics when they outnumber Discord's 25 choices). The
callback hands the typed values to the engine as they are, with members as `MemberArg`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Optional

import discord
from discord import app_commands

from bot.engine.options import MemberArg, Option, RoleArg, zones
from bot.engine.registry import Command, Registry

MAX_CHOICES = 25  # Discord's limit for option choices and autocomplete results
DESCRIPTION_LIMIT = 100
ROOT = "prep"
Run = Callable[[discord.Interaction, Command, dict[str, Any]], Awaitable[None]]


def matching_zones(current: str) -> list[str]:
    """Up to 25 IANA zones for an autocomplete: prefix matches first, then substrings."""
    text = current.strip().lower().replace(" ", "_")
    if not text:
        return [z for z in zones() if "/" in z][:MAX_CHOICES]
    prefix = [z for z in zones() if z.lower().startswith(text)]
    inner = [z for z in zones() if text in z.lower() and z not in prefix]
    return (prefix + inner)[:MAX_CHOICES]


async def zone_autocomplete(
    _interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in matching_zones(current)]


def topic_autocomplete(topics: Sequence[tuple[str, str]]) -> Callable:
    async def complete(
        _interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        text = current.lower()
        found = [(s, t) for s, t in topics if text in s.lower() or text in t.lower()]
        return [app_commands.Choice(name=t[:100], value=s) for s, t in found[:MAX_CHOICES]]

    return complete


def question_autocomplete(ids: Sequence[str]) -> Callable:
    async def complete(
        _interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Question ids containing what was typed."""
        text = current.strip().lower()
        return [app_commands.Choice(name=q, value=q) for q in ids if text in q][:MAX_CHOICES]

    return complete


def annotation(option: Option) -> Any:
    """The Python annotation that makes discord.py declare the option's Discord type."""
    if option.kind == "member":
        return discord.User
    if option.kind == "role":
        return discord.Role
    if option.kind == "boolean":
        return bool
    if option.kind == "file":
        return discord.Attachment
    if option.kind in ("integer", "duration") and option.low is not None:
        return app_commands.Range[int, option.low, option.high]
    if option.kind == "integer":
        return int
    if option.kind == "choice":
        return Literal[option.choices]  # type: ignore[valid-type]
    if option.kind == "difficulty":
        return Literal["easy", "medium", "hard"]
    return str


def typed_values(values: dict[str, Any]) -> dict[str, Any]:
    """Discord's values as the engine takes them: members as `MemberArg`, roles as `RoleArg`."""
    typed = {}
    for name, value in values.items():
        if isinstance(value, app_commands.Choice):
            value = value.value
        if isinstance(value, discord.User | discord.Member):
            value = MemberArg(str(value.id), value.display_name)
        if isinstance(value, discord.Role):
            value = RoleArg(str(value.id), value.name)
        typed[name] = value
    return typed


class TreeBuilder:
    """Builds `/prep` from a registry; every command calls `run` with its typed values."""

    def __init__(self, registry: Registry, run: Run):
        self.registry = registry
        self.run = run
        self.topics = [(slug, t.title) for slug, t in registry.bank.topics.items()]

    def build(self) -> app_commands.Group:
        root = app_commands.Group(name=ROOT, description="Daily interview practice")
        groups: dict[str, app_commands.Group] = {}
        for cmd in self.registry.commands.values():
            parent = root
            if len(cmd.path) > 1:
                name = cmd.path[0]
                if name not in groups:
                    groups[name] = app_commands.Group(
                        name=name, description=self.group_description(name), parent=root
                    )
                parent = groups[name]
            parent.add_command(self.command(cmd))
        return root

    def group_description(self, name: str) -> str:
        labels = {c.group for c in self.registry.commands.values() if c.path[0] == name}
        return f"{name.title()} ({', '.join(sorted(labels)).lower()})"[:DESCRIPTION_LIMIT]

    def command(self, cmd: Command) -> app_commands.Command:
        run = self.run

        async def callback(interaction: discord.Interaction, **values: Any) -> None:
            await run(interaction, cmd, typed_values(values))

        parameters = [
            inspect.Parameter(
                "interaction",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=discord.Interaction,
            )
        ]
        for option in cmd.options:
            kind = annotation(option)
            parameters.append(
                inspect.Parameter(
                    option.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=inspect.Parameter.empty if option.required else None,
                    annotation=kind if option.required else Optional[kind],  # noqa: UP045
                )
            )
        callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        described = {o.name: o.description[:DESCRIPTION_LIMIT] for o in cmd.options}
        if described:
            app_commands.describe(**described)(callback)
        self._complete(cmd, callback)
        return app_commands.Command(
            name=cmd.path[-1], description=cmd.summary[:DESCRIPTION_LIMIT], callback=callback
        )

    def _complete(self, cmd: Command, callback: Callable) -> None:
        """Choices or autocomplete for timezones and topics."""
        for option in cmd.options:
            if option.kind == "timezone":
                app_commands.autocomplete(**{option.name: zone_autocomplete})(callback)
            elif option.kind == "question":
                complete = question_autocomplete(list(self.registry.bank.questions))
                app_commands.autocomplete(**{option.name: complete})(callback)
            elif option.kind == "topic" and len(self.topics) <= MAX_CHOICES:
                choices = [app_commands.Choice(name=t[:100], value=s) for s, t in self.topics]
                app_commands.choices(**{option.name: choices})(callback)
            elif option.kind == "topic":
                app_commands.autocomplete(**{option.name: topic_autocomplete(self.topics)})(
                    callback
                )
