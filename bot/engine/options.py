"""Typed command options: what each kind accepts, and the one place typed text is checked.

Discord hands the engine typed values (an int from `Range[int, 1, 5]`, a user); Slack and the
console hand it words. Both go through `coerce`, so every platform gets the same validation
and the same messages.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.engine.content import DIFFICULTIES, Bank
from bot.engine.library import NAMESPACED
from bot.engine.messages import Refusal

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS_ANY = ("open", "output", "any")
WEEKDAY_WORDS = {
    "daily": WEEKDAYS,
    "everyday": WEEKDAYS,
    "weekdays": WEEKDAYS[:5],
    "weekends": WEEKDAYS[5:],
}
# What each kind is called in usage lines and help.
KINDS = {
    "string": "text",
    "text": "text",
    "integer": "number",
    "choice": "choice",
    "member": "@member",
    "role": "@role",
    "topic": "topic",
    "topics": "topic,topic",
    "difficulty": "easy|medium|hard",
    "timezone": "Area/City",
    "duration": "minutes",
    "time": "HH:MM",
    "weekdays": "mon-fri",
    "boolean": "flag",
    "question": "question-id",
    "dates": "YYYY-MM-DD[..YYYY-MM-DD]|clear",
    "file": "file",
}
MAX_DATE_SPAN = 62  # days in one `schedule skip` range: a holiday season, not a year


def _mention(text: str, opener: str) -> tuple[str, str | None]:
    """A mention opened by `opener` (`<@123>`, `<@U1|ann>`, `<@&123>`) as (id, name);
    any other word as itself without a leading `@`."""
    text = text.strip()
    if text.startswith(opener) and text.endswith(">"):
        ref, _, name = text[len(opener) : -1].lstrip("!").partition("|")
        return ref, name.strip() or None
    return text.lstrip("@"), None


@dataclass(frozen=True)
class MemberArg:
    """A member named in a command: their platform id and, when known, their display name."""

    id: str
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> MemberArg:
        """`<@123>`, `<@U1|ann>`, `@ann` or `ann`. Adapters write users they know as
        `<@id|display name>` so that the engine can name someone new to the bot."""
        return cls(*_mention(text, "<@"))


@dataclass(frozen=True)
class RoleArg:
    """A role named in a command: its platform id (Discord's `<@&id>`) and name if known."""

    id: str
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> RoleArg:
        """`<@&123>` or `123`; anything else is kept as typed (the platform may refuse it)."""
        return cls(*_mention(text, "<@&"))

    @property
    def is_id(self) -> bool:
        return self.id.isdigit()


@dataclass(frozen=True)
class FileArg:
    """A file handed to a command: a Discord attachment, a file shared on Slack, a console path
    read by the console. `data` is capped by the adapter that read it."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Option:
    """One option of a command, declared once for every platform."""

    name: str
    kind: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()  # kind "choice" (and the words a "difficulty" accepts)
    low: int | None = None  # kinds "integer" and "duration"
    high: int | None = None
    keyed: bool = False  # typed as `name=value` (or `name:value`) in text

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown option kind {self.kind!r} for {self.name!r}")

    @property
    def placeholder(self) -> str:
        if self.kind == "choice":
            return "|".join(self.choices)
        if self.kind == "integer" and self.low is not None and self.high is not None:
            return f"{self.low}-{self.high}"
        return self.name if self.kind in ("string", "text") else KINDS[self.kind]

    def usage(self) -> str:
        shown = f"{self.name}={self.placeholder}" if self.keyed else self.placeholder
        if self.kind == "boolean":
            shown = self.name
        return f"<{shown}>" if self.required else f"[{shown}]"


def kind_option(keyed: bool = False) -> Option:
    """Which kind of question: `open` (answered in words), `output` (predict what a snippet
    prints, graded by the bot) or `any`."""
    return Option(
        "kind",
        "choice",
        "open, output (predict the output) or any",
        choices=KINDS_ANY,
        keyed=keyed,
    )


def kind_filter(value: str | None) -> str | None:
    """A `kind` option's value as a bank filter (None: any kind)."""
    return None if value in (None, "any") else value


def looks_like(option: Option, word: str) -> bool:
    """Whether a word that an option refused still looks meant for it (a question id has
    several hyphens), so that its message is the one the member sees."""
    return option.kind == "question" and word.count("-") >= 2


def plain(text: str) -> str:
    """Member text without NUL characters, which no database column may hold (PostgreSQL
    refuses them) and no chat shows."""
    return text.replace("\x00", "")


def coerce(option: Option, value: Any, bank: Bank) -> Any:
    """`value` (typed, or as typed text) checked and converted for `option`; Refusal if not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, tuple):  # already checked: a list of topics or weekdays
        return value
    kind = option.kind
    if kind == "member":
        return value if isinstance(value, MemberArg) else MemberArg.parse(str(value))
    if kind == "role":
        return value if isinstance(value, RoleArg) else RoleArg.parse(str(value))
    if kind == "file":  # a FileArg from an adapter; typed text (a console path) stays text
        return value if isinstance(value, FileArg) else str(value).strip()
    if kind == "boolean":
        return _boolean(option, value)
    if kind in ("integer", "duration"):
        return _number(option, value)
    text = plain(str(value)).strip()
    if kind == "text":
        return text
    if kind == "string":
        return " ".join(text.split())
    return CONVERTERS[kind](option, text, bank)


def _boolean(option: Option, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "yes", "true", "on", option.name):
        return True
    if word in ("0", "no", "false", "off"):
        return False
    raise Refusal(f"`{option.name}` is yes or no.")


def _number(option: Option, value: Any) -> int:
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if number is None:
        text = str(value).strip().lower()
        number = _minutes(text) if option.kind == "duration" else None
        if number is None and re.fullmatch(r"-?\d{1,9}", text):
            number = int(text)
    low, high = option.low, option.high
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        unit = "a number of minutes" if option.kind == "duration" else "a whole number"
        span = f" from {low} to {high}" if low is not None and high is not None else ""
        raise Refusal(f"`{option.name}` is {unit}{span}.")
    return number


def _minutes(text: str) -> int | None:
    """`45`, `45m`, `1h`, `1h30m` or `1:30` as minutes."""
    m = re.fullmatch(r"(?:(\d{1,3})h)?\s*(?:(\d{1,4})m(?:in)?)?", text)
    if m and any(m.groups()):
        return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def _choice(option: Option, text: str, bank: Bank) -> str:
    word = text.lower()
    if word not in option.choices:
        raise Refusal(f"`{option.name}` is one of {', '.join(option.choices)}.")
    return word


def _difficulty(option: Option, text: str, bank: Bank) -> str | None:
    word = text.lower()
    if word in DIFFICULTIES:
        return word
    if word == "any" and "any" in option.choices:
        return None
    allowed = ", ".join((*DIFFICULTIES, *option.choices))
    raise Refusal(f"Difficulty is one of {allowed}.")


def _topic(option: Option, text: str, bank: Bank) -> str:
    found = bank.find_topic(text)
    if found is None:
        names = ", ".join(sorted(bank.topics))
        raise Refusal(f"Unknown topic `{text[:40]}`. Topics: {names}.")
    return found.slug


def _topics(option: Option, text: str, bank: Bank) -> tuple[str, ...]:
    text = "".join(text.split())  # `oop, databases-sql` as typed into a Discord option
    if text.lower() in ("all", "any"):
        return ()
    return tuple(_topic(option, name, bank) for name in filter(None, text.split(",")))


def _timezone(option: Option, text: str, bank: Bank) -> str:
    zone, error = check_timezone(text)
    if zone is None:
        raise Refusal(error)
    return zone


def _time(option: Option, text: str, bank: Bank) -> str:
    parsed = parse_time(text)
    if parsed is None:
        raise Refusal(f"`{text[:20]}` is not a time; use 24-hour `HH:MM`, e.g. `09:00`.")
    return parsed


def _weekdays(option: Option, text: str, bank: Bank) -> tuple[str, ...]:
    days = parse_weekdays("".join(text.split()))
    if days is None:
        raise Refusal(
            f"`{text[:30]}` is not a set of weekdays; use e.g. `mon-fri`, `mon,wed,fri`, "
            "`daily`, `weekdays` or `weekends`."
        )
    return days


def _question(option: Option, text: str, bank: Bank) -> str:
    word = text.strip().lower()
    # A server pack's id (`s12.my-question`) is looked up in that server's view by the handler.
    if bank.get(word) is None and not NAMESPACED.fullmatch(word):
        raise Refusal(f"No question has the id `{word[:64]}`; ids are shown under each question.")
    return word


def _dates(option: Option, text: str, bank: Bank) -> tuple[date, ...]:
    """`2026-12-24`, `2026-12-24..2026-12-26` (commas join several); `clear` is none."""
    text = "".join(text.split()).lower()
    if text in ("clear", "none", "off"):
        return ()
    days: set[date] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("..")
        try:
            start = date.fromisoformat(first)
            end = date.fromisoformat(last) if last else start
        except ValueError:
            raise Refusal(
                f"`{part[:30]}` is not a date; use `YYYY-MM-DD` or a range "
                "`2026-12-24..2026-12-26`, or `clear`."
            ) from None
        if end < start or (end - start).days >= MAX_DATE_SPAN:
            raise Refusal(f"A range runs forward and spans at most {MAX_DATE_SPAN} days.")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    if not days:
        raise Refusal("Give a date `YYYY-MM-DD`, a range `2026-12-24..2026-12-26`, or `clear`.")
    return tuple(sorted(days))


CONVERTERS = {
    "dates": _dates,
    "question": _question,
    "choice": _choice,
    "difficulty": _difficulty,
    "topic": _topic,
    "topics": _topics,
    "timezone": _timezone,
    "time": _time,
    "weekdays": _weekdays,
}


@cache
def zones() -> tuple[str, ...]:
    """Every IANA timezone name, sorted."""
    return tuple(sorted(available_timezones()))


def check_timezone(name: str) -> tuple[str | None, str]:
    """(canonical zone, error): accepts any case; suggests close names when unknown."""
    name = name.strip()
    by_fold = {z.lower(): z for z in zones()}
    zone = by_fold.get(name.lower())
    if zone is not None:
        try:
            ZoneInfo(zone)
            return zone, ""
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(name, zones(), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    return None, (
        f"`{name[:64]}` is not a timezone I know. Use an IANA name such as "
        f"`Europe/Berlin` or `America/New_York`.{hint}"
    )


def parse_time(text: str) -> str | None:
    """`9`, `9:30`, `09:30` or `9:30pm` as `HH:MM` (24-hour), or None."""
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text.strip().lower())
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m.group(3) == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def parse_weekdays(text: str) -> tuple[str, ...] | None:
    """`mon-fri`, `mon,wed,fri`, `daily`, `weekdays`, `weekends` as ordered day names."""
    text = text.strip().lower()
    if text in WEEKDAY_WORDS:
        return WEEKDAY_WORDS[text]
    days: set[str] = set()
    for part in filter(None, text.split(",")):
        if "-" in part:
            first, _, last = part.partition("-")
            if first[:3] not in WEEKDAYS or last[:3] not in WEEKDAYS:
                return None
            i, j = WEEKDAYS.index(first[:3]), WEEKDAYS.index(last[:3])
            span = range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)]
            days.update(WEEKDAYS[k] for k in span)
        elif part[:3] in WEEKDAYS:
            days.add(part[:3])
        else:
            return None
    return tuple(d for d in WEEKDAYS if d in days) or None
