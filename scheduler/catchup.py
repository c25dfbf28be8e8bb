"""Catch-up: the database, not the scheduler's memory, knows what has run.

Whenever a ladder job wakes (its trigger, or the service starting after downtime) it looks
for the latest moment of this month at or before now; if `job_runs` has no record of it, it
runs it once. A missed 09:00 is therefore run late rather than skipped, and a moment
superseded by a later one (down on the 20th and still down on the 25th) is not replayed.
"""

from __future__ import annotations

import logging

from bot.storage.uow import App
from scheduler.jobs import JOBS, Job, has_run, run_job

log = logging.getLogger(__name__)


async def run_if_due(app: App, job: Job) -> int | None:
    """Run the job for its latest unrun moment; None when there was nothing to run."""
    moment = job.moment_for(app.settings, app.clock.now())
    if moment is None:
        return None
    if job.ladder is not None and await has_run(app, job, moment):
        return None
    return await run_job(app, job, moment)


async def catch_up(app: App) -> dict[str, int]:
    """Run every job whose latest moment was missed; what each queued, by job name.
    One job failing does not keep the others from catching up."""
    done: dict[str, int] = {}
    for job in JOBS.values():
        try:
            queued = await run_if_due(app, job)
        except Exception:
            log.exception("catch-up of %s failed; its next moment runs as usual", job.name)
            continue
        if queued is not None:
            done[job.name] = queued
    return done
