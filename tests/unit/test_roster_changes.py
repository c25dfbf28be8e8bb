"""Roster changes between imports: with a meeting record where the forms need one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.core.roster import changes as roster_changes
from bot.core.roster.changes import ChangeKind, MeetingRecord
from bot.core.roster.rows import RosterRejected
from bot.domain.model import Category, HouseholdStatus, Role
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.storage.models import Assignment, AuditEntry, Household, HouseholdChange, Person
from bot.storage.uow import App
from tests.fixtures.rosters import household_row, write_csv
from tests.town_builder import TownBuilder, id_number

MEETING = MeetingRecord(date(2026, 3, 6), "村两委和驻村工作队研究决定")


async def changes(app: App) -> list[HouseholdChange]:
    async with app.uow() as uow:
        query = select(HouseholdChange).order_by(HouseholdChange.id)
        return list((await uow.session.execute(query)).scalars())


async def current_contact(app: App, household_id: int) -> list[int]:
    async with app.uow() as uow:
        query = select(Assignment.person_id).where(
            Assignment.household_id == household_id, Assignment.ended_at.is_(None)
        )
        return list((await uow.session.execute(query)).scalars())


async def test_a_category_change_and_an_adjustment_out_keep_their_meeting_record(
    app: App,
) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    contact = await town.person("王建华", village=village)
    zhang = await town.household(village, "张桂英", contact)
    chen = await town.household(village, "陈德明", contact)

    await roster_changes.change_category(app, office, zhang.id, Category.LIFTED_MONITORED, MEETING)
    await roster_changes.adjust_out(
        app, office, chen.id, MeetingRecord(date(2026, 3, 6), "风险消除，收入稳定")
    )

    recorded = [
        (c.household_id, c.kind, c.old_value, c.new_value, c.reason, c.meeting_on)
        for c in await changes(app)
    ]
    assert recorded == [
        (
            zhang.id,
            ChangeKind.CATEGORY,
            "marginal",
            "lifted_monitored",
            MEETING.reason,
            date(2026, 3, 6),
        ),
        (
            chen.id,
            ChangeKind.ADJUSTED_OUT,
            "monitored",
            "adjusted_out",
            "风险消除，收入稳定",
            date(2026, 3, 6),
        ),
    ]
    async with app.uow() as uow:
        adjusted = await uow.session.get(Household, chen.id)
        assert adjusted is not None and adjusted.status == HouseholdStatus.ADJUSTED_OUT
    assert await current_contact(app, chen.id) == []
    with pytest.raises(Conflict):
        await roster_changes.adjust_out(app, office, chen.id, MEETING)


def test_a_meeting_record_needs_a_past_date_and_a_reason(app: App) -> None:
    with pytest.raises(InvalidInput):
        roster_changes.meeting_record(app, date(2026, 3, 1), "  ")
    with pytest.raises(InvalidInput):
        roster_changes.meeting_record(app, None, "研究决定")
    with pytest.raises(InvalidInput):
        roster_changes.meeting_record(app, date(2026, 3, 11), "研究决定")
    assert roster_changes.meeting_record(app, date(2026, 3, 10), " 研究决定 ").reason == "研究决定"


async def test_a_newly_found_household_is_checked_like_a_roster_row_and_assigned(
    app: App,
) -> None:
    town = TownBuilder(app)
    await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    cells: dict[str, object] = {
        "村": "河口村",
        "组": "2组",
        "户编号": "3415231010777777",
        "户主姓名": "赵金山",
        "身份证号": id_number(777),
        "联系电话": "13856400001",
        "家庭人口数": "4",
        "类别": "边缘户",
        "年人均纯收入": "4800",
        "风险类型": "因病",
        "帮扶联系人": "王建华",
        "帮扶联系人电话": "13905640001",
    }
    with pytest.raises(RosterRejected) as rejected:
        await roster_changes.add_household(
            app, office, {**cells, "身份证号": "341523195001010000"}, MEETING
        )
    assert [p.column for p in rejected.value.problems] == ["身份证号"]

    household = await roster_changes.add_household(app, office, cells, MEETING)

    assert (household.head_name, household.category, household.status) == (
        "赵金山",
        "marginal",
        "monitored",
    )
    async with app.uow() as uow:
        wang = (
            await uow.session.execute(select(Person).where(Person.name == "王建华"))
        ).scalar_one()
    assert await current_contact(app, household.id) == [wang.id]
    assert [(c.kind, c.new_value) for c in await changes(app)] == [(ChangeKind.ADDED, "marginal")]
    with pytest.raises(Conflict):
        await roster_changes.add_household(app, office, cells, MEETING)


async def test_reassigning_ends_the_old_assignment_and_starts_a_new_one(app: App) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    wang = await town.person("王建华", village=village)
    li = await town.person("李春华", village=village)
    zhang = await town.household(village, "张桂英", wang)

    assert [a.name for a in await roster_changes.assignable_people(app, office, zhang.id)] == [
        "李春华",
        "王建华",
    ]
    await roster_changes.reassign(app, office, zhang.id, li.person_id or 0)

    assert await current_contact(app, zhang.id) == [li.person_id]
    with pytest.raises(Conflict):
        await roster_changes.reassign(app, office, zhang.id, li.person_id or 0)
    async with app.uow() as uow:
        actions = (
            await uow.session.execute(
                select(AuditEntry.action).where(AuditEntry.entity == "assignment")
            )
        ).scalars()
        assert sorted(actions) == ["create", "end"]


async def test_a_deactivated_contact_persons_households_are_listed_until_reassigned(
    app: App,
) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    wang = await town.person("王建华", village=village)
    li = await town.person("李春华", village=village)
    zhang = await town.household(village, "张桂英", wang)
    chen = await town.household(village, "陈德明", wang)
    await town.household(village, "刘玉珍", li)

    person = await roster_changes.find_person(app, "王建华")
    freed = await roster_changes.deactivate_person(app, office, person.id)

    assert [h.head_name for h in freed] == ["张桂英", "陈德明"]
    unassigned = await roster_changes.unassigned_households(app, office)
    assert [h.id for h in unassigned] == [zhang.id, chen.id]
    await roster_changes.reassign(app, office, zhang.id, li.person_id or 0)
    assert [h.id for h in await roster_changes.unassigned_households(app, office)] == [chen.id]
    with pytest.raises(InvalidInput):  # a deactivated person takes no households
        await roster_changes.reassign(app, office, chen.id, wang.person_id or 0)
    with pytest.raises(Conflict):
        await roster_changes.deactivate_person(app, office, person.id)


async def test_only_the_town_office_changes_the_roster(app: App) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    admin = await town.person("孙书记", Role.VILLAGE_ADMIN, village)
    wang = await town.person("王建华", village=village)
    zhang = await town.household(village, "张桂英", wang)
    for actor in (admin, wang):
        with pytest.raises(NotAllowed):
            await roster_changes.change_category(
                app, actor, zhang.id, Category.LIFTED_MONITORED, MEETING
            )
        with pytest.raises(NotAllowed):
            await roster_changes.adjust_out(app, actor, zhang.id, MEETING)
        with pytest.raises(NotAllowed):
            await roster_changes.reassign(app, actor, zhang.id, admin.person_id or 0)
        with pytest.raises(NotAllowed):  # asked before the confirm screen is shown
            await roster_changes.check_reassignment(app, actor, zhang.id, admin.person_id or 0)
        with pytest.raises(NotAllowed):
            await roster_changes.deactivate_person(app, actor, wang.person_id or 0)
        with pytest.raises(NotAllowed):
            await roster_changes.unassigned_households(app, actor)
    assert await changes(app) == []


def test_the_clerk_reassigns_deactivates_and_imports_the_platform_list_at_the_console(
    console: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        household_row(1),
        household_row(2, 帮扶联系人="王建华", 帮扶联系人电话="13905640002"),
    ]
    write_csv(console / "roster.csv", rows)
    assert main(["import", "roster", "roster.csv"]) == 0
    capsys.readouterr()

    assert main(["reassign", "--household", rows[1]["户编号"], "--to", "李春华"]) == 0
    assert "李春华" in capsys.readouterr().out
    assert main(["deactivate", "--name", "李春华"]) == 0
    out = capsys.readouterr().out
    assert "2" in out and rows[0]["户主姓名"] in out and rows[1]["户主姓名"] in out
    assert main(["unassigned"]) == 0
    assert rows[0]["户编号"] in capsys.readouterr().out
    assert main(["deactivate", "--name", "李春华"]) == 1  # no active person by that name now
    assert main(["deactivate", "--name", "王建华"]) == 0  # he held nothing by then
    assert "已停用 王建华。此人名下没有农户，不需要重新指派。" in capsys.readouterr().out

    (console / "flags.csv").write_text(
        f"户编号,预警原因\n{rows[0]['户编号']},收入骤减\n999,x\n", encoding="utf-8"
    )
    assert main(["import", "flags", "flags.csv"]) == 0
    out = capsys.readouterr().out
    assert "第 2 行" in out and "第 3 行：999" in out


async def test_a_household_adjusted_out_appears_in_form_1_with_its_meeting_record(
    app: App, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    from bot.core.policy import CLI_OPERATOR
    from bot.documents.forms import export_forms

    town = TownBuilder(app)
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    contact = await town.person("王建华", village=village)
    chen = await town.household(village, "陈德明", contact)
    await roster_changes.adjust_out(
        app, office, chen.id, MeetingRecord(date(2026, 3, 6), "风险消除，收入稳定")
    )

    paths = await export_forms(app, CLI_OPERATOR, "河口村", out_dir=tmp_path)
    form_1 = next(path for path in paths if "边缘户动态调整" in path.name)
    cells = [
        str(cell)
        for row in load_workbook(form_1).active.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]
    assert "陈德明" in cells
    assert "风险消除，收入稳定" in cells and "2026-03-06" in cells
