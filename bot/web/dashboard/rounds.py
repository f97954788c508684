"""Mock rounds for team leads: the filtered list, each scorecard, and the exports.

The exports are the mock feature's own Markdown and CSV (as `prepbot mock export` writes).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.engine.registry import Role
from bot.features.mock.scorecard import Scorecard, format_seconds, to_csv, to_markdown
from bot.web.dashboard import DASHBOARD
from bot.web.dashboard.access import context, refuse, require
from bot.web.dashboard.pages import PAGE_SIZE, page_number

routes = web.RouteTableDef()
MAX_EXPORT = 1000  # rounds in one download
EXPORTS = {"md": ("text/markdown", to_markdown), "csv": ("text/csv", to_csv)}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _member(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


def filters(request: web.Request) -> dict[str, Any]:
    """The list's filters from the query; what does not parse is dropped."""
    query = request.query
    return {
        "candidate": _member(query.get("candidate", "")),
        "lead": _member(query.get("lead", "")),
        "since": _day(query.get("from", "")),
        "until": _day(query.get("to", "")),
    }


def query_string(chosen: dict[str, Any]) -> str:
    names = {"candidate": "candidate", "lead": "lead", "since": "from", "until": "to"}
    return urlencode({names[k]: str(v) for k, v in chosen.items() if v is not None})


@routes.get("/dashboard/{server:\\d+}/rounds", name="rounds")
async def round_list(request: web.Request) -> web.Response:
    session = await require(request, Role.LEAD)
    store = request.app[DASHBOARD].engine.store
    chosen = filters(request)
    number = page_number(request)
    rows, total = await store.round_rows(
        session.server_id, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, **chosen
    )
    candidates, leads = await store.round_people(session.server_id)
    values = {
        "rows": rows,
        "total": total,
        "page": number,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "chosen": chosen,
        "query": query_string(chosen),
        "candidates": sorted(candidates.items(), key=lambda kv: kv[1].lower()),
        "leads": sorted(leads.items(), key=lambda kv: kv[1].lower()),
    }
    return aiohttp_jinja2.render_template("rounds.html", request, context(session, **values))


async def _scorecard(request: web.Request, server_id: int, round_id: int) -> Scorecard:
    mock = request.app[DASHBOARD].engine.mock
    row = await mock.rounds.round(round_id)
    if row is None or row.server_id != server_id:
        raise refuse(request, 404, "No such round", "That round is not one of this server's.")
    return await mock.scorecard(round_id)


@routes.get("/dashboard/{server:\\d+}/rounds/{round:\\d+}", name="scorecard")
async def scorecard(request: web.Request) -> web.Response:
    session = await require(request, Role.LEAD)
    card = await _scorecard(request, session.server_id, int(request.match_info["round"]))
    values = {"card": card, "format_seconds": format_seconds}
    return aiohttp_jinja2.render_template("scorecard.html", request, context(session, **values))


def download(cards: list[Scorecard], fmt: str, name: str) -> web.Response:
    content_type, render = EXPORTS[fmt]
    return web.Response(
        text=render(cards),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@routes.get("/dashboard/{server:\\d+}/rounds/{round:\\d+}/export.{fmt:md|csv}")
async def export_round(request: web.Request) -> web.Response:
    session = await require(request, Role.LEAD)
    round_id = int(request.match_info["round"])
    card = await _scorecard(request, session.server_id, round_id)
    return download([card], request.match_info["fmt"], f"mock-round-{round_id}")


@routes.get("/dashboard/{server:\\d+}/rounds/export.{fmt:md|csv}")
async def export_rounds(request: web.Request) -> web.Response:
    """The finished rounds the list's filters match, oldest first, in one file."""
    session = await require(request, Role.LEAD)
    dash = request.app[DASHBOARD]
    rows, _total = await dash.engine.store.round_rows(
        session.server_id, limit=MAX_EXPORT, **filters(request)
    )
    cards = [
        await dash.engine.mock.scorecard(row.id) for row in reversed(rows) if row.status == "ended"
    ]
    return download(cards, request.match_info["fmt"], "mock-rounds")
