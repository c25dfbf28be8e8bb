"""The assistance plan (一户一方案): measures, and the notice's rule for 不享受政策 households."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.core.flags.measures import MeasureType, add_measure, parse_amount
from bot.core.households.history import household_history
from bot.domain.model import Category, Role
from bot.errors import InvalidInput, NotAllowed
from bot.storage.models import AssistanceMeasure, AuditEntry
from bot.storage.uow import App
from tests.town_builder import TownBuilder


@pytest.fixture
async def town(app: App) -> TownBuilder:
    return TownBuilder(app)


async def test_town_office_adds_a_measure_and_it_is_in_the_households_history(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    contact = await town.person("王建华", village=village)
    household = await town.household(village, "张桂英", contact)

    measure = await add_measure(
        app,
        office,
        household.id,
        MeasureType.MEDICAL,
        "申请大病医疗救助",
        "镇民政办 李干事",
        amount=parse_amount("3,000元"),
        deadline=date(2026, 3, 31),
    )

    assert measure.amount == Decimal("3000.00")
    history = await household_history(app, contact, household.id)
    assert [(m.kind, m.what, m.responsible) for m in history.measures] == [
        ("medical", "申请大病医疗救助", "镇民政办 李干事")
    ]
    async with app.uow() as uow:
        audit = (
            await uow.session.execute(
                select(AuditEntry).where(AuditEntry.entity == "assistance_measure")
            )
        ).scalar_one()
    assert audit.actor_id == office.person_id and audit.changes["amount"] == "3000.00"


async def test_a_subsidy_for_a_no_policy_household_needs_a_stated_major_event(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    household = await town.household(village, "陈德明", category=Category.LIFTED_NO_POLICY)

    with pytest.raises(InvalidInput) as refused:
        await add_measure(app, office, household.id, MeasureType.DIBAO, "纳入低保", "村民政专干")
    assert "不享受政策" in refused.value.render()

    # Not a subsidy: allowed without an event.
    await add_measure(app, office, household.id, MeasureType.EMPLOYMENT, "公益岗位", "村书记")
    await add_measure(
        app,
        office,
        household.id,
        MeasureType.TEMPORARY_RELIEF,
        "临时救助一次",
        "镇民政办",
        amount=Decimal(2000),
        major_event="7月洪涝，房屋倒塌",
    )
    async with app.uow() as uow:
        kinds = (await uow.session.execute(select(AssistanceMeasure.kind))).scalars()
        assert sorted(kinds) == ["employment", "temporary_relief"]


async def test_only_the_town_office_or_the_villages_admin_adds_measures(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    other = await town.village("大河村")
    contact = await town.person("王建华", village=village)
    admin = await town.person("孙书记", Role.VILLAGE_ADMIN, village)
    other_admin = await town.person("钱书记", Role.VILLAGE_ADMIN, other)
    household = await town.household(village, "张桂英", contact)

    for actor in (contact, other_admin):
        with pytest.raises(NotAllowed):
            await add_measure(app, actor, household.id, MeasureType.WATER, "修水窖", "村委")
    await add_measure(app, admin, household.id, MeasureType.WATER, "修水窖", "村委")


async def test_a_measure_needs_what_who_and_a_deadline_not_in_the_past(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    household = await town.household(village, "张桂英")
    with pytest.raises(InvalidInput):
        await add_measure(app, office, household.id, MeasureType.WATER, " ", "村委")
    with pytest.raises(InvalidInput):
        await add_measure(app, office, household.id, MeasureType.WATER, "修水窖", "")
    with pytest.raises(InvalidInput):
        await add_measure(
            app,
            office,
            household.id,
            MeasureType.WATER,
            "修水窖",
            "村委",
            deadline=date(2026, 3, 9),
        )
    with pytest.raises(InvalidInput):
        await add_measure(app, office, household.id, "fireworks", "修水窖", "村委")
    with pytest.raises(InvalidInput):
        parse_amount("三千")
