"""What the store returns: frozen records, one per table or query shape.

Attribute names are the column names (and labels) of the query, so a record reads like the
row it came from. Each record is built in one place, `from_row`, which picks its fields from
the row by name: a column the record does not know is ignored, a missing one fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import cache
from typing import Any, Self


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class Record:
    """Base of the store's records: built from a result row by column name."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls.from_mapping(row._mapping)

    @classmethod
    def from_mapping(cls, values: Any) -> Self:
        return cls(**{name: values[name] for name in _field_names(cls)})

    @classmethod
    def from_rows(cls, rows: Any) -> list[Self]:
        return [cls.from_row(row) for row in rows]

    @classmethod
    def maybe(cls, row: Any) -> Self | None:
        return None if row is None else cls.from_row(row)


# Servers and members --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberRef:
    id: int
    external_id: str
    display_name: str
    timezone: str | None


@dataclass(frozen=True, slots=True)
class ServerRef:
    id: int
    external_id: str
    default_timezone: str | None


# Daily questions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleRecord(Record):
    """A channel's daily-question schedule (a `schedules` row)."""

    id: int
    server_id: int
    channel_id: str
    time_of_day: str
    timezone: str
    weekdays: str
    topics: str
    difficulty: str | None
    grace_minutes: int
    paused: bool
    pause_reason: str | None
    set_by: str | None
    created_at: datetime
    updated_at: datetime
    kind: str | None  # open | output; None: any


@dataclass(frozen=True, slots=True)
class ScheduleEntry(ScheduleRecord):
    """A schedule with its server's platform and the server's platform id."""

    platform: str
    server_ref: str


@dataclass(frozen=True, slots=True)
class SubscriptionRecord(Record):
    """A member's own daily question by DM (a `subscriptions` row)."""

    id: int
    server_id: int
    member_id: int
    time_of_day: str
    topics: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionEntry(SubscriptionRecord):
    """A subscription with what posting needs: platform, member's platform id, timezones."""

    platform: str
    default_timezone: str | None
    member_ref: str
    member_timezone: str | None


@dataclass(frozen=True, slots=True)
class PostRecord(Record):
    """A channel's question of one local day (a `posts` row)."""

    id: int
    server_id: int
    channel_id: str
    schedule_id: int | None
    local_date: date
    question_id: str
    cycle: int
    claimed_by: str | None
    claimed_at: datetime | None
    message_ref: str | None
    posted_at: datetime | None
    created_at: datetime


# Member practice state ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatsRecord(Record):
    """A member's streak and counters on one server (a `member_stats` row)."""

    server_id: int
    member_id: int
    current_streak: int
    longest_streak: int
    freezes: int
    last_day: date | None
    alive_until: date | None
    answers_total: int
    grades_total: int
    week_key: str
    week_answers: int
    month_key: str
    month_answers: int
    current_question_id: str | None
    current_post_id: int | None
    updated_at: datetime
    current_hints: int  # hints shown for the current question


@dataclass(frozen=True, slots=True)
class ReviewRecord(Record):
    """A member's spaced-repetition state of one question (a `review_states` row)."""

    member_id: int
    question_id: str
    topic: str
    card: str
    due: datetime
    reps: int
    lapses: int
    last_rating: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerSummary(Record):
    """One of a member's recent answers: which question, when."""

    question_id: str
    created_at: datetime
    local_date: date


@dataclass(frozen=True, slots=True)
class PastAnswer(Record):
    """One of a member's answers, with the grade they gave it next (if any)."""

    id: int
    question_id: str
    text: str
    local_date: date
    created_at: datetime
    hints_used: int
    rating: int | None


@dataclass(frozen=True, slots=True)
class LeaderRow:
    member_id: int
    display_name: str | None
    external_id: str
    current_streak: int
    period_answers: int


@dataclass(frozen=True, slots=True)
class SeasonRow:
    """A member's place on a season's board: answers in the month."""

    member_id: int
    display_name: str | None
    external_id: str
    answers: int


# Digests --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestEntry(Record):
    """A channel's weekly digest, with its server's platform and default timezone."""

    id: int
    server_id: int
    channel_id: str
    weekday: str
    time_of_day: str
    timezone: str
    set_by: str | None
    platform: str
    server_timezone: str | None


