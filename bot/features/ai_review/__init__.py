"""An optional AI review of a member's latest answer: what it covers, what is missing or
wrong, one tip. It never grades, never flatters an empty or off-topic answer (those are not
sent at all), says where the answer went, and is rate-limited per member and capped per
server per day. Off unless an AI service is configured.
"""

from __future__ import annotations

import re
import time

from bot.engine.actors import Actor
from bot.engine.advice import AdviceError
from bot.engine.content import Question
from bot.engine.core import Kit
from bot.engine.grading import is_keyword_list, significant
from bot.engine.messages import Card, Refusal, Reply
from bot.engine.registry import action, command

MIN_WORDS = 8
MAX_SENT = 4000
SYSTEM = (
    "You review a candidate's answer to a technical interview question for a practice bot. "
    "Reply in at most 120 words, in three short parts: Covered (which of the key points the "
    "answer states correctly), Missing or wrong (key points absent, and any mistake), Tip "
    "(one concrete improvement). Never give a grade, score or rating. Do not praise: if the "
    "answer is wrong or thin, say so plainly. Judge only the candidate's text."
)
# A line that grades anyway ("Score: 7/10", "Grade: B") is dropped: grading is the member's.
GRADING_LINE = re.compile(r"^\W*(grade|score|rating|mark)\b\W*[:=\-]?\s*\S+", re.I | re.M)


class AiReview:
    def __init__(self, kit: Kit):
        self.kit = kit
        self._last: dict[tuple[str, str], float] = {}  # member -> when they last asked

    @command("review", summary="An AI review of your latest answer")
    async def review(self, actor: Actor) -> Reply:
        advisor = self.kit.advisor
        if advisor is None:
            raise Refusal("AI reviews are not set up on this bot (PREPBOT_AI_BASE_URL).")
        place = await self.kit.place(actor)
        latest = await self.kit.store.answer_history(place.server.id, place.member.id, limit=1)
        if not latest:
            raise Refusal("Answer a question first: `today` or `question`.")
        q = (await self.kit.bank_for(place.server.id)).get(latest[0].question_id)
        if q is None:
            raise Refusal("That question has left the bank; answer another one first.")
        text = latest[0].text
        nothing = self._nothing_to_review(q, text)
        if nothing:
            return Reply.text("Nothing to review", nothing)
        self._pace(actor)
        day = place.member_day(self.kit.clock())
        if not await self.kit.store.take_ai_review(place.server.id, day, self.kit.ai_daily_cap):
            raise Refusal("This server has used today's AI reviews; they come back tomorrow.")
        try:
            reply = await advisor.chat(messages(q, text))
        except AdviceError as exc:
            raise Refusal(f"{exc.reason} Your answer and grade are unchanged.") from None
        body = GRADING_LINE.sub("", reply).strip() or "The review came back empty."
        card = Card(
            title="AI review",
            body=body,
            footer=f"Your answer was sent to {advisor.where} for this review. It does not "
            "change your grade; grade yourself with the buttons.",
        )
        return Reply(cards=(card,), private=True)

    @action("aireview", hint="review")
    async def review_button(self, actor: Actor, target: None, form: object) -> Reply:
        return await self.review(actor)

    def _nothing_to_review(self, q: Question, text: str) -> str:
        """Why an answer is not worth sending (empty, "I don't know", off topic), or ""."""
        if len(text.split()) < MIN_WORDS or is_keyword_list(text):
            return (
                "There is too little to review: write a few sentences as you would say them "
                "in the interview, then ask again."
            )
        topic = significant(q.question) | significant(q.answer)
        for point in q.key_points:
            topic |= significant(point)
        if not significant(text) & topic:
            return "Your answer does not seem to be about this question, so it was not sent."
        return ""

    def _pace(self, actor: Actor) -> None:
        key = (actor.platform, actor.user_id)
        now = time.monotonic()
        wait = self._last.get(key, -1e9) + self.kit.ai_member_seconds - now
        if wait > 0:
            raise Refusal(f"One review a minute: try again in {int(wait) + 1} s.")
        self._last[key] = now


def messages(q: Question, answer: str) -> list[dict[str, str]]:
    points = "\n".join(f"- {p}" for p in q.key_points)
    prompt = (
        f"Question: {q.prompt}\n\nKey points:\n{points}\n\nReference answer:\n{q.reference}\n\n"
        f"Candidate's answer:\n{answer[:MAX_SENT]}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
