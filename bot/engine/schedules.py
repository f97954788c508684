"""Channel schedules: when and what the daily question posts, set by admins."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.engine.account import check_timezone
from bot.engine.actors import Actor, resolve
from bot.engine.content import DIFFICULTIES, Bank
from bot.engine.messages import Card, Field, Reply
from bot.store.store import Store

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_WORDS = {
    "daily": WEEKDAYS,
    "everyday": WEEKDAYS,
    "weekdays": WEEKDAYS[:5],
    "weekends": WEEKDAYS[5:],
}
DEFAULT_TIME = "09:00"
DEFAULT_GRACE_MINUTES = 120
KEYS = ("time", "timezone", "weekdays", "topics", "difficulty", "grace")
USAGE = (
    "`schedule set time=09:00 timezone=Europe/Berlin weekdays=mon-fri "
    "topics=oop,databases-sql difficulty=medium grace=120` (all optional), "
    "`schedule show`, `schedule pause`, `schedule resume`, `schedule remove`"
)
ADMINS_ONLY = (
    "Only admins can manage this channel's schedule (Manage Server on Discord, workspace "
    "admins on Slack, or the ids in PREPBOT_ADMIN_ROLES / PREPBOT_ADMIN_USERS)."
)

Listener = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class ScheduleSpec:
    time_of_day: str
    timezone: str
    weekdays: tuple[str, ...]
    topics: tuple[str, ...]
    difficulty: str | None
    grace_minutes: int


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


class Schedules:
    def __init__(self, *, store: Store, bank: Bank, default_timezone: str):
        self.store = store
        self.bank = bank
        self.default_timezone = default_timezone
        self.listeners: list[Listener] = []  # told after any change (the scheduler resyncs)

    async def changed(self) -> None:
        for listener in self.listeners:
            await listener()

    def parse(self, text: str, current: ScheduleSpec) -> tuple[ScheduleSpec | None, str]:
        """Apply `key=value` words (or a bare time and timezone) to `current`."""
        values = {
            "time": current.time_of_day,
            "timezone": current.timezone,
            "weekdays": current.weekdays,
            "topics": current.topics,
            "difficulty": current.difficulty,
            "grace": current.grace_minutes,
        }
        for word in text.split():
            key, sep, value = word.partition("=")
            if not sep:  # a bare word: a time, or a timezone
                key, value = ("time", word) if parse_time(word) else ("timezone", word)
            key = key.lower()
            if key not in KEYS:
                return None, f"Unknown setting `{key[:20]}`. Usage: {USAGE}"
            if key == "time":
                parsed = parse_time(value)
                if parsed is None:
                    return None, f"`{value[:20]}` is not a time; use 24-hour `HH:MM`, e.g. `09:00`."
                values["time"] = parsed
            elif key == "timezone":
                zone, error = check_timezone(value)
                if zone is None:
                    return None, error
                values["timezone"] = zone
            elif key == "weekdays":
                days = parse_weekdays(value)
                if days is None:
                    return None, (
                        f"`{value[:30]}` is not a set of weekdays; use e.g. `mon-fri`, "
                        "`mon,wed,fri`, `daily`, `weekdays` or `weekends`."
                    )
                values["weekdays"] = days
            elif key == "topics":
                slugs = []
                for name in filter(None, value.split(",")):
                    found = self.bank.find_topic(name)
                    if found is None:
                        names = ", ".join(sorted(self.bank.topics))
                        return None, f"Unknown topic `{name[:40]}`. Topics: {names}."
                    slugs.append(found.slug)
                values["topics"] = tuple(slugs) if value.lower() not in ("all", "any") else ()
            elif key == "difficulty":
                level = value.lower()
                if level not in (*DIFFICULTIES, "any"):
                    return None, "Difficulty is one of easy, medium, hard or any."
                values["difficulty"] = None if level == "any" else level
            elif key == "grace":
                if not value.isdigit() or not 0 <= int(value) <= 1440:
                    return None, "Grace is a number of minutes from 0 to 1440, e.g. `grace=120`."
                values["grace"] = int(value)
        return (
            ScheduleSpec(
                time_of_day=values["time"],
                timezone=values["timezone"],
                weekdays=values["weekdays"],
                topics=values["topics"],
                difficulty=values["difficulty"],
                grace_minutes=values["grace"],
            ),
            "",
        )

    def default_spec(self, timezone: str | None = None) -> ScheduleSpec:
        return ScheduleSpec(
            DEFAULT_TIME,
            timezone or self.default_timezone,
            WEEKDAYS,
            (),
            None,
            DEFAULT_GRACE_MINUTES,
        )

    async def save(
        self, server_id: int, channel_id: str, spec: ScheduleSpec, set_by: str | None = None
    ) -> None:
        await self.store.save_schedule(
            server_id=server_id,
            channel_id=channel_id,
            set_by=set_by,
            time_of_day=spec.time_of_day,
            timezone=spec.timezone,
            weekdays=",".join(spec.weekdays),
            topics=",".join(spec.topics),
            difficulty=spec.difficulty,
            grace_minutes=spec.grace_minutes,
        )

    @staticmethod
    def spec_of(row) -> ScheduleSpec:
        return ScheduleSpec(
            time_of_day=row.time_of_day,
            timezone=row.timezone,
            weekdays=tuple(filter(None, row.weekdays.split(","))),
            topics=tuple(filter(None, row.topics.split(","))),
            difficulty=row.difficulty,
            grace_minutes=row.grace_minutes,
        )

    def card(self, spec: ScheduleSpec, *, paused: bool, title: str) -> Card:
        topics = ", ".join(self.bank.topics[t].title for t in spec.topics if t in self.bank.topics)
        return Card(
            title=title,
            body=f"Daily question at **{spec.time_of_day}** ({spec.timezone})"
            + (" · **paused**" if paused else ""),
            fields=(
                Field("Days", ", ".join(d.title() for d in spec.weekdays), inline=True),
                Field("Topics", topics or "all", inline=True),
                Field("Difficulty", spec.difficulty or "any", inline=True),
                Field("Catch-up window", f"{spec.grace_minutes} min", inline=True),
            ),
            tone="warning" if paused else "success",
        )

    async def run(self, actor: Actor, text: str) -> Reply:
        """`schedule set|show|pause|resume|remove ...`, admins only, for this channel."""
        if not actor.is_admin:
            return Reply.error(ADMINS_ONLY)
        if actor.is_dm:
            return Reply.error("Schedules belong to channels; run this in the channel to post in.")
        sub, _, rest = text.strip().partition(" ")
        sub = sub.lower()
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        row = place.schedule
        if sub == "set":
            current = self.spec_of(row) if row else self.default_spec(place.channel_timezone)
            spec, error = self.parse(rest, current)
            if spec is None:
                return Reply.error(error)
            await self.save(place.server.id, actor.channel_id, spec, set_by=actor.user_id)
            await self.changed()
            return Reply(
                cards=(self.card(spec, paused=False, title="Schedule saved"),), private=True
            )
        if row is None:
            if sub in ("show", ""):
                return Reply.text(
                    "Schedule", f"This channel has no daily question yet. Set one with {USAGE}."
                )
            return Reply.error("This channel has no schedule. Set one with `schedule set`.")
        if sub in ("show", ""):
            title = "Schedule"
            return Reply(
                cards=(self.card(self.spec_of(row), paused=row.paused, title=title),), private=True
            )
        if sub in ("pause", "resume"):
            await self.store.set_schedule_paused(row.id, sub == "pause")
            await self.changed()
            title = "Schedule paused" if sub == "pause" else "Schedule resumed"
            return Reply(
                cards=(self.card(self.spec_of(row), paused=sub == "pause", title=title),),
                private=True,
            )
        if sub == "remove":
            await self.store.delete_schedule(row.id)
            await self.changed()
            return Reply.text("Schedule removed", "No more daily questions in this channel.")
        return Reply.error(f"Usage: {USAGE}")


class Subscriptions:
    """A member's own daily question by direct message, at their local time."""

    def __init__(self, *, store: Store, bank: Bank, default_timezone: str, schedules: Schedules):
        self.store = store
        self.bank = bank
        self.default_timezone = default_timezone
        self.schedules = schedules  # shares its listeners: the scheduler resyncs on any change

    async def subscribe(self, actor: Actor, text: str) -> Reply:
        """`subscribe [time] [topics]`: e.g. `subscribe 07:30 oop,databases-sql`."""
        time_of_day = DEFAULT_TIME
        topics: list[str] = []
        for word in text.split():
            parsed = parse_time(word)
            if parsed:
                time_of_day = parsed
                continue
            for name in filter(None, word.split(",")):
                found = self.bank.find_topic(name)
                if found is None:
                    names = ", ".join(sorted(self.bank.topics))
                    return Reply.error(
                        f"`{name[:40]}` is neither a time (`HH:MM`) nor a topic. Topics: {names}."
                    )
                topics.append(found.slug)
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        await self.store.save_subscription(
            server_id=place.server.id,
            member_id=place.member.id,
            time_of_day=time_of_day,
            topics=",".join(topics),
        )
        await self.schedules.changed()
        titles = ", ".join(self.bank.topics[t].title for t in topics) or "all topics"
        return Reply.text(
            "Subscribed",
            f"Your own question arrives by direct message at **{time_of_day}** "
            f"({place.member_timezone}), from {titles}. Change your timezone with `timezone`; "
            "stop with `unsubscribe`.",
            tone="success",
        )

    async def unsubscribe(self, actor: Actor) -> Reply:
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        if not await self.store.delete_subscription(place.server.id, place.member.id):
            return Reply.text("Not subscribed", "You have no daily direct message to stop.")
        await self.schedules.changed()
        return Reply.text("Unsubscribed", "No more daily direct messages.", tone="success")


