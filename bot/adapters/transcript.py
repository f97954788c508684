"""An in-process test backend: tests that read like chat.

    chat = Transcript(engine)
    await chat.say("ann", "today")
    chat.expect("Question of the day")
    await chat.press("ann", "Answer")
    await chat.fill("ann", answer="A thread pool reuses threads")
    chat.expect("Answer saved")

It goes through everything an adapter does (text parsing, ids encoded and decoded, the
delivery plan, thread anchors), without a network; the wire fakes stay for end-to-end proofs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.delivery import Step, plan
from bot.engine.messages import Button, Card, Form, Reply


@dataclass
class Seen:
    """One delivered step, and who saw it (None: everyone in the channel)."""

    step: Step
    audience: str | None
    channel: str

    @property
    def text(self) -> str:
        return "\n\n".join(card.plain_text() for card in self.step.cards)


@dataclass
class Transcript:
    engine: Engine
    platform: str = "test"
    server: str = "s1"
    channel: str = "c1"
    admins: set[str] = field(default_factory=set)
    leads: set[str] = field(default_factory=set)
    reviewers: set[str] = field(default_factory=set)
    log: list[Seen] = field(default_factory=list)
    last: list[Seen] = field(default_factory=list)
    forms: dict[str, Form] = field(default_factory=dict)
    threads: int = 0

    def actor(self, user: str, *, channel: str | None = None, dm: bool = False) -> Actor:
        is_admin = user in self.admins
        return Actor(
            platform=self.platform,
            server_id=self.server,
            channel_id=f"@{user}" if dm else channel or self.channel,
            user_id=user,
            user_name=user.title(),
            is_dm=dm,
            is_admin=is_admin,
            is_lead=is_admin or user in self.leads,
            is_reviewer=user in self.reviewers,
        )

    async def say(self, user: str, text: str, *, channel: str | None = None, dm: bool = False):
        """`user` types a command; returns what was delivered."""
        actor = self.actor(user, channel=channel, dm=dm)
        return await self._deliver(actor, await self.engine.run_text(actor, text, prefix=""))

    async def press(self, user: str, label: str, *, channel: str | None = None, dm: bool = False):
        """`user` clicks the newest button labelled `label` that they can see."""
        button = self.button(user, label)
        actor = self.actor(user, channel=channel, dm=dm)
        reply = await self.engine.run_custom_id(actor, button.action.encode())
        return await self._deliver(actor, reply)

    async def fill(self, user: str, *, channel: str | None = None, dm: bool = False, **values):
        """`user` submits the form that is open for them."""
        form = self.forms.pop(user)
        actor = self.actor(user, channel=channel, dm=dm)
        reply = await self.engine.run_custom_id(actor, form.action.encode(), dict(values))
        return await self._deliver(actor, reply)

    def button(self, user: str, label: str) -> Button:
        for seen in reversed(self.log):
            if seen.audience not in (None, user):
                continue
            for card in seen.step.cards:
                for button in card.buttons:
                    if button.label == label:
                        return button
        raise AssertionError(f"{user} sees no button {label!r}")

    def expect(self, *fragments: str) -> str:
        """The text of the last exchange; fails unless it holds every fragment."""
        text = "\n\n".join(seen.text for seen in self.last)
        for fragment in fragments:
            assert fragment in text, f"{fragment!r} not in:\n{text}"
        return text

    @property
    def cards(self) -> list[Card]:
        return [card for seen in self.last for card in seen.step.cards]

    def public(self) -> str:
        return "\n\n".join(seen.text for seen in self.last if seen.audience is None)

    def private(self) -> str:
        return "\n\n".join(seen.text for seen in self.last if seen.audience is not None)

    async def _deliver(self, actor: Actor, reply: Reply) -> list[Seen]:
        self.last = []
        for step in plan(reply, here=actor.channel_id):
            if step.kind == "form":
                assert step.form is not None
                self.forms[actor.user_id] = step.form
                continue
            audience = actor.user_id if step.kind == "private" else None
            channel = step.thread_ref or actor.channel_id
            seen = Seen(step, audience, channel)
            self.last.append(seen)
            self.log.append(seen)
            if step.kind == "public" and step.open_thread and step.anchor:
                self.threads += 1
                await self.engine.anchor(step.anchor, f"thread-{self.threads}")
        return self.last
