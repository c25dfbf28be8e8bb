"""`bangfu demo-data --county`: a county on one installation to try, written in bulk."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.demo_county import CountySize, fill_demo_county
from bot.core.policy import Actor
from bot.core.reports.county import county_coverage
from bot.core.reports.summaries import sent_summary
from bot.core.roster.people import account_for_telegram
from bot.domain.model import Role
from bot.errors import Conflict
from bot.storage.models import Assignment, Household, Person, Town, Village
from bot.storage.uow import App

SMALL = CountySize(towns=3, villages=9, households=270, contact_persons=27)


async def _count(app: App, model: type) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_the_demo_county_has_its_towns_villages_households_and_offices(app: App) -> None:
    county = await fill_demo_county(app, SMALL)

    assert (county.towns, county.villages, county.households) == (3, 9, 270)
    assert county.contact_persons == 27 and 0 < county.contacts_this_month < 270
    # Last month has most households contacted, and its summary as sent on the 1st.
    assert 0.7 * 270 < county.contacts_last_month < 270
    assert (await _count(app, Town), await _count(app, Village)) == (3, 9)
    assert await _count(app, Household) == 270 and await _count(app, Assignment) == 270
    async with app.uow() as uow:
        offices = (
            await uow.session.execute(
                select(Person.role, Person.town_id).where(Person.role != Role.CONTACT)
            )
        ).all()
        chief = (
            await uow.session.execute(select(Person).where(Person.role == Role.COUNTY_OFFICE))
        ).scalar_one()
        chief.telegram_user_id = 9001
        await uow.commit()
    assert sorted(town for role, town in offices if role == Role.TOWN_OFFICE) == [1, 2, 3]
    account = await account_for_telegram(app, 9001)
    assert account is not None and isinstance(account.actor, Actor)
    compared = await county_coverage(app, account.actor, app.clock.this_month())
    assert sorted(town.name for town in compared.towns) == ["佛子岭镇", "落儿岭镇", "诸佛庵镇"]
    assert sum(town.tally.households for town in compared.towns) == 270
    last_month = app.clock.this_month().previous()
    before = await county_coverage(app, account.actor, last_month)
    contacted = sum(town.tally.contacted for town in before.towns)
    assert contacted == county.contacts_last_month
    async with app.uow() as uow:
        kept = await sent_summary(uow, last_month)
    assert kept is not None and kept.town.contacted == contacted


async def test_the_demo_county_is_not_added_to_a_database_with_households(app: App) -> None:
    await fill_demo_county(app, SMALL)
    with pytest.raises(Conflict):
        await fill_demo_county(app, SMALL)
