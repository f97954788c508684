"""Cards shared by the engine's commands: a question, its reference answer, grade buttons."""

from __future__ import annotations

from bot.engine.content import Bank, Question
from bot.engine.messages import Action, Button, Card, Field

DIFFICULTY_MARK = {"easy": "Easy", "medium": "Medium", "hard": "Hard"}


def question_card(bank: Bank, q: Question, *, target: str, heading: str) -> Card:
    """The question with Answer / Reveal / Skip buttons routed to `target`."""
    topic = bank.topics[q.topic].title if q.topic in bank.topics else q.topic
    return Card(
        title=heading,
        body=q.question,
        fields=(
            Field("Topic", topic, inline=True),
            Field("Difficulty", DIFFICULTY_MARK.get(q.difficulty, q.difficulty), inline=True),
        ),
        buttons=(
            Button("Answer", Action("answer", target), style="primary"),
            Button("Reveal", Action("reveal", target)),
            Button("Skip", Action("skip", target)),
        ),
        footer=f"id: {q.id}",
    )


def grade_buttons(question_id: str) -> tuple[Button, ...]:
    return (
        Button("Again", Action("grade", f"1.{question_id}"), style="danger"),
        Button("Hard", Action("grade", f"2.{question_id}")),
        Button("Good", Action("grade", f"3.{question_id}"), style="success"),
        Button("Easy", Action("grade", f"4.{question_id}"), style="primary"),
    )


def reference_card(q: Question, *, covered: list[bool] | None = None, title: str) -> Card:
    """The reference answer, key points (ticked when an answer covered them), follow-ups."""
    if covered is None:
        points = "\n".join(f"- {p}" for p in q.key_points)
    else:
        points = "\n".join(
            f"{'✅' if hit else '⬜'} {p}" for p, hit in zip(q.key_points, covered, strict=True)
        )
    fields = [Field("Key points", points)]
    if q.follow_ups:
        fields.append(Field("Follow-up", "\n".join(f"- {f}" for f in q.follow_ups[:3])))
    if q.references:
        fields.append(Field("Read more", "\n".join(q.references[:3])))
    return Card(
        title=title,
        body=q.answer,
        fields=tuple(fields),
        buttons=grade_buttons(q.id),
        footer="How did it go? Grade yourself: it schedules your next review.",
        tone="success",
    )
