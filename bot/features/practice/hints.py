"""Hints: a nudge at a time toward the answer, counted and shown with the grade."""

from __future__ import annotations

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.messages import Card, Refusal, Reply
from bot.engine.registry import action, command
from bot.features.practice.cards import Ask
from bot.features.practice.selection import resolve_question


class Hints:
    def __init__(self, kit: Kit):
        self.kit = kit

    @command("hint", summary="A hint for your current question")
    async def hint(self, actor: Actor, target: Ask | None = None) -> Reply:
        place = await self.kit.place(actor)
        q, post_id = await resolve_question(self.kit, place, target or Ask())
        if q is None:
            raise Refusal("There is no question to hint at yet: try `today` or `question`.")
        if not q.hints:
            raise Refusal("This question has no hints. Give it your best shot!")
        store = self.kit.store
        await store.set_current_question(place.server.id, place.member.id, q.id, post_id)
        stats = await store.stats(place.server.id, place.member.id)
        if stats is not None and stats.current_hints >= len(q.hints):
            raise Refusal(f"That was every hint ({len(q.hints)}). Time to answer!")
        shown = await store.use_hint(place.server.id, place.member.id)
        more = "`hint` again for the next one." if shown < len(q.hints) else "That was the last."
        card = Card(
            title=f"Hint {shown} of {len(q.hints)}",
            body=f"{q.hints[shown - 1]}\n\n{more} Hints are noted beside your grade.",
        )
        return Reply(cards=(card,), private=True)

    @action("hint", target=Ask, hint="hint", legacy=Ask.legacy)
    async def hint_button(self, actor: Actor, target: Ask, form: object) -> Reply:
        return await self.hint(actor, target)
