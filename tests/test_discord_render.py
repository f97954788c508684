"""Discord rendering and translation as pure functions: no network, no client."""

from __future__ import annotations

import re

import discord
import pytest

from bot.adapters.discord_client import (
    INVITE_PERMISSIONS,
    invite_url,
    member_ranks,
    platform_error,
)
from bot.adapters.discord_render import (
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    MESSAGE_EMBED_CHARS,
    card_embeds,
    form_modal,
    form_values,
    render_reply,
    split_text,
)
from bot.adapters.discord_tree import TreeBuilder, matching_zones, typed_values
from bot.config import Settings
from bot.engine.content import Bank, Topic
from bot.engine.messages import Action, Button, Card, Field, Form, FormField, Image, Reply
from bot.engine.options import MemberArg, Option
from bot.engine.registry import Command, Registry
from bot.features.practice.cards import Ask, GradeTarget

PINGS = "@everyone @here <@123> <@!124> <@&456> <#789>"
RAW_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)\d+>")


def all_text(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    for f in embed.fields:
        parts += [f.name or "", f.value or ""]
    return "\n".join(parts)


def question_card() -> Card:
    return Card(
        title="Question of the day · Tue 10 Mar 2026",
        body="Explain the **GIL**.",
        fields=(Field("Topic", "Python", inline=True), Field("Difficulty", "Hard", inline=True)),
        buttons=(
            Button("Answer", Action("answer", Ask(post_id=7)), style="primary"),
            Button("Reveal", Action("reveal", Ask(post_id=7))),
            Button("Skip", Action("skip", Ask(post_id=7))),
        ),
        footer="id: gil-basics",
        tone="success",
    )


def test_a_card_is_an_embed_with_buttons_carrying_action_ids():
    [message] = render_reply(Reply(cards=(question_card(),)))
    [embed] = message.embeds
    assert embed.title == "Question of the day · Tue 10 Mar 2026"
    assert embed.description == "Explain the **GIL**."  # Markdown kept
    assert [(f.name, f.value, f.inline) for f in embed.fields] == [
        ("Topic", "Python", True),
        ("Difficulty", "Hard", True),
    ]
    assert embed.footer.text == "id: gil-basics"
    assert embed.colour == discord.Colour(0x57F287)
    view = message.view()
    assert view is not None and view.timeout is None
    [row] = view.to_components()
    buttons = [(b["label"], b["custom_id"], b["style"]) for b in row["components"]]
    assert buttons == [
        ("Answer", "prep:v2:answer:7:", discord.ButtonStyle.primary.value),
        ("Reveal", "prep:v2:reveal:7:", discord.ButtonStyle.secondary.value),
        ("Skip", "prep:v2:skip:7:", discord.ButtonStyle.secondary.value),
    ]
    assert message.send_kwargs()["allowed_mentions"].to_dict()["parse"] == []
    assert message.edit_kwargs()["allowed_mentions"].to_dict()["parse"] == []


def test_mentions_are_neutralised_everywhere():
    card = Card(
        title=PINGS,
        body=PINGS,
        fields=(Field(PINGS, PINGS),),
        buttons=(Button(PINGS[:70], Action("answer", Ask(post_id=1))),),
        footer=PINGS,
    )
    [message] = render_reply(Reply(cards=(card,)))
    text = all_text(message.embeds[0])
    assert not RAW_MENTION.search(text)
    assert "@\u200beveryone" in text and "<\u200b@&456>" in text
    assert not RAW_MENTION.search(str(message.view().to_components()))
    modal = form_modal(
        Form(PINGS[:40], Action("submit", Ask(post_id=1)), (FormField("answer", PINGS),))
    )
    assert not RAW_MENTION.search(str(modal.to_components()) + modal.title)


@pytest.mark.parametrize("limit", [DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, 200])
def test_split_text_keeps_every_chunk_within_the_limit_and_every_word(limit: int):
    words = [f"word{i}" for i in range(3000)]
    text = "\n\n".join(" ".join(words[i : i + 37]) for i in range(0, len(words), 37))
    chunks = split_text(text, limit)
    assert len(chunks) > 1
    assert all(len(c) <= limit for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def test_split_text_breaks_words_longer_than_the_limit():
    chunks = split_text("x" * 2500, 1024)
    assert all(len(c) <= 1024 for c in chunks) and "".join(chunks) == "x" * 2500


def test_a_code_block_cut_in_two_is_closed_and_reopened():
    code = "\n".join(f"    line_{i} = compute({i})" for i in range(200))
    text = f"Before.\n```python\n{code}\n```\nAfter."
    chunks = split_text(text, 1024)
    assert len(chunks) > 2
    for chunk in chunks:
        assert len(chunk) <= 1024
        assert chunk.count("```") % 2 == 0, chunk
    assert chunks[1].startswith("```python\n")


def test_a_long_card_continues_in_more_embeds_within_discord_limits():
    card = Card(
        title="T" * 300,
        body="paragraph " * 1500,  # 15 000 characters
        fields=tuple(Field(f"F{i}", "v " * 700) for i in range(30)),
        buttons=(Button("Good", Action("grade", GradeTarget(3, "q"))),),
        footer="footer",
    )
    embeds = card_embeds(card)
    assert len(embeds[0].title) == 256 and embeds[0].title.endswith("…")
    assert all(len(e.description or "") <= DESCRIPTION_LIMIT for e in embeds)
    assert all(len(f.value) <= FIELD_VALUE_LIMIT for e in embeds for f in e.fields)
    assert all(len(e.fields) <= 25 for e in embeds)
    assert embeds[-1].footer.text == "footer"
    messages = render_reply(Reply(cards=(card,)))
    assert len(messages) > 1
    for message in messages:
        assert len(message.embeds) <= 10
        assert message.chars <= MESSAGE_EMBED_CHARS
    assert [m.view() is not None for m in messages] == [False] * (len(messages) - 1) + [True]


def test_cards_share_a_message_until_a_limit_is_reached():
    summary = Card(title="Answer saved", body="You covered **2 of 3** key points.")
    reference = Card(
        title="Reference answer",
        body="…",
        buttons=tuple(
            Button(n, Action("grade", GradeTarget(i, "q"))) for i, n in enumerate("ABCD", 1)
        ),
    )
    [message] = render_reply(Reply(cards=(summary, reference)))
    assert [e.title for e in message.embeds] == ["Answer saved", "Reference answer"]
    many = tuple(
        Card(title=str(i), buttons=(Button("b", Action("x", Ask(post_id=i))),)) for i in range(7)
    )
    messages = render_reply(Reply(cards=many))
    assert [len(m.embeds) for m in messages] == [5, 2]  # five rows of buttons per message


def test_an_image_is_attached_and_shown_in_the_embed():
    card = Card(title="Practice", image=Image("heatmap.png", b"\x89PNG", "a calendar"))
    [message] = render_reply(Reply(cards=(card,)))
    assert message.embeds[0].image.url == "attachment://heatmap.png"
    [file] = message.discord_files()
    assert file.filename == "heatmap.png" and file.description == "a calendar"


def test_a_form_is_a_modal_routed_by_its_submit_action():
    form = Form(
        "Your answer to a question with a very long title indeed",
        Action("submit", Ask(post_id=9)),
        (FormField("answer", "Your answer", max_length=4000, placeholder="Markdown is fine."),),
    )
    modal = form_modal(form)
    assert modal.custom_id == "prep:v2:submit:9:"
    assert len(modal.title) <= 45
    [row] = modal.to_components()
    [text_input] = row["components"]
    assert text_input["custom_id"] == "answer"
    assert text_input["style"] == discord.TextStyle.paragraph.value
    assert text_input["max_length"] == 4000 and text_input["required"] is True


def test_form_values_reads_rows_and_labels():
    data = {
        "custom_id": "prep:v2:submit:1:",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": "text"}]},
            {"type": 18, "component": {"type": 4, "custom_id": "note", "value": "more"}},
        ],
    }
    assert form_values(data) == {"answer": "text", "note": "more"}
    assert form_values({}) == {}


def test_typed_values_reach_the_engine_typed():
    user = discord.User.__new__(discord.User)
    user.id, user.global_name, user.name = 42, "Ann Lee", "ann"
    values = typed_values(
        {"user": user, "score": 4, "period": discord.app_commands.Choice(name="Week", value="week")}
    )
    assert values == {"user": MemberArg("42", "Ann Lee"), "score": 4, "period": "week"}


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)


