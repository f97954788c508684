"""The web dashboard's door in chat: `dashboard` sends a private, single-use sign-in link.

The pages themselves are served by the web server (bot/web/dashboard). The role a session
gets is the member's role when the link was made (the same `is_admin`/`is_lead` the
platform reported for this command), so a change of role shows after the next sign-in.
"""

from __future__ import annotations

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.messages import Card, Reply
from bot.engine.registry import IN_CHANNELS, ROLE_NAMES, Role, command
from bot.engine.signin import LINK_LIFETIME, token_hash

NOT_SET_UP = (
    "The web dashboard is not set up here. The operator sets `PREPBOT_PUBLIC_URL` to the "
    "address where prepbot's web server is reached (for example "
    "`PREPBOT_PUBLIC_URL=https://prep.example.com`, usually behind a reverse proxy with TLS) "
    "and restarts the bot; then `dashboard` sends you a sign-in link."
)


def role_of(actor: Actor) -> Role:
    """The role the platform reports for the member now (see `engine.core.allow`)."""
    if actor.is_admin:
        return Role.ADMIN
    return Role.LEAD if actor.is_lead else Role.MEMBER


class Dashboard:
    def __init__(self, kit: Kit):
        self.kit = kit

    @command(
        "me",
        "dashboard",
        summary="A private sign-in link to the web dashboard",
        where=IN_CHANNELS,
        group="You",
    )
    async def dashboard(self, actor: Actor) -> Reply:
        signin = self.kit.signin
        if signin is None or not signin.public_url:
            return Reply.text("Web dashboard", NOT_SET_UP)
        place = await self.kit.place(actor)
        role = role_of(actor)
        token, expires = signin.link_token(self.kit.clock())
        await self.kit.store.add_dashboard_link(
            token_hash(token),
            server_id=place.server.id,
            member_id=place.member.id,
            role=int(role),
            now=self.kit.clock(),
            expires_at=expires,
        )
        url = signin.link(token)
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        card = Card(
            title="Web dashboard",
            body=(
                f"[Open the dashboard]({url})\n\n{url}\n\n"
                f"The link signs you in as {ROLE_NAMES[role]} of this server. It works once, "
                f"for {minutes} minutes: do not share it."
            ),
            footer="Sign out on the page when you are done; `forget-me` also signs you out.",
        )
        return Reply(cards=(card,), private=True)
