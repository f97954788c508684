"""A member's own settings and data: timezone and forget-me."""

from __future__ import annotations

import json

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.messages import Action, Attachment, Button, Card, Reply
from bot.engine.options import Option
from bot.engine.registry import action, command

FORGET_BODY = (
    "This deletes all your answers, grades, review schedule, streaks and subscriptions, "
    "everywhere this bot runs on this platform. It cannot be undone. Confirm with the button "
    "or `forget-me confirm`."
)


class Account:
    def __init__(self, kit: Kit):
        self.kit = kit

    @command(
        "timezone",
        summary="Set your timezone, e.g. Europe/Berlin",
        options=(Option("zone", "timezone", "Your timezone, e.g. Europe/Berlin"),),
        group="You",
    )
    async def timezone(self, actor: Actor, zone: str | None) -> Reply:
        place = await self.kit.place(actor)
        if not zone:
            return Reply.text(
                "Timezone",
                f"Your days follow **{place.member_timezone}**. "
                "Change it with `timezone Europe/Berlin` (any IANA name).",
            )
        await self.kit.store.set_member_timezone(place.member.id, zone)
        return Reply.text("Timezone", f"Your days now follow **{zone}**.", tone="success")

    @command(
        "me",
        "forget-me",
        summary="Delete everything stored about you",
        options=(Option("confirm", "boolean", "Skip the question and delete now"),),
        group="You",
    )
    async def forget_me(self, actor: Actor, confirm: bool | None = None) -> Reply:
        """Ask first; on confirmation delete everything stored about the member."""
        if not confirm:
            card = Card(
                title="Forget me?",
                body=FORGET_BODY,
                buttons=(Button("Delete everything", Action("forget"), "danger"),),
                tone="danger",
            )
            return Reply(cards=(card,), private=True)
        store = self.kit.store
        member = await store.find_member(actor.platform, actor.user_id)
        if member is None:
            return Reply.text("Forgotten", "Nothing was stored about you.")
        removed = await store.forget_member(member.id)
        assert self.kit.library is not None
        self.kit.library.refresh()  # questions they suggested no longer name them
        detail = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in removed.items() if n)
        return Reply.text(
            "Forgotten",
            f"Everything stored about you is deleted ({detail or 'no activity'}): answers, "
            "grades, reviews, streaks, subscriptions, your DM questions, the mock rounds you "
            "were interviewed in, your web dashboard sessions, your name on rounds you led and "
            "schedules you set, your question suggestions and problem reports. Questions "
            "approved from your suggestions stay in their server's pack, credited to \"a former "
            'member". '
            "Kept: the operator's logs, which name your platform id with each command, for as "
            "long as the operator keeps logs.",
            tone="success",
        )

    @command("me", "my-data", summary="Everything stored about you, as a JSON file", group="You")
    async def my_data(self, actor: Actor) -> Reply:
        member = await self.kit.store.find_member(actor.platform, actor.user_id)
        if member is None:
            return Reply.text("Your data", "Nothing is stored about you.")
        data = await self.kit.store.export_member(member.id)
        card = Card(
            title="Your data",
            body="Everything prepbot stores about you: answers, grades, reviews, streaks, "
            "subscriptions and mock rounds, in one JSON file. `forget-me` deletes it all.",
            attachment=Attachment(
                "prepbot-my-data.json",
                json.dumps(data, indent=2, ensure_ascii=False).encode(),
                "your prepbot data",
            ),
        )
        return Reply(cards=(card,), private=True)

    @action("forget", hint="forget-me confirm")
    async def forget_button(self, actor: Actor, target: None, form: object) -> Reply:
        return await self.forget_me(actor, confirm=True)
