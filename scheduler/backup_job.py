"""The nightly backup: at BACKUP_HOUR (local time) a backup into BACKUP_DIR, keeping the
newest BACKUP_KEEP. Off with NIGHTLY_BACKUP=false (e.g. where the server's own backups
already copy the database with pg_dump).

It is not a ladder job: it queues no message and needs no catch-up (a night missed while
bangfu was down is covered by the next one, and `bangfu doctor` warns when the newest
backup is old)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.ops.backup import make_backup, prune
from bot.storage.uow import App

log = logging.getLogger(__name__)
JOB_ID = "nightly_backup"


def add_nightly_backup(jobs: AsyncIOScheduler, app: App) -> None:
    """Schedule the nightly backup, unless NIGHTLY_BACKUP is off."""
    settings = app.settings
    if not settings.nightly_backup:
        log.info("nightly backup is off (NIGHTLY_BACKUP=false)")
        return
    trigger = CronTrigger(hour=settings.backup_hour, minute=0, timezone=settings.tz)
    jobs.add_job(nightly_backup, trigger, args=(app,), id=JOB_ID, name=JOB_ID)


async def nightly_backup(app: App) -> None:
    try:
        await make_backup(app.settings, app.clock.now())
        prune(app.settings.backup_dir, app.settings.backup_keep)
    except Exception:
        log.exception("the nightly backup failed; bangfu doctor shows the newest backup")
