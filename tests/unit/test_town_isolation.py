"""A county on one installation: a town office person of 甲镇 reaches nothing of 乙镇, by any
use case a command, a button (forged ids) or an upload ends in; the county office reads both."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.coverage.escalations import person_backlog, remind_now
from bot.core.coverage.month_coverage import coverage_for_month
from bot.core.coverage.not_contacted import not_contacted_this_month
from bot.core.flags.acknowledgement import acknowledge, set_deadline
from bot.core.flags.measures import add_measure
from bot.core.flags.platform_list import import_platform_flags
from bot.core.flags.removal import flag_panel, open_flag_panels, review_removal
from bot.core.households.history import find_households, household_history
from bot.core.onboarding.bulk_invites import invite_everyone_not_joined
from bot.core.onboarding.invites import create_invite
from bot.core.policy import Actor, readable_flag, readable_household
from bot.core.reports.county_board import town_in_reach
from bot.core.reports.forms import exportable_villages, form_facts
from bot.core.reports.summaries import summary_for_month
from bot.core.roster import changes as roster_changes
from bot.core.roster.importing import RosterRejected, import_roster
from bot.documents.roster_sheet import read_roster
from bot.domain.model import Category, FlagStatus, Role
from bot.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from bot.storage.models import AuditEntry, Household, Invite, Person, RedFlag
from bot.storage.uow import App
from tests.fixtures.rosters import household_row, write_csv
from tests.town_builder import TownBuilder


@pytest.fixture
async def county(app: App) -> dict[str, Any]:
    """甲镇 (the first town) with 河口村, 乙镇 with 山前村: a contact person, an
    uncontacted household with an open red flag, and a town office person in each."""
    build = TownBuilder(app)
    jia = await build.town("本镇")
    yi = await build.town("乙镇")
    hekou = await build.village("河口村", jia)
    shanqian = await build.village("山前村", yi)
    wang = await build.person("王建华", village=hekou, telegram_user_id=5001)
    li = await build.person("李红梅", village=shanqian, telegram_user_id=5002)
    zhang = await build.household(hekou, "张桂英", wang)
    liu = await build.household(shanqian, "刘秀兰", li)
    return {
        "office_a": await build.person("周主任", Role.TOWN_OFFICE, town=jia),
        "office_b": await build.person("吴主任", Role.TOWN_OFFICE, town=yi),
        "county": await build.person("县乡村振兴局郑科长", Role.COUNTY_OFFICE),
        "wang": wang,
        "li": li,
        "zhang": zhang,
        "liu": liu,
        "flag_a": await build.flag(zhang, "甲镇的预警"),
        "flag_b": await build.flag(liu, "乙镇的预警"),
        "shanqian": shanqian,
    }


async def _count(app: App, model: type) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def _refused(call: Any) -> DomainError:
    with pytest.raises((NotAllowed, NotFound, InvalidInput, Conflict)) as refused:
        await call
    return refused.value


async def test_a_town_office_person_reaches_nothing_of_another_town_by_any_use_case(
    app: App, county: dict[str, Any], tmp_path: Path
) -> None:
    office: Actor = county["office_a"]
    liu: Household = county["liu"]
    flag_b: RedFlag = county["flag_b"]
    li: Actor = county["li"]
    audit_before = await _count(app, AuditEntry)

    # Buttons with another town's ids (forged callback data): the household, its flag, its
    # contact person, its village.
    async with app.uow() as uow:
        await _refused(readable_household(uow, office, liu.id))
        await _refused(readable_flag(uow, office, flag_b.id))
    await _refused(household_history(app, office, liu.id))
    await _refused(flag_panel(app, office, flag_b.id))
    await _refused(acknowledge(app, office, flag_b.id))
    await _refused(set_deadline(app, office, flag_b.id, 30))
    await _refused(review_removal(app, office, flag_b.id, approve=True))
    await _refused(add_measure(app, office, liu.id, "medical", "医保", "吴主任"))
    await _refused(roster_changes.reassignment_of(app, office, liu.id))
    await _refused(roster_changes.reassign(app, office, liu.id, county["wang"].person_id))
    await _refused(roster_changes.reassign(app, office, county["zhang"].id, li.person_id))
    await _refused(roster_changes.assignable_people(app, office, liu.id))
    await _refused(roster_changes.deactivate_person(app, office, li.person_id))
    await _refused(person_backlog(app, office, li.person_id))
    await _refused(remind_now(app, office, li.person_id))
    await _refused(
        invite_everyone_not_joined(app, office, "bangfu_bot", village_id=county["shanqian"].id)
    )

    # Commands naming another town's things.
    meeting = roster_changes.meeting_record(app, date(2026, 3, 1), "村民代表大会")
    await _refused(
        roster_changes.change_category(app, office, liu.id, Category.LIFTED_POLICY, meeting)
    )
    await _refused(roster_changes.adjust_out(app, office, liu.id, meeting))
    await _refused(roster_changes.household_by_number(app, office, liu.number))
    await _refused(roster_changes.find_person(app, office, "李红梅"))
    await _refused(form_facts(app, office, "山前村"))
    await _refused(coverage_for_month(app, office, app.clock.this_month(), {liu.village_id}))
    await _refused(create_invite(app, office, "吴书记", Role.VILLAGE_ADMIN, village="山前村"))

    # Lists show the own town only.
    assert await find_households(app, office, "刘秀兰") == []
    assert [panel.flag.id for panel in await open_flag_panels(app, office)] == [county["flag_a"].id]
    assert list((await exportable_villages(app, office)).values()) == ["河口村"]
    left = await not_contacted_this_month(app, office)
    assert [village.village for village in left.villages] == ["河口村"]
    coverage = await coverage_for_month(app, office, app.clock.this_month())
    assert [village.name for village in coverage.villages] == ["河口村"]
    summary = await summary_for_month(app, office, app.clock.this_month())
    assert [village.name for village in summary.villages] == ["河口村"]
    assert summary.town.households == 1 and [p.name for p in summary.persons] == ["王建华"]
    assert await roster_changes.unassigned_households(app, office) == []

    # Uploads: a roster naming the other town's village, household or 乡镇; a platform list.
    for row in (
        household_row(1, 村="山前村"),
        household_row(2, 户编号=liu.number),
        household_row(3, 乡镇="乙镇"),
    ):
        with pytest.raises(RosterRejected):
            await import_roster(app, office, read_roster(write_csv(tmp_path / "r.csv", [row])))
    report = await import_platform_flags(app, office, [["户编号", "原因"], [liu.number, "比对"]])
    assert report.flagged == [] and [row.value for row in report.unknown] == [liu.number]

    # An invite by a name the other town also has makes a person of this town; theirs is
    # untouched.
    issued = await create_invite(app, office, "李红梅", Role.CONTACT)
    assert issued.person.id != li.person_id and issued.person.town_id == office.town_id
    async with app.uow() as uow:
        theirs = await uow.session.get(Person, li.person_id)
        invites = await uow.session.execute(
            select(func.count()).select_from(Invite).where(Invite.person_id == li.person_id)
        )
    assert theirs is not None and theirs.active and invites.scalar_one() == 0

    # Nothing of 乙镇 changed: its flag is as raised, its household as it was.
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flag_b.id)
        household = await uow.session.get(Household, liu.id)
    assert flag is not None and flag.status == FlagStatus.RAISED and not flag.acknowledged_by_id
    assert household is not None and household.category == Category.MARGINAL
    # Only the one invite (person, invite) was written.
    assert await _count(app, AuditEntry) - audit_before == 2


async def test_the_county_office_reads_every_town_but_does_the_towns_work_in_none(
    app: App, county: dict[str, Any]
) -> None:
    chief: Actor = county["county"]
    flags = await open_flag_panels(app, chief)
    assert {panel.flag.id for panel in flags} == {county["flag_a"].id, county["flag_b"].id}
    assert all(panel.acts == [] for panel in flags)  # read only, till a town approves
    summary = await summary_for_month(app, chief, app.clock.this_month())
    assert sorted(village.name for village in summary.villages) == ["山前村", "河口村"]
    assert sorted((await exportable_villages(app, chief)).values()) == ["山前村", "河口村"]
    await _refused(acknowledge(app, chief, county["flag_b"].id))
    meeting = roster_changes.meeting_record(app, date(2026, 3, 1), "村民代表大会")
    await _refused(roster_changes.adjust_out(app, chief, county["liu"].id, meeting))


async def test_the_county_office_narrowed_to_one_town_reads_that_town_only(
    app: App, county: dict[str, Any]
) -> None:
    whole = county["county"]
    yi = county["shanqian"].town_id
    narrowed, name = await town_in_reach(app, whole, yi)
    assert name == "乙镇" and not narrowed.county_wide
    found = await find_households(app, narrowed, "刘")
    assert [h.id for h in found] == [county["liu"].id]
    assert await find_households(app, narrowed, "张") == []
    await _refused(readable_flag_of(app, narrowed, county["flag_a"].id))
    await _refused(town_in_reach(app, whole, 999))
    await _refused(town_in_reach(app, county["office_a"], yi))  # not the county office's


async def readable_flag_of(app: App, actor: Actor, flag_id: int) -> None:
    async with app.uow() as uow:
        await readable_flag(uow, actor, flag_id)
