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
from bot.engine.messages import Delivery, Reply

log = logging.getLogger(__name__)

BANNER = (
    "prepbot console: daily interview practice. Type `today` for today's question, "
    "`help` for every command, `quit` to leave."
)


def render(reply: Reply, hints: dict[str, str] | None = None, files: Path | None = None) -> str:
    """A reply as terminal text, with the commands that stand in for its buttons; its
    pictures and files are written to `files` (default: where the console runs)."""
    return render_steps(plan(reply), hints or {}, files or Path.cwd())


def render_steps(steps: list[Step], hints: dict[str, str], files: Path) -> str:
    parts = []
    for step in steps:
        for card in step.cards:
            text = re.sub(r"\*\*(.+?)\*\*", r"\1", card.plain_text())
            verbs: list[str] = []
            for button in card.buttons:
                hint = hints.get(button.action.verb)
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


def save(directory: Path, filename: str, data: bytes) -> Path:
    """A file the console writes (a picture, an export); returns where."""
    path = (directory / Path(filename).name).resolve()
    path.write_bytes(data)
    return path


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
        )

    def render(self, reply: Reply) -> str:
        hints = {verb: spec.hint for verb, spec in self.engine.registry.actions.items()}
        return render(reply, hints, self.files)

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def _readline(self, prompt: str) -> str | None:
        if self.stdin.isatty():
            self.stdout.write(prompt)
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\n")

    async def _read_form(self) -> str:
        self._print("Type your answer; an empty line ends it.")
        lines: list[str] = []
        while (line := await self._readline("... ")) not in (None, ""):
            lines.append(line)
        return "\n".join(lines)

    async def handle(self, line: str) -> str:
        """Run one typed command and return what to print; never raises."""
        try:
            notices = await self.run_jobs()
            reply = await self.engine.run_text(self.actor, line, prefix="")
            if reply.form is not None:
                text = await self._read_form()
                values = {field.name: text for field in reply.form.fields}
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
