"""Neutral replies as Slack Block Kit: pure functions, no network.

Every piece of text from the engine or a member goes through `escape_slack` first, so
`<!channel>`, `<!here>` and `<@U..>` arrive as text and never notify anyone. Markdown is then
converted to Slack's mrkdwn: `**bold**` -> `*bold*`, `[label](https://..)` -> `<url|label>`,
fenced code loses its language tag, `- ` bullets become `•`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.adapters.base import escape_slack
from bot.adapters.markdown import split_fenced
from bot.engine.messages import Card, Form, Reply

Block = dict[str, Any]

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
CONTEXT_TEXT = 2000
MAX_BUTTONS = 25
MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # modals and the Home tab
MODAL_TITLE = 24
INPUT_LABEL = 2000
INPUT_PLACEHOLDER = 150
INPUT_MAX_LENGTH = 3000
FALLBACK_TEXT = 300  # the notification text; the blocks carry the message

FENCE = "```"
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
# Only web links become Slack links: `[x](!channel)` must never turn into `<!channel|x>`.
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BULLET = re.compile(r"^(\s*)- ")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_STYLES = {"primary": "primary", "success": "primary", "danger": "danger"}
# `\[`, `\*` ...: characters the engine escaped in members' text (`literal`).
_ESCAPED = re.compile(r"\\([\\`*_~|\[\]()#]|&lt;|&gt;)")


def plain(text: str, limit: int | None = None) -> str:
    """Escaped text for `plain_text` objects, cut to `limit` characters."""
    return shorten(escape_slack(text), limit) if limit else escape_slack(text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never inside an `&amp;` entity."""
    if len(text) <= limit:
        return text
    cut = _safe_cut(text, limit - 1)
    return text[:cut].rstrip() + "…"


def mrkdwn(markdown: str) -> str:
    """Engine Markdown as escaped Slack mrkdwn."""
    lines = []
    in_code = False
    for line in escape_slack(markdown).split("\n"):
        if line.lstrip().startswith(FENCE):
            # An opening fence keeps no language tag: Slack would print it as code.
            in_code = not in_code
            lines.append(FENCE if in_code else line.strip())
            continue
        lines.append(line if in_code else _convert_line(line))
    return "\n".join(lines)


