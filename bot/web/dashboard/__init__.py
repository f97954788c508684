"""The web dashboard: server-rendered pages for a team, behind a chat-issued sign-in link.

`setup` adds the pages to the bot's aiohttp application. A page names the least role that
may open it; the navigation shows each member the sections their role opens. A page joins
by adding its routes and a `Section` to `SECTIONS`: nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.engine.core import Engine
from bot.engine.registry import Role
from bot.engine.signin import SignIn


@dataclass(frozen=True)
class Section:
    """An entry of the navigation: its title, path below `/dashboard/<server>/`, least role."""

    title: str
    path: str
    role: Role


SECTIONS: tuple[Section, ...] = (
    Section("Overview", "", Role.MEMBER),
    Section("My practice", "me", Role.MEMBER),
    Section("Questions", "questions", Role.MEMBER),
    Section("Mock rounds", "rounds", Role.LEAD),
    Section("Queues", "queues", Role.ADMIN),
)


@dataclass
class Dashboard:
    """What the pages read from: the engine (store, bank, features), sign-in settings, clock."""

    engine: Engine
    signin: SignIn
    clock: Callable[[], datetime]


DASHBOARD = web.AppKey("dashboard", Dashboard)
TEMPLATES = Path(__file__).resolve().parent / "templates"

# Pages carry member data and sign-in forms: never cached, framed, or sent on as a referrer
# (a sign-in URL holds its token); no script runs, styles are inline.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/dashboard"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)


def setup(
    app: web.Application,
    *,
    engine: Engine,
    signin: SignIn,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Serve the dashboard from `app` under /dashboard/."""
    from bot.web.dashboard import access, pages, queues, rounds

    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        context_processors=[aiohttp_jinja2.request_processor],
    )
    app[DASHBOARD] = Dashboard(engine, signin, clock or engine.clock)
    app.on_response_prepare.append(_secure_headers)
    app.router.add_routes(access.routes)
    app.router.add_routes(pages.routes)
    app.router.add_routes(rounds.routes)
    app.router.add_routes(queues.routes)
