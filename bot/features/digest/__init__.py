"""The weekly digest per channel, and each season's winners announced in it.

Admins set it once (`digest set fri 17:00`); at that local time each week the channel gets
the team's week (see `week.py`). At each month's end (in the server's timezone) the season's
top three are kept and announced in every digest channel of the server. Both are sent
exactly once across restarts and instances: each delivery carries a `once` key that the
scheduler claims in the database before posting, and retries with the daily posts' pacing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.engine.actors import Actor
from bot.engine.core import Kit
from bot.engine.due import latest_moment
from bot.engine.messages import Card, Delivery, QuestionRef, Refusal, Reply
from bot.engine.options import WEEKDAYS, Option
from bot.engine.registry import IN_CHANNELS, Role, action, job, subcommands
from bot.engine.seasons import board_lines, previous_season, season_days
from bot.engine.streaks import local_date, week_key
from bot.features.digest.week import Week
from bot.store.records import DigestEntry

log = logging.getLogger(__name__)

digest_command = subcommands("digest", who=Role.ADMIN, where=IN_CHANNELS, group="Digest")
GRACE = timedelta(hours=2)  # a digest missed by more than this (bot down) waits a week
SEASON_DAYS = 3  # a season's announcement is made within the new month's first days
DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def latest_due(weekday: str, time_of_day: str, zone: str, now: datetime) -> datetime | None:
    """The most recent weekly moment (`weekday` at `time_of_day` in `zone`) at or before
    `now` (aware), or None if it is more than a week back."""
    found = latest_moment(time_of_day, zone, now, lambda day: WEEKDAYS[day.weekday()] == weekday)
    return found and found[1]


class Digest:
    def __init__(self, kit: Kit):
        self.kit = kit

    @digest_command(
        "set",
        "Post the team's week here every week (admins)",
        options=(
            Option("weekday", "choice", "Which day", required=True, choices=WEEKDAYS),
            Option("time", "time", "Local time, HH:MM", required=True),
        ),
    )
    async def set(self, actor: Actor, weekday: str, time: str) -> Reply:
        place = await self.kit.place(actor)
        zone = place.channel_timezone
        await self.kit.store.set_digest(
            place.server.id,
            actor.channel_id,
            weekday=weekday,
            time_of_day=time,
            timezone=zone,
            set_by=actor.user_id,
            now=self.kit.clock(),
        )
        body = (
            f"Every {DAY_NAMES[weekday]} at {time} ({zone}) this channel gets the team's week: "
            "who practised, streaks, the hardest questions and a chart. Each month's season "
            "winners are announced here too. `digest off` stops it."
        )
        return Reply.text("Weekly digest set", body, tone="success")

    @digest_command("off", "Stop this channel's weekly digest (admins)")
    async def off(self, actor: Actor) -> Reply:
        place = await self.kit.place(actor)
        if not await self.kit.store.remove_digest(place.server.id, actor.channel_id):
            raise Refusal("This channel has no weekly digest. `digest set <weekday> <HH:MM>`.")
        return Reply.text("Weekly digest off", "No more weekly digests in this channel.")

    @action("tryquestion", target=QuestionRef, hint="question <id>")
    async def try_question(self, actor: Actor, target: QuestionRef, form: object) -> Reply:
        """A button under the digest: that question, privately, to practise now."""
        assert self.kit.run is not None
        return await self.kit.run(actor, ("question",), id=target.question_id)

    # The job ----------------------------------------------------------------------------

    @job("digest", seconds=60)
    async def due(self) -> list[Delivery]:
        """Digests and season announcements due now and not yet sent."""
        now = self.kit.clock().replace(tzinfo=ZoneInfo("UTC"))
        wanted: list[tuple[str, DigestEntry, str]] = []  # (once key, entry, day or season)
        for entry in await self.kit.store.all_digests():
            moment = latest_due(entry.weekday, entry.time_of_day, entry.timezone, now)
            if moment is not None and now - moment <= GRACE:
                key = f"digest:{entry.id}:{week_key(moment.date())}"
                wanted.append((key, entry, moment.date().isoformat()))
            zone = entry.server_timezone or self.kit.default_timezone
            today = local_date(now, zone)
            if today.day <= SEASON_DAYS:
                season = previous_season(today)
                wanted.append((f"season:{entry.id}:{season}", entry, season))
        sent = await self.kit.store.sent_keys([key for key, _, _ in wanted])
        deliveries = []
        for key, entry, what in wanted:
            if key in sent:
                continue
            if key.startswith("digest:"):
                reply = await Week(self.kit, entry.server_id, date.fromisoformat(what)).reply()
            else:
                reply = await self._season(entry.server_id, what)
            deliveries.append(
                Delivery(entry.platform, entry.channel_id, reply, label=key, once=key)
            )
        return deliveries

    async def _season(self, server_id: int, season: str) -> Reply:
        """The end of a season: its top three, kept, and a fresh start for everyone."""
        first, last = season_days(season)
        top = await self.kit.store.final_season(
            server_id, season, first, last, now=self.kit.clock()
        )
        body = "\n".join(board_lines(top)) or "Nobody answered a question this season."
        card = Card(
            title=f"Season {season} is over",
            body=body + "\n\nA new season starts now, and everyone starts it at zero.",
            footer=f"`leaderboard season {season}` shows it later; `leaderboard season`: "
            "the new one.",
            tone="success",
        )
        return Reply(cards=(card,))