IMPORT_KEYS = frozenset({"platform", "server", "channel", *KEYS})


async def import_schedules(schedules: Schedules, entries: object) -> tuple[int, list[str]]:
    """Save schedules from a loaded YAML list; return (saved, problems). All or nothing."""
    if not isinstance(entries, list):
        return 0, ["the file must be a list of schedules"]
    problems: list[str] = []
    parsed = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.append(f"#{n}: each schedule must be a mapping")
            continue
        unknown = sorted(set(entry) - IMPORT_KEYS)
        missing = [k for k in ("platform", "server", "channel") if not entry.get(k)]
        if unknown or missing:
            problems.append(f"#{n}: unknown {unknown} / missing {missing}".replace("[] / ", ""))
            continue
        words = []
        for key in KEYS:
            value = entry.get(key)
            if value is None:
                continue
            if isinstance(value, list):
                value = ",".join(map(str, value))
            words.append(f"{key}={str(value).replace(' ', '')}")
        default = schedules.default_spec()
        spec, error = schedules.parse(" ".join(words), default)
        if spec is None:
            problems.append(f"#{n} ({entry['channel']}): {error}")
            continue
        parsed.append((str(entry["platform"]), str(entry["server"]), str(entry["channel"]), spec))
    if problems:
        return 0, problems
    for platform, server, channel, spec in parsed:
        ref = await schedules.store.ensure_server(platform, server)
        await schedules.save(ref.id, channel, spec)
    return len(parsed), []
