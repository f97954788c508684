"""The engine: dispatch of registered commands and actions, permissions, metrics, refusals.

Features (under `bot/features`) declare what they do; the engine runs it: it parses or checks
the options, checks who may run a command and where, calls the handler, turns a `Refusal`
into the private error reply, applies the declared visibility, and logs one line per command.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from bot.clock import utcnow
from bot.engine.actors import Actor, Place, resolve
from bot.engine.advice import Advisor
from bot.engine.content import Bank
from bot.engine.library import Library
from bot.engine.messages import Action, Delivery, Refusal, Reply
from bot.engine.options import plain
from bot.engine.ports import RolePort
from bot.engine.registry import ADMINS_ONLY, LEADS_ONLY, Command, Registry, Role
from bot.engine.signin import SignIn
from bot.store.store import Store

log = logging.getLogger(__name__)

Listener = Callable[[], Awaitable[None]]
PUBLIC_COOLDOWN = 10.0  # seconds between one member's public posts of the same command


class Observer(Protocol):
    """Told about every command the engine runs (metrics); the default does nothing."""

    def command(self, name: str, platform: str, seconds: float, outcome: str) -> None: ...

    def answer(self, platform: str) -> None: ...

    def rounds_open(self, count: int) -> None: ...


class _Silent:
    def command(self, name: str, platform: str, seconds: float, outcome: str) -> None:
        pass

    def answer(self, platform: str) -> None:
        pass

    def rounds_open(self, count: int) -> None:
        pass


@dataclass
class Kit:
    """What every feature is built with: the store, the bank, the clock and shared hooks."""

    store: Store
    bank: Bank
    default_timezone: str = "UTC"
    clock: Callable[[], datetime] = utcnow
    rng: random.Random = field(default_factory=random.Random)
    observer: Observer = field(default_factory=_Silent)
    daily_reviews: int = 5  # due reviews served per member per day; the rest wait
    advisor: Advisor | None = None  # an AI chat service, when one is configured
    ai_daily_cap: int = 200  # AI reviews per server per day
    ai_member_seconds: int = 60  # between two AI reviews of one member
    signin: SignIn | None = None  # web dashboard links, when the web server serves them
    # Told after any change to what the scheduler posts (it reloads its jobs).
    listeners: list[Listener] = field(default_factory=list)
    # Platforms' extra capabilities by platform name (`bot.engine.ports`), e.g. roles.
    ports: dict[str, Any] = field(default_factory=dict)

    def roles(self, platform: str) -> RolePort | None:
        """The platform's roles, if it has any."""
        port = self.ports.get(platform)
        return port if isinstance(port, RolePort) and port.has_roles else None

    # Runs another feature's command, `run(actor, ("question",), id=...)`: how one feature
    # reaches another (set by the engine).
    run: Callable[..., Awaitable[Reply]] | None = None
    library: Library | None = None  # per-server views of `bank` (built from it by default)

    def __post_init__(self) -> None:
        if self.library is None:
            self.library = Library(self.store, self.bank)

    async def bank_for(self, server_id: int) -> Bank:
        """The bank as a server sees it: its enabled packs added, its topics switched off."""
        assert self.library is not None
        return await self.library.view(server_id)

    async def place(self, actor: Actor) -> Place:
        return await resolve(self.store, actor, default_timezone=self.default_timezone)

    async def changed(self) -> None:
        for listener in self.listeners:
            await listener()


