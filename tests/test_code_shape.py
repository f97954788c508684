"""Small modules and short functions: no module under bot/ over 500 lines, no function over
60 lines (migrations aside, which are generated and read once)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def sources() -> list:
    return [p for p in sorted((ROOT / "bot").rglob("*.py")) if "migrations" not in p.parts]


def test_modules_are_small():
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long


def test_functions_are_short():
    long = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert not long
