"""The dashboard's 12-month trend: a sent month's numbers read from its summary as sent (all
sent months in one statement), a month not sent counted in SQL; both equal the month's
coverage summary, for the town and for a village admin's village."""

from __future__ import annotations

from datetime import date

from bot.clock import Month
from bot.core.coverage.month_coverage import month_coverage
from bot.core.coverage.overview import TREND_MONTHS, office_overview
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.summaries import record_sent, summary_for_month
from bot.domain.model import Role
from bot.storage.models import Contact
from bot.storage.uow import App
from tests.month_data import FEBRUARY, MARCH, TZ, generate, insert

JANUARY = Month(2026, 1)


async def _counted(app: App, month: Month, villages: set[int] | None) -> tuple[int, int]:
    async with app.uow() as uow:
        town = (await month_coverage(uow, month, TZ, villages)).town
    return town.households, town.contacted


async def test_trend_points_equal_the_months_summaries_sent_or_not(app: App) -> None:
    await insert(app, generate(seed=5, households=120))
    january = await _counted(app, JANUARY, None)
    february = await summary_for_month(app, CLI_OPERATOR, FEBRUARY)
    await record_sent(app, FEBRUARY, february)
    # A contact backdated into February after it was sent: the trend keeps February as sent.
    late = next(line for v in february.villages for line in v.uncontacted if v.village_id == 2)
    async with app.uow() as uow:
        uow.session.add(
            Contact(
                household_id=late.household_id,
                person_id=late.person_id,
                occurred_on=date(2026, 2, 20),
                entered_at=app.clock.now(),
                channel="phone",
                problems=[],
                events=[],
                status="active",
                draft_key="late-1",
            )
        )
        await uow.commit()
    (village,) = [v.tally for v in february.villages if v.village_id == 2]
    assert await _counted(app, FEBRUARY, {2}) == (village.households, village.contacted + 1)
    admin = Actor(person_id=None, name="村管理员", role=Role.VILLAGE_ADMIN, village_id=2)
    village_january = await _counted(app, JANUARY, {2})
    town = february.town

    for actor, expected in [
        (CLI_OPERATOR, {JANUARY: january, FEBRUARY: (town.households, town.contacted)}),
        (admin, {JANUARY: village_january, FEBRUARY: (village.households, village.contacted)}),
    ]:
        overview = await office_overview(app, actor, MARCH)
        assert len(overview.trend) == TREND_MONTHS
        points = {point.month: (point.households, point.contacted) for point in overview.trend}
        assert points[MARCH] == (
            overview.coverage.town.households,
            overview.coverage.town.contacted,
        )
        assert points[FEBRUARY] == expected[FEBRUARY]
        assert points[JANUARY] == expected[JANUARY]
        assert expected[JANUARY][0] > 0 and expected[FEBRUARY][0] > 0
        assert points[Month(2025, 4)] == (0, 0)  # before the town had any household
