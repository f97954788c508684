"""What a mock round shows: its questions, the lead's answer key and score buttons, the
scorecard; and the typed targets of its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.engine.content import Bank, Question
from bot.engine.messages import Action, Button, Card, Field, Image, Reply, literal
from bot.features.mock.scorecard import Scorecard, format_seconds
from bot.pictures import scorecard_chart


@dataclass(frozen=True)
class MockItem:
    """One question of a round (answer buttons and forms)."""

    item_id: int

    @classmethod
    def legacy(cls, arg: str) -> MockItem | None:
        return cls(int(arg)) if arg.isdigit() else None


@dataclass(frozen=True)
class MockRound:
    """A round (its Next button)."""

    round_id: int

    @classmethod
    def legacy(cls, arg: str) -> MockRound | None:
        return cls(int(arg)) if arg.isdigit() else None


@dataclass(frozen=True)
class MockScore:
    """A score for the current question of a round."""

    round_id: int
    score: int

    @classmethod
    def legacy(cls, arg: str) -> MockScore | None:
        round_id, _, score = arg.partition(".")
        return cls(int(round_id), int(score)) if round_id.isdigit() and score.isdigit() else None


def topic_title(bank: Bank, slug: str) -> str:
    return bank.topics[slug].title if slug in bank.topics else slug


def question_card(
    bank: Bank, round_id: int, item: Any, q: Question, count: int, group: bool
) -> Card:
    return Card(
        title=f"Question {item.position} of {count}",
        body=q.prompt,
        fields=(
            Field("Topic", topic_title(bank, q.topic), inline=True),
            Field("Difficulty", q.difficulty.title(), inline=True),
        ),
        buttons=(Button("Answer", Action("mockanswer", MockItem(item.id)), style="primary"),),
        footer=f"Mock round #{round_id}" + (" · everyone answers privately" if group else ""),
    )


def intro_card(who: str, count: int, minutes: int, group: bool) -> Card:
    how = (
        "Everyone answers privately with the **Answer** button."
        if group
        else "Answer with the **Answer** button (or `mock answer <text>`)."
    )
    return Card(
        title="Mock interview",
        body=f"{count} questions for {who}, {minutes} minutes from now. {how}",
    )


def answer_key(round_id: int, questions: list[Question]) -> Reply:
    """The lead's private key: reference answers, key points, follow-ups, score buttons."""
    cards = []
    for n, q in enumerate(questions, 1):
        fields = [Field("Key points", "\n".join(f"- {p}" for p in q.key_points))]
        if q.follow_ups:
            fields.append(Field("Follow-ups", "\n".join(f"- {f}" for f in q.follow_ups)))
        cards.append(
            Card(title=f"Key · Q{n}: {q.question[:200]}", body=q.reference, fields=tuple(fields))
        )
    cards.append(score_card(round_id))
    return Reply(cards=tuple(cards), private=True)


def score_card(round_id: int, position: int | None = None) -> Card:
    label = f"question {position}" if position else "the current question"
    return Card(
        title=f"Score {label}",
        body=(
            "Score the answer 1 (weak) to 5 (excellent); add a note with `mock score 4 good depth`."
        ),
        buttons=(
            *(Button(str(n), Action("mockscore", MockScore(round_id, n))) for n in range(1, 6)),
            Button("Next question", Action("mocknext", MockRound(round_id)), style="primary"),
        ),
    )


def scorecard_card(bank: Bank, card: Scorecard, *, reason: str) -> Card:
    lines = []
    for item in card.items:
        score = f"{item.score}/5" if item.score is not None else "-"
        note = f" · {literal(item.note)}" if item.note else ""
        lines.append(
            f"{item.position}. {topic_title(bank, item.topic)}: **{score}** in "
            f"{format_seconds(item.seconds)}{note}"
        )
    averages = card.topic_averages()
    fields = [Field("Questions", "\n".join(lines))]
    if card.average is not None:
        fields.append(Field("Total", f"{card.total}/{5 * len(card.scored)}", inline=True))
        fields.append(Field("Average", f"{card.average:.1f}", inline=True))
    if averages:
        best = max(averages, key=lambda t: (averages[t], t))
        worst = min(averages, key=lambda t: (averages[t], t))
        fields.append(Field("Strongest", topic_title(bank, best), inline=True))
        fields.append(Field("Weakest", topic_title(bank, worst), inline=True))
    chart = scorecard_chart(
        [(f"{i.position}. {topic_title(bank, i.topic)}", i.score) for i in card.items],
        title=f"Scorecard · {card.candidate} · round #{card.round_id}",
    )
    scored = f"{len(card.scored)} of {len(card.items)} questions scored"
    return Card(
        title=f"Scorecard · {literal(card.candidate)}",
        body=f"Mock round #{card.round_id}, {reason}. Lead: {literal(card.lead)}.",
        fields=tuple(fields),
        tone="success",
        image=Image(
            filename="scorecard.png",
            data=chart,
            alt=f"Scores of {literal(card.candidate)}'s mock round: {scored}",
        ),
    )
