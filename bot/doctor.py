"""`prepbot doctor`: a checklist of everything prepbot needs, with what to fix."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.engine.content import load_bank
from bot.store import database

DISCORD_API = "https://discord.com/api/v10"
SLACK_API = "https://slack.com/api/"
# What the Slack app manifest (deploy/slack/manifest.yml) asks for, and why prepbot needs it.
SLACK_SCOPES = {
    "commands": "the /prep slash command",
    "chat:write": "posting questions and replies",
    "chat:write.public": "daily posts in public channels without an invite",
    "im:write": "daily direct messages",
    "users:read": "telling workspace admins from members",
    "files:write": "my-data: a member's data as a file",
}
TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


async def check_database(settings: Settings) -> Check:
    shown = make_url(database.normalise_url(settings.database_url)).render_as_string(
        hide_password=True
    )
    engine = database.create_engine(settings.database_url)
    try:
        revision = await asyncio.wait_for(database.current_revision(engine), timeout=10)
    except Exception as exc:
        return Check("database", False, f"cannot open {shown}: {type(exc).__name__}: {exc}")
    finally:
        await engine.dispose()
    head = database.head_revision()
    if revision == head:
        return Check("database", True, f"{shown}, migrations at {head} (latest)")
    state = "empty" if revision is None else f"at {revision}"
    return Check(
        "database",
        True,
        f"{shown} is {state}; `prepbot run` migrates it to {head} (or `prepbot db upgrade`)",
    )


def check_content(settings: Settings) -> Check:
    bank, problems = load_bank(settings.all_content_dirs)
    if problems:
        first = "; ".join(str(p) for p in problems[:3])
        return Check(
            "content",
            False,
            f"{len(problems)} problem(s), e.g. {first} (`prepbot content validate`)",
        )
    return Check("content", True, f"{len(bank)} questions in {len(bank.topics)} topics")


async def check_discord(settings: Settings, session: aiohttp.ClientSession) -> list[Check]:
    assert settings.discord_token is not None
    base = (settings.discord_api_base_url or DISCORD_API).rstrip("/")
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    try:
        async with session.get(f"{base}/users/@me", headers=headers) as resp:
            me = await resp.json(content_type=None) if resp.status == 200 else None
            status = resp.status
        if me is None:
            hint = "reset the bot token in the Developer Portal (Bot > Reset Token)"
            return [Check("discord", False, f"DISCORD_TOKEN was refused ({status}): {hint}")]
        async with session.get(f"{base}/oauth2/applications/@me", headers=headers) as resp:
            app = await resp.json(content_type=None) if resp.status == 200 else {}
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [Check("discord", False, f"cannot reach {base}: {type(exc).__name__}")]
    checks = [Check("discord", True, f"signed in as {me.get('username')} ({me.get('id')})")]
    app_id = app.get("id")
    if app_id:
        from bot.adapters.discord_adapter import invite_url

        checks.append(
            Check(
                "discord invite",
                True,
                f"no privileged intents needed; invite with {invite_url(str(app_id))} "
                "(milestone roles also need Manage Roles: `prepbot discord invite-url --roles`)",
            )
        )
    checks += await check_discord_roles(settings, session, base, headers, str(me.get("id")))
    return checks


async def check_discord_roles(
    settings: Settings,
    session: aiohttp.ClientSession,
    base: str,
    headers: dict[str, str],
    bot_id: str,
) -> list[Check]:
    """Each milestone role set with `roles set`: can the bot grant it?"""
    from bot.adapters.discord_roles import fetch_problem
    from bot.store.store import Store

    store = Store.from_url(settings.database_url)
    try:
        milestones = await asyncio.wait_for(store.milestones_on("discord"), timeout=10)
    except Exception:  # an empty or unreachable database: the database check says so
        return []
    finally:
        await store.close()
    checks = []
    for guild, milestone in milestones:
        name = f"@{milestone.role_name or milestone.role_ref}"
        try:
            problem = await fetch_problem(session, base, headers, guild, bot_id, milestone.role_ref)
        except (aiohttp.ClientError, TimeoutError) as exc:
            problem = f"cannot reach {base}: {type(exc).__name__}"
        detail = f"{name} for {milestone.days}-day streaks on server {guild}"
        checks.append(
            Check(
                "discord roles", problem is None, f"{detail}: {problem or 'the bot can grant it'}"
            )
        )
    return checks


async def check_slack(settings: Settings, session: aiohttp.ClientSession) -> list[Check]:
    assert settings.slack_bot_token is not None
    base = settings.slack_api_url or SLACK_API
    base = base if base.endswith("/") else base + "/"
    token = settings.slack_bot_token.get_secret_value()
    try:
        async with session.post(
            f"{base}auth.test", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            auth = await resp.json(content_type=None)
            granted = {s.strip() for s in resp.headers.get("x-oauth-scopes", "").split(",")}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return [Check("slack", False, f"cannot reach {base}: {type(exc).__name__}")]
    if not auth.get("ok"):
        return [
            Check(
                "slack",
                False,
                f"SLACK_BOT_TOKEN was refused ({auth.get('error')}): reinstall the app and "
                "copy its Bot User OAuth Token (xoxb-)",
            )
        ]
    checks = [
        Check("slack", True, f"signed in as {auth.get('user')} in {auth.get('team')}"),
    ]
    missing = [f"{s} ({why})" for s, why in SLACK_SCOPES.items() if s not in granted]
    if missing:
        checks.append(
            Check(
                "slack scopes",
                False,
                "missing " + ", ".join(missing) + ": add them (deploy/slack/manifest.yml) and "
                "reinstall the app",
            )
        )
    else:
        checks.append(Check("slack scopes", True, ", ".join(SLACK_SCOPES)))
    checks.append(await _check_slack_mode(settings, session, base))
    return checks


async def _check_slack_mode(settings: Settings, session: aiohttp.ClientSession, base: str) -> Check:
    """Socket Mode's app-level token works, or what HTTP mode needs."""
    if settings.slack_app_token is not None:
        app_token = settings.slack_app_token.get_secret_value()
        try:
            async with session.post(
                f"{base}apps.connections.open", headers={"Authorization": f"Bearer {app_token}"}
            ) as resp:
                opened = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            opened = {"ok": False, "error": type(exc).__name__}
        if opened.get("ok"):
            return Check("slack socket mode", True, "app-level token works")
        return Check(
            "slack socket mode",
            False,
            f"SLACK_APP_TOKEN was refused ({opened.get('error')}): generate an app-level "
            "token with connections:write and enable Socket Mode",
        )
    return Check(
        "slack http mode",
        True,
        "Slack must reach POST /slack/events on PREPBOT_WEB_PORT "
        f"({settings.web_port}) through your HTTPS address",
    )