def test_admins_and_leads():
    plain = settings()
    assert member_ranks(user_id="1", role_ids=set(), manage_guild=False, settings=plain) == (
        False,
        False,
    )
    assert member_ranks(user_id="1", role_ids=set(), manage_guild=True, settings=plain) == (
        True,
        True,
    )
    configured = settings(
        PREPBOT_ADMIN_ROLES="10, 11",
        PREPBOT_ADMIN_USERS="7",
        PREPBOT_LEAD_ROLES="20",
        PREPBOT_LEAD_USERS="8",
    )

    def ranks(user: str, *roles: str) -> tuple[bool, bool]:
        return member_ranks(
            user_id=user, role_ids=set(roles), manage_guild=False, settings=configured
        )

    assert ranks("1", "11") == (True, True)
    assert ranks("7") == (True, True)
    assert ranks("1", "20") == (False, True)
    assert ranks("8") == (False, True)
    assert ranks("1", "99") == (False, False)


def test_invite_url_asks_for_commands_and_minimal_permissions():
    url = invite_url("1234")
    assert "client_id=1234" in url and "scope=bot+applications.commands" in url
    value = int(re.search(r"permissions=(\d+)", url).group(1))
    granted = discord.Permissions(value)
    assert value == INVITE_PERMISSIONS.value
    assert granted.send_messages and granted.embed_links and granted.create_public_threads
    assert granted.send_messages_in_threads and granted.read_message_history
    assert not (granted.administrator or granted.manage_guild or granted.mention_everyone)
    assert not granted.manage_messages


