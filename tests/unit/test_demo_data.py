"""`bangfu demo-data`: a realistic town to try the bot with, two months of contacts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.demo import fill_demo_town
from bot.domain.model import Category, ContactChannel
from bot.domain.validation import normalise_id_number, normalise_phone
from bot.errors import Conflict
from bot.storage.models import (
    Assignment,
    AuditEntry,
    Contact,
    Household,
    OutboxMessage,
    Person,
    RedFlag,
    Village,
)
from bot.storage.uow import App

LAST_MONTH = (date(2026, 2, 1), date(2026, 2, 28))
THIS_MONTH = (date(2026, 3, 1), date(2026, 3, 10))  # the test clock stands at 10 March


async def all_of(app: App, model: type[Any]) -> list[Any]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(model))).scalars())


def households_contacted(contacts: list[Contact], first: date, last: date) -> set[int]:
    return {c.household_id for c in contacts if first <= c.occurred_on <= last}


async def test_demo_town_has_three_villages_sixty_households_and_eight_contact_persons(
    app: App,
) -> None:
    town = await fill_demo_town(app)

    villages = await all_of(app, Village)
    households = await all_of(app, Household)
    people = await all_of(app, Person)
    assert sorted(v.name for v in villages) == sorted(["大河村", "黄巢寺村", "佛子岭村"])
    assert len(households) == town.households == 60
    assert {h.category for h in households} == {str(c) for c in Category}
    assert {h.village_id for h in households} == {v.id for v in villages}
    assert len({h.id_number for h in households}) == 60
    for h in households:
        assert normalise_id_number(h.id_number) == h.id_number
        assert h.phone is None or normalise_phone(h.phone) == h.phone
    assert [p.role for p in people] == ["contact"] * 8 == ["contact"] * town.contact_persons
    current = [a for a in await all_of(app, Assignment) if a.ended_at is None]
    assert sorted(a.household_id for a in current) == sorted(h.id for h in households)


async def test_demo_town_has_last_month_nearly_covered_and_this_month_partly(app: App) -> None:
    town = await fill_demo_town(app)

    contacts = await all_of(app, Contact)
    last_month = households_contacted(contacts, *LAST_MONTH)
    this_month = households_contacted(contacts, *THIS_MONTH)
    assert 55 <= len(last_month) < 60
    assert 15 <= len(this_month) <= 45
    assert town.contacts_last_month + town.contacts_this_month == len(contacts)
    assert all(c.occurred_on <= app.clock.today() for c in contacts)
    assert all(c.entered_at <= app.clock.now() for c in contacts)
    assert {c.channel for c in contacts} == {str(channel) for channel in ContactChannel}
    assert len({c.draft_key for c in contacts}) == len(contacts)
    assignments = {a.household_id: a for a in await all_of(app, Assignment)}
    assert all(c.person_id == assignments[c.household_id].person_id for c in contacts)
    assert all(
        app.clock.local_date(assignments[c.household_id].started_at) < c.occurred_on
        for c in contacts
    )
    async with app.uow() as uow:
        audited = await uow.session.execute(
            select(func.count()).where(AuditEntry.entity == "contact")
        )
        assert audited.scalar_one() == len(contacts)


async def test_demo_town_has_guarantee_problems_and_red_flags_with_alerts(app: App) -> None:
    town = await fill_demo_town(app)

    flags = await all_of(app, RedFlag)
    assert len(flags) == town.flags >= 2
    assert {f.source for f in flags} == {"guarantee", "contact_person"}
    with_problems = [c for c in await all_of(app, Contact) if c.problems]
    assert {c.id for c in with_problems} == {f.contact_id for f in flags if f.contact_id}
    alerts = [m for m in await all_of(app, OutboxMessage) if m.kind == "flag_alert"]
    assert len(alerts) == len(flags)


async def test_demo_data_is_not_added_to_a_town_that_has_households(app: App) -> None:
    await fill_demo_town(app)

    with pytest.raises(Conflict) as refused:
        await fill_demo_town(app)

    assert "60" in refused.value.render()
    assert len(await all_of(app, Household)) == 60
