"""The review queues: suggested questions and problem reports, for the server's admins.

The page shows what `suggestions` and `reports` show in chat, and each of their buttons is
a form that runs the same action through the engine, as the signed-in admin: the rules
(who may review, a suggestion reviewed once, a rejection needs a reason) and the author's
private notice are the features' own. A click that opens a form in chat (Edit, Reject)
opens it here as a page.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.engine.actors import Actor
from bot.engine.messages import Card, Reply
from bot.engine.registry import Role
from bot.store.records import SessionRecord
from bot.web.dashboard import DASHBOARD
from bot.web.dashboard.access import check_csrf, context, require

routes = web.RouteTableDef()

QUEUES = (  # the page's sections: id, heading, the chat command that lists the queue
    ("suggestions", "Suggested questions", ("pack", "suggestions")),
    ("reports", "Problem reports", ("pack", "reports")),
)
# The buttons and forms of the two queues: nothing else can be run from this page.
VERBS = frozenset(
    {
        "suggestion-approve",
        "suggestion-edit",
        "suggestion-save",
        "suggestion-reject",
        "suggestion-reason",
        "report-resolve",
        "report-dismiss",
    }
)
MAX_FIELDS = 10
MAX_FIELD = 4000
# A card's Markdown: escaped characters (member text), inline code, bold.
_TOKEN = re.compile(r"\\([\\`*_~|\[\]()<>#])|`([^`\n]+)`|\*\*")


def as_html(text: str) -> Markup:
    """A card's Markdown as HTML: member text exactly as typed, code and bold as such."""
    out: list[str] = []
    bold, at = False, 0
    for match in _TOKEN.finditer(text):
        out.append(escape(text[at : match.start()]))
        if match.group(1) is not None:
            out.append(escape(match.group(1)))
        elif match.group(2) is not None:
            out.append(Markup("<code>{}</code>").format(match.group(2)))
        else:
            out.append(Markup("</strong>" if bold else "<strong>"))
            bold = not bold
        at = match.end()
    out.append(escape(text[at:]))
    if bold:
        out.append(Markup("</strong>"))
    return Markup("").join(out)


def actor_of(session: SessionRecord) -> Actor:
    """The signed-in member as the engine knows them from chat, with the session's role."""
    return Actor(
        platform=session.platform,
        server_id=session.server_external_id,
        channel_id="",
        user_id=session.external_id,
        user_name=session.display_name or session.external_id,
        server_name=session.server_name,
        is_admin=session.role >= Role.ADMIN,
        is_lead=session.role >= Role.LEAD,
    )


def cards_of(reply: Reply) -> tuple[Card, ...]:
    return tuple(c for r in (reply, *reply.followups) for c in r.cards)


async def render(
    request: web.Request, session: SessionRecord, notice: Reply | None = None
) -> web.Response:
    """The queues as chat shows them, with what the last action said on top."""
    engine = request.app[DASHBOARD].engine
    actor = actor_of(session)
    queues = [
        (name, heading, cards_of(await engine.run_command(actor, path)))
        for name, heading, path in QUEUES
    ]
    values = {
        "queues": queues,
        "notice": cards_of(notice) if notice else (),
        "verbs": VERBS,
        "as_html": as_html,
    }
    return aiohttp_jinja2.render_template("queues.html", request, context(session, **values))


@routes.get("/dashboard/{server:\\d+}/queues", name="queues")
async def queues(request: web.Request) -> web.Response:
    session = await require(request, Role.ADMIN)
    return await render(request, session)


def form_values(posted: Any) -> dict[str, str] | None:
    """What a submitted form said (None for a button), as a chat form hands it over."""
    if posted.get("form") != "1":
        return None
    skip = {"csrf", "action", "form"}
    values = {k: str(v)[:MAX_FIELD] for k, v in posted.items() if k not in skip}
    if len(values) > MAX_FIELDS:
        raise web.HTTPBadRequest(text="Too many fields.")
    return values


@routes.post("/dashboard/{server:\\d+}/queues")
async def act(request: web.Request) -> web.Response:
    """A queue's button or form: the chat's action, run by the engine as this admin."""
    session = await require(request, Role.ADMIN)
    posted = await request.post()
    check_csrf(session, posted)
    engine = request.app[DASHBOARD].engine
    custom_id = str(posted.get("action", ""))[:200]
    spec = engine.registry.spec_of(custom_id)
    if spec is None or spec.verb not in VERBS:
        raise web.HTTPBadRequest(text="That is not an action of the review queues.")
    reply = await engine.run_custom_id(actor_of(session), custom_id, form_values(posted))
    if reply.form is None:
        return await render(request, session, reply)
    values = {"form": reply.form, "custom_id": reply.form.action.encode()}
    return aiohttp_jinja2.render_template("queue_form.html", request, context(session, **values))
