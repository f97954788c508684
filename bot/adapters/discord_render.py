"""Neutral replies as Discord embeds, buttons and modals: pure functions, no network."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import discord

from bot.adapters.base import neutralise_discord
from bot.adapters.markdown import split_fenced
from bot.engine.messages import Button, Card, Form, Reply, clip

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
FOOTER_LIMIT = 2048
MESSAGE_EMBED_CHARS = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL_LIMIT = 80
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
MODAL_TITLE_LIMIT = 45
INPUT_LABEL_LIMIT = 45
INPUT_PLACEHOLDER_LIMIT = 100
INPUT_VALUE_LIMIT = 4000
INPUTS_PER_MODAL = 5
BLANK = "\u200b"  # Discord refuses empty field names and values

COLOURS = {
    "info": discord.Colour(0x5865F2),
    "success": discord.Colour(0x57F287),
    "warning": discord.Colour(0xFEE75C),
    "danger": discord.Colour(0xED4245),
}
BUTTON_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass
class Outgoing:
    """One Discord message: up to ten embeds, up to five rows of buttons, attachments."""

    embeds: list[discord.Embed] = field(default_factory=list)
    rows: list[tuple[Button, ...]] = field(default_factory=list)
    files: list[tuple[str, bytes, str]] = field(default_factory=list)  # name, data, alt text

    @property
    def chars(self) -> int:
        return sum(len(e) for e in self.embeds)

    def view(self) -> discord.ui.View | None:
        return buttons_view(self.rows)

    def discord_files(self) -> list[discord.File]:
        return [
            discord.File(io.BytesIO(data), name, description=alt) for name, data, alt in self.files
        ]

    def send_kwargs(self) -> dict[str, object]:
        """Keyword arguments for `send`/`send_message`/`followup.send`."""
        kwargs: dict[str, object] = {"embeds": self.embeds, "allowed_mentions": NO_MENTIONS}
        if (view := self.view()) is not None:
            kwargs["view"] = view
        if self.files:
            kwargs["files"] = self.discord_files()
        return kwargs

    def edit_kwargs(self) -> dict[str, object]:
        """Keyword arguments for `edit`/`edit_original_response`: replaces everything."""
        return {
            "content": None,
            "embeds": self.embeds,
            "view": self.view(),
            "attachments": self.discord_files(),
            "allowed_mentions": NO_MENTIONS,
        }


def split_text(text: str, limit: int) -> list[str]:
    """Markdown split into chunks of at most `limit` characters, code fences kept whole."""
    return split_fenced(text, limit)


def card_embeds(card: Card) -> list[discord.Embed]:
    """A card as embeds: usually one; long bodies or many fields continue in more."""
    colour = COLOURS.get(card.tone, COLOURS["info"])
    title = clip(neutralise_discord(card.title), TITLE_LIMIT) or None
    body = neutralise_discord(card.body)
    footer = clip(neutralise_discord(card.footer), FOOTER_LIMIT)
    parts = split_text(body, DESCRIPTION_LIMIT) if body else [""]
    embeds = [discord.Embed(title=title, description=parts[0] or None, colour=colour)]
    embeds += [discord.Embed(description=p, colour=colour) for p in parts[1:]]
    for f in card.fields:
        name = clip(neutralise_discord(f.name), FIELD_NAME_LIMIT) or BLANK
        values = split_text(neutralise_discord(f.value), FIELD_VALUE_LIMIT) if f.value else [BLANK]
        for i, value in enumerate(values):
            last = embeds[-1]
            label = name if i == 0 else BLANK
            if (
                len(last.fields) >= FIELDS_PER_EMBED
                or len(last) + len(label) + len(value) + len(footer) > MESSAGE_EMBED_CHARS
            ):
                last = discord.Embed(colour=colour)
                embeds.append(last)
            last.add_field(name=label, value=value, inline=f.inline and len(values) == 1)
    if footer:
        embeds[-1].set_footer(text=footer)
    if card.image is not None:
        embeds[-1].set_image(url=f"attachment://{card.image.filename}")
    return embeds


def button_rows(buttons: tuple[Button, ...]) -> list[tuple[Button, ...]]:
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def buttons_view(rows: list[tuple[Button, ...]]) -> discord.ui.View | None:
    """Rows of buttons whose custom ids are their actions' `prep:v1:` ids.

    The view only carries components: clicks are routed by custom id (see the adapter), so
    they work on any message, also after a restart.
    """
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for row, buttons in enumerate(rows):
        for b in buttons:
            view.add_item(
                discord.ui.Button(
                    label=clip(neutralise_discord(b.label), BUTTON_LABEL_LIMIT),
                    style=BUTTON_STYLES.get(b.style, discord.ButtonStyle.secondary),
                    custom_id=b.action.encode(),
                    row=row,
                )
            )
    return view


def render_reply(reply: Reply) -> list[Outgoing]:
    """A reply's cards packed into as few messages as Discord's limits allow."""
    messages: list[Outgoing] = []
    current = Outgoing()
    for card in reply.cards:
        embeds = card_embeds(card)
        for i, embed in enumerate(embeds):
            last = i == len(embeds) - 1
            rows = button_rows(card.buttons) if last else []
            files = []
            if last and card.image is not None:
                files = [(card.image.filename, card.image.data, card.image.alt)]
            if last and card.attachment is not None:
                a = card.attachment
                files.append((a.filename, a.data, a.description))
            if current.embeds and (
                len(current.embeds) >= EMBEDS_PER_MESSAGE
                or current.chars + len(embed) > MESSAGE_EMBED_CHARS
                or len(current.rows) + len(rows) > ROWS_PER_MESSAGE
                or any(name == f[0] for name, _, _ in current.files for f in files)
            ):
                messages.append(current)
                current = Outgoing()
            current.embeds.append(embed)
            current.rows.extend(rows[:ROWS_PER_MESSAGE])
            current.files.extend(files)
    if current.embeds:
        messages.append(current)
    return messages


def form_modal(form: Form) -> discord.ui.Modal:
    """A form as a modal whose custom id is its submit action; inputs keep the field names."""
    modal = discord.ui.Modal(
        title=clip(neutralise_discord(form.title), MODAL_TITLE_LIMIT) or "prepbot",
        custom_id=form.action.encode(),
        timeout=None,
    )
    for f in form.fields[:INPUTS_PER_MODAL]:
        modal.add_item(
            discord.ui.TextInput(
                label=clip(neutralise_discord(f.label), INPUT_LABEL_LIMIT) or f.name,
                custom_id=f.name,
                style=discord.TextStyle.paragraph if f.multiline else discord.TextStyle.short,
                placeholder=clip(neutralise_discord(f.placeholder), INPUT_PLACEHOLDER_LIMIT)
                or None,
                max_length=max(1, min(f.max_length, INPUT_VALUE_LIMIT)),
                required=f.required,
                default=f.value[: min(f.max_length, INPUT_VALUE_LIMIT)] or None,
            )
        )
    return modal


def form_values(data: dict) -> dict[str, str]:
    """The `custom_id -> value` pairs of a modal submission, whatever its layout nesting."""
    values: dict[str, str] = {}

    def walk(items: object) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("custom_id"), str) and isinstance(item.get("value"), str):
                values[item["custom_id"]] = item["value"]
            walk(item.get("components"))
            if isinstance(item.get("component"), dict):
                walk([item["component"]])

    walk(data.get("components"))
    return values


def notice(text: str) -> Outgoing:
    """A one-line message of our own (errors, apologies), as a warning embed."""
    return Outgoing(
        embeds=[discord.Embed(description=neutralise_discord(text), colour=COLOURS["warning"])]
    )
