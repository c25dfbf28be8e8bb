"""The town office imports its roster: all rows or none, re-imports update by 户编号."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.contacts.contact_log import ContactDraft, log_contact, new_draft_key
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.roster.importing import RosterRejected, import_roster
from bot.documents.roster_sheet import read_roster, write_roster_template
from bot.domain.model import ContactChannel, Role
from bot.errors import InvalidInput, NotAllowed
from bot.i18n import use_language
from bot.storage.models import Assignment, AuditEntry, Household, Person, Village
from bot.storage.uow import App
from tests.fixtures.rosters import household_row, id_number, write_csv, write_xlsx


async def all_of(app: App, model: type[Any]) -> list[Any]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(model).order_by(model.id))).scalars())


async def audit_trail(app: App, entity: str, action: str) -> list[AuditEntry]:
    async with app.uow() as uow:
        query = select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.action == action)
        return list((await uow.session.execute(query.order_by(AuditEntry.id))).scalars())


async def household(app: App, number: str) -> Household:
    async with app.uow() as uow:
        query = select(Household).where(Household.number == number)
        return (await uow.session.execute(query)).scalar_one()


async def current_contact_person(app: App, number: str) -> str:
    async with app.uow() as uow:
        query = (
            select(Person.name)
            .join(Assignment, Assignment.person_id == Person.id)
            .join(Household, Household.id == Assignment.household_id)
            .where(Household.number == number, Assignment.ended_at.is_(None))
        )
        return (await uow.session.execute(query)).scalar_one()


async def test_clerk_imports_a_roster_and_households_contact_persons_and_assignments_appear(
    app: App, tmp_path: Path
) -> None:
    rows = [
        household_row(1, 风险类型="01、因残", 联系电话="0564 5123456"),
        household_row(2, 类别="不享受政策脱贫户", 风险类型="", 年人均纯收入="16,800"),
        household_row(3, 村="黄巢寺村", 帮扶联系人="王志刚", 帮扶联系人电话="139-0564-7788"),
    ]
    report = await import_roster(
        app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", rows))
    )

    assert (report.created, report.updated, report.unchanged, report.reassigned) == (3, 0, 0, 0)
    assert (report.villages_created, report.contact_persons_created) == (2, 2)
    assert report.new_contact_persons == [("李春华", "13905641268"), ("王志刚", "13905647788")]
    first = await household(app, "3415251030020001")
    assert first.village.name == "大河村"
    assert first.phone == "0564-5123456"
    assert first.risk_types == ["因病", "因残"]
    assert (first.members, first.category, first.status) == (3, "marginal", "monitored")
    assert first.income == Decimal("5200.00")
    assert first.income_measured_on == app.clock.today()
    second = await household(app, "3415251030020002")
    assert (second.category, second.income, second.risk_types) == (
        "lifted_no_policy",
        Decimal("16800.00"),
        [],
    )
    people = await all_of(app, Person)
    assert [(p.name, p.role, p.village.name) for p in people] == [
        ("李春华", "contact", "大河村"),
        ("王志刚", "contact", "黄巢寺村"),
    ]
    assert await current_contact_person(app, "3415251030020003") == "王志刚"
    assert len(await audit_trail(app, "household", "create")) == 3
    assert len(await audit_trail(app, "person", "create")) == 2
    assert len(await audit_trail(app, "assignment", "create")) == 3
    assert {entry.actor_label for entry in await all_of(app, AuditEntry)} == {"cli"}


async def test_every_bad_row_is_reported_with_its_row_number_and_nothing_is_imported(
    app: App, tmp_path: Path
) -> None:
    good_id = id_number(9)
    rows = [
        household_row(1),  # row 3: fine
        household_row(2, 户主姓名="", 身份证号=good_id[:17] + ("0" if good_id[17] != "0" else "1")),
        household_row(3, 联系电话="1234567", 家庭人口数="0", 年人均纯收入="-5"),
        household_row(4, 类别="贫困户", 风险类型="因病、因懒"),
        household_row(1, 身份证号=id_number(5), 家庭人口数="两"),  # row 7: 户编号 of row 3
        household_row(6, 身份证号=341525196207140061),  # typed as a number
        household_row(7, 帮扶联系人="陈国庆"),  # 李春华's phone given for someone else
        household_row(8, 身份证号=id_number(1)),  # the ID number of row 3 again
        household_row(10, 帮扶联系人电话=""),
    ]
    path = write_xlsx(tmp_path / "r.xlsx", rows, title="大河村防返贫监测对象花名册")

    with pytest.raises(RosterRejected) as rejected:
        await import_roster(app, CLI_OPERATOR, read_roster(path))

    found = [(p.row_number, p.column) for p in rejected.value.problems]
    assert found == [
        (4, "户主姓名"),
        (4, "身份证号"),
        (5, "联系电话"),
        (5, "家庭人口数"),
        (5, "年人均纯收入"),
        (6, "类别"),
        (6, "风险类型"),
        (7, "户编号"),
        (7, "家庭人口数"),
        (8, "身份证号"),
        (9, "帮扶联系人电话"),
        (10, "身份证号"),
        (11, "帮扶联系人电话"),
    ]
    with use_language("en"):
        reasons = {(p.row_number, p.column): p.render() for p in rejected.value.problems}
    assert "row 3" in reasons[(7, "户编号")]
    assert "as text" in reasons[(8, "身份证号")]
    assert "李春华" in reasons[(9, "帮扶联系人电话")]
    assert "因懒" in reasons[(6, "风险类型")]
    with use_language("zh"):
        assert rejected.value.render() == "花名册没有导入，数据没有任何改动。有问题的行数：8。"
    for model in (Household, Person, Village, Assignment, AuditEntry):
        assert await all_of(app, model) == []


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
async def test_csv_saved_by_excel_in_gbk_or_utf8_is_read(
    app: App, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "r.csv", [household_row(1, 村="佛子岭村")], encoding=encoding)

    report = await import_roster(app, CLI_OPERATOR, read_roster(path))

    assert report.created == 1
    imported = await household(app, "3415251030020001")
    assert (imported.village.name, imported.head_name) == ("佛子岭村", "李桂英1")


async def test_xlsx_with_numbers_a_title_extra_columns_and_its_own_column_order(
    app: App, tmp_path: Path
) -> None:
    headers = ["序号", "户主姓名", "户编号", "村", "组", "身份证号", "类别", "家庭人口数"]
    headers += ["年人均纯收入", "风险类型", "联系电话", "帮扶联系人", "帮扶联系人电话", "备注"]
    row = household_row(
        1,
        序号=1,
        家庭人口数=4,
        年人均纯收入=5860.5,
        联系电话=13856412873,
        帮扶联系人电话=13905641268,
    )
    path = write_xlsx(tmp_path / "r.xlsx", [row], headers=headers, title="花名册")

    await import_roster(app, CLI_OPERATOR, read_roster(path))

    imported = await household(app, "3415251030020001")
    assert (imported.members, imported.income, imported.phone) == (
        4,
        Decimal("5860.50"),
        "13856412873",
    )


async def test_reimport_updates_changed_households_and_reassigns_without_duplicates(
    app: App, tmp_path: Path, clock: Any
) -> None:
    first = [household_row(1), household_row(2), household_row(3)]
    await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "march.csv", first)))
    clock.advance(days=20)
    second = [
        household_row(1),
        household_row(2, 家庭人口数="5", 年人均纯收入="6100"),
        household_row(3, 帮扶联系人="陈国庆", 帮扶联系人电话="13805640001"),
        household_row(4),
    ]

    report = await import_roster(
        app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "april.csv", second))
    )

    assert (report.created, report.updated, report.unchanged, report.reassigned) == (1, 1, 1, 1)
    assert report.new_contact_persons == [("陈国庆", "13805640001")]
    assert len(await all_of(app, Household)) == 4
    assert [p.name for p in await all_of(app, Person)] == ["李春华", "陈国庆"]
    changed = await household(app, "3415251030020002")
    assert (changed.members, changed.income) == (5, Decimal("6100.00"))
    assert changed.income_measured_on == clock.today()
    [update] = await audit_trail(app, "household", "update")
    assert update.entity_id == changed.id
    assert update.changes == {
        "before": {"members": 3, "income": "5200.00"},
        "after": {"members": 5, "income": "6100.00"},
    }
    assert await current_contact_person(app, "3415251030020003") == "陈国庆"
    [ended] = await audit_trail(app, "assignment", "end")
    assignments = await all_of(app, Assignment)
    old = next(a for a in assignments if a.id == ended.entity_id)
    assert old.ended_at == clock.now()
    assert len(assignments) == 5  # four households, one of them reassigned
    assert len(await audit_trail(app, "assignment", "create")) == 5

    again = await import_roster(
        app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "again.csv", second))
    )

    assert (again.created, again.updated, again.unchanged, again.reassigned) == (0, 0, 4, 0)
    assert len(await all_of(app, Assignment)) == 5
    assert len(await audit_trail(app, "household", "update")) == 1


async def test_contact_person_invited_without_phone_is_recognised_by_name(
    app: App, tmp_path: Path
) -> None:
    async with app.uow() as uow:
        uow.session.add(
            Person(name="李春华", role="contact", active=True, created_at=uow.clock.now())
        )
        await uow.commit()

    report = await import_roster(
        app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", [household_row(1)]))
    )

    assert report.contact_persons_created == 0
    [person] = await all_of(app, Person)
    assert person.phone == "13905641268"
    [update] = await audit_trail(app, "person", "update")
    assert update.changes == {"before": {"phone": None}, "after": {"phone": "13905641268"}}


async def test_an_id_number_already_on_another_household_is_refused(
    app: App, tmp_path: Path
) -> None:
    await import_roster(
        app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "a.csv", [household_row(1)]))
    )
    moved = household_row(2, 身份证号=id_number(1))

    with pytest.raises(RosterRejected) as rejected:
        await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "b.csv", [moved])))

    [problem] = rejected.value.problems
    assert (problem.row_number, problem.column) == (2, "身份证号")
    assert "3415251030020001" in problem.render()
    assert len(await all_of(app, Household)) == 1


async def test_a_file_without_the_needed_columns_or_of_another_kind_is_refused(
    app: App, tmp_path: Path
) -> None:
    headers = ["村", "户编号", "户主姓名", "身份证号"]
    path = write_csv(tmp_path / "short.csv", [household_row(1)], headers=headers)
    with pytest.raises(InvalidInput) as refused:
        await import_roster(app, CLI_OPERATOR, read_roster(path))
    assert "家庭人口数" in refused.value.render() and "帮扶联系人电话" in refused.value.render()

    old_excel = tmp_path / "roster.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match="xlsx"):
        await import_roster(app, CLI_OPERATOR, read_roster(old_excel))

    no_header = write_csv(tmp_path / "none.csv", [household_row(1)], headers=["村", "组"])
    with pytest.raises(InvalidInput) as refused:
        await import_roster(app, CLI_OPERATOR, read_roster(no_header))
    assert "户编号" in refused.value.render()


async def test_only_the_town_office_imports_the_roster(app: App, tmp_path: Path) -> None:
    village_admin = Actor(person_id=7, name="黄文斌", role=Role.VILLAGE_ADMIN, village_id=1)
    with pytest.raises(NotAllowed):
        await import_roster(
            app, village_admin, read_roster(write_csv(tmp_path / "r.csv", [household_row(1)]))
        )


async def test_the_template_reads_well_and_imports_as_it_is(app: App, tmp_path: Path) -> None:
    path = tmp_path / "花名册模板.xlsx"
    write_roster_template(path)

    workbook = load_workbook(path)
    roster, help_sheet = workbook.worksheets
    assert help_sheet.title == "说明"
    headers = [cell.value for cell in roster[1]]
    assert headers[:3] == ["村", "组", "户编号"] and headers[-1] == "乡镇" and len(headers) == 16
    assert headers[12:15] == ["脱贫年度", "低保/特困/残疾", "原识别时间"]  # optional, for the forms
    assert all(cell.font.bold for cell in roster[1])
    assert roster.column_dimensions["E"].width >= 20  # 身份证号 fits
    explained = " ".join(str(cell.value) for row in help_sheet.iter_rows() for cell in row)
    for word in ("边缘户", "不享受政策脱贫户", "因病（01）", "受新冠疫情影响", "文本", "旧表格"):
        assert word in explained

    report = await import_roster(app, CLI_OPERATOR, read_roster(path))

    assert (report.created, report.contact_persons_created) == (1, 1)
    (example,) = await all_of(app, Household)
    assert (example.exit_year, example.social_support) == (2017, "低保")
    assert example.identified_on.isoformat() == "2014-10-15"


async def add_person(
    app: App, name: str, role: Role, phone: str | None, village: str | None
) -> int:
    async with app.uow() as uow:
        place = Village(name=village) if village else None
        person = Person(
            name=name,
            phone=phone,
            role=role,
            village=place,
            active=True,
            created_at=uow.clock.now(),
        )
        uow.session.add(person)
        await uow.commit()
        return person.id


async def test_a_town_office_clerk_sharing_the_contacts_name_is_not_taken_for_them(
    app: App, tmp_path: Path
) -> None:
    clerk_id = await add_person(app, "李春华", Role.TOWN_OFFICE, "13800000000", None)

    report = await import_roster(
        app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", [household_row(1)]))
    )

    assert report.new_contact_persons == [("李春华", "13905641268")]
    clerk, contact = await all_of(app, Person)
    assert (clerk.id, clerk.role, clerk.phone) == (clerk_id, "town_office", "13800000000")
    assert (contact.role, contact.phone) == ("contact", "13905641268")
    assert await audit_trail(app, "person", "update") == []
    async with app.uow() as uow:
        [assignment] = (await uow.session.execute(select(Assignment))).scalars()
    assert assignment.person_id == contact.id


async def test_a_village_cadre_of_the_households_village_is_its_contact_person(
    app: App, tmp_path: Path
) -> None:
    cadre_id = await add_person(app, "李春华", Role.VILLAGE_ADMIN, None, "大河村")
    elsewhere_id = await add_person(app, "王志刚", Role.VILLAGE_ADMIN, None, "黄巢寺村")
    rows = [household_row(1), household_row(2, 帮扶联系人="王志刚", 帮扶联系人电话="13805647788")]

    report = await import_roster(
        app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", rows))
    )

    assert report.new_contact_persons == [("王志刚", "13805647788")]
    cadre = next(person for person in await all_of(app, Person) if person.id == cadre_id)
    assert (cadre.role, cadre.phone) == ("village_admin", "13905641268")
    assert await current_contact_person(app, "3415251030020001") == "李春华"
    other = next(person for person in await all_of(app, Person) if person.id == elsewhere_id)
    assert (other.role, other.phone) == ("village_admin", None)


async def test_reimport_keeps_income_a_contact_person_recorded_and_blank_cells_erase_nothing(
    app: App, tmp_path: Path, clock: Any
) -> None:
    rows = [household_row(1), household_row(2), household_row(3)]
    await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "march.csv", rows)))
    [li] = await all_of(app, Person)
    visited = await household(app, "3415251030020001")
    clock.advance(days=1)
    await log_contact(
        app,
        Actor(li.id, li.name, Role.CONTACT, li.village_id),
        ContactDraft(
            draft_key=new_draft_key(),
            household_id=visited.id,
            channel=ContactChannel.HOME_VISIT,
            occurred_on=clock.today(),
            income=Decimal("6000"),
        ),
    )
    visit_day = clock.today()
    clock.advance(days=20)
    again = [
        household_row(1),  # the survey's 5200, older than the visit
        household_row(2, 年人均纯收入=""),
        household_row(3, 年人均纯收入="7000"),
    ]

    await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "april.csv", again)))

    first, blank, changed = [
        await household(app, f"341525103002000{serial}") for serial in (1, 2, 3)
    ]
    assert (first.income, first.income_measured_on) == (Decimal("6000.00"), visit_day)
    assert blank.income == Decimal("5200.00") and blank.income_measured_on is not None
    assert (changed.income, changed.income_measured_on) == (Decimal("7000.00"), clock.today())
