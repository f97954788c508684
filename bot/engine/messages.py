"""The neutral message model: what the engine returns and every adapter renders.

Text is Markdown (bold, inline code, fenced code, `-` bullets, [label](url) links).
Adapters neutralise mentions in everything they send; the engine never has to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

ID_PREFIX = "prep"
ID_VERSION = "v2"
LEGACY_VERSION = "v1"  # ids on messages posted by earlier releases: still decoded
MAX_CUSTOM_ID = 100  # Discord's custom_id limit; Slack allows 255


_MARKDOWN = re.compile(r"([\\`*_~|\[\]()<>#])")


def literal(text: str) -> str:
    """Text from members (names, notes) as Markdown that shows it exactly: no link, no
    bold, no code. Adapters add their own escaping for the platform's control sequences."""
    return _MARKDOWN.sub(r"\\\1", text)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Refusal(Exception):
    """The member can't do that (or typed it wrong): said privately, nothing changes.

    Raised anywhere below a command or button handler; the engine turns it into the private
    error reply in one place.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Action:
    """What a button or form does: a verb plus its typed target (a small frozen dataclass).

    The target's fields (int, str, bool or None) travel in the id in declaration order:
    `prep:v2:<verb>:<field>:<field>`. Only the last field may hold a colon.
    """

    verb: str
    target: Any = None

    def encode(self) -> str:
        """`prep:v2:<verb>[:<field>...]`, the id stored on the platform's button or form."""
        parts = [ID_PREFIX, ID_VERSION, self.verb]
        if self.target is not None:
            parts += [_encode_field(getattr(self.target, f.name)) for f in fields(self.target)]
        custom_id = ":".join(parts)
        if len(custom_id) > MAX_CUSTOM_ID:
            raise ValueError(f"custom id over {MAX_CUSTOM_ID} characters: {custom_id!r}")
        return custom_id


def _encode_field(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@dataclass(frozen=True)
class QuestionRef:
    """The target of a button about one question by id, whichever feature handles it
    (e.g. "Report a problem" under a reference answer)."""

    question_id: str


@dataclass(frozen=True)
class Button:
    label: str
    action: Action
    style: str = "secondary"  # primary | secondary | success | danger


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Image:
    filename: str
    data: bytes
    alt: str


@dataclass(frozen=True)
class Attachment:
    """A file that travels with a card (a member's data export)."""

    filename: str
    data: bytes
    description: str


@dataclass(frozen=True)
class Card:
    """One message block: a title, Markdown body, fields, buttons and an optional image."""

    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str = ""
    tone: str = "info"  # info | success | warning | danger: a colour hint
    image: Image | None = None
    attachment: Attachment | None = None

    def plain_text(self) -> str:
        """A readable text rendering, for the console and for notification previews."""
        lines = [f"== {self.title} =="] if self.title else []
        if self.body:
            lines.append(self.body)
        inline: list[str] = []
        for f in self.fields:
            if f.inline and "\n" not in f.value:
                inline.append(f"{f.name}: {f.value}")
                continue
            if inline:
                lines.append(" · ".join(inline))
                inline = []
            lines.append(f"{f.name}:")
            lines.append("  " + f.value.replace("\n", "\n  "))
        if inline:
            lines.append(" · ".join(inline))
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)


def card_files(
    cards: tuple[Card, ...], *, images: bool = True, attachments: bool = True
) -> list[tuple[str, bytes, str]]:
    """The files that travel with `cards`, as (filename, data, description), in order."""
    files = []
    for card in cards:
        if images and card.image is not None:
            files.append((card.image.filename, card.image.data, card.image.alt))
        if attachments and card.attachment is not None:
            a = card.attachment
            files.append((a.filename, a.data, a.description))
    return files


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    multiline: bool = True
    max_length: int = 4000
    placeholder: str = ""
    required: bool = True
    value: str = ""  # prefilled (e.g. a suggestion opened for editing)


@dataclass(frozen=True)
class Form:
    """A modal the adapter opens (Discord modal, Slack modal); submitting runs `action`."""

    title: str
    action: Action
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class Reply:
    """The engine's answer to one command or click."""

    cards: tuple[Card, ...] = ()
    private: bool = False  # only the member who asked sees it
    form: Form | None = None
    thread_title: str | None = None  # open a discussion thread under the first card
    # Further replies delivered after this one, each with its own privacy (e.g. the private
    # answer key a lead gets beside a publicly posted mock-interview question).
    followups: tuple[Reply, ...] = ()
    # A reply that opens a thread can ask to be told where: after posting it the adapter calls
    # `Engine.anchor(anchor, thread_ref)`. A later reply with `in_thread` set to that ref goes
    # into the thread (a Discord thread channel, a Slack message thread).
    anchor: str | None = None
    in_thread: str | None = None

    @classmethod
    def text(cls, title: str, body: str = "", *, private: bool = True, tone: str = "info") -> Reply:
        return cls(cards=(Card(title=title, body=body, tone=tone),), private=private)

    @classmethod
    def error(cls, message: str) -> Reply:
        """A short, private explanation of what went wrong and what to do instead."""
        return cls(cards=(Card(title="", body=message, tone="warning"),), private=True)

    def plain_text(self) -> str:
        parts = [card.plain_text() for card in self.cards]
        parts += [followup.plain_text() for followup in self.followups]
        return "\n\n".join(parts)

    def retarget(self, old: Any, new: Any) -> Reply:
        """This reply with every button that acts on `old` acting on `new` instead: one
        rendering of a day's question serves every channel, each with its own post."""
        cards = tuple(
            replace(
                card,
                buttons=tuple(
                    Button(b.label, Action(b.action.verb, new), b.style)
                    if b.action.target == old
                    else b
                    for b in card.buttons
                ),
            )
            for card in self.cards
        )
        return replace(self, cards=cards)


@dataclass(frozen=True)
class Delivery:
    """A reply a job wants posted: on `platform`, in `channel_id` (or its `in_thread`)."""

    platform: str
    channel_id: str
    reply: Reply
    label: str = ""  # for logs: what it is (e.g. "mock round 12")
    user_ref: str | None = None  # a member's platform id: sent to them by direct message
    # Sent exactly once across restarts and instances: the key the sender claims first
    # (e.g. `digest:12:2026-W49`). None: sent whenever the job returns it.
    once: str | None = None
