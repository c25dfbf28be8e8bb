"""Roster changes decided at a meeting, through the real bot in the town office's private chat:
a household adjusted out (➖ from its history) shows up in 附件1 with its reason, and a newly
found household added with /newhousehold, a malformed one refused with nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.domain.model import HouseholdStatus, Role
from bot.domain.validation import id_check_character
from bot.storage.models import Assignment, Household, HouseholdChange, Person
from bot.storage.uow import App
from tests.e2e.conftest import RunningBot
from tests.e2e.conversations import find_household
from tests.telegram_api import StoredFile, TelegramUser

VILLAGE = "河口村"
HOUSEHOLD = "张桂英（一组）"
ADJUST_REASON = "家庭收入稳定超过监测线，风险已消除"
NEW_NUMBER = "341523020100042"
NEW_ID_BODY = "34152319720815123"  # 17 digits; the 18th is the check character
CONTACT_PHONE = "13805640001"


@dataclass
class Office:
    director: TelegramUser  # 周主任, town office
    contact: Person  # 王建华, 张桂英's contact person
    household: Household


@pytest.fixture
async def office(
    running_bot: RunningBot,
    make_user,  # type: ignore[no-untyped-def]
    register_person,  # type: ignore[no-untyped-def]
    add_household,  # type: ignore[no-untyped-def]
    assign,  # type: ignore[no-untyped-def]
) -> Office:
    director = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=director)
    contact = await register_person(
        "王建华",
        Role.CONTACT,
        village=VILLAGE,
        telegram_user=make_user("王建华"),
        phone=CONTACT_PHONE,
    )
    household = await add_household("张桂英", village=VILLAGE)
    await assign(household, contact)
    return Office(director, contact, household)


def workbook_text(document: StoredFile) -> str:
    """Every cell of every sheet, as one text."""
    book = load_workbook(BytesIO(document.data))
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def new_household_lines(id_number: str) -> str:
    return "\n".join(
        [
            f"村：{VILLAGE}",
            "组：二组",
            f"户编号：{NEW_NUMBER}",
            "户主姓名：刘德胜",
            f"身份证号：{id_number}",
            "联系电话：",
            "家庭人口数：4",
            "类别：边缘户",
            "年人均纯收入：6100",
            "风险类型：",
            "帮扶联系人：王建华",
            f"帮扶联系人电话：{CONTACT_PHONE}",
        ]
    )


async def counts(app: App) -> tuple[int, ...]:
    """How many households, roster changes, assignments and people there are."""
    found = []
    async with app.uow() as uow:
        for model in (Household, HouseholdChange, Assignment, Person):
            found.append((await uow.session.execute(select(func.count(model.id)))).scalar_one())
    return tuple(found)


async def test_the_town_office_adjusts_a_household_out_and_it_shows_in_attachment_1(
    app: App, office: Office
) -> None:
    director = office.director
    history = await find_household(director, "桂英", f"📜 {VILLAGE} {HOUSEHOLD}")
    assert "➖ 调整出列" in history.button_texts
    await director.press("➖ 调整出列", history)
    await director.expect(f"➖ 动态调整出列：{HOUSEHOLD}")
    await director.expect_no_message()
    await director.send("3月12日")
    await director.expect("还没到")  # a meeting in the future is refused
    await director.send("3月6日")
    await director.expect("调整原因")
    await director.send(ADJUST_REASON)
    confirm = await director.expect("保存这项调整？")
    assert "会议记录日期：2026-03-06" in confirm.text and ADJUST_REASON in confirm.text
    await director.press("✅ 保存")
    await director.expect(f"✅ 已保存：➖ 动态调整出列：{HOUSEHOLD}")

    async with app.uow() as uow:
        household = await uow.session.get(Household, office.household.id)
        assert household is not None and household.status == HouseholdStatus.ADJUSTED_OUT
        changes = (await uow.session.execute(select(HouseholdChange))).scalars().all()
        current = await uow.session.execute(
            select(func.count(Assignment.id)).where(
                Assignment.household_id == office.household.id, Assignment.ended_at.is_(None)
            )
        )
        assert current.scalar_one() == 0  # its contact person is released
    assert [
        (c.household_id, c.kind, c.old_value, c.new_value, c.reason, c.meeting_on.isoformat())
        for c in changes
    ] == [
        (
            office.household.id,
            "adjusted_out",
            "monitored",
            "adjusted_out",
            ADJUST_REASON,
            "2026-03-06",
        )
    ]

    # Its history no longer offers roster changes, and shows the meeting record.
    history = await find_household(director, "桂英", f"📜 {VILLAGE} {HOUSEHOLD}")
    assert "➖ 调整出列" not in history.button_texts
    assert ADJUST_REASON in history.text

    await director.send(f"/export forms {VILLAGE}")
    documents = [await director.next_message() for _ in range(6)]
    await director.expect_no_message()
    first = documents[0]
    assert first.text == f"附件1：《{VILLAGE}边缘户动态调整表格》"
    assert first.document is not None
    text = workbook_text(first.document)
    assert "张桂英" in text and ADJUST_REASON in text


async def test_a_desk_button_pressed_mid_form_ends_the_form(app: App, office: Office) -> None:
    director = office.director
    history = await find_household(director, "桂英", f"📜 {VILLAGE} {HOUSEHOLD}")
    await director.press("➖ 调整出列", history)
    await director.expect(f"➖ 动态调整出列：{HOUSEHOLD}")

    await director.send("📋 未联系名单")  # the desk's button, taken before any form's step
    await director.expect("未联系")
    await director.send("3月6日")  # no longer the form's meeting date: a search

    await director.expect("没有找到这个名字或编号的农户")
    async with app.uow() as uow:
        household = await uow.session.get(Household, office.household.id)
        assert household is not None and household.status == HouseholdStatus.MONITORED
        assert (await uow.session.execute(select(HouseholdChange))).first() is None


async def test_the_town_office_adds_a_newly_found_household_and_a_bad_one_is_refused(
    app: App, office: Office
) -> None:
    director = office.director
    before = await counts(app)

    # A wrong check digit: refused as soon as the lines are sent, naming the column and the
    # problem, and the same step asks for the corrected lines.
    good_id = NEW_ID_BODY + id_check_character(NEW_ID_BODY)
    bad_id = NEW_ID_BODY + ("1" if good_id[-1] != "1" else "2")
    await director.send("/newhousehold")
    prompt = await director.expect("新发现的农户")
    assert "姓名最多 100 个字，户编号和组最多 40 个字" in prompt.text
    template = await director.expect("户编号：")
    assert "身份证号：" in template.text and "帮扶联系人电话：" in template.text
    await director.send(new_household_lines(bad_id))
    refused = await director.expect("请改正")
    assert "身份证号" in refused.text and "校验位" in refused.text
    assert await counts(app) == before

    await director.send(new_household_lines(good_id))
    await director.expect("刘德胜")
    await director.send("3月5日")
    await director.expect("调整原因")
    await director.send("入户排查新发现，村两委研究纳入边缘户")
    confirm = await director.expect("保存这项调整？")
    assert "会议记录日期：2026-03-05" in confirm.text
    await director.press("✅ 保存")
    await director.expect("✅ 已保存")

    async with app.uow() as uow:
        household = (
            await uow.session.execute(select(Household).where(Household.number == NEW_NUMBER))
        ).scalar_one()
        assert (household.head_name, household.id_number, household.members) == (
            "刘德胜",
            good_id,
            4,
        )
        assert household.status == HouseholdStatus.MONITORED
        assert household.category == "marginal"
        contacts = await uow.session.execute(
            select(Assignment.person_id).where(
                Assignment.household_id == household.id, Assignment.ended_at.is_(None)
            )
        )
        assert list(contacts.scalars()) == [office.contact.id]
        change = (
            await uow.session.execute(
                select(HouseholdChange).where(HouseholdChange.household_id == household.id)
            )
        ).scalar_one()
        assert (change.kind, change.meeting_on.isoformat()) == ("added", "2026-03-05")
    households, changes, assignments, people = await counts(app)
    assert (households, changes, assignments, people) == (
        before[0] + 1,
        before[1] + 1,
        before[2] + 1,
        before[3],  # the named contact person is the registered one: nobody new
    )
