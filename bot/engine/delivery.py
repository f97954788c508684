"""One delivery plan: a `Reply` as the ordered steps every adapter carries out.

The policy (what goes first, what is private, where a thread's message goes, when to report
an opened thread) lives here once; adapters implement the four kinds of step and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.messages import Card, Form, Reply

IN_THREAD = "Posted in the round's thread."


@dataclass(frozen=True)
class Step:
    """One thing to deliver.

    - `form`: open `form` (it must be the first response to a click or command);
    - `private`: `cards` only for the member who asked;
    - `public`: `cards` in the channel where the member asked; when `open_thread` is set,
      open a discussion thread under the message and, with `anchor`, report its ref to
      the engine (`Engine.anchor`);
    - `thread`: `cards` posted into the existing thread `thread_ref` (elsewhere).
    """

    kind: str
    cards: tuple[Card, ...] = ()
    form: Form | None = None
    open_thread: str | None = None
    anchor: str | None = None
    thread_ref: str | None = None


def plan(reply: Reply, *, here: str | None = None) -> list[Step]:
    """The steps that deliver `reply` to a member who asked in channel (or thread) `here`."""
    steps: list[Step] = []
    if reply.form is not None:
        steps.append(Step("form", form=reply.form))
    if reply.cards:
        if reply.private:
            steps.append(Step("private", reply.cards))
        elif reply.in_thread and reply.in_thread != here:
            # It belongs to a thread elsewhere (a mock round's): post it there and tell the
            # member privately where it went.
            steps.append(Step("thread", reply.cards, thread_ref=reply.in_thread))
            steps.append(Step("private", (Card(title="", body=IN_THREAD),)))
        else:
            steps.append(
                Step("public", reply.cards, open_thread=reply.thread_title, anchor=reply.anchor)
            )
    for followup in reply.followups:  # e.g. a lead's private answer key
        steps += [step for step in plan(followup, here=here) if step.kind != "form"]
    return steps


def first_visibility(steps: list[Step]) -> bool | None:
    """Whether the first message is private (True), public (False), or a form (None)."""
    for step in steps:
        if step.kind == "form":
            return None
        return step.kind == "private"
    return True
