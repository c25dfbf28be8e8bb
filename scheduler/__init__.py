"""Scheduled work beside the bot: the escalation ladder's jobs and the outbox sender.

`start_scheduler` first catches up on any ladder moment missed while the service was down
(the database knows what ran), then starts APScheduler with one trigger per job, and the
sender that delivers what the jobs queue. Started by `bangfu run`.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.storage.uow import App
from scheduler.backup_job import add_nightly_backup
from scheduler.catchup import catch_up, run_if_due
from scheduler.jobs import JOBS
from scheduler.sender import OutboxSender

log = logging.getLogger(__name__)

# APScheduler drops a run more than `misfire_grace_time` late (default: 1 second). A busy
# loop or a suspended machine must not lose a 09:00 run, so allow most of a day; catch-up
# covers anything later, and a run that does happen twice queues nothing new.
MISFIRE_GRACE_SECONDS = 12 * 3600


class RunningScheduler:
    """Handle on the running scheduler and sender, so `serve` can stop them cleanly."""

    def __init__(self, jobs: AsyncIOScheduler, sender: OutboxSender) -> None:
        self.jobs = jobs
        self.sender = sender

    async def stop(self) -> None:
        if self.jobs.running:
            self.jobs.shutdown(wait=False)
        await self.sender.stop()


def build_job_scheduler(app: App) -> AsyncIOScheduler:
    """An APScheduler with every job on its trigger, in the town's time zone (not started)."""
    jobs = AsyncIOScheduler(
        timezone=app.settings.tz,
        job_defaults={
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            "coalesce": True,
            "max_instances": 1,
        },
    )
    for job in JOBS.values():
        jobs.add_job(
            run_if_due, job.trigger(app.settings), args=(app, job), id=job.name, name=job.name
        )
    add_nightly_backup(jobs, app)
    return jobs


async def start_scheduler(app: App, bot: Bot) -> RunningScheduler:
    caught_up = await catch_up(app)
    if caught_up:
        log.info("caught up on missed jobs: %s", caught_up)
    jobs = build_job_scheduler(app)
    jobs.start()
    sender = OutboxSender(app, bot)
    await sender.start()
    return RunningScheduler(jobs, sender)
