"""Practice: today's question, practice questions, answers, reveal and grading."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.engine.actors import Actor, Place
from bot.engine.core import Kit
from bot.engine.grading import cover
from bot.engine.messages import Action, Button, Card, Form, FormField, Refusal, Reply, literal
from bot.engine.options import Option, kind_filter, kind_option
from bot.engine.registry import action, command
from bot.features.practice.cards import Ask, GradeTarget, question_card, reference_card
from bot.features.practice.daily import Daily, dm_channel, split_list
from bot.features.practice.recording import Activity, Recorder
from bot.features.practice.review import RATING_NAMES, RATINGS
from bot.features.practice.selection import pick, resolve_question
from bot.store.transactions import StoreBusy

MAX_ANSWER_CHARS = 4000
NOTHING_YET = "There is {} yet: try `today` or `question`."


class Practice:
    """Member-facing practice commands and buttons."""

    def __init__(self, kit: Kit):
        self.kit = kit
        assert kit.library is not None
        self.daily = Daily(kit.store, kit.library)
        self.recorder = Recorder(kit.store)

    async def close(self) -> None:
        await self.recorder.close()

    async def place(self, actor: Actor) -> Place:
        return await self.kit.place(actor)

    # Used by the fan-out: how a channel's question of the day is posted.
    async def daily_reply(self, post: Any, **how: Any) -> Reply:
        return await self.daily.reply(post, **how)

    # Commands ---------------------------------------------------------------------------------

    @command(
        "today",
        summary="Today's question of this channel (in a DM: your own)",
        visibility="public",
    )
    async def today(self, actor: Actor) -> Reply:
        place = await self.kit.place(actor)
        now = self.kit.clock()
        if actor.is_dm:
            sub = await self.kit.store.subscription(place.server.id, place.member.id)
            where = {
                "day": place.member_day(now),
                "channel_id": dm_channel(actor.user_id),
                "topics": split_list(sub.topics if sub else ""),
            }
        else:
            schedule = place.schedule
            where = {
                "day": place.channel_day(now),
                "channel_id": actor.channel_id,
                "topics": split_list(schedule.topics if schedule else ""),
                "difficulty": schedule.difficulty if schedule else None,
                "kind": schedule.kind if schedule else None,
                "schedule_id": schedule.id if schedule else None,
            }
        post = await self.daily.for_day(server_id=place.server.id, **where)
        if (await self.kit.bank_for(place.server.id)).get(post.question_id) is None:
            raise Refusal("Today's question is no longer in the bank; try `question`.")
        await self.recorder.set_current(place.server.id, place.member.id, post.question_id, post.id)
        return await self.daily.reply(post, private=actor.is_dm)

    @command(
        "question",
        summary="A practice question: due reviews first",
        options=(
            Option("topic", "topic", "Only this topic"),
            Option("difficulty", "difficulty", "Only this difficulty"),
            kind_option(),
            Option("id", "question", "A question by its id"),
        ),
    )
    async def question(
        self,
        actor: Actor,
        topic: str | None = None,
        difficulty: str | None = None,
        kind: str | None = None,
        id: str | None = None,
    ) -> Reply:
        if id is not None:
            return await self._one(actor, id)
        topics = (topic,) if topic else ()
        return await self._practice(actor, topics, difficulty, kind=kind_filter(kind))

    async def _practice(
        self,
        actor: Actor,
        topics: tuple[str, ...],
        level: str | None,
        exclude: str = "",
        place: Place | None = None,
        kind: str | None = None,
    ) -> Reply:
        place = place or await self.kit.place(actor)
        q, why = await pick(self.kit, place, topics, level, exclude, kind)
        if q is None:
            off = set(topics) & (await self.kit.bank_for(place.server.id)).disabled
            if off:
                raise Refusal(f"`{', '.join(sorted(off))}` is switched off on this server.")
            raise Refusal("No question matches that topic and difficulty.")
        await self.recorder.set_current(place.server.id, place.member.id, q.id, None)
        target = Ask(question_id=q.id)
        card = question_card(self.kit.bank, q, target=target, heading=f"Practice · {why}")
        return Reply(cards=(card,), private=True)

    async def _one(self, actor: Actor, question_id: str) -> Reply:
        """One question by id: a lead points the team at it, a member revisits it."""
        place = await self.kit.place(actor)
        q = (await self.kit.bank_for(place.server.id)).get(question_id)
        if q is None:  # a pack id of another server, or of a pack switched off
            raise Refusal(f"No question has the id `{question_id}` here.")
        await self.recorder.set_current(place.server.id, place.member.id, q.id, None)
        target = Ask(question_id=q.id)
        card = question_card(self.kit.bank, q, target=target, heading="Practice · by id")
        return Reply(cards=(card,), private=True)

    @command(
        "answer",
        summary="Answer your current question",
        options=(Option("text", "text", "Your answer (or leave out for a form)"),),
    )
    async def answer(self, actor: Actor, text: str | None = None) -> Reply:
        return await self.record_answer(actor, text, Ask())

    @command("reveal", summary="The reference answer, only to you")
    async def reveal(self, actor: Actor, target: Ask | None = None) -> Reply:
        place = await self.kit.place(actor)
        q, post_id = await self._resolve(place, target or Ask())
        if q is None:
            raise Refusal(NOTHING_YET.format("nothing to reveal"))
        await self.recorder.set_current(place.server.id, place.member.id, q.id, post_id)
        return Reply(cards=(reference_card(q, title="Reference answer"),), private=True)

    @command(
        "grade",
        summary="Grade yourself on your current question",
        options=(
            Option("rating", "choice", "How did it go?", required=True, choices=tuple(RATINGS)),
        ),
    )
    async def grade(self, actor: Actor, rating: str) -> Reply:
        return await self.record_grade(actor, RATINGS[rating], Ask())

    @command("skip", summary="Skip this one and get another")
    async def skip(self, actor: Actor, target: Ask | None = None) -> Reply:
        """Not this one: another practice question instead."""
        place = await self.kit.place(actor)
        q = (await self._resolve(place, target))[0] if target else None
        return await self._practice(actor, (), None, exclude=q.id if q else "", place=place)

    # Buttons and forms --------------------------------------------------------------------------

    @action("answer", target=Ask, hint="answer <your text>", legacy=Ask.legacy)
    async def answer_button(self, actor: Actor, target: Ask, form: object) -> Reply:
        return self.answer_form(target)

    @action("submit", target=Ask, legacy=Ask.legacy)
    async def submit_button(self, actor: Actor, target: Ask, form: dict | None) -> Reply:
        text = (form or {}).get("answer")
        return await self.record_answer(actor, text, target, submitted=True)

    @action("reveal", target=Ask, hint="reveal", legacy=Ask.legacy)
    async def reveal_button(self, actor: Actor, target: Ask, form: object) -> Reply:
        return await self.reveal(actor, target)

    @action("skip", target=Ask, hint="skip", legacy=Ask.legacy)
    async def skip_button(self, actor: Actor, target: Ask, form: object) -> Reply:
        return await self.skip(actor, target)

    @action(
        "grade", target=GradeTarget, hint="grade again|hard|good|easy", legacy=GradeTarget.legacy
    )
    async def grade_button(self, actor: Actor, target: GradeTarget, form: object) -> Reply:
        if target.rating not in RATING_NAMES:
            raise Refusal("Grade with one of: again, hard, good, easy.")
        return await self.record_grade(actor, target.rating, Ask(question_id=target.question_id))

    @action("today", hint="today")
    async def today_button(self, actor: Actor, target: None, form: object) -> Reply:
        """Today's question from a button (a streak reminder's)."""
        return await self.today(actor)

    @action("practice", hint="question")
    async def practice_button(self, actor: Actor, target: None, form: object) -> Reply:
        return await self.question(actor)

    # Answer, reveal, grade --------------------------------------------------------------------

    async def _resolve(self, place: Place, target: Ask) -> tuple[Any, int | None]:
        return await resolve_question(self.kit, place, target)

    def answer_form(self, target: Ask) -> Reply:
        """The form that collects an answer (Discord modal, Slack modal)."""
        field = FormField(
            name="answer",
            label="Your answer",
            max_length=MAX_ANSWER_CHARS,
            placeholder="Answer as you would in the interview. Markdown is fine.",
        )
        return Reply(form=Form("Your answer", Action("submit", target), (field,)), private=True)

    async def record_answer(
        self, actor: Actor, text: str | None, target: Ask, *, submitted: bool = False
    ) -> Reply:
        """Record an answer; without text, open the form (an empty form is refused)."""
        text = (text or "").strip()
        if not text and submitted:
            raise Refusal("Your answer was empty, so nothing was saved. Write a few lines.")
        if not text:
            return self.answer_form(target)
        if len(text) > MAX_ANSWER_CHARS:
            raise Refusal(
                f"Your answer is {len(text):,} characters; the limit is {MAX_ANSWER_CHARS:,}. "
                "Shorten it and send it again (nothing was saved)."
            )
        place = await self.kit.place(actor)
        q, post_id = await self._resolve(place, target)
        if q is None:
            raise Refusal(NOTHING_YET.format("no question to answer"))
        now = self.kit.clock()
        if q.kind == "output":
            return await self._record_output(actor, place, q, post_id, text)
        coverage = cover(text, q.points)
        covered = tuple(c.covered for c in coverage)
        activity = Activity(
            place.server.id, place.member.id, place.member_day(now), now, q, post_id, text, covered
        )
        result = await self._record(activity)
        self.kit.observer.answer(actor.platform)
        days = result.streak.current
        summary = Card(
            title="Answer saved",
            body=(
                f"You covered **{sum(covered)} of {len(covered)}** key points"
                f"{with_hints(result.hints)}. "
                f"Streak: **{days}** day{'s' * (days != 1)}."
            ),
            tone="success",
        )
        if self.kit.advisor is not None:  # an AI service is configured: offer a review
            summary = replace(summary, buttons=(Button("AI review", Action("aireview")),))
        reference = reference_card(q, coverage=coverage, title="Reference answer")
        return Reply(cards=(summary, reference), private=True)

    async def _record_output(
        self, actor: Actor, place: Place, q: Any, post_id: int | None, text: str
    ) -> Reply:
        """A predicted output, graded by the bot: right is Good, wrong is Again, into FSRS."""
        now = self.kit.clock()
        right = same_output(text, q.output)
        rating = RATINGS["good"] if right else RATINGS["again"]
        activity = Activity(
            place.server.id,
            place.member.id,
            place.member_day(now),
            now,
            q,
            post_id,
            text,
            rating=rating,
        )
        result = await self._record(activity)
        self.kit.observer.answer(actor.platform)
        assert result.due is not None
        verdict = "Right: it prints exactly that." if right else "Not quite. You wrote:"
        body = verdict if right else f"{verdict}\n```\n{text[:1000]}\n```"
        summary = Card(
            title="Correct" if right else "Not quite",
            body=f"{body}\nGraded **{RATING_NAMES[rating].title()}** for you; you'll see it "
            f"again {_when(result.due, now)}. Streak: **{result.streak.current}**.",
            tone="success" if right else "warning",
        )
        reference = reference_card(q, title="Explanation", graded=True)
        return Reply(cards=(summary, reference), private=True)

    async def _record(self, activity: Activity) -> Any:
        """Record through the group commit; a busy database is said at once, with the
        member's answer handed back so that nothing they typed is lost."""
        try:
            return await self.recorder.submit(activity)
        except StoreBusy:
            kept = (
                f"\n\nYour answer, to send again:\n{literal(activity.text)}"
                if activity.text
                else ""
            )
            raise Refusal(
                "The database is busy right now, so nothing was saved; try again in a moment."
                + kept
            ) from None

    async def record_grade(self, actor: Actor, rating: int, target: Ask) -> Reply:
        place = await self.kit.place(actor)
        q, post_id = await self._resolve(place, target)
        if q is None:
            raise Refusal(NOTHING_YET.format("nothing to grade"))
        now = self.kit.clock()
        activity = Activity(
            place.server.id, place.member.id, place.member_day(now), now, q, post_id, rating=rating
        )
        result = await self._record(activity)
        assert result.due is not None
        body = (
            f"Graded **{RATING_NAMES[rating].title()}**{with_hints(result.hints, 'answered')}. "
            "You'll see it again "
            f"{_when(result.due, now)}. Streak: **{result.streak.current}**."
        )
        return Reply(cards=(Card(title="Graded", body=body, tone="success"),), private=True)


def _when(due: datetime, now: datetime) -> str:
    days = max(0, round((due - now).total_seconds() / 86400))
    return f"{'tomorrow' if days <= 1 else f'in {days} days'} ({due:%a %d %b})"


def same_output(typed: str, expected: str) -> bool:
    """Whether a member's prediction is the output: line by line, ignoring spaces at the ends
    of lines, blank lines around it, runs of spaces, and a code fence around it."""
    return _normalised(typed) == _normalised(expected)


def _normalised(text: str) -> list[str]:
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("```"):
        lines = lines[1:]
    if lines and lines[-1].strip() == "```":
        lines = lines[:-1]
    lines = [" ".join(line.split()) for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def with_hints(count: int, verb: str = "") -> str:
    """` (with 1 hint)`, or ` · answered with 2 hints`, or nothing without hints."""
    if not count:
        return ""
    hints = f"{count} hint{'s' * (count != 1)}"
    return f" · {verb} with {hints}" if verb else f" (with {hints})"
