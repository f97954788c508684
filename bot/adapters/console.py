"""The terminal adapter: practise with the same commands, no tokens needed."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.delivery import Step, plan
from bot.engine.messages import Button, Delivery, Form, Refusal, Reply
from bot.engine.options import FileArg
from bot.engine.packs import MAX_PACK_BYTES

log = logging.getLogger(__name__)

BANNER = (
    "prepbot console: daily interview practice. Type `today` for today's question, "
    "`help` for every command, `quit` to leave."
)


def render(
    reply: Reply,
    hints: dict[str, str] | None = None,
    files: Path | None = None,
    pressable: dict[str, Button] | None = None,
) -> str:
    """A reply as terminal text, with the commands that stand in for its buttons; its
    pictures and files are written to `files` (default: where the console runs)."""
    return render_steps(plan(reply), hints or {}, files or Path.cwd(), pressable)


def render_steps(
    steps: list[Step],
    hints: dict[str, str],
    files: Path,
    pressable: dict[str, Button] | None = None,
) -> str:
    """Buttons with a command that stands in for them show it; the others show their label,
    which typed presses them (`Approve 2` for the second `Approve`), noted in `pressable`."""
    parts = []
    pressable = {} if pressable is None else pressable
    for step in steps:
        for card in step.cards:
            text = re.sub(r"\*\*(.+?)\*\*", r"\1", card.plain_text())
            verbs: list[str] = []
            for button in card.buttons:
                hint = hints.get(button.action.verb) or _pressable(button, pressable)
                if hint and hint not in verbs:
                    verbs.append(hint)
            if verbs:
                text += "\n→ " + " · ".join(verbs)
            if card.image is not None:
                path = save(files, card.image.filename, card.image.data)
                text += f"\nPicture saved to {path}"
            if card.attachment is not None:
                path = save(files, card.attachment.filename, card.attachment.data)
                text += f"\nSaved {card.attachment.description} to {path}"
            parts.append(text)
    return "\n\n".join(parts)


def _pressable(button: Button, pressable: dict[str, Button]) -> str:
    label, n = button.label, 1
    while label.lower() in pressable:
        n += 1
        label = f"{button.label} {n}"
    pressable[label.lower()] = button
    return label


def save(directory: Path, filename: str, data: bytes) -> Path:
    """A file the console writes (a picture, an export); returns where."""
    path = (directory / Path(filename).name).resolve()
    path.write_bytes(data)
    return path


def read_file(path: str) -> FileArg:
    """A file named in the console, capped a little over what a pack may hold (the command
    says what is wrong with a larger one)."""
    try:
        with Path(path).expanduser().open("rb") as f:
            return FileArg(Path(path).name, f.read(MAX_PACK_BYTES + 1))
    except OSError:
        raise Refusal(f"Cannot read `{path[:200]}`.") from None


class ConsoleAdapter:
    """Reads commands from a terminal or a pipe and prints the engine's replies."""

    def __init__(
        self,
        *,
        engine: Engine,
        user: str,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files: Path | None = None,
    ):
        self.engine = engine
        self.files = files  # where pictures and exports are written (default: cwd)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.actor = Actor(
            platform="console",
            server_id="local",
            channel_id="console",
            user_id=user,
            user_name=user,
            server_name="console",
            is_admin=True,
            is_lead=True,
            is_reviewer=True,
        )

    def render(self, reply: Reply) -> str:
        hints = {verb: spec.hint for verb, spec in self.engine.registry.actions.items()}
        self._pressable: dict[str, Button] = {}
        return render(reply, hints, self.files, self._pressable)

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def _readline(self, prompt: str) -> str | None:
        if self.stdin.isatty():
            self.stdout.write(prompt)
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\n")

    async def _read_form(self, form: Form) -> dict[str, str]:
        """One text for a one-field form; else each field in turn (an empty line keeps a
        prefilled value)."""
        if len(form.fields) == 1 and not form.fields[0].value:
            self._print("Type your answer; an empty line ends it.")
            return {form.fields[0].name: await self._read_lines()}
        values = {}
        for field in form.fields:
            shown = f" (now: {field.value!r}; an empty line keeps it)" if field.value else ""
            self._print(f"{field.label}{shown or '; an empty line ends it'}.")
            values[field.name] = await self._read_lines() or field.value
        return values

    async def _read_lines(self) -> str:
        lines: list[str] = []
        while (line := await self._readline("... ")) not in (None, ""):
            lines.append(line)
        return "\n".join(lines)

    async def _run(self, line: str) -> Reply:
        """A typed button label presses it; a file option's path is read here."""
        button = getattr(self, "_pressable", {}).get(line.strip().lower())
        if button is not None:
            return await self.engine.run_action(self.actor, button.action)
        return await self.engine.run_text(self.actor, line, prefix="", files=read_file)

    async def handle(self, line: str) -> str:
        """Run one typed command and return what to print; never raises."""
        try:
            notices = await self.run_jobs()
            reply = await self._run(line)
            if reply.form is not None:
                values = await self._read_form(reply.form)
                reply = await self.engine.run_action(self.actor, reply.form.action, values)
            return "\n\n".join([*notices, self.render(reply)])
        except Exception:
            log.exception("console command failed: %s", line.split(maxsplit=1)[:1])
            return "Something went wrong handling that; it is logged. Nothing you saved is lost."

    async def run_jobs(self) -> list[str]:
        """No scheduler runs here: the features' jobs (the mock-round clock, reminders) run
        before each command; what they deliver to this user is printed, once."""
        notices: list[str] = []
        for delivery in await self.engine.run_jobs():
            if delivery.platform != self.actor.platform:
                continue
            if delivery.user_ref not in (None, self.actor.user_id):
                continue

            if await self._first_time(delivery):
                notices.append(self.render(delivery.reply))
        return notices

    async def _first_time(self, delivery: Delivery) -> bool:
        """Whether to show a job's delivery: one sent once (a digest) only the first time."""
        if delivery.once is None:
            return True
        store, now = self.engine.store, self.engine.clock()
        if not await store.claim_send(delivery.once, owner="console", now=now, stale=now):
            return False
        await store.mark_sent(delivery.once, message_ref="console", now=now)
        return True

    async def run(self) -> None:
        self._print(BANNER)
        while True:
            line = await self._readline("prep> ")
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in ("quit", "exit", "/prep quit"):
                break
            self._print(await self.handle(line))
        self._print("Bye. Keep the streak going!")
