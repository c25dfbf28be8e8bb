"""Escalations to the county office (县级): a town's red flag nobody at the town office has
acknowledged for `county_flag_hours` (48 h by default), and a town whose coverage is below
`county_coverage_floor` (80%) on the month's last day. Each goes out once (keyed by flag, or
by town and month), only while the county office has someone to tell."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import Month
from bot.config import Settings
from bot.core.coverage.month_coverage import month_coverage
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import CountyOffice, queue
from bot.core.reports.county import by_town
from bot.core.roster.towns import county_office_exists
from bot.domain.model import FlagStatus
from bot.storage.models import RedFlag
from bot.storage.uow import UnitOfWork

FLAG_UNSEEN = "flag_unseen"
LOW_COVERAGE = "low_coverage"


async def queue_unseen_flags(uow: UnitOfWork, settings: Settings, now: datetime) -> int:
    """Each red flag raised `county_flag_hours` ago and still not acknowledged, once."""
    if not await county_office_exists(uow):
        return 0
    since = now - timedelta(hours=settings.county_flag_hours)
    query = (
        select(RedFlag.id)
        .where(RedFlag.status == FlagStatus.RAISED, RedFlag.raised_at <= since)
        .order_by(RedFlag.id)
    )
    queued = 0
    for flag_id in (await uow.session.execute(query)).scalars():
        queued += await queue(
            uow,
            settings,
            CountyOffice(),
            f"county:flag:{flag_id}:unseen",
            MessageKind.COUNTY_ESCALATION,
            {"reason": FLAG_UNSEEN, "flag_id": flag_id, "hours": settings.county_flag_hours},
        )
    return queued


async def queue_low_towns(uow: UnitOfWork, settings: Settings, month: Month) -> int:
    """Each town under the coverage floor now (the month's last day), once a month; the
    numbers are kept in the row as they were."""
    if not await county_office_exists(uow):
        return 0
    county = await by_town(uow, await month_coverage(uow, month, settings.tz))
    queued = 0
    for town in county.towns:
        share = town.tally.coverage
        if share is None or share >= settings.county_coverage_floor:
            continue
        queued += await queue(
            uow,
            settings,
            CountyOffice(),
            f"county:coverage:{month}:town{town.town_id}",
            MessageKind.COUNTY_ESCALATION,
            {
                "reason": LOW_COVERAGE,
                "month": str(month),
                "town": town.name,
                "contacted": town.tally.contacted,
                "households": town.tally.households,
                "floor": settings.county_coverage_floor,
            },
        )
    return queued
