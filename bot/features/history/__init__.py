"""A member's own answers: the latest with their grades, and one again beside the reference."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.actors import Actor
from bot.engine.content import Bank
from bot.engine.core import Kit
from bot.engine.messages import Action, Button, Card, Field, Refusal, Reply, clip
from bot.engine.options import Option
from bot.engine.registry import action, command

GRADES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
SHOW_BUTTONS = 5


@dataclass(frozen=True)
class PastTarget:
    """One of the member's answers."""

    answer_id: int


class History:
    def __init__(self, kit: Kit):
        self.kit = kit

    @command(
        "history",
        summary="Your last answers and grades",
        options=(
            Option("count", "integer", "How many (default 5)", low=1, high=20),
            Option(
                "show", "integer", "Show one again: 1 is the latest", low=1, high=20, keyed=True
            ),
        ),
        group="Progress",
    )
    async def history(
        self, actor: Actor, count: int | None = None, show: int | None = None
    ) -> Reply:
        place = await self.kit.place(actor)
        store = self.kit.store
        if show is not None:
            entries = await store.answer_history(place.server.id, place.member.id, limit=show)
            if len(entries) < show:
                raise Refusal(f"You have {len(entries)} answers here; `history` lists them.")
            return self._shown(entries[show - 1], await self.kit.bank_for(place.server.id))
        entries = await store.answer_history(place.server.id, place.member.id, limit=count or 5)
        if not entries:
            return Reply.text("Your answers", "No answers yet: try `today` or `question`.")
        lines = []
        bank = await self.kit.bank_for(place.server.id)
        for n, entry in enumerate(entries, 1):
            q = bank.get(entry.question_id)
            title = q.question if q else entry.question_id
            title = clip(title, 70)
            grade = GRADES.get(entry.rating or 0, "not graded")
            hints = f" · {entry.hints_used} hint{'s' * (entry.hints_used != 1)}"
            hints = hints if entry.hints_used else ""
            lines.append(f"{n}. {entry.local_date:%a %d %b} · **{grade}**{hints} · {title}")
        buttons = tuple(
            Button(f"Show {n}", Action("pastanswer", PastTarget(entry.id)))
            for n, entry in enumerate(entries[:SHOW_BUTTONS], 1)
        )
        card = Card(title="Your answers", body="\n".join(lines), buttons=buttons)
        return Reply(cards=(card,), private=True)

    @action("pastanswer", target=PastTarget, hint="history show=<n>")
    async def show_button(self, actor: Actor, target: PastTarget, form: object) -> Reply:
        place = await self.kit.place(actor)
        # Scoped to the member and this server: an id of someone else's answer finds nothing.
        found = await self.kit.store.answer_history(
            place.server.id, place.member.id, limit=1, answer_id=target.answer_id
        )
        if not found:
            raise Refusal("That answer is not one of yours here.")
        return self._shown(found[0], await self.kit.bank_for(place.server.id))

    def _shown(self, entry: object, bank: Bank) -> Reply:
        q = bank.get(entry.question_id)
        grade = GRADES.get(entry.rating or 0, "not graded")
        mine = Card(
            title=f"Your answer · {entry.local_date:%a %d %b %Y} · {grade}",
            body=entry.text,
            footer=f"id: {entry.question_id}",
        )
        if q is None:
            return Reply(cards=(mine,), private=True)
        points = "\n".join(f"- {p}" for p in q.key_points)
        reference = Card(
            title="Reference answer",
            body=q.reference,
            fields=(Field("Key points", points),),
            tone="success",
        )
        return Reply(cards=(mine, reference), private=True)