class Engine:
    """Member commands, button actions and form submissions, as neutral replies.

    Installed features are reachable as attributes (`engine.practice`), for the scheduler,
    the command line and tests.
    """

    def __init__(
        self,
        *,
        store: Store,
        bank: Bank,
        default_timezone: str = "UTC",
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        observer: Observer | None = None,
        daily_reviews: int = 5,
        advisor: Advisor | None = None,
        ai_daily_cap: int = 200,
        ai_member_seconds: int = 60,
        signin: SignIn | None = None,
    ):
        self.kit = Kit(
            store=store,
            bank=bank,
            default_timezone=default_timezone,
            clock=clock,
            rng=rng or random.Random(),
            observer=observer or _Silent(),
            daily_reviews=daily_reviews,
            advisor=advisor,
            ai_daily_cap=ai_daily_cap,
            ai_member_seconds=ai_member_seconds,
            signin=signin,
        )
        self.store, self.bank, self.clock = store, bank, clock
        self.observer = self.kit.observer
        self.registry = Registry(bank)
        self.kit.run = self.run_command
        self._last_public: dict[tuple[str, str, str, str], float] = {}  # cooldowns

    def attach(self, platform: str, port: Any) -> None:
        """Offer a platform's extra capabilities (an adapter with roles) to the features."""
        self.kit.ports[platform] = port

    def install(self, name: str, feature: Any) -> None:
        """Add a feature: its commands, actions and jobs join the registry."""
        self.registry.add_feature(name, feature)

    def __getattr__(self, name: str) -> Any:
        features = self.__dict__.get("registry").features if "registry" in self.__dict__ else {}
        if name in features:
            return features[name]
        raise AttributeError(name)

    async def close(self) -> None:
        for feature in self.registry.features.values():
            if hasattr(feature, "close"):
                await feature.close()

    # Commands -------------------------------------------------------------------------------

    async def run_text(
        self,
        actor: Actor,
        text: str,
        *,
        prefix: str = "/prep ",
        files: Callable[[str], Any] | None = None,
    ) -> Reply:
        """Run a command typed as text (`question python hard`, `/prep grade good`); `files`
        turns a file option's typed path into the file (the console's)."""
        started = time.perf_counter()
        try:
            cmd, values = self.registry.parse(plain(text), prefix=prefix)
        except Refusal as exc:
            self._observe("unknown", actor, started, "refused")
            return Reply.error(exc.message)
        for option in cmd.options:
            typed = values.get(option.name)
            if files is not None and option.kind == "file" and isinstance(typed, str):
                try:
                    values[option.name] = files(typed)
                except Refusal as exc:
                    return Reply.error(exc.message)
        return await self.invoke(actor, cmd, values, prefix=prefix, started=started)

    async def invoke(
        self,
        actor: Actor,
        cmd: Command,
        values: dict[str, Any],
        *,
        prefix: str = "/prep ",
        started: float | None = None,
    ) -> Reply:
        """Run a command with typed option values (Discord's, or parsed from text)."""

        async def work() -> Reply:
            allow(actor, cmd.who, cmd.where, cmd.refusal)
            checked = self.registry.check(cmd, values, prefix=prefix)
            self._cool_down(actor, cmd, checked)
            reply = await cmd.handler(actor, **checked)
            return visible(reply, cmd.private_for(actor.is_dm))

        return await self._observed(cmd.name, actor, work(), started)

    async def run_command(self, actor: Actor, path: tuple[str, ...], **values: Any) -> Reply:
        """Run a registered command by its path with typed option values (for features)."""
        return await self.invoke(actor, self.registry.commands[path], values)

    def _cool_down(self, actor: Actor, cmd: Command, values: dict[str, Any]) -> None:
        """A member's same public post (`today`, `leaderboard week`) at most once per
        PUBLIC_COOLDOWN in a channel, so nobody floods it; leads running a round are not
        slowed."""
        if cmd.visibility != "public" or cmd.who != Role.MEMBER or actor.is_dm:
            return
        asked = repr(sorted(values.items()))
        key = (actor.platform, actor.channel_id, actor.user_id, f"{cmd.name} {asked}")
        now = self.clock().timestamp()
        wait = self._last_public.get(key, -1e9) + PUBLIC_COOLDOWN - now
        if wait > 0:
            raise Refusal(f"`{cmd.name}` was just posted here; try again in {int(wait) + 1} s.")
        if len(self._last_public) > 50_000:
            self._last_public = {k: t for k, t in self._last_public.items() if t > now - 60}
        self._last_public[key] = now

    async def run_action(
        self, actor: Actor, action: Action, form: dict[str, str] | None = None
    ) -> Reply:
        """Run a button click or form submission."""
        spec = self.registry.actions.get(action.verb)
        if spec is None:
            return Reply.error("That button is no longer supported; try `/prep help`.")

        async def work() -> Reply:
            allow(actor, spec.who, frozenset({"channel", "dm"}), "")
            if spec.target is not None and not isinstance(action.target, spec.target):
                raise Refusal("That button is no longer supported; try `/prep help`.")
            values = None if form is None else {k: plain(v) for k, v in form.items()}
            reply = await spec.handler(actor, action.target, values)
            return visible(reply, spec.visibility == "private" or actor.is_dm)

        return await self._observed(f"button:{action.verb}", actor, work())

    async def run_custom_id(
        self, actor: Actor, custom_id: str, form: dict[str, str] | None = None
    ) -> Reply:
        """Run a click or form by the id the platform sent back (`prep:v2:...`)."""
        try:
            spec, target = self.registry.decode(custom_id)
        except Refusal as exc:
            # Not one of ours: no metric label or log line carries the raw id.
            self._observe("button:unknown", actor, time.perf_counter(), "refused")
            return Reply.error(exc.message)
        return await self.run_action(actor, Action(spec.verb, target), form)

    async def _observed(
        self, name: str, actor: Actor, work: Awaitable[Reply], started: float | None = None
    ) -> Reply:
        """Refusals become the private error reply; one log line and metric per command."""
        started = started or time.perf_counter()
        outcome = "error"
        try:
            reply = await work
            outcome = "ok"
            return reply
        except Refusal as exc:
            outcome = "refused"
            return Reply.error(exc.message)
        finally:
            self._observe(name, actor, started, outcome)

    def _observe(self, name: str, actor: Actor, started: float, outcome: str) -> None:
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

    # Hooks for adapters and the scheduler -------------------------------------------------------

    async def anchor(self, key: str, thread_ref: str) -> None:
        """An adapter reports where a reply with `anchor=key` (`<feature>:<id>`) opened its
        thread; the feature that asked is told."""
        name, _, ident = key.partition(":")
        feature = self.registry.features.get(name)
        if feature is not None and hasattr(feature, "anchor"):
            await feature.anchor(ident, thread_ref)

    async def home(self, actor: Actor) -> Reply:
        """The member's overview (streak, freezes, recent answers, a practice button)."""
        return await self.registry.features["progress"].home(actor)

    async def run_jobs(self) -> list[Delivery]:
        """Run every registered job once; what they want posted, in order."""
        deliveries: list[Delivery] = []
        for job in self.registry.jobs:
            deliveries += await job.handler()
        return deliveries


def allow(actor: Actor, who: Role, where: frozenset[str], refusal: str) -> None:
    """Refuse someone without the role, or a command run where it does not belong."""
    if who >= Role.ADMIN and not actor.is_admin:
        raise Refusal(refusal or ADMINS_ONLY)
    if who >= Role.LEAD and not (actor.is_lead or actor.is_admin):
        raise Refusal(refusal or LEADS_ONLY)
    if actor.is_dm and "dm" not in where:
        raise Refusal("That belongs to a channel: run it in the channel it is about.")
    if not actor.is_dm and "channel" not in where:
        raise Refusal("That works in a direct message with the bot.")


def visible(reply: Reply, private: bool) -> Reply:
    """The declared visibility on the reply itself (followups keep their own)."""
    return reply if reply.private == private else replace(reply, private=private)
