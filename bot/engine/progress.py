"""Progress: streaks, the practice picture, the leaderboard and the topic list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import utcnow
from bot.engine.actors import Actor, Place, resolve
from bot.engine.content import DIFFICULTIES, Bank
from bot.engine.messages import Action, Button, Card, Field, Image, Reply
from bot.engine.picture import calendar_png
from bot.engine.practice import stats_from_row
from bot.engine.streaks import MAX_FREEZES, month_key, view, week_key
from bot.store.store import Store

PERIODS = ("week", "month", "all")
HEAT = " ░▒▓█"  # 0, 1, 2, 3, 4+ answers and grades in a day


class Progress:
    def __init__(
        self,
        *,
        store: Store,
        bank: Bank,
        default_timezone: str,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.store = store
        self.bank = bank
        self.default_timezone = default_timezone
        self.clock = clock

    async def _target(self, actor: Actor, user_id: str | None) -> tuple[Place, int | None, str]:
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        if not user_id or user_id == actor.user_id:
            return place, place.member.id, actor.user_name
        other = await self.store.find_member(actor.platform, user_id)
        if other is None:
            return place, None, user_id
        return place, other.id, other.display_name

    async def streak(self, actor: Actor, user_id: str | None = None) -> Reply:
        """Current and longest streak, and the freezes banked."""
        place, member_id, name = await self._target(actor, user_id)
        if member_id is None:
            return Reply.error(f"{name} has not practised here yet.")
        row = await self.store.stats(place.server.id, member_id)
        state = stats_from_row(row)
        today = place.member_day(self.clock()) if member_id == place.member.id else None
        shown = view(state, today or place.channel_day(self.clock()))
        if shown.current == 0:
            body = "No streak running. Answer or grade a question today to start one."
        elif shown.counted_today:
            body = f"🔥 **{shown.current}** day streak, today counted."
        else:
            body = f"🔥 **{shown.current}** day streak. Practise today to keep it."
        card = Card(
            title=f"Streak · {name}",
            body=body,
            fields=(
                Field("Current", str(shown.current), inline=True),
                Field("Longest", str(shown.longest), inline=True),
                Field("Freezes", f"{shown.freezes} of {MAX_FREEZES}", inline=True),
            ),
            footer="A freeze is earned every 7 days in a row and covers one missed day.",
        )
        return Reply(cards=(card,), private=True)

    async def stats(self, actor: Actor, user_id: str | None = None) -> Reply:
        """A 12-week practice calendar and results per topic."""
        place, member_id, name = await self._target(actor, user_id)
        if member_id is None:
            return Reply.error(f"{name} has not practised here yet.")
        today = place.member_day(self.clock())
        start = today - timedelta(days=today.weekday() + 7 * 11)
        days = await self.store.activity_days(member_id, start)
        rows = []
        for weekday, label in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
            cells = []
            for week in range(12):
                day = start + timedelta(days=7 * week + weekday)
                if day > today:
                    cells.append(" ")
                else:
                    cells.append(HEAT[min(days.get(day, 0), len(HEAT) - 1)])
            rows.append(f"{label} {''.join(cells)}")
        calendar = "```\n" + "\n".join(rows) + "\n```"
        results = await self.store.topic_results(member_id)
        lines = []
        for slug, (graded, good) in sorted(results.items(), key=lambda kv: -kv[1][0]):
            title = self.bank.topics[slug].title if slug in self.bank.topics else slug
            lines.append(f"- {title}: {good}/{graded} good or easy")
        picture = Image(
            filename="practice.png",
            data=calendar_png(days, start=start, today=today, weeks=12),
            alt=f"{name}'s practice over the last 12 weeks: {len(days)} active days",
        )
        card = Card(
            title=f"Practice · {name}",
            body=f"Last 12 weeks ({sum(days.values())} answers and grades):\n{calendar}",
            fields=(Field("By topic", "\n".join(lines) or "Nothing graded yet."),),
            image=picture,
        )
        return Reply(cards=(card,), private=True)

    async def leaderboard(self, actor: Actor, period: str | None = None) -> Reply:
        period = (period or "week").lower()
        if period not in PERIODS:
            return Reply.error("Leaderboard periods: week, month, all.")
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        today = place.channel_day(self.clock())
        key = week_key(today) if period == "week" else month_key(today)
        rows = await self.store.leaderboard(place.server.id, today=today, period=period, key=key)
        if not rows:
            return Reply.text("Leaderboard", "Nobody has practised yet. Be the first!")
        medals = {1: "🥇", 2: "🥈", 3: "🥉"}
        lines = [
            f"{medals.get(i, f'{i}.')} {row.display_name or row.external_id} · "
            f"🔥 {row.current_streak} · {row.period_answers} answers"
            for i, row in enumerate(rows, 1)
        ]
        rank = await self.store.rank(
            place.server.id, place.member.id, today=today, period=period, key=key
        )
        footer = f"You are #{rank}." if rank else "Answer a question to join."
        label = {"week": "this week", "month": "this month", "all": "all time"}[period]
        card = Card(title=f"Leaderboard · {label}", body="\n".join(lines), footer=footer)
        return Reply(cards=(card,), private=False)

    async def home(self, actor: Actor) -> Reply:
        """The member's overview for a home screen: streak, freezes, recent answers."""
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        row = await self.store.stats(place.server.id, place.member.id)
        shown = view(stats_from_row(row), place.member_day(self.clock()))
        lines = []
        for answer in await self.store.recent_answers(place.member.id, limit=5):
            q = self.bank.get(answer.question_id)
            title = q.question if q else answer.question_id
            title = title if len(title) <= 80 else title[:79] + "…"
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

    def topics(self) -> Reply:
        lines = []
        for slug, questions in self.bank.by_topic.items():
            counts = {d: sum(q.difficulty == d for q in questions) for d in DIFFICULTIES}
            title = self.bank.topics[slug].title if slug in self.bank.topics else slug
            detail = " · ".join(f"{counts[d]} {d}" for d in DIFFICULTIES)
            lines.append(f"- **{title}** (`{slug}`): {len(questions)} ({detail})")
        body = "\n".join(lines) + f"\n\n{len(self.bank)} questions in all."
        return Reply.text("Topics", body)
