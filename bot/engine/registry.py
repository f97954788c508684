"""The command registry: every command, button and job, declared once by its feature.

A feature is a class whose methods carry `@command`, `@action` or `@job` declarations;
`Registry.add_feature` binds them. Every surface is generated from what is registered:
the Discord app-command tree, Slack's and the console's text parsing, help and usage,
"did you mean", and the console's stand-ins for buttons.
"""

from __future__ import annotations

import difflib
import functools
import re
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any

from bot.engine.content import Bank
from bot.engine.messages import ID_PREFIX, ID_VERSION, LEGACY_VERSION, Action, Refusal, Reply
from bot.engine.options import Option, coerce, looks_like

Handler = Callable[..., Awaitable[Reply]]
ANYWHERE = frozenset({"channel", "dm"})
IN_CHANNELS = frozenset({"channel"})
# A word in typed text: a mention keeps its spaces (`<@U1|Ann Lee>`), anything else splits.
WORD = re.compile(r"[^\s<]*<[^>]*>\S*|\S+")
KEYED = re.compile(r"([a-z][a-z-]*)[:=](.*)", re.S)
ALIASES = {
    "q": "question",
    "a": "answer",
    "lb": "leaderboard",
    "tz": "timezone",
    "?": "help",
    # Your settings and data live in the `me` group (Discord allows 25 entries under /prep);
    # typed, their own names work too.
    "remind": "me remind",
    "away": "me away",
    "back": "me away back",
    "subscribe": "me subscribe",
    "unsubscribe": "me unsubscribe",
    "forget-me": "me forget-me",
    "my-data": "me my-data",
    "dashboard": "me dashboard",
    # The review queues live in the `pack` group (Discord allows 25 entries under /prep);
    # typed, their short names work too.
    "suggestions": "pack suggestions",
    "reports": "pack reports",
}


class Role(IntEnum):
    """Who may run a command: each level includes the ones below."""

    MEMBER = 0
    LEAD = 1
    ADMIN = 2


ROLE_NAMES = {Role.MEMBER: "member", Role.LEAD: "team lead", Role.ADMIN: "admin"}

LEADS_ONLY = (
    "Only team leads can do that (admins, or the roles and ids in PREPBOT_LEAD_ROLES / "
    "PREPBOT_LEAD_USERS)."
)
ADMINS_ONLY = (
    "Only admins can do that (Manage Server on Discord, workspace admins on Slack, or the ids "
    "in PREPBOT_ADMIN_ROLES / PREPBOT_ADMIN_USERS)."
)


@dataclass(frozen=True)
class Command:
    """A command as declared: its path (`("mock", "score")`), options, rules and handler."""

    path: tuple[str, ...]
    summary: str  # one line, at most 100 characters (Discord's description limit)
    handler: Handler
    options: tuple[Option, ...] = ()
    who: Role = Role.MEMBER
    where: frozenset[str] = ANYWHERE
    visibility: str = "private"  # private | public (a public reply is private in a DM)
    group: str = "Practice"  # its heading in help
    refusal: str = ""  # what someone without the rights is told (default per role)

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def usage(self) -> str:
        return " ".join([self.name, *(o.usage() for o in self.options)])

    def private_for(self, is_dm: bool) -> bool:
        return self.visibility == "private" or is_dm


@dataclass(frozen=True)
class ActionSpec:
    """A button or form: its verb, typed target, rules, handler and console stand-in."""

    verb: str
    handler: Handler  # (actor, target, form) -> Reply
    target: type | None = None
    who: Role = Role.MEMBER
    visibility: str = "private"
    hint: str = ""  # what a console user types instead of clicking, e.g. `reveal`
    legacy: Callable[[str], Any] | None = None  # a `prep:v1:` argument as a target


@dataclass(frozen=True)
class Job:
    """Work the scheduler runs every `seconds` (and the console before each command)."""

    name: str
    seconds: int
    handler: Callable[[], Awaitable[list[Any]]]  # returns Deliveries


