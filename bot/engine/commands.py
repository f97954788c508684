"""The `/prep` command set as text: parsing words into engine calls, and the help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.engine.actors import Actor
from bot.engine.messages import Reply

Handler = Callable[[Actor, str], Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    group: str = "Practice"


SPECS = (
    CommandSpec("today", "today", "today's question of this channel"),
    CommandSpec(
        "question",
        "question [topic] [easy|medium|hard]",
        "a practice question: due reviews first, then new ones, leaning to weak topics",
    ),
    CommandSpec("answer", "answer <text>", "answer the current question"),
    CommandSpec("reveal", "reveal", "show the reference answer and key points"),
    CommandSpec("grade", "grade again|hard|good|easy", "grade yourself on the current question"),
    CommandSpec("skip", "skip", "skip this one and get another practice question"),
    CommandSpec("streak", "streak [user]", "current and longest streak, freezes", "Progress"),
    CommandSpec("stats", "stats [user]", "practice calendar and results per topic", "Progress"),
    CommandSpec(
        "leaderboard", "leaderboard [week|month|all]", "top streaks and answers", "Progress"
    ),
    CommandSpec("topics", "topics", "topics and difficulties with question counts", "Progress"),
    CommandSpec("timezone", "timezone <Area/City>", "set your timezone (IANA name)", "You"),
    CommandSpec("subscribe", "subscribe [HH:MM] [topics]", "your own daily question by DM", "You"),
    CommandSpec("unsubscribe", "unsubscribe", "stop your daily DM", "You"),
    CommandSpec("forget-me", "forget-me", "delete everything stored about you", "You"),
    CommandSpec("help", "help", "this list", "You"),
    CommandSpec(
        "mock",
        "mock start|next|score|skip|end|history",
        "mock-interview rounds with scorecards (team leads)",
        "Team leads",
    ),
    CommandSpec(
        "schedule",
        "schedule set|show|pause|resume|remove",
        "the channel's daily question: time, timezone, days, topics (admins)",
        "Admins",
    ),
)
BY_NAME = {spec.name: spec for spec in SPECS}
ALIASES = {"q": "question", "a": "answer", "lb": "leaderboard", "tz": "timezone", "?": "help"}


def split_command(text: str) -> tuple[str, str]:
    """('name', 'rest of the text'); a leading `/prep` or `prep` is accepted."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() in ("/prep", "prep"):
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words:
        return "", ""
    name = words[0].lower()
    return ALIASES.get(name, name), words[1].strip() if len(words) > 1 else ""


def help_reply(extra: tuple[CommandSpec, ...] = (), *, prefix: str = "/prep ") -> Reply:
    groups: dict[str, list[str]] = {}
    for spec in (*SPECS, *extra):
        groups.setdefault(spec.group, []).append(f"`{prefix}{spec.usage}`: {spec.summary}")
    body = (
        "prepbot posts one interview question a day. Answer it, compare with the reference "
        "answer, grade yourself, and keep your streak.\n\n"
        + "\n\n".join(f"**{group}**\n" + "\n".join(lines) for group, lines in groups.items())
    )
    return Reply.text("prepbot help", body)


def unknown_reply(name: str, *, prefix: str = "/prep ") -> Reply:
    import difflib

    close = difflib.get_close_matches(name, list(BY_NAME), n=1)
    hint = f" Did you mean `{prefix}{close[0]}`?" if close else ""
    return Reply.error(f"Unknown command `{name[:40]}`.{hint} Try `{prefix}help`.")


def usage_reply(name: str, *, prefix: str = "/prep ") -> Reply:
    return Reply.error(f"Usage: `{prefix}{BY_NAME[name].usage}`")
