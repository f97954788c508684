"""Markdown cut into chunks a platform accepts (an embed field, a Block Kit section).

Cuts fall between lines, else between words; a fenced code block cut in two is closed at
the end of one chunk and reopened (with its opening fence) at the start of the next, so
both halves render as code. Used by Discord's and Slack's renderers alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

FENCE = "```"
CLOSE_FENCE = "\n```"
FENCE_RESERVE = 20  # room kept for reopening a code fence (```python) in a split


def break_at_spaces(line: str, limit: int) -> Iterable[str]:
    """A line longer than `limit` in pieces, broken at spaces (or hard)."""
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        yield line[:cut]
        line = line[cut:].lstrip(" ")
    yield line


def split_fenced(
    text: str,
    limit: int,
    *,
    break_line: Callable[[str, int], Iterable[str]] = break_at_spaces,
) -> list[str]:
    """`text` in chunks of at most `limit` characters (see the module's docstring)."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    lines: list[str] = []
    size = 0
    fence = ""  # the opening fence of the code block the current chunk ends inside, if any
    for raw in text.split("\n"):
        for line in break_line(raw, limit - 2 * FENCE_RESERVE):
            after = fence
            if line.lstrip().startswith(FENCE):
                after = "" if fence else line.strip()[:FENCE_RESERVE]
            added = len(line) + bool(lines)
            if lines and size + added + (len(CLOSE_FENCE) if after else 0) > limit:
                chunks.append("\n".join(lines) + (CLOSE_FENCE if fence else ""))
                lines, size = ([fence], len(fence)) if fence else ([], 0)
                added = len(line) + bool(lines)
            lines.append(line)
            size += added
            fence = after
    if lines:
        chunks.append("\n".join(lines))
    return [c for c in chunks if c.strip()] or [text[:limit]]
