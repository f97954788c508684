"""Mock-interview rounds: a lead puts a candidate (or a group) through timed questions.

The round and its deadline live in the database, so a restart keeps both; the scheduler
asks `due_events` every half minute for rounds to warn (5 minutes left) or to close.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import utcnow
from bot.engine.actors import Actor, parse_user, resolve
from bot.engine.content import DIFFICULTIES, Bank, Question
from bot.engine.messages import (
    Action,
    Button,
    Card,
    Field,
    Form,
    FormField,
    Reply,
)
from bot.store.store import MockStore, Store

WARN_BEFORE = timedelta(minutes=5)
MAX_QUESTIONS = 20
MAX_MINUTES = 240
MAX_NOTE = 500
MAX_RESPONSE = 4000
USAGE = (
    "`mock start candidate:@member|group topics:oop,databases-sql count:5 minutes:45 "
    "[difficulty:medium]`, then `mock next`, `mock score 1-5 [note]`, `mock skip`, "
    "`mock end`, `mock history [member]`"
)
LEADS_ONLY = (
    "Only team leads can run mock interviews (admins, or the roles and ids in "
    "PREPBOT_LEAD_ROLES / PREPBOT_LEAD_USERS)."
)


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


def parse_options(text: str) -> dict[str, str]:
    """`key:value` or `key=value` words; a bare mention or `group` is the candidate."""
    options: dict[str, str] = {}
    # A mention may carry a name with spaces (`<@U1|Ann Lee>`): it stays one word.
    for word in re.findall(r"[^\s<]*<[^>]*>\S*|\S+", text):
        match = re.fullmatch(r"([a-z]+)[:=](.*)", word, re.IGNORECASE)
        if match:
            options[match.group(1).lower()] = match.group(2)
        else:
            options.setdefault("candidate", word)
    return options


def format_seconds(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 60}:{seconds % 60:02d}"


class Mock:
    """The mock-round commands (`mock ...`) and the round clock."""

    def __init__(
        self,
        *,
        store: Store,
        bank: Bank,
        default_timezone: str,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ):
        self.store = store
        self.rounds = MockStore(store)
        self.bank = bank
        self.default_timezone = default_timezone
        self.clock = clock
        self.rng = rng or random.Random()

    async def run(self, actor: Actor, text: str) -> Reply:
        sub, _, rest = text.strip().partition(" ")
        sub = sub.lower()
        if sub == "answer":
            return await self.answer(actor, rest)
        if not actor.is_lead:
            return Reply.error(LEADS_ONLY)
        match sub:
            case "start":
                return await self.start(actor, rest)
            case "next":
                return await self.next(actor)
            case "skip":
                return await self.next(actor, skipped=True)
            case "score":
                return await self.score_text(actor, rest)
            case "end":
                return await self.end(actor)
            case "history":
                return await self.history(actor, rest)
        return Reply.error(f"Usage: {USAGE}")

    # Starting ------------------------------------------------------------------------------

    async def start(self, actor: Actor, text: str) -> Reply:
        options = parse_options(text)
        unknown = set(options) - {"candidate", "topics", "count", "minutes", "difficulty"}
        if unknown:
            return Reply.error(f"Unknown option `{sorted(unknown)[0][:20]}`. Usage: {USAGE}")
        candidate = options.get("candidate", "")
        if not candidate:
            return Reply.error(f"Name the candidate (a member, or `group`). Usage: {USAGE}")
        topics: list[str] = []
        for name in filter(None, options.get("topics", "").split(",")):
            found = self.bank.find_topic(name)
            if found is None:
                names = ", ".join(sorted(self.bank.topics))
                return Reply.error(f"Unknown topic `{name[:40]}`. Topics: {names}.")
            topics.append(found.slug)
        count, minutes = options.get("count", "5"), options.get("minutes", "45")
        if not count.isdigit() or not 1 <= int(count) <= MAX_QUESTIONS:
            return Reply.error(f"`count` is a number of questions from 1 to {MAX_QUESTIONS}.")
        if not minutes.isdigit() or not 5 <= int(minutes) <= MAX_MINUTES:
            return Reply.error(f"`minutes` is the round's length, from 5 to {MAX_MINUTES}.")
        difficulty = options.get("difficulty", "").lower() or None
        if difficulty not in (None, *DIFFICULTIES):
            return Reply.error("`difficulty` is one of easy, medium, hard.")
        pool = self.bank.select(topics, difficulty)
        if len(pool) < int(count):
            return Reply.error(f"Only {len(pool)} questions match; ask for fewer or widen topics.")
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        open_round = await self.rounds.open_round(place.server.id, actor.channel_id)
        if open_round is not None:
            return Reply.error(await self._already_open(open_round))
        is_group = candidate.lower() == "group"
        candidate_id = None
        if not is_group:
            ref, name = parse_user(candidate)
            known = await self.store.find_member(actor.platform, ref)
            if known is None or (name and known.display_name == ref):
                known = await self.store.ensure_member(actor.platform, ref, name or ref)
            member = known
            candidate_id = member.id
        chosen = self._choose(pool, int(count))
        now = self.clock()
        round_id = await self.rounds.create_round(
            {
                "server_id": place.server.id,
                "channel_id": actor.channel_id,
                "lead_member_id": place.member.id,
                "candidate_member_id": candidate_id,
                "is_group": is_group,
                "topics": ",".join(topics),
                "difficulty": difficulty,
                "question_count": int(count),
                "minutes": int(minutes),
                "started_at": now,
                "deadline": now + timedelta(minutes=int(minutes)),
            },
            [q.id for q in chosen],
        )
        if round_id is None:  # someone else started one in the same moment
            open_round = await self.rounds.open_round(place.server.id, actor.channel_id)
            return Reply.error(await self._already_open(open_round))
        items = await self.rounds.items(round_id)
        await self.rounds.update_item(items[0].id, asked_at=now)
        who = "the group" if is_group else member.display_name
        intro = Card(
            title="Mock interview",
            body=(
                f"{int(count)} questions for {who}, {int(minutes)} minutes from now. "
                + (
                    "Everyone answers privately with the **Answer** button."
                    if is_group
                    else "Answer with the **Answer** button (or `mock answer <text>`)."
                )
            ),
            tone="info",
        )
        question = self._question_card(round_id, items[0], chosen[0], int(count), is_group)
        key = self._answer_key(round_id, chosen)
        return Reply(
            cards=(intro, question),
            thread_title=f"Mock interview · {who}",
            followups=(key,),
            anchor=f"mock:{round_id}",
        )

    def _choose(self, pool: list[Question], count: int) -> list[Question]:
        """Spread over topics: round-robin through shuffled topics, easier questions first."""
        by_topic: dict[str, list[Question]] = {}
        for q in sorted(pool, key=lambda q: q.id):
            by_topic.setdefault(q.topic, []).append(q)
        for questions in by_topic.values():
            self.rng.shuffle(questions)
        order = sorted(by_topic)
        self.rng.shuffle(order)
        chosen: list[Question] = []
        while len(chosen) < count:
            for slug in order:
                if by_topic[slug] and len(chosen) < count:
                    chosen.append(by_topic[slug].pop())
        rank = {d: i for i, d in enumerate(DIFFICULTIES)}
        return sorted(chosen, key=lambda q: rank[q.difficulty])

    async def _already_open(self, row: Any) -> str:
        who = "the group"
        if row.candidate_member_id is not None:
            who = await self.store.member_name(row.candidate_member_id) or "a candidate"
        left = max(0, int((row.deadline - self.clock()).total_seconds() // 60))
        return (
            f"A mock interview is already open here (round #{row.id}, {who}, {left} min left). "
            "Finish it with `mock end` first, or start one in another channel or thread."
        )

    def _question_card(
        self, round_id: int, item: Any, q: Question, count: int, is_group: bool
    ) -> Card:
        topic = self.bank.topics[q.topic].title if q.topic in self.bank.topics else q.topic
        return Card(
            title=f"Question {item.position} of {count}",
            body=q.question,
            fields=(
                Field("Topic", topic, inline=True),
                Field("Difficulty", q.difficulty.title(), inline=True),
            ),
            buttons=(Button("Answer", Action("mockanswer", str(item.id)), style="primary"),),
            footer=f"Mock round #{round_id}"
            + (" · everyone answers privately" if is_group else ""),
        )

    def _answer_key(self, round_id: int, questions: list[Question]) -> Reply:
        cards = []
        for n, q in enumerate(questions, 1):
            fields = [Field("Key points", "\n".join(f"- {p}" for p in q.key_points))]
            if q.follow_ups:
                fields.append(Field("Follow-ups", "\n".join(f"- {f}" for f in q.follow_ups)))
            cards.append(
                Card(title=f"Key · Q{n}: {q.question[:200]}", body=q.answer, fields=tuple(fields))
            )
        cards.append(self._score_card(round_id))
        return Reply(cards=tuple(cards), private=True)

    def _score_card(self, round_id: int, position: int | None = None) -> Card:
        label = f"question {position}" if position else "the current question"
        return Card(
            title=f"Score {label}",
            body=(
                "Score the answer 1 (weak) to 5 (excellent); "
                "add a note with `mock score 4 good depth`."
            ),
            buttons=(
                *(Button(str(n), Action("mockscore", f"{round_id}.{n}")) for n in range(1, 6)),
                Button("Next question", Action("mocknext", str(round_id)), style="primary"),
            ),
        )

    # During the round -------------------------------------------------------------------------

    async def _current(self, actor: Actor) -> tuple[Any, list[Any], Any] | Reply:
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        row = await self.rounds.open_round(place.server.id, actor.channel_id)
        if row is None:
            return Reply.error(f"No mock interview is open here. Start one: {USAGE}")
        items = await self.rounds.items(row.id)
        current = next(
            (i for i in reversed(items) if i.asked_at is not None and i.finished_at is None), None
        )
        return row, items, current

    async def answer_form(self, item_id: str) -> Reply:
        field = FormField(name="answer", label="Your answer", max_length=MAX_RESPONSE)
        return Reply(form=Form("Mock interview answer", Action("mocksubmit", item_id), (field,)))

    async def answer(self, actor: Actor, text: str, item_id: int | None = None) -> Reply:
        """A candidate's (or group member's) answer to the current question."""
        text = text.strip()
        if not text:
            return Reply.error("Write your answer after `mock answer`, or use the Answer button.")
        if len(text) > MAX_RESPONSE:
            return Reply.error(
                f"Your answer is {len(text):,} characters; the limit is {MAX_RESPONSE:,}. "
                "Shorten it and send it again (nothing was saved)."
            )
        found = await self._current(actor)
        if isinstance(found, Reply):
            return found
        row, items, current = found
        if item_id is not None:
            current = next((i for i in items if i.id == item_id), None)
        if current is None or current.finished_at is not None:
            return Reply.error("That question is closed; answer the current one.")
        member = await self.store.ensure_member(actor.platform, actor.user_id, actor.user_name)
        if not row.is_group and member.id != row.candidate_member_id:
            return Reply.error("This round is for its candidate; you can follow along.")
        await self.rounds.add_response(current.id, member.id, text, self.clock())
        return Reply.text(
            "Answer saved",
            f"Saved your answer to question {current.position}. The lead scores it.",
            tone="success",
        )

    async def next(self, actor: Actor, *, skipped: bool = False) -> Reply:
        found = await self._current(actor)
        if isinstance(found, Reply):
            return found
        row, items, current = found
        now = self.clock()
        if current is not None:
            values: dict[str, Any] = {"finished_at": now}
            if skipped:
                values.update(score=None, note="skipped")
            await self.rounds.update_item(current.id, **values)
        upcoming = next((i for i in items if i.asked_at is None), None)
        if upcoming is None:
            return await self._close(row, now, reason="all questions asked")
        await self.rounds.update_item(upcoming.id, asked_at=now)
        q = self.bank.get(upcoming.question_id)
        if q is None:
            return Reply.error(f"Question {upcoming.question_id} left the bank; `mock skip` it.")
        card = self._question_card(row.id, upcoming, q, row.question_count, row.is_group)
        answered = await self._who_answered(row.id, current.id if current else None)
        lead_view = Reply(
            cards=(self._score_card(row.id, upcoming.position), *answered), private=True
        )
        return Reply(cards=(card,), followups=(lead_view,), in_thread=row.thread_ref)

    async def _who_answered(self, round_id: int, item_id: int | None) -> tuple[Card, ...]:
        if item_id is None:
            return ()
        names = [
            r.display_name or r.external_id
            for r in await self.rounds.responses(round_id)
            if r.item_id == item_id
        ]
        return (Card(title="Answered", body=", ".join(names) or "Nobody answered."),)

    async def score_text(self, actor: Actor, text: str) -> Reply:
        score, _, note = text.strip().partition(" ")
        if not score.isdigit() or not 1 <= int(score) <= 5:
            return Reply.error(
                "Usage: `mock score <1-5> [note]`, e.g. `mock score 4 clear on GIL`."
            )
        return await self.score(actor, int(score), note.strip())

    async def score(
        self, actor: Actor, score: int, note: str = "", round_id: int | None = None
    ) -> Reply:
        found = await self._current(actor)
        if isinstance(found, Reply):
            return found
        row, _items, current = found
        if round_id is not None and round_id != row.id:
            return Reply.error("That round is over.")
        if current is None:
            return Reply.error("No question is being asked right now; use `mock next`.")
        values: dict[str, Any] = {"score": score}
        if note:
            values["note"] = note[:MAX_NOTE]
        await self.rounds.update_item(current.id, **values)
        return Reply.text(
            "Scored",
            f"Question {current.position}: **{score}/5**"
            + (f", note: {note[:MAX_NOTE]}" if note else "")
            + ". `mock next` when ready.",
            tone="success",
        )

    async def end(self, actor: Actor) -> Reply:
        found = await self._current(actor)
        if isinstance(found, Reply):
            return found
        row, _items, _current = found
        return await self._close(row, self.clock(), reason="ended by the lead")

    async def _close(self, row: Any, now: datetime, *, reason: str) -> Reply:
        for item in await self.rounds.items(row.id):
            if item.asked_at is not None and item.finished_at is None:
                await self.rounds.update_item(item.id, finished_at=now)
        if not await self.rounds.update_round(row.id, status="ended", ended_at=now):
            return Reply.error("This round was already closed.")
        card = self.scorecard_card(await self.scorecard(row.id), reason=reason)
        return Reply(cards=(card,), in_thread=row.thread_ref)

    # The clock ----------------------------------------------------------------------------------

    async def due_events(self) -> list[tuple[Any, Reply]]:
        """Warnings and closings due now: (round row with its platform, the public reply)."""
        now = self.clock()
        events = []
        for row in await self.rounds.rounds_due(now, WARN_BEFORE):
            if row.deadline <= now:
                reply = await self._close(row, now, reason="time is up")
                if reply.cards and reply.cards[0].title:
                    events.append((row, reply))
            elif await self.rounds.update_round(row.id, warned_at=now):
                left = max(1, round((row.deadline - now).total_seconds() / 60))
                card = Card(
                    title="5 minutes left",
                    body=f"{left} minutes left in this mock interview.",
                    tone="warning",
                )
                events.append((row, Reply(cards=(card,), in_thread=row.thread_ref)))
        return events

    # Scorecards -----------------------------------------------------------------------------

    async def scorecard(self, round_id: int) -> Scorecard:
        row = await self.rounds.round(round_id)
        assert row is not None
        names = {}
        for member_id in (row.candidate_member_id, row.lead_member_id):
            if member_id is not None:
                names[member_id] = await self.store.member_name(member_id) or "?"
        results = []
        for item in await self.rounds.items(round_id):
            q = self.bank.get(item.question_id)
            seconds = None
            if item.asked_at and item.finished_at:
                seconds = int((item.finished_at - item.asked_at).total_seconds())
            results.append(
                ItemResult(
                    position=item.position,
                    question=q.question if q else item.question_id,
                    topic=q.topic if q else "?",
                    score=item.score,
                    seconds=seconds,
                    note=item.note or ("not asked" if item.asked_at is None else ""),
                )
            )
        return Scorecard(
            round_id=row.id,
            candidate="group" if row.is_group else names.get(row.candidate_member_id, "?"),
            lead=names.get(row.lead_member_id, "?"),
            started_at=row.started_at,
            ended_at=row.ended_at,
            items=tuple(results),
        )

    def scorecard_card(self, card: Scorecard, *, reason: str) -> Card:
        lines = []
        for item in card.items:
            title = (
                self.bank.topics[item.topic].title if item.topic in self.bank.topics else item.topic
            )
            score = f"{item.score}/5" if item.score is not None else "-"
            note = f" · {item.note}" if item.note else ""
            lines.append(
                f"{item.position}. {title}: **{score}** in {format_seconds(item.seconds)}{note}"
            )
        averages = card.topic_averages()
        fields = [Field("Questions", "\n".join(lines))]
        if card.average is not None:
            fields.append(Field("Total", f"{card.total}/{5 * len(card.scored)}", inline=True))
            fields.append(Field("Average", f"{card.average:.1f}", inline=True))
        if averages:
            best = max(averages, key=lambda t: (averages[t], t))
            worst = min(averages, key=lambda t: (averages[t], t))
            fields.append(Field("Strongest", self._topic_title(best), inline=True))
            fields.append(Field("Weakest", self._topic_title(worst), inline=True))
        return Card(
            title=f"Scorecard · {card.candidate}",
            body=f"Mock round #{card.round_id}, {reason}. Lead: {card.lead}.",
            fields=tuple(fields),
            tone="success",
        )

    def _topic_title(self, slug: str) -> str:
        return self.bank.topics[slug].title if slug in self.bank.topics else slug

    async def history(self, actor: Actor, text: str) -> Reply:
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        member_id = None
        if text.strip():
            found = await self.store.find_member(actor.platform, parse_user(text)[0])
            if found is None:
                return Reply.text("Mock history", f"No rounds for {text.strip()[:40]}.")
            member_id = found.id
        rows = await self.rounds.history(place.server.id, member_id)
        if not rows:
            return Reply.text("Mock history", "No finished mock interviews yet.")
        lines = []
        for row in rows:
            card = await self.scorecard(row.id)
            average = f"{card.average:.1f}/5" if card.average is not None else "unscored"
            who = "group" if row.is_group else (row.candidate_name or row.candidate_ref or "?")
            lines.append(
                f"#{row.id} · {row.started_at:%d %b %Y} · {who} · {average} · lead {row.lead_name}"
            )
        return Reply.text("Mock history", "\n".join(lines))


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


def to_csv(cards: list[Scorecard]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(export_rows(cards))
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
