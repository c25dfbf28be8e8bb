"""The scheduled jobs: what each one queues, and when it wakes up.

A job only writes outbox rows (keyed, so running it twice queues nothing new); the sender
delivers them. Ladder jobs run at the moments `scheduler/ladder.py` computes and record each
run in `job_runs` in the same transaction, which is what catch-up reads after downtime.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.clock import Month
from bot.config import Settings
from bot.core.coverage import county_escalations, reminders
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import CountyOffice, TownOffice, queue
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.reports import summaries
from bot.core.roster import towns
from bot.i18n import N_
from bot.messages.summary_notices import summary_key
from bot.storage.models import JobRun
from bot.storage.uow import App, UnitOfWork
from scheduler.ladder import LadderJob, latest_moment, next_moment, step_of

log = logging.getLogger(__name__)

# Queues a job's rows for one moment, inside the caller's transaction; returns rows added.
QueueFor = Callable[[UnitOfWork, Settings, datetime], Awaitable[int]]
QueueList = Callable[[UnitOfWork, Settings, Month, str], Awaitable[int]]
FLAG_CHECK_MINUTES = 10  # how often flags are checked for a repeat alert


class LadderTrigger(BaseTrigger):
    """Fires at the ladder's moments for one job (APScheduler's cron cannot say "the last
    three days of the month", and one calendar answer keeps catch-up and triggers agreeing)."""

    __slots__ = ("job", "settings")

    def __init__(self, job: LadderJob, settings: Settings) -> None:
        self.job = job
        self.settings = settings

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        start = previous_fire_time + timedelta(seconds=1) if previous_fire_time else now
        return next_moment(self.job, self.settings, max(start, now))

    def __str__(self) -> str:
        return f"ladder[{self.job}]"


@dataclass(frozen=True)
class Job:
    name: str
    description: str  # msgid, shown by `bangfu jobs list`
    queue_for: QueueFor
    ladder: LadderJob | None = None  # None: runs on its interval, whenever it wakes

    def trigger(self, settings: Settings) -> BaseTrigger:
        if self.ladder is not None:
            return LadderTrigger(self.ladder, settings)
        return CronTrigger(minute=f"*/{FLAG_CHECK_MINUTES}", timezone=settings.tz)

    def moment_for(self, settings: Settings, now: datetime) -> datetime | None:
        """The moment a run at `now` stands for: the latest ladder moment this month, or
        `now` itself for interval jobs; None when the ladder has nothing yet this month."""
        if self.ladder is None:
            return now
        return latest_moment(self.ladder, settings, now)


def _month(settings: Settings, moment: datetime) -> Month:
    return Month.of(moment.astimezone(settings.tz).date())


def _for_step(queue_list: QueueList) -> QueueFor:
    """A reminder list queued for the month and ladder step of the moment."""

    async def queue_for(uow: UnitOfWork, settings: Settings, moment: datetime) -> int:
        return await queue_list(uow, settings, _month(settings, moment), step_of(moment, settings))

    return queue_for


async def _people_check(uow: UnitOfWork, settings: Settings, moment: datetime) -> int:
    month = _month(settings, moment)
    return await reminders.queue_people_to_reassign(uow, settings, month, uow.clock.now())


async def _flag_realerts(uow: UnitOfWork, settings: Settings, moment: datetime) -> int:
    now = uow.clock.now()
    queued = await flag_workflow.queue_flag_realerts(uow, settings, now)
    return queued + await county_escalations.queue_unseen_flags(uow, settings, now)


async def _town_lists(uow: UnitOfWork, settings: Settings, month: Month, step: str) -> int:
    """Each town's list to its office on the last day, and the towns below the coverage
    floor to the county office."""
    queued = await reminders.queue_town_list(uow, settings, month, step)
    return queued + await county_escalations.queue_low_towns(uow, settings, month)


