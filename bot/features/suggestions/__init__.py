"""Suggestions: members propose questions; admins and leads approve, edit or reject them.

A suggestion is checked like a question of the bank. Approved ones join the server's
`suggestions` pack, credited to the author; the author is told the outcome by DM (a job, so
that the message goes out once even with several instances running).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.engine.actors import Actor
from bot.engine.content import DIFFICULTIES, Problem, parse_question
from bot.engine.core import Kit
from bot.engine.library import namespaced
from bot.engine.messages import (
    Action,
    Button,
    Card,
    Delivery,
    Field,
    Form,
    FormField,
    Refusal,
    Reply,
    literal,
)
from bot.engine.registry import IN_CHANNELS, action, command, job

SUGGESTIONS_PER_DAY = 5  # per member and server, over the last 24 hours
QUEUE_SHOWN = 5
REVIEWERS_ONLY = (
    "Only admins and reviewers review suggestions (Manage Server on Discord, workspace admins "
    "on Slack, or the ids in PREPBOT_ADMIN_* / PREPBOT_REVIEWER_*)."
)


def reviewer(actor: Actor) -> None:
    """Refuse anyone who may not review suggestions."""
    if not (actor.is_admin or actor.is_reviewer):
        raise Refusal(REVIEWERS_ONLY)


@dataclass(frozen=True)
class SuggestionTarget:
    suggestion_id: int  # 0: a new suggestion


def suggestion_form(target: SuggestionTarget, values: dict[str, str] | None = None) -> Form:
    """The suggestion form (Discord allows five inputs, so topic and difficulty share one)."""
    values = values or {}
    specs = (
        ("question", "Question", True, 500, "What would an interviewer ask?"),
        ("answer", "Reference answer", True, 3000, "A good answer, in your own words."),
        ("key_points", "Key points, one per line", True, 1000, "What an answer must cover"),
        ("topic", "Topic and difficulty", False, 80, "e.g. python-fundamentals medium"),
        ("hint", "A hint (optional)", False, 200, "A nudge that gives nothing away"),
    )
    fields = tuple(
        FormField(name, label, multiline, limit, placeholder, name != "hint", values.get(name, ""))
        for name, label, multiline, limit, placeholder in specs
    )
    verb = "suggestion-save" if target.suggestion_id else "suggestion-send"
    title = "Edit the suggestion" if target.suggestion_id else "Suggest a question"
    return Form(title, Action(verb, target), fields)


def as_form_values(body: dict[str, Any]) -> dict[str, str]:
    return {
        "question": body.get("question", ""),
        "answer": body.get("answer", ""),
        "key_points": "\n".join(body.get("key_points", [])),
        "topic": f"{body.get('topic', '')} {body.get('difficulty', '')}".strip(),
        "hint": "\n".join(body.get("hints", [])),
    }


class Suggestions:
    def __init__(self, kit: Kit):
        self.kit = kit

    def checked(self, form: dict[str, str] | None) -> dict[str, Any]:
        """The form as a question mapping, checked like the bank; Refusal listing problems."""
        form = form or {}
        words = (form.get("topic") or "").split()
        difficulty = words.pop().lower() if words and words[-1].lower() in DIFFICULTIES else ""
        topic = self.kit.bank.find_topic(" ".join(words)) if words else None
        body: dict[str, Any] = {
            "topic": topic.slug if topic else " ".join(words),
            "difficulty": difficulty,
            "question": (form.get("question") or "").strip(),
            "answer": (form.get("answer") or "").strip(),
            "key_points": [p.strip(" -•") for p in (form.get("key_points") or "").splitlines()],
        }
        body["key_points"] = [p for p in body["key_points"] if p]
        if (form.get("hint") or "").strip():
            body["hints"] = [form["hint"].strip()]
        problems: list[Problem] = []
        raw = {"id": "suggestion", **body}
        parse_question(
            raw, 1, Path("suggestion"), self.kit.bank.topics, problems, hints_required=False
        )
        if problems:
            said = "\n".join(f"- {p.field}: {literal(p.message)}" for p in problems)
            topics = ", ".join(sorted(self.kit.bank.topics))
            raise Refusal(
                f"That suggestion needs a fix (nothing was saved):\n{said}\n"
                f"Topics: {topics}. Difficulties: {', '.join(DIFFICULTIES)}."
            )
        return body

    async def _allowance(self, server_id: int, member_id: int) -> None:
        since = self.kit.clock() - timedelta(days=1)
        made = await self.kit.store.suggestions_since(server_id, member_id, since)
        if made >= SUGGESTIONS_PER_DAY:
            raise Refusal(
                f"You made {made} suggestions in the last 24 hours; the limit is "
                f"{SUGGESTIONS_PER_DAY}. Thank you, and try again tomorrow."
            )

    @command(
        "suggest",
        summary="Suggest a question for this server",
        where=IN_CHANNELS,
        group="Community",
    )
    async def suggest(self, actor: Actor) -> Reply:
        place = await self.kit.place(actor)
        await self._allowance(place.server.id, place.member.id)
        return Reply(form=suggestion_form(SuggestionTarget(0)), private=True)

    @action("suggestion-send", target=SuggestionTarget)
    async def send(self, actor: Actor, target: SuggestionTarget, form: dict | None) -> Reply:
        body = self.checked(form)
        place = await self.kit.place(actor)
        await self._allowance(place.server.id, place.member.id)
        await self.kit.store.add_suggestion(
            place.server.id, place.member.id, json.dumps(body), self.kit.clock()
        )
        return Reply.text(
            "Suggestion sent",
            "Thank you! The admins will review it; you'll hear back by direct message.",
            tone="success",
        )

    @command(
        "pack",
        "suggestions",
        summary="Review suggested questions",
        where=IN_CHANNELS,
        group="Admins",
    )
    async def queue(self, actor: Actor) -> Reply:
        reviewer(actor)
        place = await self.kit.place(actor)
        rows = await self.kit.store.pending_suggestions(place.server.id, QUEUE_SHOWN + 1)
        if not rows:
            return Reply.text("Suggestions", "No suggestions are waiting.")
        more = " (and more after these)" if len(rows) > QUEUE_SHOWN else ""
        head = Card(title="Suggestions", body=f"Waiting for review{more}:")
        return Reply(cards=(head, *(self.card(row) for row in rows[:QUEUE_SHOWN])), private=True)

    def card(self, row: Any) -> Card:
        """A suggestion as its reviewers see it: plain text, with its three buttons."""
        body = json.loads(row.body)
        target = SuggestionTarget(row.id)
        topic = self.kit.bank.topics.get(body.get("topic", ""))
        points = "\n".join(f"- {literal(p)}" for p in body.get("key_points", []))
        return Card(
            title=f"Suggestion {row.id} · by {literal(row.author_name or 'a member')}",
            body=literal(body.get("question", "")),
            fields=(
                Field("Topic", topic.title if topic else "?", inline=True),
                Field("Difficulty", body.get("difficulty", "?"), inline=True),
                Field("Reference answer", literal(body.get("answer", ""))[:1000]),
                Field("Key points", points[:1000] or "-"),
            ),
            buttons=(
                Button("Approve", Action("suggestion-approve", target), style="success"),
                Button("Edit", Action("suggestion-edit", target)),
                Button("Reject", Action("suggestion-reject", target), style="danger"),
            ),
        )

    async def _pending(self, actor: Actor, target: SuggestionTarget) -> tuple[Any, Any]:
        """The suggestion, if it is this server's and still waiting; Refusal otherwise."""
        reviewer(actor)
        place = await self.kit.place(actor)
        row = await self.kit.store.suggestion(target.suggestion_id)
        if row is None or row.server_id != place.server.id:
            raise Refusal("That suggestion is not one of this server's.")
        if row.status != "pending":
            raise Refusal(f"That suggestion was already {row.status}.")
        return place, row

    @action("suggestion-approve", target=SuggestionTarget)
    async def approve(self, actor: Actor, target: SuggestionTarget, form: object) -> Reply:
        place, row = await self._pending(actor, target)
        body = self.checked(as_form_values(json.loads(row.body)))
        local = f"suggestion-{row.id}"
        question_id = namespaced(place.server.id, local)
        done = await self.kit.store.approve_suggestion(
            row,
            question_id=question_id,
            body=json.dumps({"id": local, **body}),
            credit=(row.author_name or "a member")[:200],
            by=actor.user_id,
        )
        if not done:
            raise Refusal("Someone reviewed that suggestion a moment ago.")
        assert self.kit.library is not None
        self.kit.library.changed(place.server.id)
        return Reply.text(
            "Suggestion approved",
            f"It is question `{question_id}` in this server's `suggestions` pack now, "
            "credited to its author, who will be told.",
            tone="success",
        )

    @action("suggestion-edit", target=SuggestionTarget)
    async def edit(self, actor: Actor, target: SuggestionTarget, form: object) -> Reply:
        _, row = await self._pending(actor, target)
        values = as_form_values(json.loads(row.body))
        return Reply(form=suggestion_form(target, values), private=True)

    @action("suggestion-save", target=SuggestionTarget)
    async def save(self, actor: Actor, target: SuggestionTarget, form: dict | None) -> Reply:
        await self._pending(actor, target)
        body = self.checked(form)
        await self.kit.store.update_suggestion(target.suggestion_id, json.dumps(body))
        row = await self.kit.store.suggestion(target.suggestion_id)
        head = Card(title="Suggestion edited", body="Approve it when it reads right.")
        return Reply(cards=(head, self.card(row)), private=True)

    @action("suggestion-reject", target=SuggestionTarget)
    async def reject(self, actor: Actor, target: SuggestionTarget, form: object) -> Reply:
        await self._pending(actor, target)
        field = FormField("reason", "Why not? (sent to the author privately)", max_length=500)
        form_ = Form("Reject the suggestion", Action("suggestion-reason", target), (field,))
        return Reply(form=form_, private=True)

    @action("suggestion-reason", target=SuggestionTarget)
    async def reason(self, actor: Actor, target: SuggestionTarget, form: dict | None) -> Reply:
        await self._pending(actor, target)
        why = " ".join(((form or {}).get("reason") or "").split())
        if not why:
            raise Refusal("Give the author a reason; nothing was changed.")
        if not await self.kit.store.reject_suggestion(
            target.suggestion_id, reason=why[:500], by=actor.user_id
        ):
            raise Refusal("Someone reviewed that suggestion a moment ago.")
        return Reply.text("Suggestion rejected", "The author will be told why, privately.")

    @job("suggestion-notices", seconds=30)
    async def notices(self) -> list[Delivery]:
        """Tell authors what became of their suggestions, once each."""
        deliveries = []
        for row in await self.kit.store.unnotified_reviews():
            if not await self.kit.store.claim_notice(row.id, self.kit.clock()):
                continue
            asked = literal(json.loads(row.body).get("question", ""))[:300]
            if row.status == "approved":
                said = f"Your suggestion is question `{row.question_id}` now:\n{asked}"
                reply = Reply.text("Suggestion approved", said, tone="success")
            else:
                why = literal(row.reason or "")
                said = f"Your suggestion was not accepted:\n{asked}\n\nWhy: {why}"
                reply = Reply.text("About your suggestion", said)
            deliveries.append(
                Delivery(
                    row.platform, "", reply, label=f"suggestion {row.id}", user_ref=row.external_id
                )
            )
        return deliveries
