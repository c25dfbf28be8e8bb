"""The dashboard's 12-month trend: a sent month's numbers read as sent (all sent months in one
statement), a month since then not sent counted in SQL; both equal the month's coverage
summary, for the town and for a village admin's village. A month before the first summary
sent has no numbers: the bot never reported it."""

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

APRIL = Month(2026, 4)


async def _counted(app: App, month: Month, villages: set[int] | None) -> tuple[int, int]:
    async with app.uow() as uow:
        town = (await month_coverage(uow, month, TZ, villages)).town
    return town.households, town.contacted


async def test_trend_points_equal_the_months_summaries_sent_or_not(app: App) -> None:
    await insert(app, generate(seed=5, households=120))
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
    town = february.town

    for actor, villages, sent in [
        (CLI_OPERATOR, None, (town.households, town.contacted)),
        (admin, {2}, (village.households, village.contacted)),
    ]:
        overview = await office_overview(app, actor, APRIL)
        assert len(overview.trend) == TREND_MONTHS
        points = {point.month: point for point in overview.trend}
        numbers = {m: (p.households, p.contacted) for m, p in points.items() if p.reported}
        assert numbers[APRIL] == (
            overview.coverage.town.households,
            overview.coverage.town.contacted,
        )
        assert numbers[FEBRUARY] == sent  # as sent, without the late contact
        assert numbers[MARCH] == await _counted(app, MARCH, villages)  # not sent: counted
        assert sent[0] > 0 and numbers[MARCH][0] > 0
        # Before the first summary sent: not reported, so not counted; the chart leaves a gap.
        assert [m for m, p in points.items() if not p.reported] == [
            m for m in points if str(m) < str(FEBRUARY)
        ]
        assert all(points[m].coverage is None for m in points if str(m) < str(FEBRUARY))
