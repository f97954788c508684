"""Packs and topics per server: admins add their own question packs and switch topics.

A pack is YAML in the bank's shape, checked like `prepbot content validate`; its questions
live in the database under ids namespaced by server. Everything that draws questions asks
the kit for the server's view of the bank, so a disabled pack or topic is simply not there.
"""

from __future__ import annotations

import json

import yaml

from bot.engine.actors import Actor
from bot.engine.content import DIFFICULTIES, Problem
from bot.engine.core import Kit
from bot.engine.library import local_id, namespaced
from bot.engine.messages import Attachment, Card, Refusal, Reply, literal
from bot.engine.options import FileArg, Option
from bot.engine.packs import check_pack, pack_name
from bot.engine.registry import ADMINS_ONLY, IN_CHANNELS, Role, command, subcommands
from bot.store.community import SUGGESTED_PACK

ATTACH = (
    "Add a pack as a YAML file: attach it to `/prep pack add` on Discord, share it with the "
    "bot in a direct message with the comment `pack add` on Slack, or give its path in the "
    "console. `prepbot pack add --server PLATFORM:ID FILE` works from the command line."
)
SHOWN_PROBLEMS = 25  # in a chat reply; the command line lists every one

pack_command = subcommands(
    "pack", who=Role.ADMIN, where=IN_CHANNELS, group="Admins", refusal=ADMINS_ONLY
)
NAME = (Option("name", "string", "The pack's name (see `pack list`)", required=True),)


def problem_list(file: str, problems: list[Problem], *, limit: int | None = None) -> str:
    """Every problem on its own line (member text shown literally), nothing imported."""
    shown = problems if limit is None else problems[:limit]
    lines = [f"- {literal(str(p))}" for p in shown]
    if len(problems) > len(shown):
        lines.append(f"- … and {len(problems) - len(shown)} more")
    count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
    return f"Pack `{literal(file)}` was not added ({count}; nothing imported):\n" + "\n".join(lines)


def no_pack(name: str) -> Refusal:
    return Refusal(f"No pack `{literal(name[:40])}` here; see `pack list`.")