def check_dashboard(settings: Settings) -> Check:
    """The web dashboard's address and link key (an informative check: it never fails)."""
    if not settings.public_url:
        return Check("web dashboard", True, "off (PREPBOT_PUBLIC_URL is not set)")
    notes = [f"sign-in links point at {settings.public_url}/dashboard/"]
    if settings.dashboard_secret is None:
        notes.append(
            "PREPBOT_DASHBOARD_SECRET is not set: a link works only on the instance that made "
            "it, until it restarts"
        )
    if not settings.public_url.startswith("https://"):
        notes.append("served over plain http: put it behind TLS (deploy/Caddyfile)")
    return Check("web dashboard", True, "; ".join(notes))


async def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a person would fix them."""
    checks = [Check("configuration", True, "settings are valid")]
    checks.append(await check_database(settings))
    checks.append(check_content(settings))
    from bot.ai import check as check_ai

    ok, detail = await check_ai(settings)
    checks.append(Check("ai review", ok, detail))
    checks.append(check_dashboard(settings))
    if not (settings.discord_token or settings.slack_bot_token):
        checks.append(
            Check(
                "platforms",
                True,
                "none configured: `prepbot console` works; set DISCORD_TOKEN or SLACK_BOT_TOKEN "
                "to run on a chat platform",
            )
        )
        return checks
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        if settings.discord_token:
            checks += await check_discord(settings, session)
        if settings.slack_bot_token:
            checks += await check_slack(settings, session)
    return checks


def report(checks: list[Check]) -> str:
    lines = ["prepbot doctor"]
    lines += [f"  {'✔' if c.ok else '✘'} {c.name}: {c.detail}" for c in checks]
    failed = sum(not c.ok for c in checks)
    lines.append("All good." if not failed else f"{failed} check(s) failed.")
    return "\n".join(lines)
