"""Every registered command and button is reachable on Discord, Slack and the console, and
listed in help; Discord's limits hold for the generated tree."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import yaml

from bot.engine.messages import Action
from bot.engine.registry import Registry
from tests.conftest import ROOT
from tests.fakes.discord_server import (
    ATTACHMENT,
    BOOLEAN,
    INTEGER,
    ROLE,
    STRING,
    SUB_COMMAND,
    USER,
)
from tests.surfaces import surfaces

TYPES = {
    "member": USER,
    "role": ROLE,
    "integer": INTEGER,
    "duration": INTEGER,
    "boolean": BOOLEAN,
    "file": ATTACHMENT,
}


def sample_target(target: type | None) -> object:
    """A target with a plausible value in every field."""
    if target is None:
        return None
    values = {}
    hints = typing.get_type_hints(target)
    for field in dataclasses.fields(target):
        kinds = typing.get_args(hints[field.name]) or (hints[field.name],)
        values[field.name] = 3 if int in kinds else "some-id" if str in kinds else None
    return target(**values)


def discord_command(tree: dict, path: tuple[str, ...]) -> dict:
    node = tree
    for name in path:
        node = next(o for o in node["options"] if o["name"] == name)
    return node


async def test_every_command_and_button_is_reachable_everywhere(tmp_path: Path):
    async with surfaces(tmp_path) as s:
        registry: Registry = s.engine.registry
        tree = s.discord_tree()
        help_text = registry.help_text(prefix="")
        for path, cmd in registry.commands.items():
            # Discord: in the synced tree with typed options.
            synced = discord_command(tree, path)
            assert synced["type"] == SUB_COMMAND, cmd.name
            by_name = {o["name"]: o for o in synced.get("options", [])}
            for option in cmd.options:
                assert by_name[option.name]["type"] == TYPES.get(option.kind, STRING), option
                assert by_name[option.name].get("required", False) == option.required
            # Slack and the console: the same words find the same command.
            assert registry.find(f"/prep {cmd.name}")[0] is cmd
            assert registry.find(cmd.name)[0] is cmd
            # Help lists it.
            assert cmd.usage() in help_text, cmd.name
        for verb, spec in registry.actions.items():
            # Every button's id decodes back to its action and typed target.
            target = sample_target(spec.target)
            decoded = registry.decode(Action(verb, target).encode())
            assert decoded == (spec, target)
            # The console offers a typed stand-in for each button that is a real command.
            if spec.hint:
                assert registry.find(spec.hint.split("<")[0].split("|")[0])[0]
        check_typed_options(tree)  # mock score an integer 1-5, streak and stats a member
        check_discord_limits(tree)


def check_typed_options(tree: dict) -> None:
    """`mock score` is an integer 1-5, `streak`/`stats` take a member, `count` is 1-20."""
    score = discord_command(tree, ("mock", "score"))
    option = next(o for o in score["options"] if o["name"] == "score")
    assert (option["type"], option["min_value"], option["max_value"]) == (INTEGER, 1, 5)
    assert option["required"] is True
    for name in ("streak", "stats"):
        user = discord_command(tree, (name,))["options"][0]
        assert (user["name"], user["type"]) == ("user", USER)
    start = discord_command(tree, ("mock", "start"))["options"]
    count = next(o for o in start if o["name"] == "count")
    assert (count["min_value"], count["max_value"]) == (1, 20)


def check_discord_limits(tree: dict) -> None:
    """25 entries and choices per level, descriptions of 1-100 characters, 4 000 in all."""

    def size(node: dict) -> int:
        assert 1 <= len(node["description"]) <= 100, node["name"]
        options = node.get("options", [])
        assert len(options) <= 25, node["name"]
        assert all(len(o.get("choices", [])) <= 25 for o in options)
        return len(node["name"]) + len(node["description"]) + sum(size(o) for o in options)

    assert size(tree) <= 4000


def test_slack_manifest_lists_the_registered_commands():
    from bot.engine.content import load_valid_bank
    from bot.engine.core import Engine
    from bot.features import install_all
    from bot.store.store import Store
    from tests.conftest import FIXTURE_CONTENT

    engine = install_all(
        Engine(store=Store.from_url("sqlite+aiosqlite://"), bank=load_valid_bank([FIXTURE_CONTENT]))
    )
    manifest = yaml.safe_load((ROOT / "deploy" / "slack" / "manifest.yml").read_text())
    (prep,) = manifest["features"]["slash_commands"]
    expected = engine.registry.slack_usage_hint()
    assert prep["usage_hint"] == expected, f"set usage_hint in the manifest to: {expected}"


def test_help_says_did_you_mean_and_lists_a_group():
    from bot.engine.content import load_valid_bank
    from bot.engine.core import Engine
    from bot.engine.messages import Refusal
    from bot.features import install_all
    from bot.store.store import Store
    from tests.conftest import FIXTURE_CONTENT

    registry = install_all(
        Engine(store=Store.from_url("sqlite+aiosqlite://"), bank=load_valid_bank([FIXTURE_CONTENT]))
    ).registry
    for typed, hint in (("todya", "today"), ("mock strat", "mock start"), ("shedule", "schedule")):
        try:
            registry.find(typed)
        except Refusal as exc:
            assert f"Did you mean `/prep {hint}" in exc.message, exc.message
        else:
            raise AssertionError(typed)
    assert "mock score" in registry.command_help("mock")