def _convert_line(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        return f"*{heading.group(1)}*"
    line = _BULLET.sub(r"\1• ", line)
    parts = _INLINE_CODE.split(line)
    for i in range(0, len(parts), 2):  # odd parts are inline code, left alone
        parts[i] = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", parts[i])
        parts[i] = _BOLD.sub(r"*\1*", parts[i])
        parts[i] = _ESCAPED.sub(_unescape, parts[i])
    return "".join(parts)


def _unescape(match: re.Match[str]) -> str:
    """An escaped Markdown character as itself; mrkdwn's formatting ones stay inert (a zero
    width space keeps `*name*` from turning bold)."""
    char = match.group(1)
    return char + "\u200b" if char in "*_~`" else char


def _safe_cut(text: str, limit: int) -> int:
    """An index <= limit that splits neither an `&..;` entity nor a `<url|label>` link."""
    cut = limit
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    lt = text.rfind("<", 0, cut)
    if lt > 0 and ">" not in text[lt:cut]:
        cut = lt
    return max(cut, 1)


def _split_line(line: str, limit: int) -> list[str]:
    """A line longer than `limit` in pieces, cut at spaces where possible."""
    pieces = []
    while len(line) > limit:
        cut = _safe_cut(line, limit)
        space = line.rfind(" ", limit // 2, cut)
        if space > 0:
            cut = _safe_cut(line, space + 1)  # a space may sit inside a link's label
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def split_mrkdwn(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """mrkdwn in chunks of at most `limit` characters, code fences kept whole, links and
    entities never cut."""
    return split_fenced(text, limit, break_line=_split_line)


def _section(text: str) -> Block:
    # verbatim: Slack links only what we wrote as links, never a URL inside a member's name.
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _sections(markdown: str) -> list[Block]:
    return [_section(chunk) for chunk in split_mrkdwn(mrkdwn(markdown)) if chunk.strip()]


def card_blocks(card: Card, *, seen_action_ids: set[str] | None = None) -> list[Block]:
    """One card as header, section, field, context and actions blocks."""
    seen = seen_action_ids if seen_action_ids is not None else set()
    blocks: list[Block] = []
    if card.title:
        text = {"type": "plain_text", "text": plain(card.title, HEADER_TEXT), "emoji": True}
        blocks.append({"type": "header", "text": text})
    if card.body:
        blocks.extend(_sections(card.body))
    inline: list[dict[str, str]] = []
    for field in card.fields:
        text = f"*{mrkdwn(field.name)}*\n{mrkdwn(field.value)}"
        if field.inline and len(text) <= FIELD_TEXT:
            inline.append({"type": "mrkdwn", "text": text, "verbatim": True})
            if len(inline) == MAX_FIELDS:
                blocks.append({"type": "section", "fields": inline})
                inline = []
            continue
        if inline:
            blocks.append({"type": "section", "fields": inline})
            inline = []
        blocks.extend(_section(chunk) for chunk in split_mrkdwn(text))
    if inline:
        blocks.append({"type": "section", "fields": inline})
    if card.image is not None:
        # Block Kit shows images only from a URL; the picture's description stands in.
        alt = shorten(mrkdwn(card.image.alt), CONTEXT_TEXT)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": alt, "verbatim": True}]}
        )
    if card.footer:
        footer = shorten(mrkdwn(card.footer), CONTEXT_TEXT)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": footer, "verbatim": True}]}
        )
    buttons = []
    for button in card.buttons:
        action_id = button.action.encode()
        if action_id in seen:  # action ids must be unique within a message
            continue
        seen.add(action_id)
        element: Block = {
            "type": "button",
            "text": {"type": "plain_text", "text": plain(button.label, BUTTON_TEXT), "emoji": True},
            "action_id": action_id,
        }
        if button.style in _STYLES:
            element["style"] = _STYLES[button.style]
        buttons.append(element)
    for start in range(0, len(buttons), MAX_BUTTONS):
        blocks.append({"type": "actions", "elements": buttons[start : start + MAX_BUTTONS]})
    return blocks


def reply_blocks(reply: Reply, *, limit: int = MESSAGE_BLOCKS) -> list[Block]:
    """All cards of a reply, a divider between cards, at most `limit` blocks."""
    blocks: list[Block] = []
    seen: set[str] = set()
    for i, card in enumerate(reply.cards):
        if i:
            blocks.append({"type": "divider"})
        blocks.extend(card_blocks(card, seen_action_ids=seen))
    if len(blocks) > limit:
        # Keep every button; drop text blocks from the end instead.
        actions = [b for b in blocks if b["type"] == "actions"]
        rest = [b for b in blocks if b["type"] != "actions"][: limit - len(actions) - 1]
        note = {"type": "mrkdwn", "text": "_(shortened to fit in Slack)_"}
        blocks = [*rest, {"type": "context", "elements": [note]}, *actions]
    return blocks


def fallback_text(reply: Reply) -> str:
    """The message's notification text (escaped: Slack parses it like any message)."""
    for card in reply.cards:
        text = card.title or card.body
        if text:
            return shorten(escape_slack(" ".join(text.split())), FALLBACK_TEXT)
    return "prepbot"


def form_view(form: Form, *, channel_id: str) -> Block:
    """A form as a modal; submitting it sends `view_submission` with `callback_id`."""
    blocks = []
    for field in form.fields:
        element: Block = {
            "type": "plain_text_input",
            "action_id": field.name,
            "multiline": field.multiline,
            "max_length": min(field.max_length, INPUT_MAX_LENGTH),
        }
        if field.value:
            element["initial_value"] = field.value[: min(field.max_length, INPUT_MAX_LENGTH)]
        if field.placeholder:
            element["placeholder"] = {
                "type": "plain_text",
                "text": plain(field.placeholder, INPUT_PLACEHOLDER),
            }
        blocks.append(
            {
                "type": "input",
                "block_id": field.name,
                "label": {"type": "plain_text", "text": plain(field.label, INPUT_LABEL)},
                "optional": not field.required,
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": form.action.encode(),
        "title": {"type": "plain_text", "text": plain(form.title, MODAL_TITLE)},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        # Where the result goes: the channel the form was opened from.
        "private_metadata": json.dumps({"channel": channel_id}),
        "blocks": blocks,
    }


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """The submitted values of a modal, keyed by form field name."""
    values: dict[str, str] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for name, element in block.items():
            values[name] = element.get("value") or ""
    return values


def form_channel(view: dict[str, Any]) -> str | None:
    """The channel a modal was opened from, as `form_view` recorded it."""
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel")
    except (ValueError, AttributeError):
        return None
    return channel if isinstance(channel, str) and channel else None


def home_view(reply: Reply) -> Block:
    """A reply as the App Home tab."""
    return {"type": "home", "blocks": reply_blocks(reply, limit=SURFACE_BLOCKS)}
