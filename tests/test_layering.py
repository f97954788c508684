"""Arrows point down: adapters -> features -> engine -> store. The engine and the features are
plain Python (no adapter, platform SDK or database driver); the engine imports no feature,
and a feature reaches another only through the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
ENGINE = BOT / "engine"
FEATURES = BOT / "features"
FORBIDDEN = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy",
    "bot.adapters",
    "aiohttp",
)


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", [ENGINE, FEATURES], ids=["engine", "features"])
def test_plain_python_imports_nothing_platform_or_driver_specific(package: Path):
    offenders = {
        f"{path.relative_to(package)}: {name}"
        for path in package.rglob("*.py")
        for name in imports_of(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not offenders, offenders


def test_the_engine_imports_no_feature_and_features_keep_to_themselves():
    engine = {
        f"{path.name}: {name}"
        for path in ENGINE.rglob("*.py")
        for name in imports_of(path)
        if name.startswith("bot.features")
    }
    assert not engine, engine
    crossing = set()
    for path in FEATURES.rglob("*.py"):
        parts = path.relative_to(FEATURES).parts
        if len(parts) < 2:  # bot/features/__init__.py installs them all
            continue
        own = f"bot.features.{parts[0]}"
        for name in imports_of(path):
            if name.startswith("bot.features.") and not name.startswith(own):
                crossing.add(f"{'/'.join(parts)}: {name}")
    assert not crossing, crossing
