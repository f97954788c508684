"""Slack's answers as ours: error codes as `PlatformError`s, and who is an admin (cached)."""

from __future__ import annotations

import contextlib
import logging
import time

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import PlatformError

log = logging.getLogger(__name__)

ROLE_CACHE_SECONDS = 300  # admin rights change rarely; a refusal costs one more users.info
ROLE_RETRY_SECONDS = 30  # after a failed users.info, ask again soon rather than deny for long
ROLE_CACHE_SIZE = 10_000

# Slack error codes that say what a scheduler should do about a failed send.
ERROR_STATUS = {
    "channel_not_found": 404,
    "user_not_found": 404,
    "message_not_found": 404,
    "not_in_channel": 403,
    "is_archived": 403,
    "restricted_action": 403,
    "missing_scope": 403,
    "cannot_dm_bot": 403,
    "invalid_auth": 401,
    "not_authed": 401,
    "account_inactive": 401,
    "token_revoked": 401,
    "ratelimited": 429,
}


def error_code(exc: SlackApiError) -> str:
    """Slack's error code; `unknown_error` when the body is not JSON (a proxy's plain-text 5xx
    page, which slack_sdk keeps as a str: calling `.get` on the response would fail)."""
    data = exc.response.data
    return str(data.get("error") or "unknown_error") if isinstance(data, dict) else "unknown_error"


def platform_error(exc: SlackApiError, method: str) -> PlatformError:
    """A Slack API failure as a `PlatformError` (never carries a token)."""
    response = exc.response
    error = error_code(exc)
    status = ERROR_STATUS.get(error) or (
        response.status_code if response.status_code >= 400 else 400
    )
    retry_after = None
    if status == 429:
        header = response.headers.get("Retry-After") if response.headers else None
        if isinstance(header, list):
            header = header[0] if header else None
        with contextlib.suppress(TypeError, ValueError):
            retry_after = float(header) if header is not None else None
    return PlatformError(f"Slack {method} failed: {error}", status=status, retry_after=retry_after)


def command_text(text: str) -> str:
    """Slash command text as the engine reads it (mentions keep their `<@U1|name>` form)."""
    return (text or "").strip()


class Roles:
    """Whether a member is a workspace admin (or configured as one), and their name."""

    def __init__(self, client: AsyncWebClient, admin_users: set[str]):
        self.client = client
        self.admin_users = admin_users
        self._roles: dict[tuple[str, str], tuple[float, bool, str | None]] = {}

    async def of(self, team_id: str, user_id: str) -> tuple[bool, str | None]:
        """(workspace admin or owner, or a configured admin; the member's display name)."""
        if user_id in self.admin_users:
            return True, None
        key = (team_id, user_id)
        cached = self._roles.get(key)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1], cached[2]
        is_admin, name, ttl = False, None, ROLE_RETRY_SECONDS
        try:
            info = await self.client.users_info(user=user_id)
            user = info.get("user") or {}
            is_admin = bool(user.get("is_admin") or user.get("is_owner"))
            profile = user.get("profile") or {}
            name = profile.get("display_name") or user.get("real_name") or user.get("name")
            ttl = ROLE_CACHE_SECONDS
        except SlackApiError as exc:
            log.warning(
                "Slack users.info failed (%s): treating %s as a member (needs users:read)",
                error_code(exc),
                user_id,
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("Slack users.info unreachable (%s)", type(exc).__name__)
        if len(self._roles) >= ROLE_CACHE_SIZE:
            self._roles = {k: v for k, v in self._roles.items() if v[0] > now}
        self._roles[key] = (now + ttl, is_admin, name)
        return is_admin, name


async def auth_problem(client: AsyncWebClient, base_url: str) -> str | None:
    """What is wrong with the bot token (logged), or None when `auth.test` accepts it."""
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        problem = (
            f"Slack auth.test failed ({error_code(exc)}): SLACK_BOT_TOKEN is missing, revoked or "
            "not a bot token (xoxb-) of this workspace. Until this is fixed, Slack shows members "
            "an apology for every command and no prepbot handler runs."
        )
    except (TimeoutError, aiohttp.ClientError, OSError, SlackRequestError) as exc:
        problem = (
            f"Slack auth.test could not reach {base_url} ({type(exc).__name__}): check "
            "SLACK_API_URL and the network. Until it answers, no prepbot handler runs."
        )
    else:
        log.info(
            "Slack: signed in as %s in workspace %s (%s)",
            auth.get("user"),
            auth.get("team"),
            auth.get("team_id"),
        )
        return None
    log.error("%s", problem)
    return problem