def test_timezone_autocomplete():
    assert "Europe/Berlin" in matching_zones("berl")
    assert matching_zones("Europe/")[0].startswith("Europe/")
    assert len(matching_zones("")) == 25
    assert matching_zones("nowhere-at-all") == []


def test_rate_limits_become_platform_errors():
    error = platform_error(discord.RateLimited(45.0))
    assert error.status == 429 and error.retry_after == 45.0
    assert platform_error(OSError("connection refused")).status == 503


async def test_the_tree_offers_choices_or_autocomplete_for_topics():
    async def run(*_args: object) -> None:
        pass

    async def handler(*_args: object, **_values: object) -> None:
        pass

    client = discord.Client(intents=discord.Intents.none())
    tree = discord.app_commands.CommandTree(client)

    def topic_option(topics: list[tuple[str, str]]) -> dict:
        bank = Bank(topics={slug: Topic(slug, title) for slug, title in topics}, questions={})
        registry = Registry(bank)
        registry.add_command(
            Command(("question",), "A question", handler, (Option("topic", "topic", "Topic"),))
        )
        group = TreeBuilder(registry, run).build().to_dict(tree)
        question = next(o for o in group["options"] if o["name"] == "question")
        return next(o for o in question["options"] if o["name"] == "topic")

    few = topic_option([("oop", "OOP"), ("sql", "SQL")])
    assert [c["value"] for c in few["choices"]] == ["oop", "sql"]
    many = topic_option([(f"t{i}", f"Topic {i}") for i in range(30)])
    assert many.get("autocomplete") is True and not many.get("choices")
    await client.close()


def test_reviewers_by_role_or_user_id():
    from bot.adapters.discord_client import is_reviewer

    configured = settings(PREPBOT_REVIEWER_ROLES="30", PREPBOT_REVIEWER_USERS="8")
    assert is_reviewer(user_id="1", role_ids={"30"}, settings=configured)
    assert is_reviewer(user_id="8", role_ids=set(), settings=configured)
    assert not is_reviewer(user_id="1", role_ids={"20"}, settings=configured)
    assert not is_reviewer(user_id="8", role_ids=set(), settings=settings())