@dataclass(frozen=True, slots=True)
class DayActivity(Record):
    local_date: date
    members: int
    answers: int


@dataclass(frozen=True, slots=True)
class QuestionResult(Record):
    question_id: str
    graded: int
    good: int


# Mock rounds ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundRecord(Record):
    """A mock-interview round (a `mock_rounds` row)."""

    id: int
    server_id: int
    channel_id: str
    thread_ref: str | None
    lead_member_id: int | None
    candidate_member_id: int | None
    is_group: bool
    topics: str
    difficulty: str | None
    question_count: int
    minutes: int
    status: str
    started_at: datetime
    deadline: datetime
    warned_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class RoundEntry(RoundRecord):
    """An open round due for a warning or closing, with its server's platform."""

    platform: str


@dataclass(frozen=True, slots=True)
class RoundSummary(RoundRecord):
    """A finished round with its candidate's and lead's names (for history)."""

    candidate_name: str | None
    candidate_ref: str | None
    lead_name: str | None


@dataclass(frozen=True, slots=True)
class ItemRecord(Record):
    """One question of a round (a `mock_items` row)."""

    id: int
    round_id: int
    position: int
    question_id: str
    asked_at: datetime | None
    finished_at: datetime | None
    score: int | None
    note: str | None


@dataclass(frozen=True, slots=True)
class ResponseRecord(Record):
    """A candidate's response to a round's question, with who gave it."""

    id: int
    item_id: int
    member_id: int
    text: str
    created_at: datetime
    display_name: str | None
    external_id: str


# Community content --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackQuestionRow(Record):
    question_id: str  # namespaced: `s<server id>.<id in the pack>`
    body: str  # the question's YAML mapping as JSON
    credit: str | None


@dataclass(frozen=True, slots=True)
class ServerContent(Record):
    """What a server changes about the bank: switched-off topics and its enabled packs."""

    version: int
    disabled_topics: tuple[str, ...]
    questions: tuple[PackQuestionRow, ...]


@dataclass(frozen=True, slots=True)
class PackRecord(Record):
    id: int
    name: str
    enabled: bool
    size_bytes: int
    added_by: str | None
    created_at: datetime
    question_count: int


@dataclass(frozen=True, slots=True)
class SuggestionRecord(Record):
    id: int
    server_id: int
    member_id: int
    status: str
    body: str
    reason: str | None
    question_id: str | None
    created_at: datetime
    author_name: str | None


@dataclass(frozen=True, slots=True)
class NoticeRecord(Record):
    """A reviewed suggestion whose author is still to be told, and where to tell them."""

    id: int
    status: str
    body: str
    reason: str | None
    question_id: str | None
    platform: str
    external_id: str


@dataclass(frozen=True, slots=True)
class ReportCount(Record):
    """Open reports of one question: how many, and the latest text."""

    question_id: str
    count: int
    latest: str


@dataclass(frozen=True, slots=True)
class ReportRecord(Record):
    id: int
    platform: str
    server: str
    question_id: str
    text: str
    status: str
    created_at: datetime


# The web dashboard -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRecord(Record):
    """A signed-in browser: whose, on which server, with the role recorded at sign-in."""

    server_id: int
    member_id: int
    role: int
    csrf: str
    expires_at: datetime
    display_name: str | None
    external_id: str
    platform: str
    server_external_id: str  # the platform's id of the server (to act as the member there)
    server_name: str | None
    server_timezone: str | None


@dataclass(frozen=True, slots=True)
class RoundRow(Record):
    """A mock round in the dashboard's list: names, and its scores summed in SQL."""

    id: int
    status: str
    is_group: bool
    started_at: datetime
    ended_at: datetime | None
    question_count: int
    candidate_member_id: int | None
    lead_member_id: int | None
    candidate_name: str | None
    lead_name: str | None
    score_total: int | None
    scored: int | None


@dataclass(frozen=True, slots=True)
class QuestionCounts:
    """One question on one server: answers given, grades given, and Good/Easy grades."""

    answered: int = 0
    graded: int = 0
    good: int = 0

    @property
    def good_share(self) -> float | None:
        return self.good / self.graded if self.graded else None
