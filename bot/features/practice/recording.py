"""Recording answers and grades in batches: streaks, counts and review schedules at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.engine.content import Question
from bot.engine.streaks import StreakState, alive_until, month_key, record_day, week_key
from bot.features.practice.review import Reviewer
from bot.store.batching import Batcher
from bot.store.rhythm import days_off_in
from bot.store.store import Store


@dataclass(frozen=True)
class Activity:
    """One answer or grade to record; the batch handler turns it into rows."""

    server_id: int
    member_id: int
    day: date  # the member's local date
    now: datetime
    question: Question
    post_id: int | None = None
    text: str | None = None
    covered: tuple[bool, ...] = ()
    rating: int | None = None


@dataclass(frozen=True)
class ActivityResult:
    streak: StreakState
    due: datetime | None
    hints: int = 0  # hints the member saw for this question before it


def new_stats(key: tuple[int, int]) -> dict[str, Any]:
    """A member_stats row for a member's first activity in a server."""
    return {
        "server_id": key[0],
        "member_id": key[1],
        "current_streak": 0,
        "longest_streak": 0,
        "freezes": 0,
        "last_day": None,
        "alive_until": None,
        "answers_total": 0,
        "grades_total": 0,
        "week_key": "",
        "week_answers": 0,
        "month_key": "",
        "month_answers": 0,
        "current_question_id": None,
        "current_post_id": None,
        "updated_at": None,
        "current_hints": 0,
    }


def count_answer(row: dict[str, Any], day: date) -> None:
    row["answers_total"] += 1
    week, month = week_key(day), month_key(day)
    row["week_answers"] = row["week_answers"] + 1 if row["week_key"] == week else 1
    row["week_key"] = week
    row["month_answers"] = row["month_answers"] + 1 if row["month_key"] == month else 1
    row["month_key"] = month


class Recorder:
    """Queues activities and applies each batch in one transaction (group commit)."""

    def __init__(self, store: Store):
        self.store = store
        self.reviewer = Reviewer()
        self.batcher: Batcher[Activity, ActivityResult] = Batcher(self._apply)
        self.current: Batcher[tuple[int, int, str, int | None], None] = Batcher(self._current)

    async def submit(self, activity: Activity) -> ActivityResult:
        return await self.batcher.submit(activity)

    async def set_current(
        self, server_id: int, member_id: int, question: str, post: int | None
    ) -> None:
        """The member's current question (`today` in a burst: one commit for many)."""
        await self.current.submit((server_id, member_id, question, post))

    async def close(self) -> None:
        await self.batcher.close()
        await self.current.close()

    async def _current(self, batch: list[tuple[int, int, str, int | None]]) -> list[None]:
        await self.store.set_current_questions(batch)
        return [None] * len(batch)

    async def _apply(self, batch: list[Activity]) -> list[ActivityResult]:
        """Record answers and grades, their streaks and review schedules, in one transaction."""
        async with self.store.write() as tx:
            stats = await tx.stats_rows((a.server_id, a.member_id) for a in batch)
            # The rows as read: the batch changes them in place, the rank counts move from these.
            before = {key: dict(row) for key, row in stats.items()}
            reviews = await tx.review_rows(
                (a.member_id, a.question.id) for a in batch if a.rating is not None
            )
            answered = await tx.answered_on(
                (a.server_id, a.member_id, a.question.id, a.day) for a in batch if a.text
            )
            # Days off since the oldest streak in the batch, and ahead (for alive_until).
            since = min(
                [s["last_day"] for s in stats.values() if s["last_day"] is not None]
                + [a.day for a in batch]
            )
            off = await days_off_in(tx, ((a.server_id, a.member_id) for a in batch), since)
            work = _Batch(stats, reviews, self.reviewer, answered, off)
            results = [work.add(a) for a in batch]
            await tx.insert_activity(work.answers, work.grades)
            await tx.save_stats(list(work.stats.values()), before=before)
            await tx.save_reviews(list(work.reviews.values()))
        return results


class _Batch:
    """The rows one batch writes, built activity by activity."""

    def __init__(self, stats: dict, reviews: dict, reviewer: Reviewer, answered: set, off: dict):
        self.known_stats, self.known_reviews, self.reviewer = stats, reviews, reviewer
        self.off = off  # (server, member) -> days off since the batch's oldest streak day
        # One answer per question per day counts toward the leaderboard; more are kept.
        self.answered = set(answered)
        self.stats: dict[tuple[int, int], dict[str, Any]] = {}
        self.reviews: dict[tuple[int, str], dict[str, Any]] = {}
        self.answers: list[dict[str, Any]] = []
        self.grades: list[dict[str, Any]] = []

    def add(self, a: Activity) -> ActivityResult:
        key = (a.server_id, a.member_id)
        row = self.stats.get(key)
        if row is None:
            row = self.stats[key] = self.known_stats.get(key) or new_stats(key)
        previous = StreakState(
            row["current_streak"], row["longest_streak"], row["freezes"], row["last_day"]
        )
        off = self.off.get(key, frozenset())
        streak = record_day(previous, a.day, off)
        if row["current_question_id"] != a.question.id:
            row["current_hints"] = 0  # hints count per question
        hints = row["current_hints"]
        row.update(
            current_streak=streak.current,
            longest_streak=streak.longest,
            freezes=streak.freezes,
            last_day=streak.last_day,
            alive_until=alive_until(streak, off),
            current_question_id=a.question.id,
            current_post_id=a.post_id,
            updated_at=a.now,
        )
        if a.text is not None:
            key = (a.server_id, a.member_id, a.question.id, a.day)
            if key not in self.answered:
                count_answer(row, a.day)
                self.answered.add(key)
            self.answers.append(self._answer_row(a, hints))
        due = None
        if a.rating is not None:
            row["grades_total"] += 1
            due = self._review(a)
        return ActivityResult(streak, due, hints)

    @staticmethod
    def _answer_row(a: Activity, hints: int) -> dict[str, Any]:
        return {
            "server_id": a.server_id,
            "member_id": a.member_id,
            "question_id": a.question.id,
            "post_id": a.post_id,
            "text": a.text,
            "covered": ",".join(str(i) for i, hit in enumerate(a.covered) if hit),
            "local_date": a.day,
            "created_at": a.now,
            "hints_used": hints,
        }

    def _review(self, a: Activity) -> datetime:
        assert a.rating is not None
        rkey = (a.member_id, a.question.id)
        previous = self.reviews.get(rkey)
        if previous is None:
            previous = self.known_reviews.get(rkey)
        result = self.reviewer.review(previous["card"] if previous else None, a.rating, a.now)
        self.reviews[rkey] = {
            "member_id": a.member_id,
            "question_id": a.question.id,
            "topic": a.question.topic,
            "card": result.card,
            "due": result.due,
            "reps": (previous["reps"] if previous else 0) + 1,
            "lapses": (previous["lapses"] if previous else 0) + int(result.lapse),
            "last_rating": a.rating,
            "updated_at": a.now,
        }
        self.grades.append(
            {
                "server_id": a.server_id,
                "member_id": a.member_id,
                "question_id": a.question.id,
                "rating": a.rating,
                "local_date": a.day,
                "created_at": a.now,
            }
        )
        return result.due
