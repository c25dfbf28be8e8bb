"""What each person's menu is made of (their duties), who sees which "not contacted" list, and
who is told of a new red flag: the town office, and the village's admins only if it has any."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.core.coverage.not_contacted import not_contacted_this_month
from bot.core.flags.raising import report_risk
from bot.core.policy import Duty, duties_of
from bot.domain.model import HouseholdStatus, Role
from bot.errors import NotAllowed
from bot.messages.menus import commands_for
from bot.storage.models import Assignment, OutboxMessage
from bot.storage.uow import App
from tests.town_builder import TownBuilder


async def test_each_role_has_its_own_duties_and_households_of_ones_own_add_the_contact_part(
    app: App,
) -> None:
    build = TownBuilder(app)
    hekou = await build.village("河口村")
    contact = await build.person("王建华", village=hekou)
    admin = await build.person("刘书记", Role.VILLAGE_ADMIN, hekou)
    clerk = await build.person("周主任", Role.TOWN_OFFICE)
    busy_clerk = await build.person("吴干事", Role.TOWN_OFFICE)
    await build.household(hekou, "张桂英", busy_clerk)
    # A household no longer monitored does not make its old contact person's menu.
    await build.household(hekou, "李秀兰", admin, status=HouseholdStatus.RISK_REMOVED)

    assert await duties_of(app, contact) == (Duty.OWN_HOUSEHOLDS,)  # even with none yet
    assert await duties_of(app, admin) == (Duty.VILLAGE,)
    assert await duties_of(app, clerk) == (Duty.TOWN_OFFICE,)
    assert await duties_of(app, busy_clerk) == (Duty.TOWN_OFFICE, Duty.OWN_HOUSEHOLDS)


def test_command_lists_follow_the_duties_each_command_once() -> None:
    names = [name for name, _text in commands_for((Duty.TOWN_OFFICE, Duty.OWN_HOUSEHOLDS))]
    assert names[:2] == ["flags", "summary"] and "recent" in names
    assert len(names) == len(set(names))
    village = {name for name, _text in commands_for((Duty.VILLAGE,))}
    assert village == {"flags", "export", "web", "office", "help", "language", "cancel"}


async def test_not_contacted_is_the_villages_for_its_admin_and_the_towns_for_the_office(
    app: App,
) -> None:
    build = TownBuilder(app)
    hekou, shanqian = await build.village("河口村"), await build.village("山前村")
    wang = await build.person("王建华", village=hekou)
    li = await build.person("李红梅", village=shanqian)
    zhang = await build.household(hekou, "张桂英", wang)
    await build.household(hekou, "何玉珍", wang)
    liu = await build.household(shanqian, "刘秀兰", li)
    await build.contact(zhang, wang, date(2026, 3, 2))  # contacted this month
    async with app.uow() as uow:  # 刘秀兰 has two contact persons: listed twice, counted once
        uow.session.add(
            Assignment(household_id=liu.id, person_id=wang.person_id, started_at=uow.clock.now())
        )
        await uow.commit()
    admin = await build.person("陈书记", Role.VILLAGE_ADMIN, hekou)
    office = await build.person("周主任", Role.TOWN_OFFICE)

    village = await not_contacted_this_month(app, admin)
    assert [v.village for v in village.villages] == ["河口村"]
    assert village.villages[0].people[0].households == ["何玉珍（1组）"]
    town = await not_contacted_this_month(app, office)
    assert town.households == 2 and str(town.month) == "2026-03"
    assert {v.village for v in town.villages} == {"河口村", "山前村"}
    shanqian_left = next(v for v in town.villages if v.village == "山前村")
    assert [p.person for p in shanqian_left.people] == ["李红梅", "王建华"]
    with pytest.raises(NotAllowed):
        await not_contacted_this_month(app, wang)


async def test_a_new_flag_is_queued_for_the_villages_admins_only_when_it_has_any(
    app: App,
) -> None:
    build = TownBuilder(app)
    hekou, shanqian = await build.village("河口村"), await build.village("山前村")
    wang = await build.person("王建华", village=hekou)
    li = await build.person("李红梅", village=shanqian)
    office = await build.person("周主任", Role.TOWN_OFFICE, telegram_user_id=9001)
    admin = await build.person("陈书记", Role.VILLAGE_ADMIN, hekou, telegram_user_id=9002)
    zhang = await build.household(hekou, "张桂英", wang)
    liu = await build.household(shanqian, "刘秀兰", li)

    with_admin = await report_risk(app, wang, zhang.id, "户主因病住院")
    without_admin = await report_risk(app, li, liu.id, "房屋漏雨")

    async with app.uow() as uow:
        rows = (await uow.session.execute(select(OutboxMessage))).scalars().all()
    kinds = {(row.payload["flag_id"], row.kind, row.recipient) for row in rows}
    office_row, admin_row = f"person:{office.person_id}", f"person:{admin.person_id}"
    assert kinds == {
        (with_admin.id, "flag_alert", office_row),
        (with_admin.id, "village_flag", admin_row),
        (without_admin.id, "flag_alert", office_row),  # the office is not told twice
    }
