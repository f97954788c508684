"""Problem reports: "Report a problem" under every reference answer, and the admins' queue.

Reports of shipped questions also reach the operator: `prepbot content reports` lists them
across servers.
"""

from __future__ import annotations

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.messages import (
    Action,
    Button,
    Card,
    Form,
    FormField,
    QuestionRef,
    Refusal,
    Reply,
    literal,
)
from bot.engine.registry import ADMINS_ONLY, IN_CHANNELS, Role, action, command

MAX_REPORT = 1000
SHOWN = 5  # questions in the queue, two buttons each


class Reports:
    def __init__(self, kit: Kit):
        self.kit = kit

    @action("report", target=QuestionRef)
    async def report(self, actor: Actor, target: QuestionRef, form: object) -> Reply:
        return self.form(target)

    def form(self, target: QuestionRef) -> Reply:
        field = FormField(
            "problem",
            "What is wrong with this question or answer?",
            max_length=MAX_REPORT,
            placeholder="e.g. the answer says X, but the documentation says Y",
        )
        form_ = Form("Report a problem", Action("report-send", target), (field,))
        return Reply(form=form_, private=True)

    @action("report-send", target=QuestionRef)
    async def send(self, actor: Actor, target: QuestionRef, form: dict | None) -> Reply:
        text = ((form or {}).get("problem") or "").strip()
        if not text:
            raise Refusal("The report was empty, so nothing was sent.")
        if len(text) > MAX_REPORT:
            raise Refusal(f"Keep it under {MAX_REPORT} characters; nothing was sent.")
        place = await self.kit.place(actor)
        if (await self.kit.bank_for(place.server.id)).get(target.question_id) is None:
            raise Refusal("That question is not in this server's bank any more.")
        await self.kit.store.add_report(
            place.server.id, place.member.id, target.question_id, text, self.kit.clock()
        )
        return Reply.text("Thanks", "Your report went to the admins.", tone="success")

    @command(
        "pack",
        "reports",
        summary="Admins: reported questions, to resolve or dismiss",
        who=Role.ADMIN,
        where=IN_CHANNELS,
        group="Admins",
        refusal=ADMINS_ONLY,
    )
    async def reports(self, actor: Actor) -> Reply:
        place = await self.kit.place(actor)
        rows = await self.kit.store.report_counts(place.server.id, limit=SHOWN)
        if not rows:
            return Reply.text("Reports", "No open reports.")
        bank = await self.kit.bank_for(place.server.id)
        cards = []
        for row in rows:
            q = bank.get(row.question_id)
            asked = (q.question if q else "(no longer in the bank)")[:200]
            target = QuestionRef(row.question_id)
            cards.append(
                Card(
                    title=f"{row.question_id} · {row.count} report{'s' * (row.count != 1)}",
                    body=f"{literal(asked) if q is None else asked}\n\nLatest: "
                    f"{literal(row.latest[:500])}",
                    buttons=(
                        Button("Resolve", Action("report-resolve", target), style="success"),
                        Button("Dismiss", Action("report-dismiss", target)),
                    ),
                )
            )
        return Reply(cards=tuple(cards), private=True)

    async def _close(self, actor: Actor, target: QuestionRef, status: str) -> Reply:
        place = await self.kit.place(actor)
        closed = await self.kit.store.close_reports(
            place.server.id, target.question_id, status, actor.user_id, self.kit.clock()
        )
        if not closed:
            raise Refusal("No open reports of that question here.")
        return Reply.text(
            "Reports", f"{closed} report{'s' * (closed != 1)} of `{target.question_id}` {status}."
        )

    @action("report-resolve", target=QuestionRef, who=Role.ADMIN)
    async def resolve(self, actor: Actor, target: QuestionRef, form: object) -> Reply:
        return await self._close(actor, target, "resolved")

    @action("report-dismiss", target=QuestionRef, who=Role.ADMIN)
    async def dismiss(self, actor: Actor, target: QuestionRef, form: object) -> Reply:
        return await self._close(actor, target, "dismissed")
