"""`bangfu jobs list` and `bangfu jobs run NAME [--at "2026-03-20 09:00"]`.

`run` runs one job once as if it were that moment (local time), with a frozen clock: for
operators catching up by hand, and for tests. Outbox keys make a repeated run queue nothing,
also beside a running bot queuing the same at the same moment (scheduler/jobs.py: run_job).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from bot.cli.output import say
from bot.clock import Clock, FrozenClock, local_minute
from bot.config import Settings
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.storage.migrate import upgrade
from bot.telegram.app import build_app
from scheduler.jobs import JOBS, last_run, run_job

NOTHING_NEW = N_(
    "{job} ran for {when}: nothing new to queue. Its messages were already queued (by an "
    "earlier run or the running bot), or nobody needs one."
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    jobs = commands.add_parser("jobs", help="scheduled reminders and escalations")
    actions = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="each job and its next run (local time)").set_defaults(
        handler=list_jobs
    )
    run = actions.add_parser(
        "run",
        help="run one job once, now or as if it were --at",
        description="Runs the job once. For a ladder job the run stands for its latest moment "
        "of the month at or before that time (e.g. --at '2026-03-21 10:00' runs the 20th's "
        "digest). Messages already queued for that moment are not queued again.",
    )
    run.add_argument("name", choices=sorted(JOBS), help="the job")
    run.add_argument(
        "--at", type=_local_datetime, help='local time to run as, e.g. "2026-03-20 09:00"'
    )
    run.set_defaults(handler=run_one_job)


def _local_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(_('Write the time like "2026-03-20 09:00".')) from None


async def list_jobs(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        now = app.clock.now().astimezone(settings.tz)
        for job in JOBS.values():
            upcoming = job.trigger(settings).get_next_fire_time(None, now)
            previous = await last_run(app, job) if job.ladder is not None else None
            say(f"{job.name}\n  {_(job.description)}")
            say("  " + _("next run: {when}").format(when=local_minute(upcoming, settings.tz)))
            if previous is not None:
                say(
                    "  "
                    + _("last run: {when}, {count} message(s) queued").format(
                        when=local_minute(previous.scheduled_for, settings.tz),
                        count=previous.queued,
                    )
                )
    finally:
        await app.close()
    return 0


async def run_one_job(settings: Settings, args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    clock: Clock = Clock(settings.tz)
    if args.at is not None:
        at = args.at if args.at.tzinfo else args.at.replace(tzinfo=settings.tz)
        clock = FrozenClock(settings.tz, at)
    app = build_app(settings, clock)
    job = JOBS[args.name]
    try:
        moment = job.moment_for(settings, clock.now())
        if moment is None:
            say(
                _("{job} has nothing scheduled this month on or before {when}.").format(
                    job=job.name, when=local_minute(clock.now(), settings.tz)
                ),
                file=sys.stderr,
            )
            return 1
        queued = await run_job(app, job, moment)
    finally:
        await app.close()
    when = local_minute(moment, settings.tz)
    if queued == 0:
        say(_(NOTHING_NEW).format(job=job.name, when=when))
    else:
        say(
            _("{job} ran for {when}: {count} new message(s) queued.").format(
                job=job.name, when=when, count=queued
            )
        )
    return 0
