"""Practice: today's channel question, practice questions, answers, reveal and grading."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from bot.clock import utcnow
from bot.engine.actors import Actor, Place, resolve
from bot.engine.batching import Batcher
from bot.engine.cards import question_card, reference_card
from bot.engine.content import DIFFICULTIES, Bank, Question
from bot.engine.grading import covered_points
from bot.engine.messages import Action, Card, Form, FormField, Reply
from bot.engine.review import RATING_NAMES, RATINGS, Reviewer
from bot.engine.streaks import StreakState, alive_until, month_key, record_day, week_key
from bot.store.store import Store

MAX_ANSWER_CHARS = 4000


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


def dm_channel(user_id: str) -> str:
    """The channel key of a member's own daily question (their DMs)."""
    return f"@{user_id}"


def split_list(text: str) -> tuple[str, ...]:
    """A stored comma-separated list."""
    return tuple(part for part in text.split(",") if part)


def parse_rating(word: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit() and int(word) in RATING_NAMES:
        return int(word)
    return RATINGS.get(word)


def stats_from_row(row: Any) -> StreakState:
    """The streak state of a member_stats row (a database row or a dict of its columns)."""
    if row is None:
        return StreakState()
    row = getattr(row, "_mapping", row)
    return StreakState(
        row["current_streak"], row["longest_streak"], row["freezes"], row["last_day"]
    )


class Practice:
    """Member-facing practice commands. Replies are neutral `Reply` objects."""

    def __init__(
        self,
        *,
        store: Store,
        bank: Bank,
        default_timezone: str,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        on_answer: Callable[[str], None] | None = None,
    ):
        self.store = store
        self.bank = bank
        self.default_timezone = default_timezone
        self.clock = clock
        self.rng = rng or random.Random()
        self.on_answer = on_answer or (lambda platform: None)
        self.reviewer = Reviewer()
        self.recorder: Batcher[Activity, ActivityResult] = Batcher(self._apply)

    async def close(self) -> None:
        await self.recorder.close()

    async def place(self, actor: Actor) -> Place:
        return await resolve(self.store, actor, default_timezone=self.default_timezone)

    # The channel's question of the day ---------------------------------------------------

    async def question_of_the_day(
        self,
        *,
        server_id: int,
        channel_id: str,
        day: date,
        topics: tuple[str, ...] = (),
        difficulty: str | None = None,
        schedule_id: int | None = None,
    ) -> Any:
        """The channel's post for `day`, choosing its question on first use.

        The rotation walks the filtered bank in an order fixed by channel and cycle, so it
        never repeats a question until all are used and gives the same pick after a restart.
        """
        post = await self.store.post_for_day(server_id, channel_id, day)
        if post is not None:
            return post
        candidates = self.bank.select(topics, difficulty) or self.bank.select()
        cycle, used = await self.store.channel_cycle(server_id, channel_id)
        remaining = [q for q in candidates if q.id not in used]
        if not remaining:
            cycle += 1
            remaining = candidates

        def order(q: Question) -> str:
            seed = f"{server_id}:{channel_id}:{cycle}:{q.id}".encode()
            return hashlib.sha256(seed).hexdigest()

        chosen = min(remaining, key=order)
        return await self.store.create_post(
            server_id=server_id,
            channel_id=channel_id,
            day=day,
            question_id=chosen.id,
            cycle=cycle,
            schedule_id=schedule_id,
        )

    async def today(self, actor: Actor) -> Reply:
        """Today's question of this channel (in a DM: the member's own)."""
        place = await self.place(actor)
        now = self.clock()
        if actor.is_dm:
            day = place.member_day(now)
            channel = dm_channel(actor.user_id)
            sub = await self.store.subscription(place.server.id, place.member.id)
            topics, difficulty, schedule_id = split_list(sub.topics if sub else ""), None, None
        else:
            day = place.channel_day(now)
            channel = actor.channel_id
            schedule = place.schedule
            topics = split_list(schedule.topics if schedule else "")
            difficulty = schedule.difficulty if schedule else None
            schedule_id = schedule.id if schedule else None
        post = await self.question_of_the_day(
            server_id=place.server.id,
            channel_id=channel,
            day=day,
            topics=topics,
            difficulty=difficulty,
            schedule_id=schedule_id,
        )
        if self.bank.get(post.question_id) is None:
            return Reply.error("Today's question is no longer in the bank; try `question`.")
        await self.store.set_current_question(
            place.server.id, place.member.id, post.question_id, post.id
        )
        return self.daily_reply(post, private=actor.is_dm)

    def daily_reply(
        self, post: Any, *, private: bool = False, thread: bool = False, tally: int | None = None
    ) -> Reply:
        """A day's question as posted: buttons, a discussion thread, later its tally."""
        q = self.bank.get(post.question_id)
        if q is None:
            return Reply.error(f"Question {post.question_id} is no longer in the bank.")
        heading = f"Question of the day · {post.local_date:%a %d %b %Y}"
        card = question_card(self.bank, q, target=f"p{post.id}", heading=heading)
        if tally is not None:
            people = "person" if tally == 1 else "people"
            card = replace(card, footer=f"{card.footer} · answered by {tally} {people}")
        title = f"Discuss · {post.local_date:%a %d %b}" if thread else None
        return Reply(cards=(card,), private=private, thread_title=title)

    # Practice questions -----------------------------------------------------------------

    def parse_filters(
        self, topic: str | None, difficulty: str | None
    ) -> tuple[tuple[str, ...], str | None, str | None]:
        """(topics, difficulty, error): accepts the two in either order."""
        words = [w for w in (topic, difficulty) if w]
        topics: tuple[str, ...] = ()
        level = None
        for word in words:
            if word.lower() in DIFFICULTIES:
                level = word.lower()
                continue
            found = self.bank.find_topic(word)
            if found is None:
                names = ", ".join(sorted(self.bank.topics))
                return (), None, f"Unknown topic `{word}`. Topics: {names}."
            topics = (found.slug,)
        return topics, level, None

    async def pick(
        self, place: Place, topics: tuple[str, ...], difficulty: str | None, exclude: str = ""
    ) -> tuple[Question | None, str]:
        """Due reviews first, then unseen questions leaning to the member's weakest topics."""
        candidates = {q.id: q for q in self.bank.select(topics, difficulty) if q.id != exclude}
        if not candidates:
            return None, ""
        now = self.clock()
        for qid in await self.store.due_reviews(place.member.id, now):
            if qid in candidates:
                return candidates[qid], "due for review"
        seen = await self.store.seen_questions(place.member.id)
        unseen = [q for q in candidates.values() if q.id not in seen]
        if not unseen:
            return self.rng.choice(sorted(candidates.values(), key=lambda q: q.id)), "a repeat"
        results = await self.store.topic_results(place.member.id)
        by_topic: dict[str, list[Question]] = {}
        for q in sorted(unseen, key=lambda q: q.id):
            by_topic.setdefault(q.topic, []).append(q)
        slugs = sorted(by_topic)
        # Success rate with a prior of one pass and one fail: unknown topics sit in the middle.
        weights = []
        for slug in slugs:
            graded, good = results.get(slug, (0, 0))
            weakness = 1 - (good + 1) / (graded + 2)
            weights.append(0.25 + weakness)
        slug = self.rng.choices(slugs, weights=weights)[0]
        weak = results.get(slug, (0, 0))[0] > 0 and weights[slugs.index(slug)] > 0.75
        return self.rng.choice(by_topic[slug]), "a weak topic" if weak else "new to you"

    async def question(
        self, actor: Actor, topic: str | None = None, difficulty: str | None = None
    ) -> Reply:
        topics, level, error = self.parse_filters(topic, difficulty)
        if error:
            return Reply.error(error)
        return await self._practice(actor, topics, level)

    async def _practice(
        self,
        actor: Actor,
        topics: tuple[str, ...],
        level: str | None,
        exclude: str = "",
        place: Place | None = None,
    ) -> Reply:
        place = place or await self.place(actor)
        q, why = await self.pick(place, topics, level, exclude)
        if q is None:
            return Reply.error("No question matches that topic and difficulty.")
        await self.store.set_current_question(place.server.id, place.member.id, q.id, None)
        card = question_card(self.bank, q, target=f"q{q.id}", heading=f"Practice · {why}")
        return Reply(cards=(card,), private=True)

    async def skip(self, actor: Actor, target: str | None = None) -> Reply:
        """Not this one: another practice question instead."""
        place = await self.place(actor)
        q = (await self._resolve_target(place, target))[0] if target else None
        return await self._practice(actor, (), None, exclude=q.id if q else "", place=place)

    # Answer, reveal, grade ----------------------------------------------------------------

    async def _resolve_target(
        self, place: Place, target: str | None
    ) -> tuple[Question | None, int | None]:
        """The question a button (`p<post>` / `q<question>`) or the member's state points at."""
        if target and target.startswith("p") and target[1:].isdigit():
            post = await self.store.post(int(target[1:]))
            if post is None:
                return None, None
            return self.bank.get(post.question_id), post.id
        if target and target.startswith("q"):
            return self.bank.get(target[1:]), None
        stats = await self.store.stats(place.server.id, place.member.id)
        if stats is None or not stats.current_question_id:
            return None, None
        return self.bank.get(stats.current_question_id), stats.current_post_id

    def answer_form(self, target: str) -> Reply:
        """The form that collects an answer (Discord modal, Slack modal)."""
        field = FormField(
            name="answer",
            label="Your answer",
            max_length=MAX_ANSWER_CHARS,
            placeholder="Answer as you would in the interview. Markdown is fine.",
        )
        return Reply(form=Form("Your answer", Action("submit", target), (field,)), private=True)

    async def answer(
        self, actor: Actor, text: str | None, target: str | None = None, *, submitted: bool = False
    ) -> Reply:
        """Record an answer; without text, open the form (an empty form is refused)."""
        text = (text or "").strip()
        if not text and submitted:
            return Reply.error("Your answer was empty, so nothing was saved. Write a few lines.")
        if not text:
            return self.answer_form(target or "")
        if len(text) > MAX_ANSWER_CHARS:
            return Reply.error(
                f"Your answer is {len(text):,} characters; the limit is {MAX_ANSWER_CHARS:,}. "
                "Shorten it and send it again (nothing was saved)."
            )
        place = await self.place(actor)
        q, post_id = await self._resolve_target(place, target)
        if q is None:
            return Reply.error("There is no question to answer yet: try `today` or `question`.")
        now = self.clock()
        covered = tuple(covered_points(text, q.key_points))
        result = await self.recorder.submit(
            Activity(
                server_id=place.server.id,
                member_id=place.member.id,
                day=place.member_day(now),
                now=now,
                question=q,
                post_id=post_id,
                text=text,
                covered=covered,
            )
        )
        self.on_answer(actor.platform)
        hits = sum(covered)
        summary = Card(
            title="Answer saved",
            body=(
                f"You covered **{hits} of {len(covered)}** key points. "
                f"Streak: **{result.streak.current}** day{'s' * (result.streak.current != 1)}."
            ),
            tone="success",
        )
        reference = reference_card(q, covered=list(covered), title="Reference answer")
        return Reply(cards=(summary, reference), private=True)

    async def reveal(self, actor: Actor, target: str | None = None) -> Reply:
        place = await self.place(actor)
        q, post_id = await self._resolve_target(place, target)
        if q is None:
            return Reply.error("There is nothing to reveal yet: try `today` or `question`.")
        await self.store.set_current_question(place.server.id, place.member.id, q.id, post_id)
        return Reply(cards=(reference_card(q, title="Reference answer"),), private=True)

    async def grade(self, actor: Actor, rating_word: str, target: str | None = None) -> Reply:
        rating = parse_rating(rating_word or "")
        if rating is None:
            return Reply.error("Grade with one of: again, hard, good, easy.")
        place = await self.place(actor)
        q, post_id = await self._resolve_target(place, target)
        if q is None:
            return Reply.error("There is nothing to grade yet: try `today` or `question`.")
        now = self.clock()
        result = await self.recorder.submit(
            Activity(
                server_id=place.server.id,
                member_id=place.member.id,
                day=place.member_day(now),
                now=now,
                question=q,
                post_id=post_id,
                rating=rating,
            )
        )
        assert result.due is not None
        days = max(0, round((result.due - now).total_seconds() / 86400))
        when = "tomorrow" if days <= 1 else f"in {days} days"
        body = (
            f"Graded **{RATING_NAMES[rating].title()}**. You'll see it again {when} "
            f"({result.due:%a %d %b}). Streak: **{result.streak.current}**."
        )
        return Reply(cards=(Card(title="Graded", body=body, tone="success"),), private=True)

    # Recording, in batches ----------------------------------------------------------------

    async def _apply(self, batch: list[Activity]) -> list[ActivityResult]:
        """Record answers and grades, their streaks and review schedules, in one transaction."""
        async with self.store.write() as tx:
            stats = await tx.load_stats((a.server_id, a.member_id) for a in batch)
            reviews = await tx.load_reviews(
                (a.member_id, a.question.id) for a in batch if a.rating is not None
            )
            rows: dict[tuple[int, int], dict[str, Any]] = {}
            review_rows: dict[tuple[int, str], dict[str, Any]] = {}
            answer_rows: list[dict[str, Any]] = []
            grade_rows: list[dict[str, Any]] = []
            results: list[ActivityResult] = []
            for a in batch:
                key = (a.server_id, a.member_id)
                row = rows.get(key)
                if row is None:
                    found = stats.get(key)
                    row = found._asdict() if found is not None else self._new_stats(key)
                    rows[key] = row
                streak = record_day(stats_from_row(row), a.day)
                row.update(
                    current_streak=streak.current,
                    longest_streak=streak.longest,
                    freezes=streak.freezes,
                    last_day=streak.last_day,
                    alive_until=alive_until(streak),
                    current_question_id=a.question.id,
                    current_post_id=a.post_id,
                    updated_at=a.now,
                )
                due = None
                if a.text is not None:
                    self._count_answer(row, a.day)
                    answer_rows.append(
                        {
                            "server_id": a.server_id,
                            "member_id": a.member_id,
                            "question_id": a.question.id,
                            "post_id": a.post_id,
                            "text": a.text,
                            "covered": ",".join(str(i) for i, hit in enumerate(a.covered) if hit),
                            "local_date": a.day,
                            "created_at": a.now,
                        }
                    )
                if a.rating is not None:
                    row["grades_total"] += 1
                    rkey = (a.member_id, a.question.id)
                    previous = review_rows.get(rkey)
                    if previous is None and rkey in reviews:
                        previous = reviews[rkey]._asdict()
                    result = self.reviewer.review(
                        previous["card"] if previous else None, a.rating, a.now
                    )
                    due = result.due
                    review_rows[rkey] = {
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
                    grade_rows.append(
                        {
                            "server_id": a.server_id,
                            "member_id": a.member_id,
                            "question_id": a.question.id,
                            "rating": a.rating,
                            "local_date": a.day,
                            "created_at": a.now,
                        }
                    )
                results.append(ActivityResult(streak, due))
            await tx.insert_answers(answer_rows)
            await tx.insert_grades(grade_rows)
            await tx.save_stats(list(rows.values()))
            await tx.save_reviews(list(review_rows.values()))
        return results

    @staticmethod
    def _new_stats(key: tuple[int, int]) -> dict[str, Any]:
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
        }

    @staticmethod
    def _count_answer(row: dict[str, Any], day: date) -> None:
        row["answers_total"] += 1
        week, month = week_key(day), month_key(day)
        row["week_answers"] = row["week_answers"] + 1 if row["week_key"] == week else 1
        row["week_key"] = week
        row["month_answers"] = row["month_answers"] + 1 if row["month_key"] == month else 1
        row["month_key"] = month
