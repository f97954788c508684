"""Signing in and out, and who may open which page.

A sign-in link (`/dashboard/signin?token=...`) opens a page with one button: a link
previewer that fetches the URL spends nothing, only the member's own click (a POST) does.
The session cookie holds a random token (its hash is in the database); every form carries
the session's CSRF token, and the sign-in form a token doubled in a cookie.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.engine.registry import ROLE_NAMES, Role
from bot.engine.signin import new_secret_token, token_hash
from bot.store.records import SessionRecord
from bot.web.dashboard import DASHBOARD, SECTIONS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

SESSION_COOKIE = "prepbot_session"
SIGNIN_COOKIE = "prepbot_signin"
HOW_TO_SIGN_IN = "Run `/prep dashboard` in a channel of your server for a sign-in link."


def page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    """A short page saying what happened and what to do (a refusal, a spent link)."""
    return aiohttp_jinja2.render_template(
        "message.html",
        request,
        {"title": title, "message": message, "session": None},
        status=status,
    )


def refuse(request: web.Request, status: int, title: str, message: str) -> web.HTTPException:
    """The refusal as an exception a handler raises: the page, with its status."""
    response = page(request, status, title, message)
    kind = {401: web.HTTPUnauthorized, 404: web.HTTPNotFound}.get(status, web.HTTPForbidden)
    return kind(text=response.text, content_type="text/html")


def _set_cookie(request: web.Request, name: str, value: str, max_age: int) -> Any:
    dash = request.app[DASHBOARD]
    return {
        "name": name,
        "value": value,
        "max_age": max_age,
        "path": "/dashboard",
        "httponly": True,
        "samesite": "Lax",
        "secure": dash.signin.secure or request.secure,
    }


async def current_session(request: web.Request) -> SessionRecord | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    dash = request.app[DASHBOARD]
    return await dash.engine.store.dashboard_session(token_hash(token), now=dash.clock())


async def require(request: web.Request, role: Role = Role.MEMBER) -> SessionRecord:
    """The session behind this request, if it may open this server's page at `role`."""
    session = await current_session(request)
    if session is None:
        raise refuse(request, 401, "Signed out", HOW_TO_SIGN_IN)
    server = request.match_info.get("server", "")
    if server != str(session.server_id):
        raise refuse(
            request,
            403,
            "Another server",
            "You are signed in for another server. Run `/prep dashboard` in this one.",
        )
    if session.role < role:
        needed = ROLE_NAMES[role]
        raise refuse(request, 403, "Not for your role", f"This page is for {needed}s and above.")
    return session


def check_csrf(session: SessionRecord, form: Any) -> None:
    sent = str(form.get("csrf", ""))
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise web.HTTPForbidden(text="The form expired: reload the page and try again.")


def context(session: SessionRecord, **values: Any) -> dict[str, Any]:
    """What every signed-in page's template gets: the session, navigation, role names."""
    base = f"/dashboard/{session.server_id}/"
    nav = [(s.title, base + s.path) for s in SECTIONS if session.role >= s.role]
    return {
        "session": session,
        "nav": nav,
        "base": base,
        "role_name": ROLE_NAMES[Role(session.role)],
        "server_name": session.server_name or f"{session.platform} server",
        **values,
    }


@routes.get("/dashboard/signin", name="signin")
async def signin_page(request: web.Request) -> web.Response:
    token = request.query.get("token", "")
    dash = request.app[DASHBOARD]
    if not dash.signin.valid(token, dash.clock()):
        return page(
            request,
            403,
            "Link not valid",
            f"This link is not valid or has expired. {HOW_TO_SIGN_IN}",
        )
    guard = new_secret_token()
    response = aiohttp_jinja2.render_template(
        "signin.html", request, {"token": token, "csrf": guard, "session": None}
    )
    response.set_cookie(**_set_cookie(request, SIGNIN_COOKIE, guard, 600))
    return response


@routes.post("/dashboard/signin")
async def signin(request: web.Request) -> web.Response:
    form = await request.post()
    dash = request.app[DASHBOARD]
    token, guard = str(form.get("token", "")), str(form.get("csrf", ""))
    cookie = request.cookies.get(SIGNIN_COOKIE, "")
    if not guard or not hmac.compare_digest(guard.encode(), cookie.encode()):
        return page(request, 403, "Link not valid", f"Open the link again. {HOW_TO_SIGN_IN}")
    now = dash.clock()
    session = None
    if dash.signin.valid(token, now):
        cookie_token = new_secret_token()
        session = await dash.engine.store.redeem_dashboard_link(
            token_hash(token),
            session_hash=token_hash(cookie_token),
            csrf=new_secret_token(),
            now=now,
            lifetime=dash.signin.session_lifetime,
        )
    if session is None:
        return page(
            request,
            403,
            "Link not valid",
            f"This link has expired or was already used. {HOW_TO_SIGN_IN}",
        )
    log.info("dashboard sign-in: member %s on server %s", session.member_id, session.server_id)
    response = web.HTTPSeeOther(f"/dashboard/{session.server_id}/")
    lifetime = int(dash.signin.session_lifetime.total_seconds())
    response.set_cookie(**_set_cookie(request, SESSION_COOKIE, cookie_token, lifetime))
    response.del_cookie(SIGNIN_COOKIE, path="/dashboard")
    raise response


@routes.post("/dashboard/signout")
async def signout(request: web.Request) -> web.Response:
    session = await current_session(request)
    if session is not None:
        check_csrf(session, await request.post())
        token = request.cookies[SESSION_COOKIE]
        await request.app[DASHBOARD].engine.store.end_dashboard_session(token_hash(token))
    response = page(request, 200, "Signed out", f"You are signed out. {HOW_TO_SIGN_IN}")
    response.del_cookie(SESSION_COOKIE, path="/dashboard")
    return response


@routes.get("/dashboard")
@routes.get("/dashboard/")
async def home(request: web.Request) -> web.Response:
    session = await current_session(request)
    if session is None:
        return page(request, 401, "Signed out", HOW_TO_SIGN_IN)
    raise web.HTTPSeeOther(f"/dashboard/{session.server_id}/")
