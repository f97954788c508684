"""Progress: streaks, the practice picture, the leaderboard, the topic list, the home view."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.actors import Actor, Place
from bot.engine.core import Kit
from bot.engine.messages import Action, Button, Card, Field, Image, Refusal, Reply, literal
from bot.engine.options import MemberArg, Option
from bot.engine.registry import IN_CHANNELS, command
from bot.engine.streaks import MAX_FREEZES, StreakState, month_key, view, week_key
from bot.features.progress.picture import calendar_png

PERIODS = ("week", "month", "all")
HEAT = " ░▒▓█"  # 0, 1, 2, 3, 4+ answers and grades in a day
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def streak_state(record: object) -> StreakState:
    """The streak state of a member's stats record (none yet: all zero)."""
    if record is None:
        return StreakState()
    return StreakState(
        record.current_streak, record.longest_streak, record.freezes, record.last_day
    )


class Progress:
    def __init__(self, kit: Kit):
        self.kit = kit

    async def _target(self, actor: Actor, user: MemberArg | None) -> tuple[Place, int, str]:
        """Whose progress, on this server only; in a DM, only one's own."""
        place = await self.kit.place(actor)
        if user is None or user.id == actor.user_id:
            return place, place.member.id, literal(actor.user_name)
        if actor.is_dm:
            raise Refusal("In a direct message you see only your own progress; ask in a channel.")
        other = await self.kit.store.find_member(actor.platform, user.id)
        if other is None:
            raise Refusal(f"{literal(user.name or user.id)} has not practised here yet.")
        return place, other.id, literal(other.display_name)

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
        shown = view(streak_state(record), today or place.channel_day(now))
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
            data=calendar_png(days, start=start, today=today, weeks=12),
            alt=f"{name}'s practice over the last 12 weeks: {len(days)} active days",
        )
        card = Card(
            title=f"Practice · {name}",
            body=f"Last 12 weeks ({sum(days.values())} answers and grades):\n{calendar}",
            fields=(Field("By topic", await self._topic_lines(place.server.id, member_id)),),
            image=picture,
        )
        return Reply(cards=(card,), private=True)

    async def _topic_lines(self, server_id: int, member_id: int) -> str:
        """Per topic, questions graded here and how many were last graded Good or Easy."""
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
        lines = []
        for slug, (graded, good) in sorted(results.items(), key=lambda kv: -kv[1][0]):
            title = topics[slug].title if slug in topics else slug
            lines.append(f"- {title}: {good}/{graded} good or easy")
        return "\n".join(lines) or "Nothing graded yet."

    @command(
        "leaderboard",
        summary="Top streaks and answer counts in this server",
        options=(
            Option("period", "choice", "Which answers count (default: this week)", choices=PERIODS),
        ),
        visibility="public",
        where=IN_CHANNELS,
        group="Progress",
    )
    async def leaderboard(self, actor: Actor, period: str | None = None) -> Reply:
        period = period or "week"
        place = await self.kit.place(actor)
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
        shown = view(streak_state(record), place.member_day(self.kit.clock()))
        lines = []
        bank = await self.kit.bank_for(place.server.id)
        for answer in await self.kit.store.recent_answers(place.member.id, limit=5):
            q = bank.get(answer.question_id)
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
