"""Practice cards and button targets: a question, its reference answer, grade buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.content import Bank, Question
from bot.engine.grading import Coverage
from bot.engine.messages import Action, Button, Card, Field, QuestionRef, literal

DIFFICULTY_MARK = {"easy": "Easy", "medium": "Medium", "hard": "Hard"}


@dataclass(frozen=True)
class Ask:
    """Which question a button is about: a channel's daily post, or one question by id.

    Both empty: the member's current question.
    """

    post_id: int | None = None
    question_id: str | None = None

    @classmethod
    def legacy(cls, arg: str) -> Ask | None:
        """A `prep:v1:` argument: `p<post id>`, `q<question id>` or empty."""
        if arg.startswith("p") and arg[1:].isdigit():
            return cls(post_id=int(arg[1:]))
        if arg.startswith("q") and len(arg) > 1:
            return cls(question_id=arg[1:])
        return cls() if not arg else None


@dataclass(frozen=True)
class GradeTarget:
    rating: int  # 1 Again .. 4 Easy
    question_id: str

    @classmethod
    def legacy(cls, arg: str) -> GradeTarget | None:
        """A `prep:v1:` argument: `<rating>.<question id>`."""
        rating, _, question_id = arg.partition(".")
        return cls(int(rating), question_id) if rating.isdigit() and question_id else None


def question_card(bank: Bank, q: Question, *, target: Ask, heading: str) -> Card:
    """The question with Answer / Reveal / Skip buttons routed to `target`."""
    topic = bank.topics[q.topic].title if q.topic in bank.topics else q.topic
    return Card(
        title=heading,
        body=q.prompt,
        fields=(
            Field("Topic", topic, inline=True),
            Field("Difficulty", DIFFICULTY_MARK.get(q.difficulty, q.difficulty), inline=True),
        ),
        buttons=(
            Button("Answer", Action("answer", target), style="primary"),
            *((Button("Hint", Action("hint", target)),) if q.hints else ()),
            Button("Reveal", Action("reveal", target)),
            Button("Skip", Action("skip", target)),
        ),
        footer=f"id: {q.id}" + (f" · suggested by {literal(q.credit)}" if q.credit else ""),
    )


def grade_buttons(question_id: str) -> tuple[Button, ...]:
    return (
        Button("Again", Action("grade", GradeTarget(1, question_id)), style="danger"),
        Button("Hard", Action("grade", GradeTarget(2, question_id))),
        Button("Good", Action("grade", GradeTarget(3, question_id)), style="success"),
        Button("Easy", Action("grade", GradeTarget(4, question_id)), style="primary"),
    )


def reference_card(
    q: Question, *, coverage: list[Coverage] | None = None, title: str, graded: bool = False
) -> Card:
    """The reference answer, key points (ticked, with what matched, when an answer covered
    them), follow-ups. `graded`: the bot graded the answer itself, so no self-grade buttons.
    """
    if coverage is None:
        points = "\n".join(f"- {p}" for p in q.key_points)
    else:
        points = "\n".join(
            f"✅ {p} · _{c.matched}_" if c.covered else f"⬜ {p}"
            for p, c in zip(q.key_points, coverage, strict=True)
        )
    fields = [Field("Key points", points)]
    if q.follow_ups:
        fields.append(Field("Follow-up", "\n".join(f"- {f}" for f in q.follow_ups[:3])))
    if q.references:
        links = (f"[{ref.split('://', 1)[-1]}]({ref})" for ref in q.references[:3])
        fields.append(Field("Read more", "\n".join(links)))
    return Card(
        title=title,
        body=q.reference,
        fields=tuple(fields),
        buttons=(
            *(() if graded else grade_buttons(q.id)),
            Button("Report a problem", Action("report", QuestionRef(q.id))),
        ),
        footer="" if graded else "How did it go? Grade yourself: it schedules your next review.",
        tone="success",
    )
