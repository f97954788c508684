"""A server's own question pack: checked like the shipped bank, all problems listed at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.engine.content import MAX_YAML_BYTES, Bank, Problem, parse_question, read_yaml_text
from bot.engine.library import namespaced

MAX_PACK_QUESTIONS = 500
MAX_PACK_BYTES = MAX_YAML_BYTES  # 1 MB
MAX_STORED_ID = 64  # the question_id columns
MAX_PACK_NAME = 40


def pack_name(filename: str) -> str:
    """A pack's name from its file name: `Python Basics.yaml` -> `python-basics`."""
    stem = Path(filename).name.rsplit(".", 1)[0].lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:MAX_PACK_NAME].strip("-") or "pack"


def check_pack(
    data: bytes, filename: str, bank: Bank, *, server_id: int, taken: dict[str, str]
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The pack's question mappings and every problem (file, question id, field).

    `taken`: ids already in the server's other packs (namespaced), with the pack's name.
    A pack with any problem must not be imported.
    """
    file = Path(filename).name[:100] or "pack.yaml"
    if len(data) > MAX_PACK_BYTES:
        return [], [Problem(file, "-", "file", "larger than 1 MB, the most a pack may be")]
    try:
        parsed = read_yaml_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        return [], [Problem(file, "-", "file", "not UTF-8 text")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return [], [Problem(file, where, "yaml", f"malformed YAML: {reason}")]
    if not isinstance(parsed, list) or not parsed:
        return [], [Problem(file, "-", "file", "must be a non-empty list of questions")]
    problems: list[Problem] = []
    if len(parsed) > MAX_PACK_QUESTIONS:
        problems.append(
            Problem(file, "-", "file", f"{len(parsed)} questions; a pack holds at most 500")
        )
    accepted: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, raw in enumerate(parsed[: MAX_PACK_QUESTIONS + 1], 1):
        q = parse_question(raw, position, Path(file), bank.topics, problems, hints_required=False)
        if q is None:
            continue
        stored = namespaced(server_id, q.id)
        if len(stored) > MAX_STORED_ID:
            limit = MAX_STORED_ID - len(stored) + len(q.id)
            problems.append(Problem(file, q.id, "id", f"at most {limit} characters in a pack"))
        elif q.id in seen:
            problems.append(Problem(file, q.id, "id", "duplicate id in this pack"))
        elif stored in taken:
            problems.append(Problem(file, q.id, "id", f"already in pack '{taken[stored]}'"))
        seen.add(q.id)
        accepted.append(raw)
    return accepted, problems
