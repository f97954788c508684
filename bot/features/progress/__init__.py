"""Progress: streaks, the practice picture, the leaderboard, the topic list, the home view."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.actors import Actor, Place
from bot.engine.core import Kit
from bot.engine.days_off import days_off, state_of
from bot.engine.messages import (
    Action,
    Button,
    Card,
    Field,
    Image,
    Refusal,
    Reply,
    clip,
    literal,
)
from bot.engine.options import MemberArg, Option
from bot.engine.registry import IN_CHANNELS, command
from bot.engine.streaks import MAX_FREEZES, StreakState, month_key, view, week_key
from bot.features.progress.seasons import season_reply
from bot.pictures import calendar_png, topic_bars

PERIODS = ("week", "month", "all", "season")
HEAT = " ░▒▓█"  # 0, 1, 2, 3, 4+ answers and grades in a day
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Progress:
    def __init__(self, kit: Kit):
        self.kit = kit

    async def _target(self, actor: Actor, user: MemberArg | None) -> tuple[Place, int, str]:
        """Whose progress, on this server only; in a DM, only one's own."""
        place = await self.kit.place(actor)
        if user is None or user.id == actor.user_id:
            return place, place.member.id, actor.user_name
        if actor.is_dm:
            raise Refusal("In a direct message you see only your own progress; ask in a channel.")
        other = await self.kit.store.find_member(actor.platform, user.id)
        if other is None:
            raise Refusal(f"{literal(user.name or user.id)} has not practised here yet.")
        return place, other.id, other.display_name

    async def _days_off(self, place: Place, member_id: int, state: StreakState) -> frozenset:
        """The days that do not count against this streak (skips, away)."""
        if state.last_day is None:
            return frozenset()
        return await days_off(self.kit.store, place.server.id, member_id, state.last_day)

    @command(
        "streak",
        summary="Current and longest streak, freezes banked",
        options=(Option("user", "member", "Someone else's streak"),),
        group="Progress",
    )
    async def streak(self, actor: Actor, user: MemberArg | None = None) -> Reply:
        """Current and longest streak, and the freezes banked."""
        place, member_id, name = await self._target(actor, user)
        record = await self.kit.store.stats(place.server.id, member_id)
        now = self.kit.clock()
        today = place.member_day(now) if member_id == place.member.id else None
        state = state_of(record)
        off = await self._days_off(place, member_id, state)
        shown = view(state, today or place.channel_day(now), off)
        if shown.current == 0:
            body = "No streak running. Answer or grade a question today to start one."
        elif shown.counted_today:
            body = f"🔥 **{shown.current}** day streak, today counted."
        else:
            body = f"🔥 **{shown.current}** day streak. Practise today to keep it."
        card = Card(
            title=f"Streak · {literal(name)}",
            body=body,
            fields=(
                Field("Current", str(shown.current), inline=True),
                Field("Longest", str(shown.longest), inline=True),
                Field("Freezes", f"{shown.freezes} of {MAX_FREEZES}", inline=True),
            ),
            footer="A freeze is earned every 7 days in a row and covers one missed day.",
        )
        return Reply(cards=(card,), private=True)

    @command(
        "stats",
        summary="Practice calendar and results per topic",
        options=(Option("user", "member", "Someone else's stats"),),
        group="Progress",
    )
    async def stats(self, actor: Actor, user: MemberArg | None = None) -> Reply:
        """A 12-week practice calendar and results per topic."""
        place, member_id, name = await self._target(actor, user)
        today = place.member_day(self.kit.clock())
        start = today - timedelta(days=today.weekday() + 7 * 11)
        days = await self.kit.store.activity_days(place.server.id, member_id, start)
        rows = []
        for weekday, label in enumerate(WEEKDAY_LABELS):
            cells = []
            for week in range(12):
                day = start + timedelta(days=7 * week + weekday)
                cells.append(" " if day > today else HEAT[min(days.get(day, 0), len(HEAT) - 1)])
            rows.append(f"{label} {''.join(cells)}")
        calendar = "```\n" + "\n".join(rows) + "\n```"
        picture = Image(
            filename="practice.png",
            data=calendar_png(
                days, start=start, today=today, weeks=12, title=f"Practice · {name} · 12 weeks"
            ),
            alt=f"{literal(name)}'s practice over the last 12 weeks: {len(days)} active days",
        )
        results = await self._topic_results(place.server.id, member_id)
        lines = [f"- {title}: {good}/{graded} good or easy" for title, good, graded in results]
        calendar_card = Card(
            title=f"Practice · {literal(name)}",
            body=f"Last 12 weeks ({sum(days.values())} answers and grades):\n{calendar}",
            image=picture,
        )
        topics_card = Card(
            title="Results per topic",
            body="\n".join(lines) or "Nothing graded yet.",
            footer="Questions graded here; the share last graded Good or Easy.",
            image=Image(
                filename="topics.png",
                data=topic_bars(results, title=f"Results per topic · {name}"),
                alt=f"{literal(name)}'s results in {len(results)} topics",
            )
            if results
            else None,
        )
        return Reply(cards=(calendar_card, topics_card), private=True)

    async def _topic_results(self, server_id: int, member_id: int) -> list[tuple[str, int, int]]:
        """Per topic (title, last graded Good or Easy, graded), most graded first."""
        results: dict[str, tuple[int, int]] = {}
        bank = await self.kit.bank_for(server_id)
        for question_id, rating in (
            await self.kit.store.latest_grades(server_id, member_id)
        ).items():
            q = bank.get(question_id)
            if q is not None:
                graded, good = results.get(q.topic, (0, 0))
                results[q.topic] = (graded + 1, good + (rating >= 3))
        topics = self.kit.bank.topics
        return [
            (topics[slug].title if slug in topics else slug, good, graded)
            for slug, (graded, good) in sorted(results.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ]

    @command(
        "leaderboard",
        summary="Top streaks and answers, or a month's season",
        options=(
            Option("period", "choice", "Period (default: this week)", choices=PERIODS),
            Option("month", "string", "A past season, YYYY-MM"),
        ),
        visibility="public",
        where=IN_CHANNELS,
        group="Progress",
    )
    async def leaderboard(
        self, actor: Actor, period: str | None = None, month: str | None = None
    ) -> Reply:
        if period is None and month is not None and not month[:1].isdigit():
            raise Refusal(f"`period` is one of {', '.join(PERIODS)}.")  # a mistyped period
        place = await self.kit.place(actor)
        if period == "season" or (period is None and month is not None):
            return await season_reply(self.kit, place, month)
        if month is not None:
            raise Refusal("A month goes with `season`, e.g. `leaderboard season 2026-11`.")
        period = period or "week"
        today = place.channel_day(self.kit.clock())
        key = week_key(today) if period == "week" else month_key(today)
        store = self.kit.store
        rows = await store.leaderboard(place.server.id, today=today, period=period, key=key)
        if not rows:
            return Reply.text("Leaderboard", "Nobody has practised yet. Be the first!")
        medals = {1: "🥇", 2: "🥈", 3: "🥉"}
        lines = [
            f"{medals.get(i, f'{i}.')} {literal(row.display_name or row.external_id)} · "
            f"🔥 {row.current_streak} · {row.period_answers} answers"
            for i, row in enumerate(rows, 1)
        ]
        rank = await store.rank(
            place.server.id, place.member.id, today=today, period=period, key=key
        )
        footer = f"You are #{rank}." if rank else "Answer a question to join."
        label = {"week": "this week", "month": "this month", "all": "all time"}[period]
        card = Card(title=f"Leaderboard · {label}", body="\n".join(lines), footer=footer)
        return Reply(cards=(card,))

    async def home(self, actor: Actor) -> Reply:
        """The member's overview for a home screen: streak, freezes, recent answers."""
        place = await self.kit.place(actor)
        record = await self.kit.store.stats(place.server.id, place.member.id)
        state = state_of(record)
        off = await self._days_off(place, place.member.id, state)
        shown = view(state, place.member_day(self.kit.clock()), off)
        lines = []
        bank = await self.kit.bank_for(place.server.id)
        for answer in await self.kit.store.recent_answers(place.member.id, limit=5):
            q = bank.get(answer.question_id)
            title = q.question if q else answer.question_id
            title = clip(title, 80)
            lines.append(f"- {answer.local_date:%a %d %b}: {title}")
        card = Card(
            title="Your interview practice",
            body=f"🔥 **{shown.current}** day streak (longest {shown.longest}).",
            fields=(
                Field("Current", str(shown.current), inline=True),
                Field("Freezes", f"{shown.freezes} of {MAX_FREEZES}", inline=True),
                Field("Recent answers", "\n".join(lines) or "None yet: try a practice question."),
            ),
            buttons=(Button("Practice question", Action("practice"), style="primary"),),
        )
        return Reply(cards=(card,), private=True)
