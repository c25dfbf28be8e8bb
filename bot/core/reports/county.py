"""The county office's view (县级): each town's monthly coverage side by side.

Read from the same summary the towns get (kept as sent once the month's summary went out;
computed now before that, or for the month still running), grouped by town."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.clock import Month
from bot.core.coverage.month_summary import MonthCoverage, Tally, VillageCoverage
from bot.core.policy import Act, Actor, require
from bot.core.reports.summaries import summary_of_month
from bot.core.roster.towns import town_of_villages
from bot.storage.models import Household, RedFlag, Town, Village
from bot.storage.uow import App, UnitOfWork


@dataclass
class TownCoverage:
    town_id: int
    name: str  # 乡镇
    tally: Tally
    villages: list[VillageCoverage]


@dataclass
class CountyCoverage:
    month: Month
    computed_at: datetime
    county: Tally
    towns: list[TownCoverage]  # in name order; a town without households has a row too


async def county_coverage(app: App, actor: Actor, month: Month) -> CountyCoverage:
    """The towns' coverage of the month side by side (the county office's)."""
    require(actor, Act.READ_COUNTY)
    async with app.uow() as uow:
        summary = await summary_of_month(uow, month, app.settings.tz)
        return await by_town(uow, summary)


async def by_town(uow: UnitOfWork, summary: MonthCoverage) -> CountyCoverage:
    """The county summary's villages grouped under their towns."""
    towns = {
        town.id: TownCoverage(town.id, town.name, Tally(), [])
        for town in (await uow.session.execute(select(Town).order_by(Town.name))).scalars()
    }
    town_of = await town_of_villages(uow)
    county = Tally()
    for village in summary.villages:
        town = towns.get(town_of.get(village.village_id, -1))
        if town is None:
            continue
        town.villages.append(village)
        town.tally.add(village.tally)
        county.add(village.tally)
    return CountyCoverage(summary.month, summary.computed_at, county, list(towns.values()))


async def flag_with_town(uow: UnitOfWork, flag_id: int) -> tuple[RedFlag, Household, str] | None:
    """The flag, its household and its town's name (for the county office's notices)."""
    found = (
        await uow.session.execute(
            select(RedFlag, Household, Town.name)
            .join(Household, Household.id == RedFlag.household_id)
            .join(Village, Village.id == Household.village_id)
            .join(Town, Town.id == Village.town_id)
            .where(RedFlag.id == flag_id)
        )
    ).first()
    return None if found is None else (found[0], found[1], found[2])
