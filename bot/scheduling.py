"""Daily posts: APScheduler jobs for channel schedules and DM subscriptions, posted once.

One cron job per distinct (local time, timezone) fans out to every schedule due then, so
10 000 channels at 09:00 Europe/Berlin are one job. Before posting, a job claims the
channels' post rows for that local date in the database, a batch at a time (bot/fanout.py);
a second claimant (a restarted process, another instance on the same database) finds them
taken and does nothing. A post that fails gives its claim back and is retried by the sweep
while inside its grace window.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.adapters.base import Adapter
from bot.clock import utcnow
from bot.engine.core import Engine
from bot.engine.due import Due
from bot.engine.messages import Reply
from bot.engine.options import WEEKDAYS
from bot.engine.registry import Job
from bot.fanout import FanOut
from bot.features.practice.daily import dm_channel, split_list
from bot.metrics import Metrics
from bot.sending import Courier, Pacer

log = logging.getLogger(__name__)

SWEEP_SECONDS = 300  # how often missed or failed posts inside their grace window are retried
DM_GRACE_MINUTES = 120


class Scheduler:
    """Builds jobs from the database, keeps them in step, and posts each due item once."""

    def __init__(
        self,
        *,
        engine: Engine,
        adapters: Mapping[str, Adapter],
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        concurrency: int = 32,
        default_timezone: str = "UTC",
        backoff: float = 0.5,
        metrics: Metrics | None = None,
    ):
        self.engine = engine
        self.store = engine.store
        self.adapters = dict(adapters)
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.default_timezone = default_timezone
        self.metrics = metrics
        self.pacer = Pacer(self.adapters, backoff=backoff)
        self.courier = Courier(
            store=self.store,
            adapters=self.adapters,
            pacer=self.pacer,
            owner=self.owner,
            clock=clock,
        )
        self.groups: dict[tuple[str, str], list[Due]] = {}
        self.aps: AsyncIOScheduler | None = None
        self.last_lag: float = 0.0  # seconds between a job's due time and its start
        self.fanout = FanOut(
            engine=engine,
            adapters=self.adapters,
            pacer=self.pacer,
            owner=self.owner,
            clock=clock,
            concurrency=concurrency,
            on_gone=self._pause,
            metrics=metrics,
        )

    # Jobs ---------------------------------------------------------------------------------

    async def load(self) -> list[Due]:
        """Every active schedule and subscription whose platform has an adapter."""
        items: list[Due] = []
        off: dict[tuple[str, int], set[date]] = {}
        for row in await self.store.all_days_off(since=self._now().date() - timedelta(days=8)):
            key = ("channel", row.schedule_id) if row.schedule_id else ("dm", row.member_id)
            off.setdefault(key, set()).add(row.day)  # type: ignore[arg-type]
        for row in await self.store.all_schedules():
            if row.paused or row.platform not in self.adapters:
                continue
            items.append(
                Due(
                    kind="channel",
                    key=row.id,
                    platform=row.platform,
                    server_id=row.server_id,
                    channel_id=row.channel_id,
                    user_ref=None,
                    time_of_day=row.time_of_day,
                    timezone=row.timezone,
                    weekdays=split_list(row.weekdays),
                    topics=split_list(row.topics),
                    difficulty=row.difficulty,
                    grace=timedelta(minutes=row.grace_minutes),
                    question_kind=row.kind,
                    days_off=frozenset(off.get(("channel", row.id), ())),
                )
            )
        for row in await self.store.all_subscriptions():
            if row.platform not in self.adapters:
                continue
            zone = row.member_timezone or row.default_timezone or self.default_timezone
            items.append(
                Due(
                    kind="dm",
                    key=row.id,
                    platform=row.platform,
                    server_id=row.server_id,
                    channel_id=dm_channel(row.member_ref),
                    user_ref=row.member_ref,
                    time_of_day=row.time_of_day,
                    timezone=zone,
                    weekdays=WEEKDAYS,
                    topics=split_list(row.topics),
                    difficulty=None,
                    grace=timedelta(minutes=DM_GRACE_MINUTES),
                    days_off=frozenset(off.get(("dm", row.member_id), ())),
                )
            )
        return items

    async def reload(self) -> None:
        """Rebuild the jobs from the database (called after any schedule change)."""
        groups: dict[tuple[str, str], list[Due]] = {}
        for due in await self.load():
            groups.setdefault((due.time_of_day, due.timezone), []).append(due)
        self.groups = groups
        if self.aps is None:
            return
        wanted = {self._job_id(key) for key in groups}
        for job in self.aps.get_jobs():
            if job.id.startswith("due:") and job.id not in wanted:
                job.remove()
        for time_of_day, zone in groups:
            hour, minute = time_of_day.split(":")
            self.aps.add_job(
                self.fire,
                CronTrigger(hour=int(hour), minute=int(minute), timezone=ZoneInfo(zone)),
                args=(time_of_day, zone),
                id=self._job_id((time_of_day, zone)),
                replace_existing=True,
                # APScheduler's default of 1 s drops a run after a short stall; the database
                # claim makes a late run safe, and the sweep catches what is still missed.
                misfire_grace_time=3600,
                coalesce=True,
            )
        log.info("scheduler: %d items in %d jobs", sum(map(len, groups.values())), len(groups))

    @staticmethod
    def _job_id(key: tuple[str, str]) -> str:
        return f"due:{key[1]}:{key[0]}"

    async def start(self) -> None:
        self.aps = AsyncIOScheduler(timezone=ZoneInfo("UTC"))
        self.aps.start()
        await self.reload()
        self.aps.add_job(
            self.sweep,
            IntervalTrigger(seconds=SWEEP_SECONDS),
            id="sweep",
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=SWEEP_SECONDS,
        )
        for job in self.engine.registry.jobs:  # the features' own jobs (e.g. the mock clock)
            self.aps.add_job(
                self.run_job,
                IntervalTrigger(seconds=job.seconds),
                args=(job,),
                id=f"job:{job.name}",
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=job.seconds,
            )
        self.engine.kit.listeners.append(self.reload)
        await self.sweep()  # catch up on what was missed while the bot was down
        await self.run_jobs()

    async def stop(self) -> None:
        if self.reload in self.engine.kit.listeners:
            self.engine.kit.listeners.remove(self.reload)
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None

    async def run_jobs(self) -> int:
        """Run every feature job once and post what they deliver; return posts made."""
        return sum([await self.run_job(job) for job in self.engine.registry.jobs])

    async def run_job(self, job: Job) -> int:
        """One feature job: post its deliveries (a round's warning, a week's digest)."""
        sent = 0
        for delivery in await job.handler():
            sent += await self.courier.deliver(delivery)
        return sent

    # Posting ------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock().replace(tzinfo=ZoneInfo("UTC"))

    async def fire(self, time_of_day: str, zone: str) -> int:
        """The job for one (local time, timezone): post everything due now; return posts made."""
        now = self._now()
        items = self.groups.get((time_of_day, zone), [])
        day = now.astimezone(ZoneInfo(zone)).date()
        due_at = items[0].local_due(day) if items else now
        self.last_lag = max(0.0, (now - due_at).total_seconds())
        if self.metrics is not None:
            self.metrics.scheduler_lag.set(self.last_lag)
        return await self.fanout.post([(item, day) for item in items if item.runs_on(day)])

    async def sweep(self) -> int:
        """Post what is due but not posted, if still inside its grace window; log the rest."""
        now = self._now()
        await self.reload()
        due, missed = [], []
        for items in self.groups.values():
            for item in items:
                latest = item.latest_due(now)
                if latest is None:
                    continue
                day, moment = latest
                (due if now - moment <= item.grace else missed).append((item, day))
        posted = await self.fanout.post(due)
        await self._note_missed(missed)
        return posted

    async def _note_missed(self, missed: list[tuple[Due, date]]) -> None:
        for item, day in await self.fanout.missed(missed):
            log.warning(
                "skipped %s post %s for %s: missed by more than its %d-minute grace window",
                item.kind,
                item.key,
                day,
                item.grace.total_seconds() // 60,
            )

    async def _pause(self, item: Due, reason: str) -> None:
        """A channel refused its post: pause its schedule and tell the admin who set it."""
        await self.store.set_schedule_paused(item.key, True, reason)
        log.warning("paused schedule %s: %s", item.key, reason)
        await self.reload()
        await self._tell_admin(item, reason)

    async def _tell_admin(self, item: Due, reason: str) -> None:
        """Let the admin who set the schedule know that it is paused and why, by DM."""
        row = await self.store.schedule(item.key)
        if row is None or not row.set_by:
            return
        notice = Reply.text(
            "Daily question paused",
            f"I could not post the daily question in channel {item.channel_id}: {reason}. "
            "The schedule is paused. Give the bot access to the channel again, then run "
            "`/prep schedule resume` there.",
            tone="warning",
        )
        try:
            await self.adapters[item.platform].send_direct(row.set_by, notice)
        except Exception as exc:  # best effort: the log line above says it all
            log.warning(
                "could not tell %s that schedule %s is paused: %s", row.set_by, item.key, exc
            )
