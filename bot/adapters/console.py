"""The terminal adapter: practise with the same commands, no tokens needed."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import TextIO

from bot.engine.actors import Actor
from bot.engine.core import Engine
from bot.engine.messages import Reply

log = logging.getLogger(__name__)

BANNER = (
    "prepbot console: daily interview practice. Type `today` for today's question, "
    "`help` for every command, `quit` to leave."
)
# What a console user types for each button the engine offers.
BUTTON_HINTS = {
    "answer": "answer <your text>",
    "reveal": "reveal",
    "skip": "skip",
    "forget": "forget-me confirm",
    "mockanswer": "mock answer <your text>",
    "mocknext": "mock next",
}


def render(reply: Reply) -> str:
    """A reply as terminal text, with the commands that stand in for its buttons."""
    parts = []
    for card in reply.cards:
        text = card.plain_text()
        text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
        verbs = []
        for button in card.buttons:
            hint = BUTTON_HINTS.get(button.action.verb)
            if hint and hint not in verbs:
                verbs.append(hint)
        if any(b.action.verb == "grade" for b in card.buttons):
            verbs.append("grade again|hard|good|easy")
        if any(b.action.verb == "mockscore" for b in card.buttons):
            verbs.append("mock score 1-5 [note]")
        if verbs:
            text += "\n→ " + " · ".join(verbs)
        parts.append(text)
    parts += [render(followup) for followup in reply.followups]
    return "\n\n".join(parts)


class ConsoleAdapter:
    """Reads commands from a terminal or a pipe and prints the engine's replies."""

    def __init__(
        self,
        *,
        engine: Engine,
        user: str,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ):
        self.engine = engine
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
            # No scheduler runs here: mock-interview clocks are checked before each command.
            notices = [render(reply) for _row, reply in await self.engine.mock.due_events()]
            reply = await self.engine.run_text(self.actor, line, prefix="")
            if reply.form is not None:
                text = await self._read_form()
                reply = await self.engine.run_action(
                    self.actor, reply.form.action, {"answer": text}
                )
            return "\n\n".join([*notices, render(reply)])
        except Exception:
            log.exception("console command failed: %s", line.split(maxsplit=1)[:1])
            return "Something went wrong handling that; it is logged. Nothing you saved is lost."

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
