"""A server's week as the digest shows it: who practised (counts only), the streak board,
milestones reached, the hardest questions, the topics practised least, and a chart."""

from __future__ import annotations

from datetime import date, timedelta

from bot.engine.core import Kit
from bot.engine.messages import (
    Action,
    Button,
    Card,
    Field,
    Image,
    QuestionRef,
    Reply,
    clip,
    literal,
)
from bot.pictures import week_chart

MILESTONES = (7, 30, 100, 200, 365, 500, 1000)  # streak days worth celebrating
BOARD = 5  # streaks shown
HARDEST = 3
LEAST = 3
QUESTION_CHARS = 90


def milestones_reached(streak: int, days_this_week: int) -> list[int]:
    """Milestones a running streak passed this week: it stood at `streak - days_this_week`
    when the week began (a streak grows by one per counted day), and at `streak` now."""
    before = max(streak - days_this_week, 0)
    return [m for m in MILESTONES if before < m <= streak]


class Week:
    """Builds the digest of the seven local days ending on `last`."""

    def __init__(self, kit: Kit, server_id: int, last: date):
        self.kit, self.server_id, self.last = kit, server_id, last
        self.first = last - timedelta(days=6)

    async def reply(self) -> Reply:
        store, first, last = self.kit.store, self.first, self.last
        activity = {
            a.local_date: a for a in await store.activity_by_day(self.server_id, first, last)
        }
        active = await store.active_days(self.server_id, first, last)
        before = await store.members_active(
            self.server_id, first - timedelta(days=7), first - timedelta(days=1)
        )
        answers = sum(a.answers for a in activity.values())
        title = f"Weekly digest · {first:%d %b} – {last:%d %b %Y}"
        if not active:
            body = "A quiet week: nobody practised. A fresh question is one `/prep today` away."
            return Reply(cards=(Card(title=title, body=body),))
        people = "member" if len(active) == 1 else "members"
        body = (
            f"**{len(active)}** {people} practised this week ({before} the week before), "
            f"with **{answers}** answers. Thank you, everyone!"
        )
        # One read serves both: the board is the top of the streaks the milestones look at.
        board = await store.leaderboard(
            self.server_id, today=self.last, period="all", key="", limit=200
        )
        hardest = await self._hardest()
        fields = [
            Field("Streaks", self._board(board)),
            Field("Hardest this week", "\n".join(line for line, _ in hardest) or "Nothing graded."),
            Field("Practised least", await self._least()),
        ]
        if milestones := self._milestones(board, active):
            fields.insert(1, Field("Milestones this week", "\n".join(milestones)))
        chart = week_chart(
            [
                (day, a.members if a else 0, a.answers if a else 0)
                for day in (first + timedelta(days=i) for i in range(7))
                for a in (activity.get(day),)
            ],
            title=f"Week of {first:%d %b} to {last:%d %b %Y}",
        )
        card = Card(
            title=title,
            body=body,
            fields=tuple(fields),
            buttons=tuple(
                Button(f"Try #{i}", Action("tryquestion", QuestionRef(qid)))
                for i, (_, qid) in enumerate(hardest, 1)
            ),
            footer="Counts only: nobody is named for a day off.",
            image=Image(
                filename="week.png",
                data=chart,
                alt=f"Answers per day this week: {answers} in all, {len(active)} {people}",
            ),
        )
        return Reply(cards=(card,))

    @staticmethod
    def _board(rows: list) -> str:
        lines = [
            f"🔥 {row.current_streak} · {literal(row.display_name or row.external_id)}"
            for row in rows[:BOARD]
            if row.current_streak > 0
        ]
        return "\n".join(lines) or "No streak running: start one today."

    @staticmethod
    def _milestones(rows: list, active: dict[int, int]) -> list[str]:
        lines = []
        for row in rows:
            for milestone in milestones_reached(row.current_streak, active.get(row.member_id, 0)):
                name = literal(row.display_name or row.external_id)
                lines.append(f"🏅 {name} reached a {milestone}-day streak")
        return lines

    async def _hardest(self) -> list[tuple[str, str]]:
        """The questions with the lowest Good/Easy share this week: (line, question id)."""
        bank = self.kit.bank
        results = [
            r
            for r in await self.kit.store.question_results(self.server_id, self.first, self.last)
            if bank.get(r.question_id) is not None
        ]
        results.sort(key=lambda r: (r.good / r.graded, -r.graded, r.question_id))
        lines = []
        for i, r in enumerate(results[:HARDEST], 1):
            q = bank.get(r.question_id)
            assert q is not None
            asked = clip(" ".join(q.question.split()), QUESTION_CHARS)
            lines.append((f"{i}. {asked} · {r.good} of {r.graded} graded Good or Easy", q.id))
        return lines

    async def _least(self) -> str:
        bank = self.kit.bank
        counts = dict.fromkeys(bank.by_topic, 0)
        per_question = await self.kit.store.answers_by_question(
            self.server_id, self.first, self.last
        )
        for question_id, n in per_question.items():
            q = bank.get(question_id)
            if q is not None:
                counts[q.topic] = counts.get(q.topic, 0) + n
        least = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))[:LEAST]
        titles = {
            slug: (bank.topics[slug].title if slug in bank.topics else slug) for slug, _ in least
        }
        return "\n".join(f"- {titles[slug]}: {n} answers" for slug, n in least)
