"""The dashboard's county page (县级对比): the towns side by side for a month — coverage,
open and overdue red flags, removals awaiting the county's decision — and the county
office's way into one town's pages (`town_in_reach`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bot.clock import Month
from bot.core.policy import NO_SUCH_TOWN, Act, Actor, require, within_town
from bot.core.reports.county import CountyCoverage, TownCoverage, county_coverage
from bot.domain.model import FlagStatus
from bot.errors import NotFound
from bot.storage.models import Household, RedFlag, Town, Village
from bot.storage.uow import App


@dataclass(frozen=True)
class TownRow:
    coverage: TownCoverage
    awaiting_county: int  # removals the town approved, now waiting for the county's decision


@dataclass(frozen=True)
class CountyBoard:
    month: Month
    coverage: CountyCoverage
    towns: list[TownRow]

    @property
    def awaiting_county(self) -> int:
        return sum(row.awaiting_county for row in self.towns)


async def county_board(app: App, actor: Actor, month: Month) -> CountyBoard:
    """The towns side by side (the county office's; NotAllowed for anyone else). Coverage and
    the month's flag numbers are the county summary's; the removals awaiting are as of now."""
    require(actor, Act.READ_COUNTY)
    coverage = await county_coverage(app, actor, month)
    query = (
        select(Village.town_id, func.count(RedFlag.id))
        .join(Household, Household.id == RedFlag.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(
            RedFlag.status == FlagStatus.REMOVAL_REQUESTED,
            RedFlag.removal_approved_at.is_not(None),
        )
        .group_by(Village.town_id)
    )
    async with app.uow() as uow:
        awaiting = {town: count for town, count in await uow.session.execute(query)}
    rows = [TownRow(town, awaiting.get(town.town_id, 0)) for town in coverage.towns]
    return CountyBoard(month, coverage, rows)


async def town_in_reach(app: App, actor: Actor, town_id: int) -> tuple[Actor, str]:
    """The county office narrowed to one of its towns, and the town's name: NotFound for a
    town that does not exist, and for anyone who is not the county office (the same answer,
    so nothing tells which towns exist)."""
    if not actor.county_wide:
        raise NotFound(NO_SUCH_TOWN)
    async with app.uow() as uow:
        name = (
            await uow.session.execute(select(Town.name).where(Town.id == town_id))
        ).scalar_one_or_none()
    if name is None:
        raise NotFound(NO_SUCH_TOWN)
    return within_town(actor, town_id), name


async def town_count(app: App) -> int:
    """How many towns the installation has (the dashboard shows the county page past one)."""
    async with app.uow() as uow:
        return int((await uow.session.execute(select(func.count(Town.id)))).scalar_one())