def command(
    *path: str,
    summary: str,
    options: Iterable[Option] = (),
    who: Role = Role.MEMBER,
    where: frozenset[str] = ANYWHERE,
    visibility: str = "private",
    group: str = "Practice",
    refusal: str = "",
) -> Callable[[Handler], Handler]:
    """Declare a feature method as the handler of `/prep <path...>`."""

    def declare(fn: Handler) -> Handler:
        fn.__prep_command__ = Command(  # type: ignore[attr-defined]
            tuple(path), summary, fn, tuple(options), who, where, visibility, group, refusal
        )
        return fn

    return declare


def subcommands(parent: str, **defaults: Any) -> Callable[..., Callable[[Handler], Handler]]:
    """A `command` declarer for `/prep <parent> <sub>` with shared rules (who, where, help)."""

    def declare(sub: str, summary: str, **extra: Any) -> Callable[[Handler], Handler]:
        return command(parent, sub, summary=summary, **{**defaults, **extra})

    return declare


def action(
    verb: str,
    *,
    target: type | None = None,
    who: Role = Role.MEMBER,
    visibility: str = "private",
    hint: str = "",
    legacy: Callable[[str], Any] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a feature method as the handler of buttons and forms with `verb`."""

    def declare(fn: Handler) -> Handler:
        fn.__prep_action__ = ActionSpec(  # type: ignore[attr-defined]
            verb, fn, target, who, visibility, hint, legacy
        )
        return fn

    return declare


def job(name: str, *, seconds: int) -> Callable[[Callable], Callable]:
    """Declare a feature method as a job run every `seconds`."""

    def declare(fn: Callable) -> Callable:
        fn.__prep_job__ = Job(name, seconds, fn)  # type: ignore[attr-defined]
        return fn

    return declare


class Registry:
    """Every registered command, action and job; parsing and help come from here."""

    def __init__(self, bank: Bank):
        self.bank = bank
        self.commands: dict[tuple[str, ...], Command] = {}
        self.actions: dict[str, ActionSpec] = {}
        self.jobs: list[Job] = []
        self.features: dict[str, Any] = {}

    def add_feature(self, name: str, feature: Any) -> None:
        """Bind every declaration on `feature`'s methods, in the order they are written."""
        self.features[name] = feature
        declared = {}
        for klass in reversed(type(feature).__mro__):
            declared.update(vars(klass))
        for attr, fn in declared.items():
            if not callable(fn):
                continue
            bound = getattr(feature, attr)
            if spec := getattr(fn, "__prep_command__", None):
                self.add_command(Command(**{**vars_of(spec), "handler": bound}))
            if spec := getattr(fn, "__prep_action__", None):
                self.add_action(ActionSpec(**{**vars_of(spec), "handler": bound}))
            if spec := getattr(fn, "__prep_job__", None):
                self.jobs.append(Job(spec.name, spec.seconds, bound))

    def add_command(self, cmd: Command) -> None:
        if cmd.path in self.commands:
            raise ValueError(f"command {cmd.name!r} is declared twice")
        self.commands[cmd.path] = cmd

    def add_action(self, spec: ActionSpec) -> None:
        if spec.verb in self.actions:
            raise ValueError(f"action {spec.verb!r} is declared twice")
        self.actions[spec.verb] = spec

    # Text -----------------------------------------------------------------------------------

    def groups(self) -> set[str]:
        """Names that lead to subcommands (`mock`, `schedule`)."""
        return {path[0] for path in self.commands if len(path) > 1}

    def find(self, text: str, *, prefix: str = "/prep ") -> tuple[Command, str]:
        """The command `text` names and the rest of the text; Refusal when none does."""
        text = text.strip()
        first = text.split(maxsplit=1)
        if first and first[0].lower() in ("/prep", "prep"):
            text = first[1] if len(first) > 1 else ""
        words = text.split(maxsplit=2)
        if not words:
            return self.commands[("help",)], ""
        if " " in ALIASES.get(words[0].lower(), ""):  # an alias with its own words
            text = " ".join([ALIASES[words[0].lower()], *text.split(maxsplit=1)[1:]])
            words = text.split(maxsplit=2)
        name = ALIASES.get(words[0].lower(), words[0].lower())
        if name in self.groups():
            sub = words[1].lower() if len(words) > 1 else ""
            found = self.commands.get((name, sub))
            if found is None:
                raise Refusal(self._group_usage(name, sub, prefix))
            return found, words[2] if len(words) > 2 else ""
        found = self.commands.get((name,))
        if found is None:
            raise Refusal(self.unknown(name, prefix))
        rest = text.split(maxsplit=1)
        return found, rest[1] if len(rest) > 1 else ""

    def parse(self, text: str, *, prefix: str = "/prep ") -> tuple[Command, dict[str, Any]]:
        """A typed command: its declaration and its options' values, checked."""
        cmd, rest = self.find(text, prefix=prefix)
        return cmd, self.parse_options(cmd, rest, prefix=prefix)

    def parse_options(self, cmd: Command, rest: str, *, prefix: str) -> dict[str, Any]:
        by_name = {o.name: o for o in cmd.options}
        values: dict[str, Any] = {}
        for match in WORD.finditer(rest):
            word = match.group(0)
            keyed = KEYED.fullmatch(word)
            if keyed and keyed.group(1).lower() in by_name:
                option = by_name[keyed.group(1).lower()]
                values[option.name] = coerce(option, keyed.group(2), self.bank)
                continue
            if keyed and any(o.keyed for o in cmd.options):
                raise Refusal(
                    f"Unknown option `{keyed.group(1)[:20]}`. Usage: `{prefix}{cmd.usage()}`"
                )
            open_ = [o for o in cmd.options if o.name not in values]
            if open_ and open_[0].kind == "text":
                values[open_[0].name] = rest[match.start() :].strip()
                break
            values.update(self._positional(cmd, open_, word, prefix))
        return self.check(cmd, values, prefix=prefix)

    def _positional(
        self, cmd: Command, open_: list[Option], word: str, prefix: str
    ) -> dict[str, Any]:
        """The first open option that accepts `word` (flags by their name first)."""
        for option in open_:
            if option.kind == "boolean" and word.lower() == option.name:
                return {option.name: True}
        candidates = [o for o in open_ if o.kind not in ("boolean", "text")]
        first_error: Refusal | None = None
        for option in candidates:
            try:
                return {option.name: coerce(option, word, self.bank)}
            except Refusal as exc:
                # The message of the option the word looks meant for, else the first one's.
                if first_error is None or looks_like(option, word):
                    first_error = exc
        if first_error is not None:
            raise first_error
        raise Refusal(f"Usage: `{prefix}{cmd.usage()}`")

    def check(self, cmd: Command, values: dict[str, Any], *, prefix: str) -> dict[str, Any]:
        """Every option's value, coerced (None when absent); Refusal if a required one is."""
        checked = {o.name: coerce(o, values.get(o.name), self.bank) for o in cmd.options}
        if any(checked[o.name] is None for o in cmd.options if o.required):
            raise Refusal(f"Usage: `{prefix}{cmd.usage()}`")
        return checked

    def unknown(self, name: str, prefix: str) -> str:
        names = sorted({p[0] for p in self.commands} | set(ALIASES))
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean `{prefix}{ALIASES.get(close[0], close[0])}`?" if close else ""
        return f"Unknown command `{name[:40]}`.{hint} Try `{prefix}help`."

    def _group_usage(self, group: str, sub: str, prefix: str) -> str:
        subs = sorted(p[1] for p in self.commands if p[0] == group)
        close = difflib.get_close_matches(sub, subs, n=1) if sub else []
        hint = f" Did you mean `{prefix}{group} {close[0]}`?" if close else ""
        listed = ", ".join(f"`{prefix}{group} {s}`" for s in subs)
        head = (
            f"Unknown command `{group} {sub[:40]}`." if sub else f"`{prefix}{group}` needs one of:"
        )
        return f"{head}{hint} {listed}".strip() if sub else f"{head} {listed}."

    # Buttons and forms ------------------------------------------------------------------------

    def decode(self, custom_id: str) -> tuple[ActionSpec, Any]:
        """The action and typed target of one of our ids; Refusal for anything we didn't issue."""
        parts = custom_id.split(":", 3)
        if len(parts) < 3 or parts[0] != ID_PREFIX or parts[1] not in (ID_VERSION, LEGACY_VERSION):
            raise Refusal(STALE)
        spec = self.actions.get(parts[2])
        if spec is None:
            raise Refusal(STALE)
        arg = parts[3] if len(parts) > 3 else ""
        if parts[1] == LEGACY_VERSION:
            target = spec.legacy(arg) if spec.legacy else None
            if spec.target is not None and target is None:
                raise Refusal(STALE)
            return spec, target
        return spec, decode_target(spec.target, arg)

    def spec_of(self, custom_id: str) -> ActionSpec | None:
        """The action an id names, without checking the rest (to choose a visibility)."""
        parts = custom_id.split(":", 3)
        return self.actions.get(parts[2]) if len(parts) > 2 else None

    # Help -----------------------------------------------------------------------------------

    def help_text(self, *, prefix: str = "/prep ") -> str:
        groups: dict[str, list[str]] = {}
        for cmd in self.commands.values():
            groups.setdefault(cmd.group, []).append(f"`{prefix}{cmd.usage()}`: {cmd.summary}")
        return (
            "prepbot posts one interview question a day. Answer it, compare with the reference "
            "answer, grade yourself, and keep your streak.\n\n"
            + "\n\n".join(f"**{group}**\n" + "\n".join(lines) for group, lines in groups.items())
        )

    def slack_usage_hint(self) -> str:
        """The `/prep` usage hint of the Slack app manifest: every command, in help's order."""
        names: list[str] = []
        for path in self.commands:
            name = f"{path[0]} …" if len(path) > 1 else path[0]
            if name not in names:
                names.append(name)
        return " | ".join(names)

    def command_help(self, name: str, *, prefix: str = "/prep ") -> str:
        """Usage and options of one command (or every subcommand of a group)."""
        name = ALIASES.get(name.lower(), name.lower())
        chosen = [c for c in self.commands.values() if c.name == name or c.path[0] == name]
        if not chosen:
            raise Refusal(self.unknown(name, prefix))
        lines = []
        for cmd in chosen:
            lines.append(f"`{prefix}{cmd.usage()}`: {cmd.summary}")
            lines += [f"  - `{o.name}`: {o.description}" for o in cmd.options]
        return "\n".join(lines)


STALE = "That button is from another version of prepbot; try `/prep today` for a fresh one."


def vars_of(spec: Any) -> dict[str, Any]:
    return {f.name: getattr(spec, f.name) for f in fields(spec)}


def decode_target(target: type | None, arg: str) -> Any:
    """A target dataclass from its encoded fields (see `Action.encode`)."""
    if target is None:
        return None
    hints = _hints(target)
    specs = fields(target)
    raw = arg.split(":", len(specs) - 1) if specs else []
    if len(raw) != len(specs):
        raise Refusal(STALE)
    values = {}
    for spec, text in zip(specs, raw, strict=True):
        values[spec.name] = _decode_field(hints[spec.name], text)
    return target(**values)


@functools.cache
def _hints(target: type) -> dict[str, Any]:
    """A target's field types, resolved once per class (not on every click)."""
    return typing.get_type_hints(target)


def _decode_field(hint: Any, text: str) -> Any:
    optional = type(None) in typing.get_args(hint)
    base = next((t for t in typing.get_args(hint) if t is not type(None)), hint)
    if text == "" and optional:
        return None
    if base is bool:
        return text == "1"
    if base is int:
        if not re.fullmatch(r"\d{1,12}", text):
            raise Refusal(STALE)
        return int(text)
    return text


def encode(verb: str, target: Any = None) -> str:
    """The id of a button or form (a shortcut for tests and adapters)."""
    return Action(verb, target).encode()
