"""Spaced repetition per member and question, on the FSRS scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler

RATINGS = {"again": 1, "hard": 2, "good": 3, "easy": 4}
RATING_NAMES = {value: name for name, value in RATINGS.items()}


@dataclass(frozen=True)
class ReviewResult:
    card: str  # the FSRS card as JSON
    due: datetime  # naive UTC
    lapse: bool  # True when the member forgot it (Again)


class Reviewer:
    """Turns a grade into the question's next due date."""

    def __init__(self) -> None:
        # A daily practice bot reviews in days: no minute-long learning steps, and no
        # random fuzz so that the same history always gives the same schedule.
        self._scheduler = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)

    def review(self, card_json: str | None, rating: int, now: datetime) -> ReviewResult:
        """Apply `rating` (1 Again .. 4 Easy) at `now` (naive UTC) to the stored card."""
        card = Card.from_json(card_json) if card_json else Card(card_id=1)
        moment = now.replace(tzinfo=UTC)
        card, _log = self._scheduler.review_card(card, Rating(rating), moment)
        due = card.due.astimezone(UTC).replace(tzinfo=None)
        return ReviewResult(card=card.to_json(), due=due, lapse=rating == RATINGS["again"])
