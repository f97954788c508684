"""A member's own settings and data: timezone and forget-me."""

from __future__ import annotations

import difflib
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.engine.actors import Actor, resolve
from bot.engine.messages import Action, Button, Card, Reply
from bot.store.store import Store


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def check_timezone(name: str) -> tuple[str | None, str]:
    """(canonical zone, error): accepts any case; suggests close names when unknown."""
    name = name.strip()
    by_fold = {z.lower(): z for z in _zones()}
    zone = by_fold.get(name.lower())
    if zone is not None:
        try:
            ZoneInfo(zone)
            return zone, ""
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(name, _zones(), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    return None, (
        f"`{name[:64]}` is not a timezone I know. Use an IANA name such as "
        f"`Europe/Berlin` or `America/New_York`.{hint}"
    )


class Account:
    def __init__(self, *, store: Store, default_timezone: str):
        self.store = store
        self.default_timezone = default_timezone

    async def timezone(self, actor: Actor, zone: str | None) -> Reply:
        place = await resolve(self.store, actor, default_timezone=self.default_timezone)
        if not zone:
            return Reply.text(
                "Timezone",
                f"Your days follow **{place.member_timezone}**. "
                "Change it with `timezone Europe/Berlin` (any IANA name).",
            )
        canonical, error = check_timezone(zone)
        if canonical is None:
            return Reply.error(error)
        await self.store.set_member_timezone(place.member.id, canonical)
        return Reply.text("Timezone", f"Your days now follow **{canonical}**.", tone="success")

    async def forget_me(self, actor: Actor, confirmed: bool = False) -> Reply:
        """Ask first; on confirmation delete everything stored about the member."""
        if not confirmed:
            card = Card(
                title="Forget me?",
                body=(
                    "This deletes all your answers, grades, review schedule, streaks and "
                    "subscriptions, everywhere this bot runs on this platform. It cannot be "
                    "undone. Confirm with the button or `forget-me confirm`."
                ),
                buttons=(Button("Delete everything", Action("forget", "confirm"), "danger"),),
                tone="danger",
            )
            return Reply(cards=(card,), private=True)
        member = await self.store.find_member(actor.platform, actor.user_id)
        if member is None:
            return Reply.text("Forgotten", "Nothing was stored about you.")
        removed = await self.store.forget_member(member.id)
        detail = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in removed.items() if n)
        return Reply.text(
            "Forgotten",
            f"Everything about you is deleted ({detail or 'no activity'}).",
            tone="success",
        )
