"""The engine is plain Python: it imports no adapter, platform SDK or database driver."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "bot" / "engine"
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


def test_engine_imports_nothing_platform_or_driver_specific():
    offenders = {
        f"{path.name}: {name}"
        for path in ENGINE.rglob("*.py")
        for name in imports_of(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not offenders, offenders
