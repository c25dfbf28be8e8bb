"""The escalation ladder (催办): which step falls on which local day and hour, from settings.

Everything here is pure calendar arithmetic over `Settings`, so the scheduler's triggers,
catch-up after downtime and `bangfu jobs list` all read one answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from enum import StrEnum

from bot.clock import Month
from bot.config import Settings


class LadderJob(StrEnum):
    """The jobs that run at fixed moments of the month (see DOMAIN.md, escalation ladder)."""

    CONTACT_DIGEST = "contact_digest"  # each contact person: their uncontacted households
    VILLAGE_LIST = "village_list"  # village admins: the village's uncontacted list
    TOWN_LIST = "town_list"  # town office: the town's uncontacted list
    PEOPLE_CHECK = "people_check"  # town office: contact persons unreachable or inactive
    MONTHLY_SUMMARY = "monthly_summary"  # town office: last month's coverage summary


def digest_days(settings: Settings, month: Month) -> list[int]:
    """Days of the month on which contact persons get their digest: the configured days
    (20, 25) and every one of the last `reminder_daily_last_days` days."""
    last = month.last_day.day
    daily_from = max(1, last - settings.reminder_daily_last_days + 1)
    days = {day for day in settings.reminder_day_list if 1 <= day <= last}
    days.update(range(daily_from, last + 1))
    return sorted(days)


def job_days(job: LadderJob, settings: Settings, month: Month) -> list[int]:
    last = month.last_day.day
    if job is LadderJob.CONTACT_DIGEST:
        return digest_days(settings, month)
    if job is LadderJob.VILLAGE_LIST:
        return [min(settings.village_escalation_day, last)]
    if job is LadderJob.TOWN_LIST:
        return [last]
    if job is LadderJob.MONTHLY_SUMMARY:
        return [1]  # for the month just ended
    return list(range(1, last + 1))


def job_hour(job: LadderJob, settings: Settings) -> int:
    """Local hour of the job's moments: the summary comes first thing (08:00), the
    reminders at 09:00."""
    return settings.summary_hour if job is LadderJob.MONTHLY_SUMMARY else settings.reminder_hour


def moments(job: LadderJob, settings: Settings, month: Month) -> list[datetime]:
    """The job's moments in the month, as aware local datetimes, earliest first."""
    at = time(job_hour(job, settings))
    return [
        datetime.combine(date(month.year, month.month, day), at, settings.tz)
        for day in job_days(job, settings, month)
    ]


def latest_moment(job: LadderJob, settings: Settings, now: datetime) -> datetime | None:
    """The job's latest moment at or before `now` within now's local month (catch-up looks
    no further back: last month's reminders are moot once the month is over)."""
    local_now = now.astimezone(settings.tz)
    due = [
        moment
        for moment in moments(job, settings, Month.of(local_now.date()))
        if moment <= local_now
    ]
    return due[-1] if due else None


def next_moment(job: LadderJob, settings: Settings, start: datetime) -> datetime:
    """The job's first moment at or after `start`."""
    for moment in _moments_from(job, settings, Month.of(start.astimezone(settings.tz).date())):
        if moment >= start:
            return moment
    raise AssertionError("every month has at least one moment for every ladder job")


def _moments_from(job: LadderJob, settings: Settings, month: Month) -> Iterator[datetime]:
    # Two months always hold the next moment: each job fires at least once a month.
    for candidate in (month, month.next()):
        yield from moments(job, settings, candidate)


def step_of(moment: datetime, settings: Settings) -> str:
    """The ladder step a moment stands for, used in outbox keys: "d20" for the 20th."""
    local = moment.astimezone(settings.tz)
    return f"d{local.day:02d}"