class Packs:
    """`pack add|list|disable|enable|remove|export` and `topics [on|off <topic>]`."""

    def __init__(self, kit: Kit):
        self.kit = kit

    async def import_pack(
        self, server_id: int, file: FileArg, *, by: str, limit: int | None = SHOWN_PROBLEMS
    ) -> str:
        """Check and store a pack; the message to show. Refusal listing every problem."""
        store = self.kit.store
        name = pack_name(file.name)
        taken = await store.pack_question_ids(server_id)
        raws, problems = check_pack(
            file.data, file.name, self.kit.bank, server_id=server_id, taken=taken
        )
        if name == SUGGESTED_PACK:
            problems.insert(0, Problem(file.name, "-", "file", "`suggestions` is reserved"))
        if problems:
            raise Refusal(problem_list(file.name, problems, limit=limit))
        entries = [
            {"question_id": namespaced(server_id, raw["id"]), "body": json.dumps(raw)}
            for raw in raws
        ]
        if not await store.add_pack(server_id, name, entries, size=len(file.data), by=by):
            raise Refusal(
                f"A pack named `{name}` exists here: `pack remove {name}` first, or rename "
                "the file."
            )
        self._changed(server_id)
        return (
            f"Pack `{name}` added with {len(entries)} question{'s' * (len(entries) != 1)}, "
            f"enabled. Their ids start with `{namespaced(server_id, '')}`."
        )

    def _changed(self, server_id: int) -> None:
        assert self.kit.library is not None
        self.kit.library.changed(server_id)

    @pack_command(
        "add",
        summary="Add a question pack (YAML)",
        options=(Option("file", "file", "The pack's YAML file"),),
    )
    async def add(self, actor: Actor, file: FileArg | str | None = None) -> Reply:
        if not isinstance(file, FileArg):
            raise Refusal(ATTACH)
        place = await self.kit.place(actor)
        text = await self.import_pack(place.server.id, file, by=actor.user_id)
        return Reply.text("Pack added", text, tone="success")

    @pack_command("list", summary="This server's question packs")
    async def list(self, actor: Actor) -> Reply:
        place = await self.kit.place(actor)
        rows = await self.kit.store.packs(place.server.id)
        if not rows:
            return Reply.text("Packs", f"No packs here yet. {ATTACH}")
        lines = [
            f"- `{row.name}`: {row.question_count} questions, "
            f"{'on' if row.enabled else '**off**'}, {row.size_bytes / 1000:.1f} kB, "
            f"added {row.created_at:%d %b %Y}"
            for row in rows
        ]
        return Reply.text("Packs", "\n".join(lines))

    async def _switch(self, actor: Actor, name: str, enabled: bool) -> Reply:
        place = await self.kit.place(actor)
        if not await self.kit.store.set_pack_enabled(place.server.id, name.lower(), enabled):
            raise no_pack(name)
        self._changed(place.server.id)
        state = (
            "on: its questions are drawn again"
            if enabled
            else "off: its questions are no longer drawn (answers and history stay)"
        )
        return Reply.text("Pack " + ("enabled" if enabled else "disabled"), f"`{name}` is {state}.")

    @pack_command("disable", summary="Stop drawing a pack's questions", options=NAME)
    async def disable(self, actor: Actor, name: str) -> Reply:
        return await self._switch(actor, name, False)

    @pack_command("enable", summary="Draw a pack's questions again", options=NAME)
    async def enable(self, actor: Actor, name: str) -> Reply:
        return await self._switch(actor, name, True)

    @pack_command("remove", summary="Delete a pack and its questions", options=NAME)
    async def remove(self, actor: Actor, name: str) -> Reply:
        place = await self.kit.place(actor)
        gone = await self.kit.store.remove_pack(place.server.id, name.lower())
        if gone is None:
            raise no_pack(name)
        self._changed(place.server.id)
        return Reply.text("Pack removed", f"`{name}` and its {gone} questions are gone.")

    @pack_command("export", summary="A pack as a YAML file", options=NAME)
    async def export(self, actor: Actor, name: str) -> Reply:
        place = await self.kit.place(actor)
        rows = await self.kit.store.pack_bodies(place.server.id, name.lower())
        if rows is None:
            raise no_pack(name)
        text = export_yaml(rows)
        card = Card(
            title=f"Pack {name}",
            body=f"{len(rows)} questions, as YAML you can edit and add again.",
            attachment=Attachment(f"{name}.yaml", text.encode(), f"the {name} pack"),
        )
        return Reply(cards=(card,), private=True)

    @command(
        "topics",
        summary="Topics and counts; admins switch them on or off",
        options=(
            Option("switch", "choice", "Admins: on or off", choices=("on", "off")),
            Option("topic", "topic", "The topic to switch"),
        ),
        group="Progress",
    )
    async def topics(
        self, actor: Actor, switch: str | None = None, topic: str | None = None
    ) -> Reply:
        place = await self.kit.place(actor)
        if switch is not None or topic is not None:
            return await self._switch_topic(actor, place.server.id, switch, topic)
        bank = await self.kit.bank_for(place.server.id)
        lines = []
        for slug, questions in bank.by_topic.items():
            counts = {d: sum(q.difficulty == d for q in questions) for d in DIFFICULTIES}
            title = bank.topics[slug].title if slug in bank.topics else slug
            detail = " · ".join(f"{counts[d]} {d}" for d in DIFFICULTIES)
            off = " · **off here**" if slug in bank.disabled else ""
            lines.append(f"- **{title}** (`{slug}`): {len(questions)} ({detail}){off}")
        drawn = len(bank.select())
        body = "\n".join(lines) + f"\n\n{drawn} questions drawn here ({len(bank)} in all)."
        return Reply.text("Topics", body)

    async def _switch_topic(
        self, actor: Actor, server_id: int, switch: str | None, topic: str | None
    ) -> Reply:
        if not actor.is_admin:
            raise Refusal(ADMINS_ONLY)
        if actor.is_dm:
            raise Refusal("That belongs to a channel: run it in the server it is about.")
        if switch is None or topic is None:
            raise Refusal("Usage: `topics on <topic>` or `topics off <topic>`.")
        bank = await self.kit.bank_for(server_id)
        disabled = set(bank.disabled)
        disabled.discard(topic) if switch == "on" else disabled.add(topic)
        if not any(q.topic not in disabled for q in bank.questions.values()):
            raise Refusal("That would switch off every question here; keep one topic on.")
        await self.kit.store.set_disabled_topics(server_id, tuple(disabled))
        self._changed(server_id)
        title = bank.topics[topic].title
        said = "on: its questions are drawn" if switch == "on" else "off: no longer drawn here"
        return Reply.text("Topics", f"**{title}** is {said}.", tone="success")


def export_yaml(rows: list) -> str:
    """A pack's questions as YAML, with their ids as they were in the file."""
    questions = []
    for row in rows:
        raw = json.loads(row.body)
        raw["id"] = local_id(row.question_id)
        questions.append(raw)
    return yaml.safe_dump(questions, sort_keys=False, allow_unicode=True, width=100)
