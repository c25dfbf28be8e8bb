"""Two towns on one installation, through the real bot: the town office of 甲镇 reaches
nothing of 乙镇 by a command, a forged button or an upload, in its private chat or in 乙镇's
office group; and a red flag in 乙镇 alerts 乙镇's office only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiogram.filters.callback_data import CallbackData
from sqlalchemy import select

from bot.core.flags.raising import report_risk
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.handlers.reports.sending import ExportVillage
from bot.handlers.town_office.desk import DeactivatePick, ReassignPick
from bot.messages.keyboards import Backlog, FlagAction, HouseholdAct, HouseholdAction
from bot.storage.models import Household, Person, RedFlag
from bot.storage.uow import App
from tests.e2e.conftest import RunningBot
from tests.e2e.hekou import unpaced_delivery
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser
from tests.town_builder import TownBuilder

YES = "✅ 是，这是镇扶贫办工作群"
# What 甲镇 must never read of 乙镇 (what it typed or uploaded itself is echoed in "not found").
OTHER_TOWN_SECRETS = ("刘秀兰", "房屋漏雨", "13905640000")


@dataclass
class County:
    zhou: TelegramUser  # 甲镇 (the first town) office
    wu: TelegramUser  # 乙镇 office
    li_user: TelegramUser  # 李红梅, 刘秀兰's contact person in 乙镇
    li: Person
    liu: Household
    flag_id: int
    yi_group: TelegramGroup  # 乙镇's office group, confirmed by 吴主任
    chief: TelegramUser  # 郑科长, the county office


@pytest.fixture
async def county(
    app: App,
    telegram: FakeTelegram,
    running_bot: RunningBot,
    make_user,  # type: ignore[no-untyped-def]
    town_builder: TownBuilder,
) -> County:
    build = town_builder
    jia, yi = await build.town("本镇"), await build.town("乙镇")
    hekou, shanqian = await build.village("河口村", jia), await build.village("山前村", yi)
    zhou, wu, li_user = make_user("周主任"), make_user("吴主任"), make_user("李红梅")
    chief = make_user("郑科长")
    await build.add_person("郑科长", Role.COUNTY_OFFICE, None, chief.id)
    await build.add_person("周主任", Role.TOWN_OFFICE, None, zhou.id, town=jia)
    await build.add_person("吴主任", Role.TOWN_OFFICE, None, wu.id, town=yi)
    wang = await build.person("王建华", village=hekou)
    await build.household(hekou, "张桂英", wang)
    li = await build.add_person("李红梅", Role.CONTACT, shanqian, li_user.id)
    liu = await build.household(
        shanqian,
        "刘秀兰",
        Actor(li.id, li.name, Role.CONTACT),
        number="3415250000000001",
        phone="13905640000",
    )
    yi_group = TelegramGroup(telegram, "乙镇扶贫办")
    await yi_group.add_bot(by=wu)
    await wu.press(YES, await yi_group.next_message())
    flag = await report_risk(app, Actor(li.id, li.name, Role.CONTACT), liu.id, "房屋漏雨")
    await unpaced_delivery(app, running_bot)()
    return County(zhou, wu, li_user, li, liu, flag.id, yi_group, chief)


def leaks(texts: list[str]) -> list[str]:
    return [text for text in texts if any(secret in text for secret in OTHER_TOWN_SECRETS)]


async def test_a_town_office_reaches_nothing_of_another_town_through_the_bot(
    app: App, county: County
) -> None:
    zhou = county.zhou
    # The flag's alert went to 乙镇's office group, and to nobody of 甲镇.
    assert any("刘秀兰" in message.text for message in county.yi_group.messages)
    assert not leaks([message.text for message in zhou.messages])

    for command in ("/find 秀兰", "/flags", "/export forms 山前村", "/summary", "/unassigned"):
        await zhou.send(command)
    await zhou.send("/deactivate 李红梅")
    forged: list[CallbackData] = [
        FlagAction(action="open", flag_id=county.flag_id),
        FlagAction(action="ack", flag_id=county.flag_id),
        HouseholdAction(action=HouseholdAct.HISTORY, household_id=county.liu.id),
        HouseholdAction(action=HouseholdAct.REASSIGN, household_id=county.liu.id),
        ExportVillage(village_id=county.liu.village_id),
        DeactivatePick(person_id=county.li.id),
        ReassignPick(household_id=county.liu.id, person_id=county.li.id, confirmed=True),
        Backlog(person_id=county.li.id),
    ]
    answers = [await zhou.press_data(data.pack()) for data in forged]
    listing = f"户编号,原因\n{county.liu.number},人均纯收入低于监测线\n".encode()
    await zhou.send_document(listing, "预警名单.csv")
    # In 乙镇's group, 甲镇's office person is refused as in any other group.
    await zhou.send("/flags", chat=county.yi_group)

    texts = [message.text for message in zhou.messages]
    texts += [answer.text or "" for answer in answers if answer is not None]
    assert not leaks(texts), leaks(texts)
    documents = [message.document.filename for message in zhou.messages if message.document]
    assert not [name for name in documents if "山前村" in name]
    async with app.uow() as uow:
        flags = (await uow.session.execute(select(RedFlag))).scalars().all()
        li = await uow.session.get(Person, county.li.id)
    assert [(flag.id, flag.acknowledged_at) for flag in flags] == [(county.flag_id, None)]
    assert li is not None and li.active


async def test_the_county_office_compares_the_towns_and_exports_a_towns_forms(
    county: County,
) -> None:
    chief = county.chief
    await chief.send("/county 2026-03")
    text = await chief.expect("各乡镇对比")
    assert "乙镇" in text.text and "本镇" in text.text
    chart = await chief.next_message()
    workbook = await chief.next_message()
    assert chart.photo is not None and workbook.document is not None

    await chief.send("/awaiting")
    await chief.expect("没有等待县级审定的销号申请")

    await chief.send("/export")
    await chief.expect("导出哪个乡镇的六张表")
    await chief.press("🏙 乙镇")
    villages = await chief.expect("乙镇的哪个村")
    assert villages.button_texts == ["📄 山前村", "📦 乙镇全部 1 个村"]
    await chief.press("📄 山前村", villages)
    first = await chief.next_message()
    assert first.document is not None and first.document.filename.startswith("山前村_附件1")
