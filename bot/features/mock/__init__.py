"""Mock-interview rounds: a lead puts a candidate (or a group) through timed questions.

The round and its deadline live in the database, so a restart keeps both; the `mock-clock`
job asks every half minute for rounds to warn (5 minutes left) or to close.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.engine.actors import Actor
from bot.engine.content import DIFFICULTIES, Question
from bot.engine.core import Kit
from bot.engine.messages import Action, Card, Delivery, Form, FormField, Refusal, Reply, literal
from bot.engine.options import MemberArg, Option, kind_filter, kind_option
from bot.engine.registry import IN_CHANNELS, Role, action, command, job, subcommands
from bot.features.mock import cards
from bot.features.mock.cards import MockItem, MockRound, MockScore
from bot.features.mock.scorecard import ItemResult, Scorecard
from bot.store.rounds import RoundStore

WARN_BEFORE = timedelta(minutes=5)
MAX_QUESTIONS = 20
MAX_MINUTES = 240
MAX_NOTE = 500
MAX_RESPONSE = 4000
LEADS_ONLY = (
    "Only team leads can run mock interviews (admins, or the roles and ids in "
    "PREPBOT_LEAD_ROLES / PREPBOT_LEAD_USERS)."
)
START_OPTIONS = (
    Option("candidate", "member", "Who is interviewed", keyed=True),
    Option("group", "boolean", "Everyone here answers privately", keyed=True),
    Option("topics", "topics", "Topics, comma-separated (default: all)", keyed=True),
    Option("count", "integer", "Number of questions (default 5)", low=1, high=20, keyed=True),
    Option("minutes", "duration", "Length of the round (default 45)", low=5, high=240, keyed=True),
    Option("difficulty", "difficulty", "Only this difficulty", keyed=True),
    kind_option(keyed=True),
)


# `/prep mock <sub>`: team leads only (`mock answer` is declared for everyone).
lead_command = subcommands("mock", who=Role.LEAD, group="Team leads", refusal=LEADS_ONLY)


class Mock:
    """The mock-round commands (`mock ...`), their buttons, and the round clock."""

    def __init__(self, kit: Kit):
        self.kit = kit
        self.rounds = RoundStore(kit.store)

    async def anchor(self, ident: str, thread_ref: str) -> None:
        """The round's thread opened: later questions and the scorecard go into it."""
        if ident.isdigit():
            await self.rounds.update_round(int(ident), thread_ref=thread_ref)

    # Starting ------------------------------------------------------------------------------

    @lead_command(
        "start",
        "Start a timed mock round",
        options=START_OPTIONS,
        where=IN_CHANNELS,
        visibility="public",
    )
    async def start(
        self,
        actor: Actor,
        candidate: MemberArg | None = None,
        group: bool | None = None,
        topics: tuple[str, ...] | None = None,
        count: int | None = None,
        minutes: int | None = None,
        difficulty: str | None = None,
        kind: str | None = None,
    ) -> Reply:
        is_group = bool(group) or (candidate is not None and candidate.id.lower() == "group")
        if candidate is None and not is_group:
            raise Refusal("Name the candidate (a member, or `group`): `mock start @member`.")
        count, minutes = count or 5, minutes or 45
        place = await self.kit.place(actor)
        bank = await self.kit.bank_for(place.server.id)
        pool = bank.select(topics or (), difficulty, kind_filter(kind or "open"))
        if len(pool) < count:
            raise Refusal(f"Only {len(pool)} questions match; ask for fewer or widen topics.")
        candidate_id, who = None, "the group"
        if not is_group:
            assert candidate is not None
            member = await self._member(actor.platform, candidate)
            candidate_id, who = member.id, literal(member.display_name)
        chosen = self._choose(pool, count)
        now = self.kit.clock()
        values = {
            "server_id": place.server.id,
            "channel_id": actor.channel_id,
            "lead_member_id": place.member.id,
            "candidate_member_id": candidate_id,
            "is_group": is_group,
            "topics": ",".join(topics or ()),
            "difficulty": difficulty,
            "question_count": count,
            "minutes": minutes,
            "started_at": now,
            "deadline": now + timedelta(minutes=minutes),
        }
        async with self.kit.store.transaction():
            round_id = await self.rounds.create_round(values, [q.id for q in chosen])
            if round_id is None:  # the database allows one open round per channel
                raise Refusal(await self._already_open(place.server.id, actor.channel_id))
            items = await self.rounds.items(round_id)
            await self.rounds.update_item(items[0].id, asked_at=now)
        intro = cards.intro_card(who, count, minutes, is_group)
        first = cards.question_card(self.kit.bank, round_id, items[0], chosen[0], count, is_group)
        return Reply(
            cards=(intro, first),
            thread_title=f"Mock interview · {who}",
            followups=(cards.answer_key(round_id, chosen),),
            anchor=f"mock:{round_id}",
        )

    async def _member(self, platform: str, candidate: MemberArg) -> Any:
        store = self.kit.store
        known = await store.find_member(platform, candidate.id)
        if known is None or (candidate.name and known.display_name == candidate.id):
            known = await store.ensure_member(
                platform, candidate.id, candidate.name or candidate.id
            )
        return known

    def _choose(self, pool: list[Question], count: int) -> list[Question]:
        """Spread over topics: round-robin through shuffled topics, easier questions first."""
        rng = self.kit.rng
        by_topic: dict[str, list[Question]] = {}
        for q in sorted(pool, key=lambda q: q.id):
            by_topic.setdefault(q.topic, []).append(q)
        for questions in by_topic.values():
            rng.shuffle(questions)
        order = sorted(by_topic)
        rng.shuffle(order)
        chosen: list[Question] = []
        while len(chosen) < count:
            for slug in order:
                if by_topic[slug] and len(chosen) < count:
                    chosen.append(by_topic[slug].pop())
        rank = {d: i for i, d in enumerate(DIFFICULTIES)}
        return sorted(chosen, key=lambda q: rank[q.difficulty])

    async def _already_open(self, server_id: int, channel_id: str) -> str:
        row = await self.rounds.open_round(server_id, channel_id)
        if row is None:
            return "A mock interview was just started here; try again in a moment."
        who = "the group"
        if row.candidate_member_id is not None:
            name = await self.kit.store.member_name(row.candidate_member_id)
            who = literal(name) if name else "a candidate"
        left = max(0, int((row.deadline - self.kit.clock()).total_seconds() // 60))
        return (
            f"A mock interview is already open here (round #{row.id}, {who}, {left} min left). "
            "Finish it with `mock end` first, or start one in another channel or thread."
        )

    # During the round -------------------------------------------------------------------------

    async def _current(
        self, actor: Actor, round_id: int | None = None, *, control: bool = False
    ) -> tuple[Any, list, Any]:
        """The open round here (it must be `round_id` when given), its items, the current one.

        `control`: the caller scores, advances or ends it, which only the round's own lead
        (or an admin) may, and never its candidate (unless they run the round for themselves).
        """
        place = await self.kit.place(actor)
        row = await self.rounds.open_round(place.server.id, actor.channel_id)
        if row is None or (round_id is not None and row.id != round_id):
            if round_id is not None:
                raise Refusal(f"Mock round #{round_id} is over; its buttons no longer work.")
            raise Refusal("No mock interview is open here. Start one: `mock start @member`.")
        own_round = row.lead_member_id == row.candidate_member_id  # a lead practising alone
        if control and place.member.id == row.candidate_member_id and not own_round:
            raise Refusal("You are this round's candidate: the lead scores and runs it.")
        if control and place.member.id != row.lead_member_id and not actor.is_admin:
            raise Refusal("Only this round's lead (or an admin) can score, advance or end it.")
        items = await self.rounds.items(row.id)
        current = next(
            (i for i in reversed(items) if i.asked_at is not None and i.finished_at is None), None
        )
        return row, items, current

    @action("mockanswer", target=MockItem, hint="mock answer <your text>", legacy=MockItem.legacy)
    async def answer_form(self, actor: Actor, target: MockItem, form: object) -> Reply:
        field = FormField(name="answer", label="Your answer", max_length=MAX_RESPONSE)
        return Reply(form=Form("Mock interview answer", Action("mocksubmit", target), (field,)))

    @action("mocksubmit", target=MockItem, legacy=MockItem.legacy)
    async def submit_form(self, actor: Actor, target: MockItem, form: dict | None) -> Reply:
        return await self.answer(actor, (form or {}).get("answer", ""), target.item_id)

    @command(
        "mock",
        "answer",
        summary="Answer the current mock question",
        options=(Option("text", "text", "Your answer", required=True),),
        group="Team leads",
    )
    async def answer(self, actor: Actor, text: str, item_id: int | None = None) -> Reply:
        """A candidate's (or group member's) answer to the current question."""
        text = text.strip()
        if not text:
            raise Refusal("Write your answer after `mock answer`, or use the Answer button.")
        if len(text) > MAX_RESPONSE:
            raise Refusal(
                f"Your answer is {len(text):,} characters; the limit is {MAX_RESPONSE:,}. "
                "Shorten it and send it again (nothing was saved)."
            )
        row, items, current = await self._current(actor)
        if item_id is not None:
            current = next((i for i in items if i.id == item_id), None)
        if current is None or current.finished_at is not None or current.asked_at is None:
            raise Refusal("That question is closed; answer the current one.")
        member = await self.kit.store.ensure_member(actor.platform, actor.user_id, actor.user_name)
        if not row.is_group and member.id != row.candidate_member_id:
            raise Refusal("This round is for its candidate; you can follow along.")
        await self.rounds.add_response(current.id, member.id, text, self.kit.clock())
        return Reply.text(
            "Answer saved",
            f"Saved your answer to question {current.position}. The lead scores it.",
            tone="success",
        )

    @lead_command("next", "Close this question and ask the next one", visibility="public")
    async def next(self, actor: Actor) -> Reply:
        return await self._advance(actor)

    @lead_command("skip", "Skip this question", visibility="public")
    async def skip(self, actor: Actor) -> Reply:
        return await self._advance(actor, skipped=True)

    @action(
        "mocknext",
        target=MockRound,
        who=Role.LEAD,
        visibility="public",
        hint="mock next",
        legacy=MockRound.legacy,
    )
    async def next_button(self, actor: Actor, target: MockRound, form: object) -> Reply:
        return await self._advance(actor, round_id=target.round_id)

    async def _advance(
        self, actor: Actor, *, skipped: bool = False, round_id: int | None = None
    ) -> Reply:
        """Finish the current question and ask the next, in one transaction."""
        now = self.kit.clock()
        async with self.kit.store.transaction():
            row, items, current = await self._current(actor, round_id, control=True)
            if current is not None:
                values: dict[str, Any] = {"finished_at": now}
                if skipped:
                    values.update(score=None, note="skipped")
                await self.rounds.update_item(current.id, **values)
            upcoming = next((i for i in items if i.asked_at is None), None)
            if upcoming is None:
                return await self._close(row, now, reason="all questions asked")
            await self.rounds.update_item(upcoming.id, asked_at=now)
        q = (await self.kit.bank_for(row.server_id)).get(upcoming.question_id)
        if q is None:
            raise Refusal(f"Question {upcoming.question_id} left the bank; `mock skip` it.")
        card = cards.question_card(
            self.kit.bank, row.id, upcoming, q, row.question_count, row.is_group
        )
        answered = await self._who_answered(row.id, current.id if current else None)
        lead_view = Reply(
            cards=(cards.score_card(row.id, upcoming.position), *answered), private=True
        )
        return Reply(cards=(card,), followups=(lead_view,), in_thread=row.thread_ref)

    async def _who_answered(self, round_id: int, item_id: int | None) -> tuple[Card, ...]:
        if item_id is None:
            return ()
        names = [
            literal(r.display_name or r.external_id)
            for r in await self.rounds.responses(round_id)
            if r.item_id == item_id
        ]
        return (Card(title="Answered", body=", ".join(names) or "Nobody answered."),)

    @lead_command(
        "score",
        "Score the current answer 1-5, with a note",
        options=(
            Option("score", "integer", "1 (weak) to 5 (excellent)", required=True, low=1, high=5),
            Option("note", "text", "What stood out"),
        ),
    )
    async def score(
        self, actor: Actor, score: int, note: str | None = None, round_id: int | None = None
    ) -> Reply:
        _row, _items, current = await self._current(actor, round_id, control=True)
        if current is None:
            raise Refusal("No question is being asked right now; use `mock next`.")
        note = (note or "")[:MAX_NOTE]
        values: dict[str, Any] = {"score": score}
        if note:
            values["note"] = note
        await self.rounds.update_item(current.id, **values)
        return Reply.text(
            "Scored",
            f"Question {current.position}: **{score}/5**"
            + (f", note: {literal(note)}" if note else "")
            + ". `mock next` when ready.",
            tone="success",
        )

    @action(
        "mockscore",
        target=MockScore,
        who=Role.LEAD,
        hint="mock score 1-5 [note]",
        legacy=MockScore.legacy,
    )
    async def score_button(self, actor: Actor, target: MockScore, form: object) -> Reply:
        if not 1 <= target.score <= 5:
            raise Refusal("A score is a whole number from 1 to 5.")
        return await self.score(actor, target.score, round_id=target.round_id)

    @lead_command("end", "End the round now and post the scorecard", visibility="public")
    async def end(self, actor: Actor) -> Reply:
        row, _items, _current = await self._current(actor, control=True)
        return await self._close(row, self.kit.clock(), reason="ended by the lead")

    async def _close(self, row: Any, now: datetime, *, reason: str) -> Reply:
        """Finish the round's open questions and close it, in one transaction."""
        async with self.kit.store.transaction():
            for item in await self.rounds.items(row.id):
                if item.asked_at is not None and item.finished_at is None:
                    await self.rounds.update_item(item.id, finished_at=now)
            if not await self.rounds.update_round(row.id, status="ended", ended_at=now):
                raise Refusal("This round was already closed.")
        card = cards.scorecard_card(self.kit.bank, await self.scorecard(row.id), reason=reason)
        return Reply(cards=(card,), in_thread=row.thread_ref)

    # The clock ----------------------------------------------------------------------------------

    @job("mock-clock", seconds=30)
    async def clock_tick(self) -> list[Delivery]:
        """Warnings and closings due now, for the channel (or thread) of each round."""
        deliveries = [
            Delivery(row.platform, row.channel_id, reply, label=f"mock round {row.id}")
            for row, reply in await self.due_events()
        ]
        self.kit.observer.rounds_open(await self.rounds.open_count())
        return deliveries

    async def due_events(self) -> list[tuple[Any, Reply]]:
        """Warnings and closings due now: (round row with its platform, the public reply)."""
        now = self.kit.clock()
        events = []
        for row in await self.rounds.rounds_due(now, WARN_BEFORE):
            if row.deadline <= now:
                try:
                    events.append((row, await self._close(row, now, reason="time is up")))
                except Refusal:  # another instance closed it first
                    continue
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
        store = self.kit.store
        names = {}
        for member_id in (row.candidate_member_id, row.lead_member_id):
            if member_id is not None:
                names[member_id] = await store.member_name(member_id) or "?"
        results = []
        bank = await self.kit.bank_for(row.server_id)
        for item in await self.rounds.items(round_id):
            q = bank.get(item.question_id)
            seconds = None
            if item.asked_at and item.finished_at:
                seconds = int((item.finished_at - item.asked_at).total_seconds())
            note = item.note or ("not asked" if item.asked_at is None else "")
            question, topic = (q.question, q.topic) if q else (item.question_id, "?")
            results.append(ItemResult(item.position, question, topic, item.score, seconds, note))
        return Scorecard(
            round_id=row.id,
            candidate="group" if row.is_group else names.get(row.candidate_member_id, "?"),
            lead=names.get(row.lead_member_id, "?"),
            started_at=row.started_at,
            ended_at=row.ended_at,
            items=tuple(results),
        )

    @lead_command(
        "history",
        "Finished rounds, newest first",
        options=(Option("member", "member", "Only this candidate's rounds"),),
        where=IN_CHANNELS,
    )
    async def history(self, actor: Actor, member: MemberArg | None = None) -> Reply:
        place = await self.kit.place(actor)
        member_id = None
        if member is not None:
            found = await self.kit.store.find_member(actor.platform, member.id)
            if found is None:
                return Reply.text("Mock history", f"No rounds for {member.name or member.id}.")
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
                f"#{row.id} · {row.started_at:%d %b %Y} · {literal(who)} · {average} · "
                f"lead {literal(row.lead_name or '?')}"
            )
        return Reply.text("Mock history", "\n".join(lines))