async def _monthly_summary(uow: UnitOfWork, settings: Settings, moment: datetime) -> int:
    """Keep the month just ended as it is sent, and queue it for each town's office (its own
    town's part) and for the county office (the towns side by side), in one transaction: a
    summary is on record exactly when its messages are queued."""
    month = _month(settings, moment).previous()
    await summaries.keep_for_sending(uow, month, settings.tz)
    queued = 0
    for town_id in await towns.town_ids(uow):
        queued += await queue(
            uow,
            settings,
            TownOffice(town_id),
            summary_key(month, town_id),
            MessageKind.MONTHLY_SUMMARY,
            {"month": str(month), "town_id": town_id},
        )
    if await towns.county_office_exists(uow):
        queued += await queue(
            uow,
            settings,
            CountyOffice(),
            f"county_summary:{month}",
            MessageKind.COUNTY_SUMMARY,
            {"month": str(month)},
        )
    return queued


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            LadderJob.CONTACT_DIGEST,
            N_("Each contact person: the households not yet contacted this month"),
            _for_step(reminders.queue_contact_digests),
            LadderJob.CONTACT_DIGEST,
        ),
        Job(
            LadderJob.VILLAGE_LIST,
            N_("Village admins: the village's households not yet contacted"),
            _for_step(reminders.queue_village_lists),
            LadderJob.VILLAGE_LIST,
        ),
        Job(
            LadderJob.TOWN_LIST,
            N_("Town office: the town's households not yet contacted"),
            _for_step(_town_lists),
            LadderJob.TOWN_LIST,
        ),
        Job(
            LadderJob.PEOPLE_CHECK,
            N_("Town office: contact persons who blocked the bot or logged nothing for a while"),
            _people_check,
            LadderJob.PEOPLE_CHECK,
        ),
        Job(
            LadderJob.MONTHLY_SUMMARY,
            N_("Town office: last month's coverage summary, with chart and spreadsheet"),
            _monthly_summary,
            LadderJob.MONTHLY_SUMMARY,
        ),
        Job(
            "flag_realerts",
            N_("Town office: red flags unacknowledged or past their deadline, again"),
            _flag_realerts,
        ),
    )
}


async def run_job(app: App, job: Job, moment: datetime) -> int:
    """Run the job once for `moment`, in one transaction with the record of the run; returns
    the rows it queued (0 when they were queued before).

    Idempotent beside another process (`bangfu jobs run` while the bot's scheduler runs the
    same step): both may find a key not yet queued, and the second to commit then breaks the
    outbox's (or job_runs') unique key. That transaction is dropped whole and run again once:
    it now sees the other's rows and queues nothing, instead of ending in a traceback."""
    for attempt in range(2):
        try:
            async with app.uow() as uow:
                queued = await job.queue_for(uow, app.settings, moment)
                if job.ladder is not None:
                    await _record_run(uow, job, moment, queued)
                await uow.commit()
            break
        except IntegrityError:
            if attempt:
                raise
            log.info(
                "job %s for %s: another process queued the same; looking again",
                job.name,
                moment.isoformat(),
            )
    log.info("job %s for %s queued %d message(s)", job.name, moment.isoformat(), queued)
    return queued


async def has_run(app: App, job: Job, moment: datetime) -> bool:
    async with app.uow() as uow:
        query = select(func.count(JobRun.id)).where(
            JobRun.job == job.name, JobRun.scheduled_for == moment
        )
        return bool((await uow.session.execute(query)).scalar_one())


async def last_run(app: App, job: Job) -> JobRun | None:
    async with app.uow() as uow:
        query = (
            select(JobRun)
            .where(JobRun.job == job.name)
            .order_by(JobRun.scheduled_for.desc())
            .limit(1)
        )
        return (await uow.session.execute(query)).scalar_one_or_none()


async def _record_run(uow: UnitOfWork, job: Job, moment: datetime, queued: int) -> None:
    found = (
        await uow.session.execute(
            select(JobRun).where(JobRun.job == job.name, JobRun.scheduled_for == moment)
        )
    ).scalar_one_or_none()
    if found is None:
        uow.session.add(
            JobRun(job=job.name, scheduled_for=moment, ran_at=uow.clock.now(), queued=queued)
        )
    else:  # an operator ran it again by hand: keep one record, with the latest run
        found.ran_at = uow.clock.now()
        found.queued += queued
