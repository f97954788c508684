"""The engine: one object that adapters call, built once by the composition root."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from bot.clock import utcnow
from bot.engine import commands
from bot.engine.account import Account
from bot.engine.actors import Actor, parse_user
from bot.engine.content import Bank
from bot.engine.messages import Action, Reply
from bot.engine.mock import LEADS_ONLY, Mock
from bot.engine.practice import Practice
from bot.engine.progress import Progress
from bot.engine.schedules import Schedules, Subscriptions
from bot.store.store import Store

log = logging.getLogger(__name__)


class Observer(Protocol):
    """Told about every command the engine runs (metrics); the default does nothing."""

    def command(self, name: str, platform: str, seconds: float, outcome: str) -> None: ...

    def answer(self, platform: str) -> None: ...


class _Silent:
    def command(self, name: str, platform: str, seconds: float, outcome: str) -> None:
        pass

    def answer(self, platform: str) -> None:
        pass


class Engine:
    """Member commands, button actions and form submissions, as neutral replies."""

    def __init__(
        self,
        *,
        store: Store,
        bank: Bank,
        default_timezone: str = "UTC",
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        observer: Observer | None = None,
    ):
        self.store = store
        self.bank = bank
        self.clock = clock
        self.observer: Observer = observer or _Silent()
        self.practice = Practice(
            store=store,
            bank=bank,
            default_timezone=default_timezone,
            clock=clock,
            rng=rng,
            on_answer=self.observer.answer,
        )
        self.progress = Progress(
            store=store, bank=bank, default_timezone=default_timezone, clock=clock
        )
        self.account = Account(store=store, default_timezone=default_timezone)
        self.schedules = Schedules(store=store, bank=bank, default_timezone=default_timezone)
        self.mock = Mock(
            store=store, bank=bank, default_timezone=default_timezone, clock=clock, rng=rng
        )
        self.subscriptions = Subscriptions(
            store=store, bank=bank, default_timezone=default_timezone, schedules=self.schedules
        )

    async def close(self) -> None:
        await self.practice.close()

    async def run_text(self, actor: Actor, text: str, *, prefix: str = "/prep ") -> Reply:
        """Run a command typed as text (`question python hard`, `/prep grade good`)."""
        name, rest = commands.split_command(text)
        known = name if name in commands.BY_NAME else "unknown" if name else "help"
        return await self._observed(known, actor, self._run_text(actor, name, rest, prefix))

    async def run_action(
        self, actor: Actor, action: Action, form: dict[str, str] | None = None
    ) -> Reply:
        """Run a button click or form submission routed by its `Action`."""
        return await self._observed(
            f"button:{action.verb}", actor, self._run_action(actor, action, form)
        )

    async def _observed(self, name: str, actor: Actor, work: Awaitable[Reply]) -> Reply:
        """Log one line per command and report it to the observer."""
        started = time.perf_counter()
        outcome = "error"
        try:
            reply = await work
            outcome = "refused" if _is_refusal(reply) else "ok"
            return reply
        finally:
            seconds = time.perf_counter() - started
            self.observer.command(name, actor.platform, seconds, outcome)
            log.info(
                "%s %s by %s: %s in %.0f ms",
                actor.platform,
                name,
                actor.user_id,
                outcome,
                seconds * 1000,
                extra={"command": name, "platform": actor.platform, "duration_ms": seconds * 1000},
            )

    async def _run_text(self, actor: Actor, name: str, rest: str, prefix: str) -> Reply:
        args = rest.split()
        if not name or name == "help":
            return commands.help_reply(prefix=prefix)
        match name:
            case "today":
                return await self.practice.today(actor)
            case "question":
                if len(args) > 2:
                    return commands.usage_reply(name, prefix=prefix)
                return await self.practice.question(actor, *args)
            case "answer":
                return await self.practice.answer(actor, rest)
            case "reveal":
                return await self.practice.reveal(actor)
            case "grade":
                if len(args) != 1:
                    return commands.usage_reply(name, prefix=prefix)
                return await self.practice.grade(actor, args[0])
            case "skip":
                return await self.practice.skip(actor)
            case "streak":
                return await self.progress.streak(actor, _user_arg(rest))
            case "stats":
                return await self.progress.stats(actor, _user_arg(rest))
            case "leaderboard":
                return await self.progress.leaderboard(actor, args[0] if args else None)
            case "topics":
                return self.progress.topics()
            case "timezone":
                return await self.account.timezone(actor, rest or None)
            case "subscribe":
                return await self.subscriptions.subscribe(actor, rest)
            case "unsubscribe":
                return await self.subscriptions.unsubscribe(actor)
            case "schedule":
                return await self.schedules.run(actor, rest)
            case "mock":
                return await self.mock.run(actor, rest)
            case "forget-me":
                return await self.account.forget_me(actor, confirmed=rest.lower() == "confirm")
        return commands.unknown_reply(name, prefix=prefix)

    async def anchor(self, key: str, thread_ref: str) -> None:
        """An adapter reports where a reply with `anchor=key` opened its thread."""
        kind, _, ident = key.partition(":")
        if kind == "mock" and ident.isdigit():
            await self.mock.rounds.update_round(int(ident), thread_ref=thread_ref)

    async def home(self, actor: Actor) -> Reply:
        """The member's overview (streak, freezes, recent answers, a practice button)."""
        return await self.progress.home(actor)

    async def _run_action(self, actor: Actor, action: Action, form: dict[str, str] | None) -> Reply:
        match action.verb:
            case "answer":
                return self.practice.answer_form(action.arg)
            case "submit":
                text = (form or {}).get("answer")
                return await self.practice.answer(actor, text, action.arg, submitted=True)
            case "reveal":
                return await self.practice.reveal(actor, action.arg)
            case "skip":
                return await self.practice.skip(actor, action.arg)
            case "grade":
                rating, _, question_id = action.arg.partition(".")
                return await self.practice.grade(actor, rating, f"q{question_id}")
            case "forget":
                return await self.account.forget_me(actor, confirmed=action.arg == "confirm")
            case "practice":
                return await self.practice.question(actor)
            case "mockanswer":
                return await self.mock.answer_form(action.arg)
            case "mocksubmit":
                text = (form or {}).get("answer", "")
                item = int(action.arg) if action.arg.isdigit() else None
                return await self.mock.answer(actor, text, item)
            case "mockscore" | "mocknext":
                if not actor.is_lead:
                    return Reply.error(LEADS_ONLY)
                round_id, _, score = action.arg.partition(".")
                if action.verb == "mocknext":
                    return await self.mock.next(actor)
                return await self.mock.score(actor, int(score or 0), round_id=int(round_id or 0))
        return Reply.error("That button is no longer supported; try `/prep help`.")


def _is_refusal(reply: Reply) -> bool:
    """An error reply: a private card with no title (see `Reply.error`)."""
    return reply.private and len(reply.cards) == 1 and not reply.cards[0].title


def _user_arg(text: str) -> str | None:
    """A user argument as typed (`<@123>`, `<@U1|ann>`, `@name` or a plain id) as its id."""
    return parse_user(text)[0] if text.strip() else None
