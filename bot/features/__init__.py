"""Features: one package each, holding its commands, actions, jobs, cards and queries.

`build_engine` is how the composition root (and the tests) get an engine with every
shipped feature installed.
"""

from __future__ import annotations

from typing import Any

from bot.engine.core import Engine


def install_all(engine: Engine) -> Engine:
    """Install every shipped feature, in the order help lists them."""
    from bot.features.account import Account
    from bot.features.ai_review import AiReview
    from bot.features.away import Away
    from bot.features.dashboard import Dashboard
    from bot.features.digest import Digest
    from bot.features.help import Help
    from bot.features.history import History
    from bot.features.mock import Mock
    from bot.features.packs import Packs
    from bot.features.practice import Practice
    from bot.features.practice.hints import Hints
    from bot.features.progress import Progress
    from bot.features.reminders import Reminders
    from bot.features.reports import Reports
    from bot.features.roles import Roles
    from bot.features.schedules import Schedules
    from bot.features.subscriptions import Subscriptions
    from bot.features.suggestions import Suggestions

    kit = engine.kit
    engine.install("practice", Practice(kit))
    engine.install("hints", Hints(kit))
    engine.install("progress", Progress(kit))
    engine.install("history", History(kit))
    engine.install("account", Account(kit))
    engine.install("dashboard", Dashboard(kit))
    engine.install("subscriptions", Subscriptions(kit))
    engine.install("reminders", Reminders(kit))
    engine.install("away", Away(kit))
    engine.install("ai_review", AiReview(kit))
    engine.install("help", Help(engine.registry))
    engine.install("mock", Mock(kit))
    engine.install("schedules", Schedules(kit))
    engine.install("roles", Roles(kit))
    engine.install("digest", Digest(kit))
    engine.install("packs", Packs(kit))
    engine.install("suggestions", Suggestions(kit))
    engine.install("reports", Reports(kit))
    return engine


def build_engine(**kwargs: Any) -> Engine:
    """An engine with every shipped feature (keyword arguments as for `Engine`)."""
    return install_all(Engine(**kwargs))
