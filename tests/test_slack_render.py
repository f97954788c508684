"""Block Kit rendering as pure functions: escaping, mrkdwn, limits, modals."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.adapters import slack_render as render
from bot.adapters.slack_adapter import command_text, platform_error
from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import load_valid_bank
from bot.engine.grading import Coverage
from bot.engine.messages import Action, Button, Card, Field, Form, FormField, Image, Reply
from bot.engine.registry import decode_target
from bot.features.practice.cards import Ask, question_card, reference_card
from tests.fakes.slack_server import block_problems, view_problems

MENTIONS = "<!channel> <!here> <@U123ABC> <!subteam^S1> <#C1|general>"


def texts(blocks: list[dict]) -> list[str]:
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


def test_mentions_typed_anywhere_never_notify():
    card = Card(
        title=f"Streak · {MENTIONS}",
        body=f"**{MENTIONS}** [click](https://example.com/?a=1&b=2) {MENTIONS}",
        fields=(Field("Who", MENTIONS, inline=True), Field(MENTIONS, MENTIONS)),
        buttons=(Button(MENTIONS, Action("reveal", Ask(post_id=1))),),
        footer=MENTIONS,
        image=Image("x.png", b"", alt=MENTIONS),
    )
    reply = Reply(cards=(card,))
    shown = [*texts(render.reply_blocks(reply)), render.fallback_text(reply)]
    for text in shown:
        assert "<!" not in text and "<@" not in text and "<#" not in text, text
    assert "&lt;!channel&gt;" in shown[0]
    # The one link left is ours, built from a web URL.
    links = [t for t in shown if "<https://" in t]
    assert links and all("<https://example.com/?a=1&amp;b=2|click>" in t for t in links)


def test_markdown_becomes_mrkdwn():
    source = "\n".join(
        [
            "## Risks",
            "**Bold** and `**not bold in code**` and __name__ stays.",
            "- a bullet with [the docs](https://docs.python.org/3/) link",
            "[not a link](!channel) and [nor this](@U1)",
            "```python",
            "x = a ** b  # **kept** <tag>",
            "```",
        ]
    )
    lines = render.mrkdwn(source).split("\n")
    assert lines[0] == "*Risks*"
    assert lines[1] == "*Bold* and `**not bold in code**` and __name__ stays."
    assert lines[2] == "• a bullet with <https://docs.python.org/3/|the docs> link"
    assert lines[3] == "[not a link](!channel) and [nor this](@U1)"
    assert lines[4] == "```"  # the language tag would show as code
    assert lines[5] == "x = a ** b  # **kept** &lt;tag&gt;"
    assert lines[6] == "```"


def test_long_text_splits_into_sections_within_slack_limits():
    code = "\n".join(f"line {i} = compute({i}) & more" for i in range(120))
    body = ("Intro paragraph & more. " * 150) + "\n```python\n" + code + "\n```\nThe end."
    blocks = render.card_blocks(Card(title="T", body=body))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) >= 3
    for text in sections:
        assert len(text) <= render.SECTION_TEXT
        assert text.count("```") % 2 == 0, text[-200:]
    joined = "".join(sections)
    assert "line 119 = compute(119) &amp; more" in joined and "The end." in joined
    assert block_problems(blocks) == []


TOKENS = st.sampled_from(
    [
        *("a", "bb", " ", "&", "<", ">", "`", "\n", "**b c**", "- ", "## h", "```py\n", "\n```\n"),
        *("[the docs](https://x.io/a)", "[e f](https://x.io/q?a=1&b=2)", "x" * 300),
    ]
)


@given(st.lists(TOKENS, max_size=600).map("".join), st.integers(200, 3000))
def test_split_chunks_fit_and_never_cut_an_entity_or_link(text, limit):
    converted = render.mrkdwn(text)
    chunks = render.split_mrkdwn(converted, limit)
    for chunk in chunks:
        assert len(chunk) <= limit
        # Every `&` still starts a whole entity, every `<` a whole link.
        for i, ch in enumerate(chunk):
            if ch == "&":
                assert chunk[i:].startswith(("&amp;", "&lt;", "&gt;")), chunk[i : i + 6]
        assert chunk.count("<") == chunk.count(">")

    def content(value: str) -> str:  # what is left without the fences a split adds
        return "".join(value.replace("`", "").split())

    assert content("".join(chunks)) == content(converted)


def test_a_long_line_is_not_cut_inside_a_link_label():
    limit = 300
    budget = limit - 8  # room for a closing and a reopening code fence
    # The last space before the cut is inside the label of a complete link.
    text = "w" * 200 + " [the docs here](https://x.io/a)" + "z" * budget
    chunks = render.split_mrkdwn(render.mrkdwn(text), limit)
    assert chunks[1].startswith("<https://x.io/a|the docs here>")


def test_buttons_carry_encoded_actions_unique_within_a_message():
    reveal = Action("reveal", Ask(post_id=42))
    first = Card(title="One", buttons=(Button("Reveal", reveal, style="success"),))
    second = Card(
        title="Two",
        buttons=(
            Button("Reveal", reveal),
            Button("Skip", Action("skip", Ask(post_id=42)), style="danger"),
            Button("Later", Action("skip", Ask(question_id="1"))),
        ),
    )
    blocks = render.reply_blocks(Reply(cards=(first, second)))
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    ids = [b["action_id"] for b in buttons]
    assert ids == [reveal.encode(), "prep:v2:skip:42:", "prep:v2:skip::1"]
    assert decode_target(Ask, ids[0].split(":", 3)[3]) == reveal.target
    assert [b.get("style") for b in buttons] == ["primary", "danger", None]
    assert block_problems(blocks) == []


def test_every_shipped_question_renders_within_block_kit_limits():
    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    for question in bank.select():
        covered = [Coverage(True, "a matched phrase"), Coverage(False)] * len(question.key_points)
        reply = Reply(
            cards=(
                question_card(bank, question, target=Ask(post_id=1), heading="Question of the day"),
                reference_card(
                    question, coverage=covered[: len(question.key_points)], title="Reference"
                ),
            )
        )
        assert block_problems(render.reply_blocks(reply)) == [], question.id


def test_titles_are_cut_to_the_header_limit_without_breaking_an_entity():
    blocks = render.card_blocks(Card(title="&" * 200))
    header = blocks[0]["text"]["text"]
    assert len(header) <= render.HEADER_TEXT and header.endswith("&amp;…")


def test_too_many_blocks_are_shortened_but_keep_their_buttons():
    fields = tuple(Field(f"f{i}", "v") for i in range(80))
    card = Card(title="Many", fields=fields, buttons=(Button("Go", Action("practice")),))
    blocks = render.reply_blocks(Reply(cards=(card,)))
    assert len(blocks) == render.MESSAGE_BLOCKS
    assert blocks[-1]["type"] == "actions" and "shortened" in json.dumps(blocks)


def test_form_becomes_a_modal_and_its_submission_back_into_values():
    form = Form(
        "Your answer to today's long-titled question",
        Action("submit", Ask(post_id=7)),
        (FormField("answer", "Your answer <!here>", max_length=4000, placeholder="x" * 200),),
    )
    view = render.form_view(form, channel_id="C0GENERAL")
    assert view_problems(view, kind="modal") == []
    assert view["callback_id"] == "prep:v2:submit:7:"
    assert decode_target(Ask, view["callback_id"].split(":", 3)[3]) == Ask(post_id=7)
    element = view["blocks"][0]["element"]
    assert element["multiline"] is True and element["max_length"] == 3000
    assert view["blocks"][0]["label"]["text"] == "Your answer &lt;!here&gt;"
    submitted = {
        **view,
        "state": {"values": {"answer": {"answer": {"type": "plain_text_input", "value": "hi"}}}},
    }
    assert render.form_values(submitted) == {"answer": "hi"}
    assert render.form_channel(submitted) == "C0GENERAL"
    assert render.form_channel({"private_metadata": "not json"}) is None


def test_home_view_has_room_for_more_blocks():
    card = Card(title="Home", buttons=(Button("Practice question", Action("practice")),))
    view = render.home_view(Reply(cards=(card,)))
    assert view["type"] == "home" and view_problems(view, kind="home") == []


def test_slack_errors_map_to_platform_errors():
    def error(code: str, status: int = 200, headers: dict | None = None) -> SlackApiError:
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url="http://127.0.0.1/api/chat.postMessage",
            req_args={},
            data={"ok": False, "error": code},
            headers=headers or {},
            status_code=status,
        )
        return SlackApiError("failed", response)

    assert platform_error(error("channel_not_found"), "chat.postMessage").status == 404
    assert platform_error(error("not_in_channel"), "chat.postMessage").status == 403
    limited = platform_error(error("ratelimited", 429, {"Retry-After": "7"}), "x")
    assert (limited.status, limited.retry_after) == (429, 7.0)
    assert platform_error(error("fatal_error", 500), "x").status == 500
    assert "chat.postMessage" in str(platform_error(error("invalid_auth"), "chat.postMessage"))


def test_command_text_keeps_escaped_mentions_for_the_engine():
    # The engine reads `<@U0ANN|ann>` as the id U0ANN with the name ann.
    assert command_text("  streak <@U0ANN|ann> ") == "streak <@U0ANN|ann>"
    assert command_text("") == ""
