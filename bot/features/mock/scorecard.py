"""A mock round's result: the scorecard, and its Markdown and CSV exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ItemResult:
    position: int
    question: str
    topic: str
    score: int | None
    seconds: int | None
    note: str


@dataclass(frozen=True)
class Scorecard:
    round_id: int
    candidate: str
    lead: str
    started_at: datetime
    ended_at: datetime | None
    items: tuple[ItemResult, ...]

    @property
    def scored(self) -> list[int]:
        return [i.score for i in self.items if i.score is not None]

    @property
    def total(self) -> int:
        return sum(self.scored)

    @property
    def average(self) -> float | None:
        return self.total / len(self.scored) if self.scored else None

    def topic_averages(self) -> dict[str, float]:
        by_topic: dict[str, list[int]] = {}
        for item in self.items:
            if item.score is not None:
                by_topic.setdefault(item.topic, []).append(item.score)
        return {t: sum(s) / len(s) for t, s in by_topic.items()}


def format_seconds(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 60}:{seconds % 60:02d}"


EXPORT_COLUMNS = (
    "round",
    "date",
    "candidate",
    "lead",
    "position",
    "topic",
    "question",
    "score",
    "seconds",
    "note",
)


def export_rows(cards: list[Scorecard]) -> list[dict[str, object]]:
    """One row per question of each round, in the export's column order."""
    rows = []
    for card in cards:
        for item in card.items:
            rows.append(
                {
                    "round": card.round_id,
                    "date": f"{card.started_at:%Y-%m-%d %H:%M}",
                    "candidate": card.candidate,
                    "lead": card.lead,
                    "position": item.position,
                    "topic": item.topic,
                    "question": item.question,
                    "score": "" if item.score is None else item.score,
                    "seconds": "" if item.seconds is None else item.seconds,
                    "note": item.note,
                }
            )
    return rows


# A cell a spreadsheet would run as a formula (or as DDE): `=`, `+`, `-`, `@`, tab, CR.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet shows as text: a leading formula character gets a `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(cards: list[Scorecard]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in export_rows(cards):
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()


def to_markdown(cards: list[Scorecard]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    parts = []
    for card in cards:
        average = f"{card.average:.1f}" if card.average is not None else "-"
        parts.append(
            f"## Round {card.round_id}: {cell(card.candidate)}\n\n"
            f"{card.started_at:%Y-%m-%d %H:%M} UTC · lead {cell(card.lead)} · "
            f"total {card.total}/{5 * len(card.scored)} · average {average}\n"
        )
        parts.append("| # | topic | question | score | time | note |")
        parts.append("| --- | --- | --- | --- | --- | --- |")
        for item in card.items:
            score = "" if item.score is None else item.score
            parts.append(
                f"| {item.position} | {cell(item.topic)} | {cell(item.question)} | {score} | "
                f"{format_seconds(item.seconds)} | {cell(item.note)} |"
            )
        parts.append("")
    return "\n".join(parts) if parts else "No finished mock interviews.\n"
